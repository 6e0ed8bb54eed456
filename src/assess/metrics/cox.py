"""Cox proportional-hazards regression, vectorised.

``cox(time, event, covariates)`` maximises the Cox partial likelihood (Cox 1972) with Efron's
(1977) handling of tied event times (or Breslow's, ``ties="breslow"``) by Newton-Raphson with step
halving, as R ``coxph`` and lifelines ``CoxPHFitter`` do.

Speed: the data are sorted by time once. All risk-set sums are reverse cumulative sums read off at
the start of each tied-time block, so one Newton step costs O(n p^2) with no Python loop over rows
or over tied groups: Efron's correction is expanded to one entry per event (``l = 0..d_k-1``
within its block) and reduced with ``np.bincount``; the second-moment risk-set sums are never formed
per time but folded into one weighted Gram matrix ``X' diag(r * A) X`` where ``A_j`` cumulates the
per-block Efron factors over the event times up to ``T_j``.

Output (:class:`CoxResult`): coefficients, hazard ratios, standard errors (inverse observed
information), Wald z, p and CIs, log partial likelihood, likelihood-ratio / score / Wald tests
against the null model, Harrell's concordance (lifelines' conventions; computed lazily), Breslow
baseline hazard and predicted risks, and :meth:`CoxResult.proportional_hazards_test` (scaled
Schoenfeld residuals against a transform of time; Grambsch & Therneau 1994).

Cox needs all rows (risk sets span the whole data; each Newton step is a pass over sorted data),
so it is not a mergeable state.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._result import MetricResult, undefined, z_value
from ._survival_core import km_table
from .survival import _check_time_event

__all__ = [
    "CoxResult",
    "ProportionalHazardsTest",
    "band_dummies",
    "cox",
    "per_sd",
]


_TRANSFORMS = ("rank", "km", "km-left", "identity", "log")

# ----------------------------------------------------------------------------------------------
# covariate helpers
# ----------------------------------------------------------------------------------------------


def per_sd(score: Any, name: str | None = None) -> pd.DataFrame:
    """A score rescaled to standard-deviation units (sample SD, ddof=1), as a one-column frame
    named ``"<name> (per SD)"``, so that ``cox(t, e, per_sd(score))`` gives the hazard ratio per
    SD of the score."""
    s = pd.Series(np.asarray(score, dtype=float)) if not isinstance(score, pd.Series) else score.astype(float)
    label = name or (s.name if isinstance(s.name, str) else "score")
    if s.isna().any():
        raise ValueError(f"score {label!r} contains missing values")
    sd = float(s.std(ddof=1)) if s.size > 1 else math.nan
    if not sd > 0:
        raise ValueError(f"score {label!r} has no spread (SD = {sd}); a per-SD hazard ratio is undefined")
    return pd.DataFrame({f"{label} (per SD)": (s.to_numpy() - float(s.mean())) / sd})


def band_dummies(band: Any, reference: Any = None, name: str | None = None) -> pd.DataFrame:
    """Indicator columns for a categorical band (e.g. low/medium/high), one per non-reference
    level, named ``"<name>[<level>]"``. The reference defaults to the first level (category order
    for a pandas Categorical, else sorted order)."""
    series_name = band.name if isinstance(band, pd.Series) and isinstance(band.name, str) else None
    label = name or series_name or "band"
    cat = pd.Categorical(band).remove_unused_categories()
    if np.any(cat.codes < 0):
        raise ValueError(f"{label} contains missing values; give them an explicit level first")
    levels = list(cat.categories)
    if len(levels) < 2:
        raise ValueError(f"{label} has a single level ({levels}); hazard ratios between bands are undefined")
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise ValueError(f"reference level {ref!r} is not a level of {label} {levels}")
    codes = np.asarray(cat.codes)
    cols = {f"{label}[{lev}]": (codes == i).astype(float) for i, lev in enumerate(levels) if lev != ref}
    return pd.DataFrame(cols)


def _covariate_matrix(covariates: Any, n: int, names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    if isinstance(covariates, pd.DataFrame):
        cols = list(map(str, covariates.columns))
        try:
            x = covariates.to_numpy(dtype=float)
        except (TypeError, ValueError):
            bad = [c for c in covariates.columns if not pd.api.types.is_numeric_dtype(covariates[c])]
            raise TypeError(f"covariates must be numeric; non-numeric column(s) {bad} (use band_dummies for categories)") from None
    elif isinstance(covariates, pd.Series):
        cols = [str(covariates.name) if covariates.name is not None else "x"]
        x = covariates.to_numpy(dtype=float)[:, None]
    else:
        x = np.asarray(covariates, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise ValueError(f"covariates must be 1- or 2-dimensional, got shape {x.shape}")
        cols = [f"x{j}" for j in range(x.shape[1])] if x.shape[1] > 1 else ["x"]
    if names is not None:
        if len(names) != x.shape[1]:
            raise ValueError(f"names has {len(names)} entries for {x.shape[1]} covariate column(s)")
        cols = list(names)
    if x.shape[0] != n:
        raise ValueError(f"covariates have {x.shape[0]} rows but time has {n}")
    if x.shape[1] == 0:
        raise ValueError("covariates has no columns")
    if not np.all(np.isfinite(x)):
        bad = [cols[j] for j in range(x.shape[1]) if not np.all(np.isfinite(x[:, j]))]
        raise ValueError(f"covariates contain missing or infinite values in {bad}; drop or impute those rows first")
    return x, cols


# ----------------------------------------------------------------------------------------------
# the partial likelihood on sorted data
# ----------------------------------------------------------------------------------------------


@dataclass
class _Sorted:
    """Data sorted by time with the tied-time block structure precomputed once."""

    time: np.ndarray  # ascending
    event: np.ndarray  # bool
    x: np.ndarray  # centred covariates, n x p
    block_start: np.ndarray  # per row: index of the first row with the same time
    row_block: np.ndarray  # per row: index of its distinct-time block
    n_blocks: int
    ev_idx: np.ndarray  # indices (sorted order) of events, ascending
    ev_block: np.ndarray  # distinct-time block of each event
    ev_start: np.ndarray  # block start (row index) of each event's block
    ev_c: np.ndarray  # Efron fraction l / d_k for each event (0 for Breslow)
    ev_d: np.ndarray  # number of tied events in each event's block
    order: np.ndarray  # sorted position -> original row index


def _prepare(time: np.ndarray, event: np.ndarray, x: np.ndarray, ties: str) -> _Sorted:
    order = np.argsort(time, kind="stable")
    t = time[order]
    e = event[order]
    xs = x[order]
    new_block = np.r_[True, t[1:] != t[:-1]]
    row_block = np.cumsum(new_block) - 1
    starts = np.flatnonzero(new_block)
    block_start = starts[row_block]
    ev_idx = np.flatnonzero(e)
    ev_block = row_block[ev_idx]
    # rank of each event within its block's events: 0..d_k-1
    first_in_block = np.r_[True, ev_block[1:] != ev_block[:-1]] if ev_idx.size else np.zeros(0, bool)
    grp_start = np.flatnonzero(first_in_block)
    grp_len = np.diff(np.r_[grp_start, ev_idx.size])
    ev_l = np.arange(ev_idx.size) - np.repeat(grp_start, grp_len)
    ev_d = np.repeat(grp_len, grp_len).astype(float)
    ev_c = ev_l / ev_d if ties == "efron" else np.zeros(ev_idx.size)
    return _Sorted(t, e, xs, block_start, row_block, int(starts.size), ev_idx, ev_block, block_start[ev_idx], ev_c, ev_d, order)


def _rev_cumsum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


@dataclass
class _Eval:
    loglik: float
    grad: np.ndarray
    info: np.ndarray
    m: np.ndarray | None = None  # per-event Efron-adjusted risk-set means (D x p)
    den: np.ndarray | None = None  # per-event Efron denominators (shifted scale)
    r: np.ndarray | None = None
    shift: float = 0.0


def _evaluate(s: _Sorted, beta: np.ndarray, *, keep: bool = False) -> _Eval:
    """Efron log partial likelihood, gradient and observed information at ``beta``."""
    x = s.x
    eta = x @ beta
    shift = float(eta.max()) if eta.size else 0.0
    r = np.exp(eta - shift)
    rx = r[:, None] * x
    rc0 = _rev_cumsum(r)
    rc1 = _rev_cumsum(rx)
    ev = s.ev_idx
    # tied-event sums per block, broadcast to each event of the block
    t0_blk = np.bincount(s.ev_block, weights=r[ev], minlength=s.n_blocks)
    t0 = t0_blk[s.ev_block]
    p = x.shape[1]
    t1_blk = np.empty((s.n_blocks, p))
    for j in range(p):  # loop over covariates only
        t1_blk[:, j] = np.bincount(s.ev_block, weights=rx[ev, j], minlength=s.n_blocks)
    t1 = t1_blk[s.ev_block]
    s0 = rc0[s.ev_start]
    s1 = rc1[s.ev_start]
    den = s0 - s.ev_c * t0
    m = (s1 - s.ev_c[:, None] * t1) / den[:, None]
    loglik = float(eta[ev].sum() - np.log(den).sum() - shift * ev.size)
    # A_j = sum over event blocks with time <= T_j of sum_l 1/den ; B_k = sum_l c_l/den
    a_blk = np.bincount(s.ev_block, weights=1.0 / den, minlength=s.n_blocks)
    b_blk = np.bincount(s.ev_block, weights=s.ev_c / den, minlength=s.n_blocks)
    a_row = np.cumsum(a_blk)[s.row_block]
    w_all = r * a_row
    w_ev = r[ev] * b_blk[s.ev_block]
    grad = x[ev].sum(0) - (w_all @ x) + (w_ev @ x[ev])
    info = (x.T * w_all) @ x - (x[ev].T * w_ev) @ x[ev] - m.T @ m
    out = _Eval(loglik, grad, info)
    if keep:
        out.m, out.den, out.r, out.shift = m, den, r, shift
    return out


def _newton(s: _Sorted, p: int, max_iter: int, tol: float) -> tuple[np.ndarray, _Eval, _Eval, int, bool, str | None]:
    beta = np.zeros(p)
    cur = _evaluate(s, beta)
    null = cur
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(cur.info, cur.grad)
        except np.linalg.LinAlgError:
            return beta, cur, null, it, False, "information matrix is singular (a covariate is constant or covariates are collinear)"
        halvings = 0
        while True:
            cand = beta + step
            new = _evaluate(s, cand)
            if np.isfinite(new.loglik) and new.loglik >= cur.loglik - 1e-12 * abs(cur.loglik):
                break
            step = step / 2.0
            halvings += 1
            if halvings > 30:
                return beta, cur, null, it, False, "step halving failed to increase the partial likelihood"
        delta_ll = new.loglik - cur.loglik
        beta, cur = cand, new
        if abs(delta_ll) <= tol * max(1.0, abs(cur.loglik)) and np.max(np.abs(step)) <= 1e-6 * (1 + np.max(np.abs(beta))):
            return beta, cur, null, it, True, None
    return beta, cur, null, max_iter, False, (
        f"Newton-Raphson did not converge in {max_iter} iterations; coefficients may be infinite "
        "(monotone likelihood, e.g. no events in one band)"
    )


# ----------------------------------------------------------------------------------------------
# concordance (Harrell's C, lifelines conventions)
# ----------------------------------------------------------------------------------------------


def _harrell_counts(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> tuple[float, float, float]:
    """(concordant, tied-in-risk, comparable) pair counts for Harrell's C in O(n log n log m).

    A pair (i, j) is comparable when i had the event and ``T_i < T_j``, or ``T_i == T_j`` and j is
    censored (lifelines / Harrell). It is concordant when ``risk_i > risk_j`` and tied when equal.
    Rows are sorted by (time, events first, risk); the count of later rows with smaller risk is an
    inversion count, obtained bit by bit on the dense risk ranks with stable sorts (no row loop).
    """
    n = time.size
    if n < 2 or not event.any():
        return 0.0, 0.0, 0.0
    _, rank = np.unique(risk, return_inverse=True)
    rank = rank.astype(np.int64).reshape(-1)
    m_levels = int(rank.max()) + 1
    _, t_rank = np.unique(time, return_inverse=True)
    # one int64 key instead of a three-way lexsort: (time rank, censored after events, risk rank)
    order = np.argsort((t_rank.astype(np.int64).reshape(-1) * 2 + (~event)) * m_levels + rank, kind="stable")
    t, e, r = time[order], event[order], rank[order]
    key_new = np.r_[True, (t[1:] != t[:-1]) | (e[1:] != e[:-1])]
    key_id = np.cumsum(key_new) - 1
    key_end = np.r_[np.flatnonzero(key_new)[1:], n][key_id]  # first row after the key block
    comparable = float(np.sum(n - key_end[e]))
    # inversions: for each row, later rows with smaller rank (rows of the same key block have
    # ranks >= by construction, so they never count)
    inv = np.zeros(n)
    nbits = int(math.ceil(math.log2(m_levels))) if m_levels > 1 else 0
    # idx lists rows grouped by the rank prefix above the current bit, in position order within
    # each group; going down one bit is a stable partition of every group (zeros first), O(n).
    idx = np.arange(n)
    grp_start_flag = np.zeros(n, dtype=bool)
    grp_start_flag[0] = True
    for b in range(nbits - 1, -1, -1):
        bit = ((r[idx] >> b) & 1).astype(np.int64)
        zero = 1 - bit
        gid = np.cumsum(grp_start_flag) - 1
        gstart = np.flatnonzero(grp_start_flag)
        cz = np.cumsum(zero)
        cz_before_group = np.r_[0, cz][gstart][gid]  # zeros before the group
        zeros_upto = cz - cz_before_group  # zeros in group at or before this row (inclusive)
        gend = np.r_[gstart[1:], n] - 1
        zeros_in_group = (cz[gend] - np.r_[0, cz][gstart])[gid]
        inv[idx] += bit * (zeros_in_group - zeros_upto)  # later zeros in the same group
        pos_in_group = np.arange(n) - gstart[gid]
        ones_before = pos_in_group - (zeros_upto - zero)
        new_pos = gstart[gid] + np.where(bit == 0, zeros_upto - 1, zeros_in_group + ones_before)
        new_idx = np.empty_like(idx)
        new_idx[new_pos] = idx
        new_flag = np.zeros(n, dtype=bool)
        new_flag[gstart] = True
        split = gstart[gid] + zeros_in_group  # first "one" of each group
        has_both = (zeros_in_group > 0) & (zeros_in_group < np.diff(np.r_[gstart, n])[gid])
        new_flag[split[has_both]] = True
        idx, grp_start_flag = new_idx, new_flag
    concordant = float(inv[e].sum())
    # ties in risk among comparable pairs: later rows with equal rank, minus those in the same key block
    o = np.argsort(r, kind="stable")
    rr = r[o]
    g_new = np.r_[True, rr[1:] != rr[:-1]]
    g_start = np.flatnonzero(g_new)
    g_len = np.diff(np.r_[g_start, n])
    pos_in = np.arange(n) - np.repeat(g_start, g_len)
    after_same = np.empty(n)
    after_same[o] = np.repeat(g_len, g_len) - pos_in - 1
    o2 = np.argsort(key_id.astype(np.int64) * m_levels + r, kind="stable")
    kk, rr2 = key_id[o2], r[o2]
    g2_new = np.r_[True, (kk[1:] != kk[:-1]) | (rr2[1:] != rr2[:-1])]
    g2_start = np.flatnonzero(g2_new)
    g2_len = np.diff(np.r_[g2_start, n])
    pos2 = np.arange(n) - np.repeat(g2_start, g2_len)
    after_same_block = np.empty(n)
    after_same_block[o2] = np.repeat(g2_len, g2_len) - pos2 - 1
    tied = float((after_same - after_same_block)[e].sum())
    return concordant, tied, comparable


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProportionalHazardsTest:
    """Test of proportional hazards from scaled Schoenfeld residuals (Grambsch & Therneau 1994).

    ``table`` has one row per covariate (``rho`` = correlation of the scaled residuals with the
    transformed time, ``statistic`` chi-square on 1 df, ``p_value``) and a ``GLOBAL`` row (chi-square
    on p df; R ``survival`` < 3.0 formula). Per-covariate statistics match lifelines
    ``proportional_hazard_test``.
    """

    table: pd.DataFrame
    time_transform: str

    def to_frame(self) -> pd.DataFrame:
        """The proportional-hazards test table (a copy)."""
        return self.table.copy()

    def __str__(self) -> str:
        head = f"Proportional-hazards test (scaled Schoenfeld residuals vs {self.time_transform}(time))"
        return head + "\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return f"<ProportionalHazardsTest\n{self}>"


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model. ``summary`` is lifelines-like; ``to_frame()`` is tidy (one row per term)."""

    names: list[str]
    coef: np.ndarray
    variance: np.ndarray
    log_likelihood: float
    log_likelihood_null: float
    score_statistic: float
    n: int
    events: int
    ties: str
    converged: bool
    iterations: int
    confidence_level: float
    reason: str | None
    means: np.ndarray
    _sorted: _Sorted = field(repr=False)

    # --- coefficient table -----------------------------------------------------------------
    @property
    def se(self) -> np.ndarray:
        """Standard errors of the coefficients (inverse observed information)."""
        return np.sqrt(np.diag(self.variance))

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(coef)."""
        return np.exp(self.coef)

    @property
    def summary(self) -> pd.DataFrame:
        """coef, exp(coef), se(coef), CIs, z and p, indexed by covariate (lifelines layout)."""
        z = z_value(self.confidence_level)
        se = self.se
        lo, hi = self.coef - z * se, self.coef + z * se
        zz = self.coef / se
        pct = f"{self.confidence_level:.0%}"
        return pd.DataFrame(
            {
                "coef": self.coef,
                "exp(coef)": np.exp(self.coef),
                "se(coef)": se,
                f"coef lower {pct}": lo,
                f"coef upper {pct}": hi,
                f"exp(coef) lower {pct}": np.exp(lo),
                f"exp(coef) upper {pct}": np.exp(hi),
                "z": zz,
                "p": 2.0 * stats.norm.sf(np.abs(zz)),
            },
            index=pd.Index(self.names, name="covariate"),
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: term, coef, se, hazard_ratio, lower, upper (HR scale), z, p_value, n, events."""
        s = self.summary
        pct = f"{self.confidence_level:.0%}"
        return pd.DataFrame(
            {
                "term": self.names,
                "coef": s["coef"].to_numpy(),
                "se": s["se(coef)"].to_numpy(),
                "hazard_ratio": s["exp(coef)"].to_numpy(),
                "lower": s[f"exp(coef) lower {pct}"].to_numpy(),
                "upper": s[f"exp(coef) upper {pct}"].to_numpy(),
                "confidence_level": self.confidence_level,
                "z": s["z"].to_numpy(),
                "p_value": s["p"].to_numpy(),
                "n": self.n,
                "events": self.events,
                "reason": self.reason,
            }
        )

    # --- global tests --------------------------------------------------------------------
    @property
    def df(self) -> int:
        """Degrees of freedom of the global tests (number of terms)."""
        return len(self.names)

    @property
    def lr_statistic(self) -> float:
        """Likelihood-ratio chi-square against the null (all coefficients 0)."""
        return 2.0 * (self.log_likelihood - self.log_likelihood_null)

    @property
    def lr_p_value(self) -> float:
        """p-value of the likelihood-ratio test."""
        return float(stats.chi2.sf(self.lr_statistic, self.df))

    @property
    def wald_statistic(self) -> float:
        """Global Wald chi-square ``b' V^-1 b``."""
        try:
            return float(self.coef @ np.linalg.solve(self.variance, self.coef))
        except np.linalg.LinAlgError:
            return math.nan

    @property
    def score_p_value(self) -> float:
        """p-value of the score (log-rank type) test at beta = 0."""
        return float(stats.chi2.sf(self.score_statistic, self.df))

    def hazard_ratios(self) -> list[MetricResult]:
        """One MetricResult per term (estimate = hazard ratio, Wald CI on the log scale)."""
        if self.reason:
            return [undefined(f"hazard_ratio[{nm}]", self.reason, n=self.n, events=self.events, method="Cox PH") for nm in self.names]
        z = z_value(self.confidence_level)
        out = []
        for j, nm in enumerate(self.names):
            b, se = float(self.coef[j]), float(self.se[j])
            out.append(
                MetricResult(
                    metric=f"hazard_ratio[{nm}]",
                    estimate=math.exp(b),
                    se=se,
                    lower=math.exp(b - z * se),
                    upper=math.exp(b + z * se),
                    confidence_level=self.confidence_level,
                    n=self.n,
                    events=self.events,
                    method=f"Cox PH ({self.ties} ties); se on log scale",
                    ci_method="wald-log",
                    details={"coef": b, "z": b / se, "p_value": float(2 * stats.norm.sf(abs(b / se)))},
                )
            )
        return out

    # --- concordance ---------------------------------------------------------------------
    @cached_property
    def _concordance_counts(self) -> tuple[float, float, float]:
        s = self._sorted
        return _harrell_counts(s.time, s.event, s.x @ self.coef)

    @property
    def concordance(self) -> MetricResult:
        """Harrell's C of the linear predictor (lifelines ``concordance_index_`` conventions)."""
        if self.reason:
            return undefined("harrell_c", self.reason, n=self.n, events=self.events, method="Cox linear predictor")
        conc, tied, comp = self._concordance_counts
        if comp == 0:
            return undefined("harrell_c", "no comparable pairs", n=self.n, events=self.events)
        return MetricResult(
            metric="harrell_c",
            estimate=(conc + 0.5 * tied) / comp,
            n=self.n,
            events=self.events,
            method="Harrell's C of the Cox linear predictor (in-sample)",
            details={"concordant": conc, "tied_risk": tied, "comparable": comp},
        )

    # --- prediction ----------------------------------------------------------------------
    def linear_predictor(self, covariates: Any) -> np.ndarray:
        """x'beta with covariates centred at the fitted data's means (lifelines convention)."""
        x, _ = _covariate_matrix(covariates, np.asarray(covariates).shape[0], self.names)
        return (x - self.means) @ self.coef

    @cached_property
    def _breslow(self) -> tuple[np.ndarray, np.ndarray]:
        s = self._sorted
        r = np.exp(s.x @ self.coef)
        rc0 = _rev_cumsum(r)
        blk_first = np.flatnonzero(np.r_[True, s.time[1:] != s.time[:-1]])
        d = np.bincount(s.row_block, weights=s.event.astype(float), minlength=s.n_blocks)
        times = s.time[blk_first]
        h = np.cumsum(np.where(d > 0, d / rc0[blk_first], 0.0))
        return times, h

    def baseline_cumulative_hazard(self, t: Any) -> np.ndarray:
        """Breslow estimate of the baseline cumulative hazard at ``t`` (covariates at their means)."""
        times, h = self._breslow
        idx = np.searchsorted(times, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, h[np.clip(idx, 0, None)], 0.0)

    def predict_risk(self, covariates: Any, horizon: float) -> np.ndarray:
        """Predicted risk 1 - S(horizon | x) with the Breslow baseline hazard."""
        lp = self.linear_predictor(covariates)
        return -np.expm1(-float(self.baseline_cumulative_hazard(horizon)) * np.exp(lp))

    def _fitted_risk(self, horizon: float) -> np.ndarray:
        """Predicted risk at ``horizon`` for the fitting rows, in their original order."""
        s = self._sorted
        lp_sorted = s.x @ self.coef
        risk_sorted = -np.expm1(-float(self.baseline_cumulative_hazard(horizon)) * np.exp(lp_sorted))
        out = np.empty_like(risk_sorted)
        out[s.order] = risk_sorted
        return out

    # --- proportional hazards ------------------------------------------------------------
    def schoenfeld_residuals(self, scaled: bool = False) -> pd.DataFrame:
        """Schoenfeld residuals (one row per event, in time order, with a ``time`` column).
        ``scaled=True`` gives ``D * r V`` (lifelines' scaled residuals; R adds beta as well)."""
        if self.reason:
            raise ValueError(f"model not estimated: {self.reason}")
        s = self._sorted
        ev = _evaluate(s, self.coef, keep=True)
        # Efron-averaged risk-set mean per block, shared by all tied events of the block
        p = len(self.names)
        mean_blk = np.zeros((s.n_blocks, p))
        for j in range(p):
            mean_blk[:, j] = np.bincount(s.ev_block, weights=ev.m[:, j], minlength=s.n_blocks)
        cnt = np.bincount(s.ev_block, minlength=s.n_blocks).astype(float)
        mean_blk[cnt > 0] /= cnt[cnt > 0, None]
        res = s.x[s.ev_idx] - mean_blk[s.ev_block]
        if scaled:
            res = self.events * res @ self.variance
        frame = pd.DataFrame(res, columns=self.names)
        frame.insert(0, "time", s.time[s.ev_idx])
        return frame

    def proportional_hazards_test(self, time_transform: str = "rank") -> ProportionalHazardsTest:
        """Grambsch-Therneau test of proportional hazards.

        ``time_transform``: ``"rank"`` (default, as lifelines; tied event times share their
        average rank as in R, whereas lifelines breaks ties by row order), ``"km"`` (1 - S(t) at the
        event time, lifelines' right-continuous convention), ``"km-left"`` (1 - S(t-), the default
        of R ``cox.zph`` in survival < 3.0), ``"identity"`` or ``"log"``.
        Per covariate: ``T_j = (sum g~ r*_j)^2 / (D V_jj sum g~^2)`` on 1 df, with r* the scaled
        Schoenfeld residuals and g~ the centred transformed event times. Global (R survival < 3.0):
        ``(g~' r) V (r' g~) D / sum g~^2`` on p df with r the unscaled residuals.
        """
        res = self.schoenfeld_residuals()
        s = self._sorted
        t_ev = res["time"].to_numpy()
        if time_transform == "identity":
            g = t_ev
        elif time_transform == "log":
            with np.errstate(divide="ignore"):
                g = np.log(t_ev)
            if not np.all(np.isfinite(g)):
                raise ValueError("time_transform='log' needs positive event times")
        elif time_transform == "rank":
            g = stats.rankdata(t_ev, method="average")
        elif time_transform in ("km", "km-left"):
            km = km_table(s.time, s.event)
            g = 1.0 - (km.at(t_ev) if time_transform == "km" else km.before(t_ev))
        else:
            raise ValueError(f"time_transform must be one of {_TRANSFORMS}, got {time_transform!r}")
        r = res[self.names].to_numpy()
        d = self.events
        gc = g - g.mean()
        ssg = float(gc @ gc)
        v = self.variance
        rstar = d * r @ v
        num = gc @ rstar
        with np.errstate(divide="ignore", invalid="ignore"):
            per = num**2 / (d * np.diag(v) * ssg)
            rho = np.array([np.corrcoef(gc, rstar[:, j])[0, 1] if ssg > 0 else np.nan for j in range(r.shape[1])])
            test = gc @ r
            glob = float(test @ v @ test) * d / ssg
        table = pd.DataFrame(
            {
                "covariate": [*self.names, "GLOBAL"],
                "rho": [*rho, np.nan],
                "statistic": [*per, glob],
                "df": [1] * len(self.names) + [len(self.names)],
                "p_value": [*stats.chi2.sf(per, 1), stats.chi2.sf(glob, len(self.names))],
            }
        )
        return ProportionalHazardsTest(table=table, time_transform=time_transform)

    # --- printing ------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"Cox proportional hazards ({self.ties} ties)  n={self.n}, events={self.events}"]
        if self.reason:
            lines.append(f"  undefined: {self.reason}")
            return "\n".join(lines)
        with pd.option_context("display.width", 140, "display.max_columns", 20):
            lines.append(self.summary.to_string(float_format=lambda v: f"{v:.4g}"))
        lines.append(f"log partial likelihood = {self.log_likelihood:.4f} (null {self.log_likelihood_null:.4f})")
        lines.append(f"likelihood ratio test = {self.lr_statistic:.4f} on {self.df} df, p = {self.lr_p_value:.4g}")
        lines.append(f"score test = {self.score_statistic:.4f} on {self.df} df, p = {self.score_p_value:.4g}")
        lines.append(f"Wald test = {self.wald_statistic:.4f} on {self.df} df")
        c = self.concordance
        lines.append(f"concordance (Harrell's C) = {c.estimate:.4f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CoxResult\n{self}>"


def cox(
    time: Any,
    event: Any,
    covariates: Any,
    *,
    names: list[str] | None = None,
    ties: str = "efron",
    confidence_level: float = 0.95,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> CoxResult:
    """Fit a Cox proportional-hazards model (Cox 1972) by Newton-Raphson.

    Parameters
    ----------
    time, event:
        Follow-up time and event indicator (1 = event, e.g. re-arrest; 0 = censored).
    covariates:
        A 1-d array (one covariate), a 2-d array or a DataFrame (column names become term names).
        Use :func:`per_sd` for a hazard ratio per SD of a score and :func:`band_dummies` for risk
        bands against a reference band.
    ties:
        ``"efron"`` (default; R and lifelines) or ``"breslow"``.

    Returns a :class:`CoxResult`; when the model cannot be estimated (no events, constant covariate,
    non-convergence) its coefficients are NaN and ``reason`` says why.

    Example
    -------
    >>> fit = cox(df.week, df.arrest, df[["fin", "age", "prio"]])
    >>> print(fit)                                # lifelines-like summary
    >>> fit.proportional_hazards_test("km")
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    t, e = _check_time_event(time, event)
    x, cols = _covariate_matrix(covariates, t.size, names)
    n, p = x.shape
    means = x.mean(0) if n else np.zeros(p)
    xc = x - means
    s = _prepare(t, e, xc, ties)
    n_ev = int(e.sum())

    def failed(reason: str, ll: float = math.nan, ll0: float = math.nan) -> CoxResult:
        return CoxResult(cols, np.full(p, np.nan), np.full((p, p), np.nan), ll, ll0, math.nan, n, n_ev, ties, False, 0, confidence_level, reason, means, s)

    if n_ev == 0:
        return failed("no events: the partial likelihood is flat")
    const = [cols[j] for j in range(p) if np.ptp(x[:, j]) == 0]
    if const:
        return failed(f"covariate(s) {const} take a single value; their hazard ratio is undefined")
    beta, cur, null, iters, ok, reason = _newton(s, p, max_iter, tol)
    if not ok:
        return failed(reason or "did not converge", ll0=null.loglik)
    try:
        var = np.linalg.inv(cur.info)
    except np.linalg.LinAlgError:
        return failed("information matrix is singular at the estimate", cur.loglik, null.loglik)
    if not np.all(np.isfinite(var)) or np.any(np.diag(var) <= 0):
        return failed("information matrix is not positive definite at the estimate", cur.loglik, null.loglik)
    try:
        score = float(null.grad @ np.linalg.solve(null.info, null.grad))
    except np.linalg.LinAlgError:
        score = math.nan
    if np.max(np.abs(beta)) > 20 and np.max(np.abs(beta * x.std(0))) > 20:
        warnings.warn("very large Cox coefficients: check for (near-)separation", RuntimeWarning, stacklevel=2)
    return CoxResult(cols, beta, var, cur.loglik, null.loglik, score, n, n_ev, ties, True, iters, confidence_level, None, means, s)
