"""Calibration of predicted probabilities: binary outcomes and survival at a horizon.

Binary outcome (``calibration(y_true, y_prob)``):

* observed/expected ratio ``O/E = sum(y) / sum(p)``; CI on the log scale with
  ``SE(log O/E) = sqrt((1 - O/n) / O)`` (binomial O, E fixed; Debray et al. 2017).
* calibration-in-the-large (CITL): intercept ``a`` of the logistic model
  ``logit P(y=1) = a + offset(logit p)``; 0 is ideal (Steyerberg 2019; Van Calster et al. 2016).
* calibration slope: ``b`` in ``logit P(y=1) = a + b logit p``; 1 is ideal (Cox 1958).
  Both fitted by Newton-Raphson to full convergence; Wald CIs from the Fisher information,
  as statsmodels ``GLM(family=Binomial())``.
* ICI, E50, E90, Emax (Austin & Steyerberg 2019): mean, median, 90th percentile and maximum of
  ``|s(p_i) - p_i|`` where ``s`` is a loess smooth of the outcome on the predicted probability.
  The smoother is :func:`loess`: tricube-weighted local polynomial regression on the
  ``floor(span * n)`` nearest neighbours, degree 2 and span 0.75 by default, i.e. R's
  ``loess(y ~ p)`` defaults (gaussian family, no robustness iterations - appropriate for a 0/1
  outcome) computed directly at every distinct predicted value (R's ``surface = "direct"``).
  With ``degree=1`` it equals statsmodels ``lowess(it=0, delta=0)`` (and Cleveland's lowess
  without robustness). For very many distinct predicted values (continuous scores at large n) the
  local fits are computed at an evenly spaced grid of at least 100 points and interpolated by
  cubic Hermite splines using the local slopes (cf. R's default ``surface = "interpolate"``); the
  method string says which was used.
* binned curve: quantile or fixed-width bins (or given edges); per bin n, events, observed rate
  with Wilson CI, mean predicted probability.

Survival at horizon t (``calibration(time=..., event=..., horizon=t, y_prob=risk)`` or
:func:`survival_calibration`), with ``risk`` the predicted P(T <= t):

* observed risk by Kaplan-Meier ``1 - S(t)``, overall and per bin, with log-log Greenwood CIs.
* O/E at t: ``(1 - S_KM(t)) / mean(risk)``; CI on the log scale with the Greenwood variance of
  ``log(1 - S(t))`` (delta method), E fixed.
* calibration slope at t: coefficient of ``cll(risk) = log(-log(1 - risk))`` in a Cox model of the
  follow-up administratively censored at t. Under proportional hazards ``cll(risk)`` is
  ``log H0(t) + linear predictor``, so this is the slope of the linear predictor (1 ideal).
* ICI/E50/E90/Emax at t (Austin, Harrell & van Klaveren 2020): observed risk for each subject from a
  Cox model of the follow-up censored at t on a restricted cubic spline of ``cll(risk)`` (3 knots at
  the 10th/50th/90th percentiles, Harrell's defaults; Breslow baseline hazard); Austin et al. fit
  it on the full follow-up, we censor at t so that only outcomes up to the horizon matter.

Mergeable: :class:`CalibrationBinsState` accumulates per-bin counts (n, events, sum of p) for
fixed bin edges and the O/E totals, exactly. The logistic fits (CITL, slope) need repeated passes
over all rows (iterative reweighting), and loess/ICI and the survival fits need all rows (local
neighbourhoods, risk sets), so they are computed from the full data only.

Bootstrap hook: every function here is a pure function of the rows (no hidden state), so a
row-resampling bootstrap can call it on each resample; ICI/E50/E90/Emax have no analytic CI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import special
from scipy.interpolate import CubicHermiteSpline

from ._result import MetricResult, as_float_array, results_frame, undefined, z_value
from .brier import _check_binary
from .survival import _aggregate, _check_time_event, _ci, _group_codes, _km_from_counts

__all__ = [
    "CalibrationBinsState",
    "CalibrationResult",
    "SurvivalCalibrationResult",
    "calibration",
    "calibration_curve",
    "calibration_in_the_large",
    "calibration_slope",
    "integrated_calibration_index",
    "loess",
    "observed_expected_ratio",
    "survival_calibration",
]

_MAX_WORK = 1e7  # weight evaluations allowed for exact loess before switching to a grid
_MIN_GRID = 100
_MAX_POINTS = 50_000  # distinct values kept in grid mode (finer values pooled into narrow cells)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _logit_or_reason(p: np.ndarray, clip: float | None, name: str) -> tuple[np.ndarray | None, str | None]:
    """logit(p), or a reason why it is undefined (some p exactly 0 or 1 and no clip given)."""
    if clip is not None:
        if not 0 < clip < 0.5:
            raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
        p = np.clip(p, clip, 1.0 - clip)
    bad = int(np.sum((p <= 0) | (p >= 1)))
    if bad:
        return None, f"{name} has {bad} value(s) of exactly 0 or 1 whose logit is infinite; pass clip=1e-6 (say) to bound them"
    return special.logit(p), None


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n (NaN where n = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


# ----------------------------------------------------------------------------------------------
# logistic recalibration fits
# ----------------------------------------------------------------------------------------------


def _collapse(lp: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse rows with the same logit(p) into (value, count, sum of y) - binomial sufficient
    statistics, so tools with few distinct scores fit on a handful of rows. No-op for
    (nearly) continuous predictions."""
    u, inv = np.unique(lp, return_inverse=True)
    if u.size > lp.size // 2:
        return lp, np.ones(lp.size), y
    return u, np.bincount(inv).astype(float), np.bincount(inv, weights=y)


def _logistic_fit(ysum: np.ndarray, cnt: np.ndarray, x: np.ndarray | None, offset: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, bool]:
    """Newton-Raphson for logit P(y=1) = offset + [1, x] beta on binomial data (``ysum`` events out
    of ``cnt`` per row). Returns beta, covariance (inverse Fisher information), converged."""
    n = ysum.size
    design = np.ones((n, 1)) if x is None else np.column_stack([np.ones(n), x])
    k = design.shape[1]
    beta = np.zeros(k)
    if k == 2:
        beta[1] = 1.0  # start from "calibrated": converges in a few steps for sensible predictions

    def loglik(b: np.ndarray) -> float:
        eta = offset + design @ b
        # log(1 + exp(eta)) computed stably
        return float(ysum @ eta - cnt @ (np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))))

    def information(b: np.ndarray) -> np.ndarray:
        mu = special.expit(offset + design @ b)
        return (design.T * (cnt * mu * (1.0 - mu))) @ design

    ll = loglik(beta)
    for _ in range(max_iter):
        mu = special.expit(offset + design @ beta)
        grad = design.T @ (ysum - cnt * mu)
        info = (design.T * (cnt * mu * (1.0 - mu))) @ design
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return beta, np.full((k, k), np.nan), False
        t = 1.0
        while True:
            cand = beta + t * step
            ll_new = loglik(cand)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-10:
                return beta, np.full((k, k), np.nan), False
        beta, ll_old, ll = cand, ll, ll_new
        if np.max(np.abs(t * step)) < 1e-11 * (1 + np.max(np.abs(beta))) or abs(ll - ll_old) < 1e-15 * max(1.0, abs(ll)):
            if np.max(np.abs(beta)) > 50:
                return beta, np.full((k, k), np.nan), False
            try:
                return beta, np.linalg.inv(information(beta)), True
            except np.linalg.LinAlgError:
                return beta, np.full((k, k), np.nan), False
    return beta, np.full((k, k), np.nan), False


def _wald(metric: str, est: float, se: float, n: int, events: int, cl: float, method: str, **details: Any) -> MetricResult:
    z = z_value(cl)
    return MetricResult(metric, est, se, est - z * se, est + z * se, cl, n, events, method=method, ci_method="wald", details=details)


def calibration_in_the_large(y_true: Any, y_prob: Any, *, clip: float | None = None, confidence_level: float = 0.95) -> MetricResult:
    """Calibration-in-the-large: intercept of ``logit P(y=1) = a + offset(logit p)`` (0 is ideal;
    > 0 means risk is under-predicted on average). Wald CI. Equals statsmodels
    ``GLM(y, ones, family=Binomial(), offset=logit(p))``."""
    y, p = _check_binary(y_true, y_prob)
    n, ev = y.size, int(y.sum())
    name, method = "calibration_in_the_large", "logistic intercept with offset logit(p)"
    if n == 0:
        return undefined(name, "no observations", method=method)
    if ev in (0, n):
        return undefined(name, "only one outcome class: the intercept is infinite", n=n, events=ev, method=method)
    lp, reason = _logit_or_reason(p, clip, "y_prob")
    if reason:
        return undefined(name, reason, n=n, events=ev, method=method)
    u, cnt, ysum = _collapse(lp, y)
    beta, cov, ok = _logistic_fit(ysum, cnt, None, u)
    if not ok:
        return undefined(name, "logistic fit did not converge", n=n, events=ev, method=method)
    return _wald(name, float(beta[0]), math.sqrt(cov[0, 0]), n, ev, confidence_level, method)


def calibration_slope(y_true: Any, y_prob: Any, *, clip: float | None = None, confidence_level: float = 0.95) -> MetricResult:
    """Calibration slope: ``b`` in ``logit P(y=1) = a + b logit p`` (1 is ideal; < 1 means
    predictions are too extreme). Wald CI. Equals statsmodels ``GLM(y, [1, logit p], Binomial())``.
    The intercept ``a`` is in ``details``."""
    y, p = _check_binary(y_true, y_prob)
    n, ev = y.size, int(y.sum())
    name, method = "calibration_slope", "logistic regression on logit(p)"
    if n == 0:
        return undefined(name, "no observations", method=method)
    if ev in (0, n):
        return undefined(name, "only one outcome class: the slope is not estimable", n=n, events=ev, method=method)
    lp, reason = _logit_or_reason(p, clip, "y_prob")
    if reason:
        return undefined(name, reason, n=n, events=ev, method=method)
    if np.ptp(lp) == 0:
        return undefined(name, "all predicted probabilities are equal: the slope is not estimable", n=n, events=ev, method=method)
    u, cnt, ysum = _collapse(lp, y)
    beta, cov, ok = _logistic_fit(ysum, cnt, u, np.zeros(u.size))
    if not ok:
        return undefined(name, "logistic fit did not converge (outcome perfectly separated by the prediction?)", n=n, events=ev, method=method)
    return _wald(name, float(beta[1]), math.sqrt(cov[1, 1]), n, ev, confidence_level, method, intercept=float(beta[0]), intercept_se=math.sqrt(cov[0, 0]))


def observed_expected_ratio(y_true: Any, y_prob: Any, *, confidence_level: float = 0.95) -> MetricResult:
    """Observed/expected events ``sum(y) / sum(p)`` (1 is ideal). CI: ``exp(log(O/E) +- z
    sqrt((1 - O/n)/O))`` (Debray et al. 2017)."""
    y, p = _check_binary(y_true, y_prob)
    return CalibrationBinsState(edges=np.array([0.0, 1.0]), confidence_level=confidence_level).update(y, p).finalize()


def _oe_result(observed: float, expected: float, n: int, cl: float, var_log_o: float, method: str, horizon: float | None = None) -> MetricResult:
    name = "observed_expected_ratio"
    ev = int(round(observed)) if horizon is None else None
    if n == 0:
        return undefined(name, "no observations", horizon=horizon)
    if expected <= 0:
        return undefined(name, "expected events are 0 (all predicted probabilities are 0)", n=n, events=ev, horizon=horizon, method=method)
    est = observed / expected
    if observed <= 0 or not np.isfinite(var_log_o):
        return MetricResult(name, est, n=n, events=ev, horizon=horizon, method=method, confidence_level=cl, details={"observed": observed, "expected": expected})
    z = z_value(cl)
    se = math.sqrt(var_log_o)
    return MetricResult(
        name,
        est,
        se,
        est * math.exp(-z * se),
        est * math.exp(z * se),
        cl,
        n,
        ev,
        horizon=horizon,
        method=method,
        ci_method="log-normal (se of log O/E)",
        details={"observed": observed, "expected": expected},
    )


# ----------------------------------------------------------------------------------------------
# binned curve (mergeable)
# ----------------------------------------------------------------------------------------------


def _edges(p: np.ndarray, bins: int | Sequence[float], strategy: str) -> np.ndarray:
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise ValueError(f"bins must be >= 1, got {bins}")
        if strategy == "quantile":
            e = np.quantile(p, np.linspace(0, 1, int(bins) + 1)) if p.size else np.array([0.0, 1.0])
        elif strategy == "uniform":
            e = np.linspace(0.0, 1.0, int(bins) + 1)
        else:
            raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
        return np.unique(e)
    e = np.asarray(bins, dtype=float)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
        raise ValueError("bin edges must be a strictly increasing sequence of at least two values")
    return e


def _bin_index(p: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bins [e0, e1), [e1, e2), ..., [e_{k-1}, e_k]; values outside the edges go to the end bins."""
    if edges.size <= 2:
        return np.zeros(p.size, dtype=np.int64)
    return np.searchsorted(edges[1:-1], p, side="right").astype(np.int64)


@dataclass(frozen=True)
class CalibrationBinsState:
    """Mergeable per-bin counts for a binned calibration curve with fixed ``edges``.

    ``finalize()`` gives the overall observed/expected ratio; ``curve()`` the per-bin table.
    """

    edges: np.ndarray
    n: np.ndarray | None = None
    events: np.ndarray | None = None
    sum_p: np.ndarray | None = None
    confidence_level: float = 0.95

    def _zeros(self) -> np.ndarray:
        k = max(self.edges.size - 1, 1)
        return np.zeros(k)

    def update(self, y_true: Any, y_prob: Any) -> Self:
        """Add a chunk of outcomes and predicted probabilities."""
        y, p = _check_binary(y_true, y_prob)
        k = max(self.edges.size - 1, 1)
        b = _bin_index(p, self.edges)
        n = (self.n if self.n is not None else self._zeros()) + np.bincount(b, minlength=k)
        ev = (self.events if self.events is not None else self._zeros()) + np.bincount(b, weights=y, minlength=k)
        sp = (self.sum_p if self.sum_p is not None else self._zeros()) + np.bincount(b, weights=p, minlength=k)
        return CalibrationBinsState(self.edges, n, ev, sp, self.confidence_level)

    def merge(self, other: CalibrationBinsState) -> Self:
        """Combine with a state built on other rows (same edges)."""
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("cannot merge calibration states with different bin edges")

        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return b
            return a if b is None else a + b

        return CalibrationBinsState(self.edges, add(self.n, other.n), add(self.events, other.events), add(self.sum_p, other.sum_p), self.confidence_level)

    def finalize(self) -> MetricResult:
        """Overall observed/expected ratio from the accumulated counts."""
        n = int(self.n.sum()) if self.n is not None else 0
        o = float(self.events.sum()) if self.events is not None else 0.0
        e = float(self.sum_p.sum()) if self.sum_p is not None else 0.0
        var = (1.0 - o / n) / o if n and o > 0 else math.nan
        return _oe_result(o, e, n, self.confidence_level, var, "sum(y) / sum(p)")

    def curve(self) -> pd.DataFrame:
        """Per bin: edges, n, events, observed rate with Wilson CI, mean predicted, O/E."""
        n = self.n if self.n is not None else self._zeros()
        ev = self.events if self.events is not None else self._zeros()
        sp = self.sum_p if self.sum_p is not None else self._zeros()
        lo, hi = _wilson(ev, n, z_value(self.confidence_level))
        with np.errstate(divide="ignore", invalid="ignore"):
            frame = pd.DataFrame(
                {
                    "bin": np.arange(n.size),
                    "lower_edge": self.edges[:-1] if self.edges.size > 1 else [self.edges[0]],
                    "upper_edge": self.edges[1:] if self.edges.size > 1 else [self.edges[0]],
                    "n": n.astype(np.int64),
                    "events": ev,
                    "observed": ev / n,
                    "observed_lower": lo,
                    "observed_upper": hi,
                    "mean_predicted": sp / n,
                    "expected": sp,
                    "observed_expected_ratio": ev / sp,
                }
            )
        return frame[frame["n"] > 0].reset_index(drop=True)


def calibration_curve(y_true: Any, y_prob: Any, *, bins: int | Sequence[float] = 10, strategy: str = "quantile", confidence_level: float = 0.95) -> pd.DataFrame:
    """Binned calibration table: per bin of predicted probability, n, events, observed rate with
    a Wilson CI and the mean predicted probability. ``bins`` is a number of bins (quantile bins by
    default - ties stay together, so fewer bins may result - or ``strategy="uniform"``) or edges."""
    y, p = _check_binary(y_true, y_prob)
    return CalibrationBinsState(_edges(p, bins, strategy), confidence_level=confidence_level).update(y, p).curve()


# ----------------------------------------------------------------------------------------------
# loess smoother
# ----------------------------------------------------------------------------------------------


def _qth_distance(xs: np.ndarray, x0: np.ndarray, q: int) -> np.ndarray:
    """Distance from each x0 to its q-th nearest point of sorted ``xs`` (vectorised bisection)."""
    n = xs.size
    lo = np.zeros(x0.size, dtype=np.int64)
    hi = np.full(x0.size, n - q, dtype=np.int64)
    # smallest l in [0, n-q] with xs[l+q-1] - x0 >= x0 - xs[l]  (predicate non-decreasing in l)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        active = lo < hi
        ok = xs[mid + q - 1] - x0 >= x0 - xs[mid]
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1, lo)
    left = lo
    cand1 = np.maximum(x0 - xs[left], xs[left + q - 1] - x0)
    prev = np.maximum(left - 1, 0)
    cand0 = np.where(left > 0, np.maximum(x0 - xs[prev], xs[prev + q - 1] - x0), np.inf)
    return np.minimum(cand0, cand1)


_CHUNK_CELLS = 2_000_000  # fit points x window cells evaluated per vectorised chunk


def _local_fits(u: np.ndarray, cnt: np.ndarray, sy: np.ndarray, x0: np.ndarray, h: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Local polynomial values and slopes at sorted points ``x0`` with radii ``h``, from aggregated
    data (distinct sorted ``u``, counts ``cnt``, sums of y ``sy``), vectorised over chunks of fit
    points that share one slice of ``u``."""
    f = x0.size
    vals = np.full(f, np.nan)
    slopes = np.full(f, np.nan)
    lo_idx = np.searchsorted(u, x0 - h, side="right")
    hi_idx = np.searchsorted(u, x0 + h, side="left")
    start = 0
    while start < f:
        # grow the chunk while (points x union window) stays within the cell budget
        stop = start + 1
        while stop < f and (stop + 1 - start) * (max(hi_idx[start:stop + 1].max() - lo_idx[start:stop + 1].min(), 1)) <= _CHUNK_CELLS:
            stop = min(f, start + max(2 * (stop - start), stop - start + 1))
        stop = min(stop, f)
        while stop - start > 1 and (stop - start) * (hi_idx[start:stop].max() - lo_idx[start:stop].min()) > _CHUNK_CELLS:
            stop = start + max(1, (stop - start) // 2)
        a = int(lo_idx[start:stop].min())
        b = int(max(hi_idx[start:stop].max(), a + 1))
        xc, hc = x0[start:stop], h[start:stop]
        d = u[None, a:b] - xc[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            ad = np.abs(d) / hc[:, None]
        tri = np.maximum(1.0 - ad * ad * ad, 0.0)
        tri = np.where(np.isfinite(tri), tri * tri * tri, 0.0)
        w = tri * cnt[None, a:b]
        wy = tri * sy[None, a:b]
        enough = np.einsum("ij,j->i", (tri > 1e-12).astype(float), cnt[a:b]) >= 2
        sw = w.sum(1)
        t0 = wy.sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if degree == 0:
                v, sl = t0 / sw, np.zeros(xc.size)
            elif degree == 1:
                # statsmodels' lowess form: weighted mean plus slope, variance floored at 1e-12
                xbar = np.einsum("ij,ij->i", w, d) / sw
                dc = d - xbar[:, None]
                var = np.maximum(np.einsum("ij,ij->i", w, dc * dc) / sw, 1e-12)
                sl = np.einsum("ij,ij->i", wy, dc) / sw / var
                v = t0 / sw - sl * xbar
            else:
                # moments of d = u - x0, then an equilibrated 3x3 pseudo-inverse solve per point
                # (R's loess also falls back to a pseudo-inverse when the local design is singular)
                d2 = d * d
                wd2 = w * d2
                s1 = np.einsum("ij,ij->i", w, d)
                s2 = wd2.sum(1)
                s3 = np.einsum("ij,ij->i", wd2, d)
                s4 = np.einsum("ij,ij->i", wd2, d2)
                t = np.stack([t0, np.einsum("ij,ij->i", wy, d), np.einsum("ij,ij->i", wy, d2)], axis=1)
                mat = np.stack([np.stack([sw, s1, s2], 1), np.stack([s1, s2, s3], 1), np.stack([s2, s3, s4], 1)], 1)
                scale = np.sqrt(np.einsum("kii->ki", mat))
                scale = np.where(scale > 0, scale, 1.0)
                good = enough & np.all(np.isfinite(mat), axis=(1, 2))
                coef = np.full((xc.size, 3), np.nan)
                if good.any():
                    ms = mat[good] / (scale[good][:, :, None] * scale[good][:, None, :])
                    sol = np.einsum("kij,kj->ki", np.linalg.pinv(ms, rcond=100 * np.finfo(float).eps), t[good] / scale[good])
                    coef[good] = sol / scale[good]
                v, sl = coef[:, 0], coef[:, 1]
        v = np.where(enough, v, np.nan)
        sl = np.where(enough, sl, np.nan)
        zero = hc <= 0  # all q nearest neighbours tied at x0: local mean of the ties
        if zero.any():
            j = np.searchsorted(u, xc[zero])
            v[zero] = sy[j] / cnt[j]
            sl[zero] = 0.0
        vals[start:stop], slopes[start:stop] = v, sl
        start = stop
    return vals, slopes


def _loess_core(x: np.ndarray, y: np.ndarray, span: float, degree: int, x_eval: np.ndarray) -> tuple[np.ndarray, str]:
    order = np.argsort(x, kind="stable")
    xs = x[order]
    u, inv = np.unique(xs, return_inverse=True)
    cnt = np.bincount(inv).astype(float)
    sy = np.bincount(inv, weights=y[order])
    n = x.size
    q = min(max(int(span * n + 1e-10), 2 if n >= 2 else 1), n)
    m = u.size
    window = max(span * m, 1.0)
    n_grid = int(_MAX_WORK / window)
    exact = n_grid >= m
    fit_x = u if exact else np.linspace(u[0], u[-1], max(_MIN_GRID, n_grid))
    h = _qth_distance(xs, fit_x, q)  # always from the full data
    if not exact and m > _MAX_POINTS:
        # very many distinct values: pool them into _MAX_POINTS narrow equal-width cells, each
        # represented by its mean x (count and sum of y kept); the error is O((cell/h)^2)
        cell = np.minimum(((u - u[0]) / (u[-1] - u[0]) * _MAX_POINTS).astype(np.int64), _MAX_POINTS - 1)
        _, cinv = np.unique(cell, return_inverse=True)
        c_cnt = np.bincount(cinv, weights=cnt)
        u = np.bincount(cinv, weights=cnt * u) / c_cnt
        sy = np.bincount(cinv, weights=sy)
        cnt = c_cnt
        m = u.size
    vals, slopes = _local_fits(u, cnt, sy, fit_x, h, degree)
    if exact:
        idx = np.searchsorted(u, x_eval)
        hit = (idx < m) & (u[np.clip(idx, 0, m - 1)] == x_eval)
        if np.all(hit):
            return vals[idx], f"loess (degree {degree}, span {span:g}), direct at all {m} distinct values"
        # evaluation points that are not data values: fit there directly
        out = np.empty(x_eval.size)
        out[hit] = vals[idx[hit]]
        miss = np.flatnonzero(~hit)
        xm = x_eval[miss]
        om = np.argsort(xm, kind="stable")
        vm, _ = _local_fits(u, cnt, sy, xm[om], _qth_distance(xs, xm[om], q), degree)
        out[miss[om]] = vm
        return out, f"loess (degree {degree}, span {span:g}), direct"
    ok = np.isfinite(vals) & np.isfinite(slopes)
    spline = CubicHermiteSpline(fit_x[ok], vals[ok], slopes[ok], extrapolate=True)
    return spline(x_eval), f"loess (degree {degree}, span {span:g}) at {fit_x.size} grid points, cubic Hermite interpolation"


def loess(x: Any, y: Any, *, span: float = 0.75, degree: int = 2, evaluate_at: Any = None) -> np.ndarray:
    """Local polynomial regression smooth of ``y`` on ``x`` (Cleveland & Devlin 1988).

    Tricube weights on the ``floor(span * n)`` nearest neighbours, no robustness iterations.
    ``degree=2, span=0.75`` are R ``loess`` defaults (computed directly, as ``surface="direct"``);
    ``degree=1`` equals statsmodels ``lowess(y, x, frac=span, it=0, delta=0)``. Returns the smooth
    at ``evaluate_at`` (default: at ``x``).
    """
    xa = as_float_array(x, "x")
    ya = as_float_array(y, "y")
    if xa.size != ya.size:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    if xa.size < 2:
        raise ValueError("loess needs at least two points")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ValueError("x and y must be finite (no missing values)")
    if not 0 < span <= 1:
        raise ValueError(f"span must be in (0, 1], got {span!r}")
    if degree not in (0, 1, 2):
        raise ValueError(f"degree must be 0, 1 or 2, got {degree!r}")
    ev = xa if evaluate_at is None else as_float_array(np.atleast_1d(evaluate_at), "evaluate_at")
    return _loess_core(xa, ya, span, degree, ev)[0]


def _plot_points(u: np.ndarray, limit: int = 1000) -> np.ndarray:
    """At most ``limit`` of the sorted distinct values ``u`` (evenly spaced in rank), for the
    ``smooth`` curve table; the ICI itself always uses every observation."""
    if u.size <= limit:
        return u
    return u[np.unique(np.linspace(0, u.size - 1, limit).round().astype(np.int64))]


def _ici_results(p: np.ndarray, observed: np.ndarray, n: int, events: int | None, method: str, horizon: float | None = None) -> dict[str, MetricResult]:
    diff = np.abs(observed - p)
    if not np.all(np.isfinite(diff)):
        reason = "the smoothed calibration curve is undefined at some predicted values"
        return {k: undefined(k, reason, n=n, events=events, method=method, horizon=horizon) for k in ("ici", "e50", "e90", "emax")}
    vals = {"ici": float(diff.mean()), "e50": float(np.median(diff)), "e90": float(np.quantile(diff, 0.9)), "emax": float(diff.max())}
    return {k: MetricResult(k, v, n=n, events=events, horizon=horizon, method=method) for k, v in vals.items()}


def integrated_calibration_index(y_true: Any, y_prob: Any, *, span: float = 0.75, degree: int = 2) -> MetricResult:
    """Integrated calibration index (Austin & Steyerberg 2019): mean ``|s(p_i) - p_i|`` with ``s``
    the :func:`loess` smooth of y on p. E50, E90 and Emax are in ``details``."""
    y, p = _check_binary(y_true, y_prob)
    n, ev = y.size, int(y.sum())
    if n < 2:
        return undefined("ici", "need at least two observations", n=n, events=ev)
    smooth, method = _loess_core(p, y, span, degree, p)
    res = _ici_results(p, smooth, n, ev, method)
    ici = res["ici"]
    if ici.reason:
        return ici
    return MetricResult("ici", ici.estimate, n=n, events=ev, method=method, details={k: res[k].estimate for k in ("e50", "e90", "emax")})


# ----------------------------------------------------------------------------------------------
# result objects
# ----------------------------------------------------------------------------------------------


def _metrics_table(metrics: list[MetricResult]) -> str:
    rows = []
    for m in metrics:
        ci = f"{m.lower:.4f} to {m.upper:.4f}" if not (math.isnan(m.lower) or math.isnan(m.upper)) else ""
        est = f"{m.estimate:.4f}" if not math.isnan(m.estimate) else "nan"
        rows.append({"metric": m.metric, "estimate": est, f"{m.confidence_level:.0%} CI": ci, "note": m.reason or ""})
    return pd.DataFrame(rows).to_string(index=False)


@dataclass(frozen=True)
class CalibrationResult:
    """Calibration of predicted probabilities for a binary outcome.

    ``curve`` is the binned table, ``smooth`` the loess curve (``predicted``, ``observed``) at each
    distinct predicted value (at most 1000, evenly spaced in rank); each statistic is a
    :class:`MetricResult` attribute.
    """

    observed_expected: MetricResult
    calibration_in_the_large: MetricResult
    calibration_slope: MetricResult
    ici: MetricResult
    e50: MetricResult
    e90: MetricResult
    emax: MetricResult
    curve: pd.DataFrame
    smooth: pd.DataFrame
    n: int
    events: int

    @property
    def metrics(self) -> list[MetricResult]:
        """All statistics as a list of MetricResults."""
        return [self.observed_expected, self.calibration_in_the_large, self.calibration_slope, self.ici, self.e50, self.e90, self.emax]

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame, one row per statistic."""
        return results_frame(self.metrics)

    def __str__(self) -> str:
        head = f"Calibration (binary outcome)  n={self.n}, events={self.events}"
        bins = self.curve[["n", "events", "mean_predicted", "observed", "observed_lower", "observed_upper"]]
        return f"{head}\n{_metrics_table(self.metrics)}\n\nBinned (Wilson CIs):\n" + bins.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:
        return f"<CalibrationResult\n{self}>"


@dataclass(frozen=True)
class SurvivalCalibrationResult:
    """Calibration of predicted risks P(T <= horizon) against censored outcomes."""

    horizon: float
    observed_risk: MetricResult
    observed_expected: MetricResult
    calibration_slope: MetricResult
    ici: MetricResult
    e50: MetricResult
    e90: MetricResult
    emax: MetricResult
    curve: pd.DataFrame
    smooth: pd.DataFrame
    n: int
    events: int
    extra: dict = field(default_factory=dict)

    @property
    def metrics(self) -> list[MetricResult]:
        """All statistics as a list of MetricResults."""
        return [self.observed_risk, self.observed_expected, self.calibration_slope, self.ici, self.e50, self.e90, self.emax]

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame, one row per statistic."""
        return results_frame(self.metrics)

    def __str__(self) -> str:
        head = f"Calibration at horizon {self.horizon:g}  n={self.n}, events by horizon={self.events}"
        cols = ["n", "events", "mean_predicted", "observed", "observed_lower", "observed_upper"]
        bins = self.curve[cols] if len(self.curve) else self.curve
        return f"{head}\n{_metrics_table(self.metrics)}\n\nBinned (Kaplan-Meier observed risk, log-log CIs):\n" + bins.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:
        return f"<SurvivalCalibrationResult\n{self}>"


# ----------------------------------------------------------------------------------------------
# binary calibration
# ----------------------------------------------------------------------------------------------


def calibration(
    y_true: Any = None,
    y_prob: Any = None,
    *,
    time: Any = None,
    event: Any = None,
    horizon: float | None = None,
    bins: int | Sequence[float] = 10,
    strategy: str = "quantile",
    span: float = 0.75,
    degree: int = 2,
    clip: float | None = None,
    confidence_level: float = 0.95,
) -> CalibrationResult | SurvivalCalibrationResult:
    """Calibration of predicted probabilities: O/E, calibration-in-the-large, slope, ICI/E50/E90/Emax
    and a binned curve (see module docstring for the methods and references).

    Binary outcome: ``calibration(y_true, y_prob)``. Survival at a horizon:
    ``calibration(y_prob=risk, time=t, event=e, horizon=365)`` (delegates to
    :func:`survival_calibration`; ``y_true`` must then be omitted and ``span``/``degree`` do not
    apply - the survival smoother is a Cox model on a spline of cll(risk)).

    Example
    -------
    >>> res = calibration(df.reoffended, df.predicted)
    >>> print(res)                      # table of statistics and bins
    >>> res.calibration_slope.ci
    """
    if time is not None or event is not None or horizon is not None:
        if y_true is not None:
            raise ValueError("for survival calibration give time, event and horizon, not y_true")
        if time is None or event is None or horizon is None:
            raise ValueError("survival calibration needs time, event and horizon")
        return survival_calibration(time, event, y_prob, horizon, bins=bins, strategy=strategy, clip=clip, confidence_level=confidence_level)
    if y_true is None or y_prob is None:
        raise ValueError("give y_true and y_prob (or time, event, horizon and y_prob for survival)")
    y, p = _check_binary(y_true, y_prob)
    n, ev = y.size, int(y.sum())
    if n == 0:
        raise ValueError("y_true is empty")
    state = CalibrationBinsState(_edges(p, bins, strategy), confidence_level=confidence_level).update(y, p)
    oe = state.finalize()
    citl = calibration_in_the_large(y, p, clip=clip, confidence_level=confidence_level)
    slope = calibration_slope(y, p, clip=clip, confidence_level=confidence_level)
    if n >= 2:
        u = _plot_points(np.unique(p))
        smooth_all, method = _loess_core(p, y, span, degree, np.r_[p, u])
        smooth_p, smooth_u = smooth_all[:n], smooth_all[n:]
        ici = _ici_results(p, smooth_p, n, ev, method)
        smooth = pd.DataFrame({"predicted": u, "observed": smooth_u})
    else:
        ici = {k: undefined(k, "need at least two observations", n=n, events=ev) for k in ("ici", "e50", "e90", "emax")}
        smooth = pd.DataFrame({"predicted": [], "observed": []})
    return CalibrationResult(oe, citl, slope, ici["ici"], ici["e50"], ici["e90"], ici["emax"], state.curve(), smooth, n, ev)


# ----------------------------------------------------------------------------------------------
# survival calibration
# ----------------------------------------------------------------------------------------------


def _km_at(codes: np.ndarray, time: np.ndarray, event: np.ndarray, labels: list, horizon: float, z: float) -> pd.DataFrame:
    """Per group: KM survival at horizon with Greenwood variance sum and log-log CI, n, events by t."""
    k = len(labels)
    cs, ts, d, c = _aggregate(codes, time, event, k)
    core = _km_from_counts(cs, ts, d, c)
    se, lo, hi = _ci(core["survival"], core["greenwood"], z, "log-log")
    starts = core["starts"]
    within = ts <= horizon
    n_within = np.bincount(cs[within], minlength=k) if cs.size else np.zeros(k, dtype=np.int64)
    grp_of_start = cs[starts]
    start_of = np.zeros(k, dtype=np.int64)
    start_of[grp_of_start] = starts
    last_idx = start_of + n_within - 1
    has = n_within > 0
    pick = np.clip(last_idx, 0, max(ts.size - 1, 0))
    surv = np.where(has, core["survival"][pick], 1.0)
    gw = np.where(has, core["greenwood"][pick], 0.0)
    lower = np.where(has, lo[pick], 1.0)
    upper = np.where(has, hi[pick], 1.0)
    last_time = np.full(k, -np.inf)
    seg_end = np.r_[starts[1:], ts.size] - 1
    last_time[grp_of_start] = ts[seg_end]
    beyond = (horizon > last_time) & (surv > 0)
    n = np.bincount(codes, minlength=k)
    ev_by = np.bincount(codes, weights=(event & (time <= horizon)).astype(float), minlength=k)
    return pd.DataFrame({"n": n, "events": ev_by.astype(np.int64), "survival": np.where(beyond, np.nan, surv), "greenwood": np.where(beyond, np.nan, gw), "surv_lower": np.where(beyond, np.nan, lower), "surv_upper": np.where(beyond, np.nan, upper)})


def _rcs_basis(x: np.ndarray, n_knots: int) -> np.ndarray:
    """Restricted cubic spline basis (Harrell 2015, ``rcspline.eval(inclx=TRUE, norm=2)``) with
    knots at Harrell's default quantiles; duplicate knots (ties) are dropped and fewer than three
    distinct knots give a linear term only."""
    probs = {3: [0.10, 0.5, 0.90], 4: [0.05, 0.35, 0.65, 0.95], 5: [0.05, 0.275, 0.5, 0.725, 0.95]}[n_knots]
    knots = np.unique(np.quantile(x, probs))
    cols = [x]
    k = knots.size
    if k >= 3:
        tk, tk1 = knots[-1], knots[-2]
        norm = (tk - knots[0]) ** 2
        for j in range(k - 2):
            tj = knots[j]
            term = np.maximum(x - tj, 0) ** 3 - np.maximum(x - tk1, 0) ** 3 * (tk - tj) / (tk - tk1) + np.maximum(x - tk, 0) ** 3 * (tk1 - tj) / (tk - tk1)
            cols.append(term / norm)
    return np.column_stack(cols)


def survival_calibration(
    time: Any,
    event: Any,
    predicted_risk: Any,
    horizon: float,
    *,
    bins: int | Sequence[float] = 10,
    strategy: str = "quantile",
    n_knots: int = 3,
    clip: float | None = None,
    confidence_level: float = 0.95,
) -> SurvivalCalibrationResult:
    """Calibration of predicted risks P(T <= horizon) against right-censored follow-up.

    Observed risk by Kaplan-Meier (overall and per bin, log-log CIs), O/E at the horizon, the
    calibration slope (Cox regression on ``cll(risk)``, follow-up censored at the horizon) and
    ICI/E50/E90/Emax from a Cox model on a restricted cubic spline of ``cll(risk)``
    (Austin, Harrell & van Klaveren 2020). See the module docstring.
    """
    from .cox import cox

    t, e = _check_time_event(time, event)
    p = as_float_array(predicted_risk, "predicted_risk")
    if p.size != t.size:
        raise ValueError(f"predicted_risk has {p.size} values but time has {t.size}")
    if np.isnan(p).any():
        raise ValueError("predicted_risk contains missing values")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("predicted_risk must be probabilities in [0, 1] (risk of the event by the horizon)")
    h = float(horizon)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"horizon must be a positive finite time, got {horizon!r}")
    n = t.size
    if n == 0:
        raise ValueError("time is empty")
    z = z_value(confidence_level)
    ev_by = int(np.sum(e & (t <= h)))
    # overall observed risk and O/E
    overall = _km_at(np.zeros(n, dtype=np.int64), t, e, ["all"], h, z).iloc[0]
    s = float(overall["survival"])
    obs_name = "observed_risk"
    if math.isnan(s):
        reason = f"horizon {h:g} is beyond the last follow-up time with the Kaplan-Meier curve above 0"
        observed = undefined(obs_name, reason, n=n, events=ev_by, horizon=h, method="Kaplan-Meier")
        oe = undefined("observed_expected_ratio", reason, n=n, events=ev_by, horizon=h)
    else:
        observed = MetricResult(obs_name, 1.0 - s, s * math.sqrt(overall["greenwood"]), 1.0 - overall["surv_upper"], 1.0 - overall["surv_lower"], confidence_level, n, ev_by, h, "Kaplan-Meier 1 - S(t)", "log-log")
        var_log_o = s * s * float(overall["greenwood"]) / (1.0 - s) ** 2 if s < 1 else math.nan
        oe = _oe_result(1.0 - s, float(p.mean()), n, confidence_level, var_log_o, "(1 - KM S(t)) / mean predicted risk", horizon=h)
        oe = replace(oe, events=ev_by)
    # binned curve
    edges = _edges(p, bins, strategy)
    b = _bin_index(p, edges)
    codes, labels = _group_codes(b, n, "bins")
    per = _km_at(codes, t, e, labels, h, z)
    mean_pred = np.bincount(codes, weights=p, minlength=len(labels)) / np.maximum(per["n"].to_numpy(), 1)
    edge_idx = np.asarray(labels, dtype=np.int64)
    curve = pd.DataFrame(
        {
            "bin": edge_idx,
            "lower_edge": edges[:-1][edge_idx] if edges.size > 1 else edges[0],
            "upper_edge": edges[1:][edge_idx] if edges.size > 1 else edges[0],
            "n": per["n"].to_numpy(),
            "events": per["events"].to_numpy(),
            "observed": 1.0 - per["survival"].to_numpy(),
            "observed_lower": 1.0 - per["surv_upper"].to_numpy(),
            "observed_upper": 1.0 - per["surv_lower"].to_numpy(),
            "mean_predicted": mean_pred,
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        curve["observed_expected_ratio"] = curve["observed"] / curve["mean_predicted"]
    # Cox-based slope and ICI on follow-up censored at the horizon
    t_h = np.minimum(t, h)
    e_h = e & (t <= h)
    slope_name = "calibration_slope"
    method_slope = "Cox regression on cll(predicted risk), follow-up censored at the horizon"
    smooth = pd.DataFrame({"predicted": [], "observed": []})
    if clip is not None:
        if not 0 < clip < 0.5:
            raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
        pc = np.clip(p, clip, 1 - clip)
    else:
        pc = p
    bad = int(np.sum((pc <= 0) | (pc >= 1)))
    ici_names = ("ici", "e50", "e90", "emax")
    if bad:
        reason = f"predicted_risk has {bad} value(s) of exactly 0 or 1 whose cll is infinite; pass clip=1e-6 (say) to bound them"
        slope = undefined(slope_name, reason, n=n, events=ev_by, horizon=h, method=method_slope)
        ici = {k: undefined(k, reason, n=n, events=ev_by, horizon=h) for k in ici_names}
    elif ev_by == 0:
        reason = "no events by the horizon"
        slope = undefined(slope_name, reason, n=n, events=0, horizon=h, method=method_slope)
        ici = {k: undefined(k, reason, n=n, events=0, horizon=h) for k in ici_names}
    else:
        cll = np.log(-np.log1p(-pc))
        if np.ptp(cll) == 0:
            reason = "all predicted risks are equal: the slope is not estimable"
            slope = undefined(slope_name, reason, n=n, events=ev_by, horizon=h, method=method_slope)
            ici = {k: undefined(k, reason, n=n, events=ev_by, horizon=h) for k in ici_names}
        else:
            fit = cox(t_h, e_h, cll)
            if fit.reason:
                slope = undefined(slope_name, fit.reason, n=n, events=ev_by, horizon=h, method=method_slope)
            else:
                slope = replace(_wald(slope_name, float(fit.coef[0]), float(fit.se[0]), n, ev_by, confidence_level, method_slope), horizon=h)
            basis = _rcs_basis(cll, n_knots)
            fit_rcs = cox(t_h, e_h, basis)
            spline = f"restricted cubic spline ({basis.shape[1] + 1} knots)" if basis.shape[1] > 1 else "linear term (too few distinct values for a spline)"
            method_ici = f"Cox on a {spline} of cll(risk), censored at the horizon; Breslow baseline"
            if fit_rcs.reason:
                ici = {k: undefined(k, fit_rcs.reason, n=n, events=ev_by, horizon=h, method=method_ici) for k in ici_names}
            else:
                obs_i = fit_rcs._fitted_risk(h)
                ici = _ici_results(pc, obs_i, n, ev_by, method_ici, horizon=h)
                uniq, first = np.unique(pc, return_index=True)
                keep = np.searchsorted(uniq, _plot_points(uniq))
                smooth = pd.DataFrame({"predicted": uniq[keep], "observed": obs_i[first[keep]]})
    return SurvivalCalibrationResult(h, observed, oe, slope, ici["ici"], ici["e50"], ici["e90"], ici["emax"], curve, smooth, n, ev_by)
