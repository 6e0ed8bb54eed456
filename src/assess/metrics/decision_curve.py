"""Decision curve analysis: net benefit of acting on predicted risk (Vickers and Elkin 2006).

At a threshold probability ``pt`` (the risk at which a practitioner would act, e.g. refer to an
intensive programme), acting on everyone with ``p >= pt`` has net benefit

    NB(pt) = TP / n - FP / n * pt / (1 - pt)

(Vickers and Elkin 2006, Medical Decision Making 26:565): true positives per person minus
false positives per person weighted by the odds of the threshold, the exchange rate between
the harm of an unneeded intervention and the benefit of a needed one implied by ``pt``. The
reference strategies are "treat all", ``NB = prevalence - (1 - prevalence) pt / (1 - pt)``, and
"treat none", ``NB = 0``.

Survival outcomes (Vickers, Cronin, Elkin and Gonen 2008, BMC Medical Informatics and Decision
Making 8:53): with ``S_hi`` the Kaplan-Meier survival at the horizon among people with
``p >= pt`` and ``pi_hi`` their share, ``TP / n = (1 - S_hi) pi_hi`` and
``FP / n = S_hi pi_hi``; treat-all uses the Kaplan-Meier survival of everyone.

Computation
-----------
Each model's probabilities are binned once against the sorted thresholds (``searchsorted``);
counts per bin, accumulated from the highest bin down, give TP and FP at every threshold, so a
curve costs O(n log T + T). For survival data the bins carry Kaplan-Meier counts at the
distinct event times up to the horizon (O(T m) per curve for m such times). A survival
bootstrap therefore costs O(n_boot x models x T x m): fast with follow-up recorded in days
(m <= horizon in days; about 19 ms per replicate for two models, 99 thresholds, n = 100 000 and
a 365-day horizon), slow with continuous times and many events (m in the tens of thousands);
use fewer thresholds or record times in days there.

The bootstrap resamples people (rows with replacement) once per replicate for all models
together, so differences between models are paired. It is computed as multinomial draws over
the cells of the joint (bin of every model x outcome) table (:func:`bootstrap_counts`), which is
exactly the row bootstrap, with all replicates of a block evaluated in one vectorised pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._result import _fmt, as_float_array
from .bootstrap import BootstrapResult, bca_levels, bootstrap_counts, jackknife_acceleration
from .reclassification import (
    _BATCH_CELLS,
    _check_boot,
    _check_outcome,
    _check_probability,
    _horizon_coding,
    _km_from_counts,
    _Outcome,
)

__all__ = ["DecisionCurveResult", "decision_curve", "default_thresholds"]

TREAT_ALL = "treat all"
TREAT_NONE = "treat none"


def default_thresholds() -> np.ndarray:
    """Threshold probabilities 0.01, 0.02, ..., 0.99 (each the double nearest k/100)."""
    return np.arange(1, 100) / 100.0


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionCurveResult:
    """Net benefit curves of one or more models plus "treat all" and "treat none".

    Attributes
    ----------
    frame:
        Tidy frame, one row per (model, threshold): ``model``, ``threshold``, ``net_benefit``,
        ``lower``, ``upper`` (NaN without bootstrap), ``tp_rate`` and ``fp_rate`` (true / false
        positives per person; Kaplan-Meier based for survival).
    models:
        The model names, in the order given.
    thresholds:
        The threshold probabilities.
    """

    frame: pd.DataFrame
    models: tuple[str, ...]
    thresholds: np.ndarray
    n: int
    events: int
    horizon: float | None
    method: str
    confidence_level: float
    ci_method: str | None = None
    n_boot: int = 0
    seed: Any = None
    bootstrap: BootstrapResult | None = field(default=None, repr=False)
    _estimate: np.ndarray | None = field(default=None, repr=False)
    _jackknife: np.ndarray | None = field(default=None, repr=False)
    _jk_weights: np.ndarray | None = field(default=None, repr=False)

    def _index(self, name: str) -> int | None:
        curves = [*self.models, TREAT_ALL]
        if name == TREAT_NONE:
            return None
        if name not in curves:
            raise KeyError(f"unknown model {name!r}; available: {[*curves, TREAT_NONE]}")
        return curves.index(name)

    def difference(self, a: str, b: str) -> pd.DataFrame:
        """Net benefit of ``a`` minus that of ``b`` at every threshold, with a paired interval.

        Both curves come from the same bootstrap resamples, so the interval of the difference
        accounts for their correlation. ``a`` / ``b`` may be model names, ``"treat all"`` or
        ``"treat none"``. ``lower`` / ``upper`` are NaN without bootstrap.
        """
        T = self.thresholds.size
        ia, ib = self._index(a), self._index(b)

        def est_of(i: int | None) -> np.ndarray:
            return np.zeros(T) if i is None else self._estimate[i]

        diff = est_of(ia) - est_of(ib)
        lower = np.full(T, np.nan)
        upper = np.full(T, np.nan)
        if self.bootstrap is not None:
            reps = self.bootstrap.replicates.reshape(self.bootstrap.replicates.shape[0], -1, T)

            def rep_of(i: int | None) -> np.ndarray:
                return np.zeros((reps.shape[0], T)) if i is None else reps[:, i, :]

            dreps = rep_of(ia) - rep_of(ib)
            alpha = (1.0 - self.confidence_level) / 2.0
            djk = None
            if self.bootstrap.ci == "bca":
                jk = self._jackknife.reshape(self._jackknife.shape[0], -1, T)
                zeros = np.zeros((jk.shape[0], T))
                djk = (zeros if ia is None else jk[:, ia]) - (zeros if ib is None else jk[:, ib])
            for t in range(T):
                r = dreps[:, t]
                r = r[np.isfinite(r)]
                if r.size < 2:
                    continue
                if r.min() == r.max():
                    lower[t] = upper[t] = r[0]
                    continue
                if djk is None:
                    lower[t], upper[t] = np.quantile(r, [alpha, 1 - alpha])
                    continue
                acc = jackknife_acceleration(djk[:, t], None, self._jk_weights)
                a1, a2, _ = bca_levels(float(diff[t]), r, acc, self.confidence_level)
                if math.isfinite(a1) and math.isfinite(a2):
                    lower[t], upper[t] = np.quantile(r, [a1, a2])
        return pd.DataFrame(
            {
                "model": a,
                "reference": b,
                "threshold": self.thresholds,
                "difference": diff,
                "lower": lower,
                "upper": upper,
            }
        )

    def net_benefit(self, model: str) -> pd.DataFrame:
        """The rows of :attr:`frame` for one model (or ``"treat all"`` / ``"treat none"``)."""
        self._index(model)
        return self.frame[self.frame["model"] == model].reset_index(drop=True)

    def __str__(self) -> str:
        T = self.thresholds.size
        rows = np.unique(np.round(np.linspace(0, T - 1, min(T, 9))).astype(int))
        curves = [*self.models, TREAT_ALL]
        head = f"Decision curve: {self.method}"
        sub = f"  n={self.n}, events={self.events}"
        if self.horizon is not None:
            sub += f", horizon={self.horizon:g}"
        if self.ci_method:
            sub += f"; {self.confidence_level:.0%} intervals in .frame ({self.ci_method}, {self.n_boot} replicates)"
        width = max(10, *(len(c) for c in curves)) + 2
        lines = [head, sub, "  threshold" + "".join(f"{c:>{width}}" for c in curves)]
        for t in rows:
            vals = "".join(f"{_fmt(float(self._estimate[i, t])):>{width}}" for i in range(len(curves)))
            lines.append(f"  {self.thresholds[t]:>9.3g}" + vals)
        if T > rows.size:
            lines.append(f"  ({T} thresholds in all; treat none = 0 at every threshold; see .frame)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<DecisionCurveResult models={list(self.models)} thresholds={self.thresholds.size} n={self.n}>"


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_thresholds(thresholds: Any) -> np.ndarray:
    if thresholds is None:
        return default_thresholds()
    t = as_float_array(np.atleast_1d(np.asarray(thresholds, dtype=float)), "thresholds")
    if t.size == 0:
        raise ValueError("thresholds must contain at least one threshold probability")
    if not np.all(np.isfinite(t)) or t.min() < 0 or t.max() >= 1:
        raise ValueError(
            f"thresholds must be probabilities in [0, 1) (NB is undefined at 1); got range "
            f"[{np.nanmin(t):g}, {np.nanmax(t):g}]"
        )
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("thresholds must be strictly increasing (sort them and drop duplicates)")
    return t


def _check_models(p: Any, n: int, metric: str) -> dict[str, np.ndarray]:
    if isinstance(p, Mapping):
        if not p:
            raise ValueError("p is an empty dict; give at least one model's predicted probabilities")
        models = {}
        for name, values in p.items():
            if not isinstance(name, str):
                raise TypeError(f"model names (keys of p) must be strings, got {name!r}")
            if name in (TREAT_ALL, TREAT_NONE):
                raise ValueError(f"{name!r} is reserved for the reference strategy; rename that model")
            models[name] = _check_probability(values, f"p[{name!r}]", n, metric)
        return models
    return {"model": _check_probability(p, "p", n, metric)}


# --------------------------------------------------------------------------------------------
# joint cells
# --------------------------------------------------------------------------------------------


def _joint_cells(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Observed combinations of integer codes: ``(attributes (K, c), counts (K,))``."""
    radix = 1.0
    for s in sizes:
        radix *= max(s, 1)
    if radix < 2.0**62:
        key = np.zeros(columns[0].size, dtype=np.int64)
        for col, s in zip(columns, sizes, strict=True):
            key = key * np.int64(s) + col
        uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
        attrs = np.column_stack([c[first] for c in columns])
        return attrs, counts
    attrs, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return attrs, counts


def _binned(codes: np.ndarray, counts: np.ndarray, size: int) -> np.ndarray:
    """(B, size) sums of ``counts`` (B, K) by cell code (K,), via one offset bincount."""
    B = counts.shape[0]
    flat = (np.arange(B, dtype=np.int64)[:, None] * size + codes[None, :]).ravel()
    return np.bincount(flat, weights=counts.ravel(), minlength=B * size).reshape(B, size)


class _BinaryCurves:
    """Net benefit of every model and of treat-all from (B, K) joint-cell counts."""

    def __init__(self, bins: np.ndarray, y: np.ndarray, thresholds: np.ndarray):
        self.bins = bins  # (K, M) bin of each cell under each model
        self.y = y.astype(np.int64)  # (K,)
        self.odds = thresholds / (1.0 - thresholds)
        self.T = thresholds.size

    def rates(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TP / n and FP / n, shape (B, M + 1, T) (last = treat all)."""
        counts = np.asarray(counts, dtype=float)
        B = counts.shape[0]
        T = self.T
        M = self.bins.shape[1]
        n = counts.sum(1)
        tp = np.empty((B, M + 1, T))
        fp = np.empty((B, M + 1, T))
        for j in range(M):
            x = _binned(self.bins[:, j] * 2 + self.y, counts, 2 * (T + 1)).reshape(B, T + 1, 2)
            r = np.flip(np.cumsum(np.flip(x, 1), 1), 1)  # r[:, b] = sum over bins >= b
            tp[:, j] = r[:, 1:, 1]
            fp[:, j] = r[:, 1:, 0]
        e = counts @ self.y.astype(float)
        tp[:, M] = e[:, None]
        fp[:, M] = (n - e)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            return tp / n[:, None, None], fp / n[:, None, None]

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        tp, fp = self.rates(counts)
        return (tp - fp * self.odds).reshape(tp.shape[0], -1)

    def jackknife(self, counts: np.ndarray) -> np.ndarray:
        """Exact leave-one-person-out net benefits for a person of each cell, (K, (M+1) T)."""
        tp, fp = self.rates(counts[None, :])
        n = float(counts.sum())
        TP, FP = tp[0] * n, fp[0] * n  # (M + 1, T)
        K, M = self.bins.shape
        t_idx = np.arange(self.T)
        out = np.empty((K, M + 1, self.T))
        yk = self.y[:, None].astype(float)
        for j in range(M + 1):
            if j < M:
                above = (t_idx[None, :] < self.bins[:, j : j + 1]).astype(float)  # (K, T)
            else:
                above = np.ones((K, self.T))
            out[:, j] = ((TP[j] - yk * above) - (FP[j] - (1 - yk) * above) * self.odds) / (n - 1)
        return out.reshape(K, -1)


class _SurvivalCurves:
    """Kaplan-Meier net benefit (Vickers et al. 2008) from (B, K) joint-cell counts."""

    def __init__(self, bins: np.ndarray, col: np.ndarray, ev: np.ndarray, m: int, thresholds: np.ndarray):
        self.bins = bins  # (K, M)
        self.col = col
        self.ev = ev.astype(bool)
        self.m = m
        self.odds = thresholds / (1.0 - thresholds)
        self.T = thresholds.size

    def rates(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.asarray(counts, dtype=float)
        B = counts.shape[0]
        T, m = self.T, self.m
        M = self.bins.shape[1]
        tp = np.empty((B, M + 1, T))
        fp = np.empty((B, M + 1, T))
        ev_counts = counts * self.ev
        step = max(1, _BATCH_CELLS // ((T + 1) * (m + 1)))
        for s0 in range(0, B, step):
            c = counts[s0 : s0 + step]
            ce = ev_counts[s0 : s0 + step]
            b = c.shape[0]
            n = c.sum(1)
            for j in range(M):
                code = self.bins[:, j] * (m + 1) + self.col
                tot = _binned(code, c, (T + 1) * (m + 1)).reshape(b, T + 1, m + 1)
                evs = _binned(code, ce, (T + 1) * (m + 1)).reshape(b, T + 1, m + 1)
                tot = np.flip(np.cumsum(np.flip(tot, 1), 1), 1)[:, 1:]  # people with p >= pt
                evs = np.flip(np.cumsum(np.flip(evs, 1), 1), 1)[:, 1:, 1:]
                surv, n_hi = _km_from_counts(tot, evs)
                share = n_hi / n[:, None]
                tp[s0 : s0 + b, j] = (1 - surv) * share
                fp[s0 : s0 + b, j] = surv * share
            tot = _binned(self.col, c, m + 1)
            evs = _binned(self.col, ce, m + 1)[:, 1:]
            surv, _ = _km_from_counts(tot, evs)
            tp[s0 : s0 + b, M] = (1 - surv)[:, None]
            fp[s0 : s0 + b, M] = surv[:, None]
        return tp, fp

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        tp, fp = self.rates(counts)
        return (tp - fp * self.odds).reshape(tp.shape[0], -1)


# --------------------------------------------------------------------------------------------
# decision_curve
# --------------------------------------------------------------------------------------------


def decision_curve(
    y_true: Any,
    p: Any,
    *,
    thresholds: Any = None,
    time: Any = None,
    event: Any = None,
    horizon: float | None = None,
    n_boot: int = 0,
    seed: int | np.random.SeedSequence | None = None,
    confidence_level: float = 0.95,
    ci: Literal["percentile", "bca"] = "percentile",
    n_jobs: int = 1,
) -> DecisionCurveResult:
    """Decision curve (net benefit by threshold probability) of one or more models.

    Net benefit ``NB(pt) = TP/n - FP/n * pt/(1 - pt)`` for acting on everyone with predicted
    risk ``p >= pt`` (Vickers and Elkin 2006), with the "treat all" and "treat none" (NB = 0)
    references. For a survival outcome (``y_true=None`` with ``time``, ``event`` and
    ``horizon``) TP and FP come from the Kaplan-Meier risk at the horizon among people above the
    threshold (Vickers et al. 2008).

    Parameters
    ----------
    y_true:
        Binary outcome (True/1 = event), or None for a survival outcome.
    p:
        Predicted probabilities of the event (by the horizon): one array, or a dict
        ``{model name: array}`` to compare models on the same people.
    thresholds:
        Strictly increasing threshold probabilities in [0, 1); default 0.01, 0.02, ..., 0.99.
    time, event, horizon:
        Right-censored follow-up and the horizon the probabilities refer to.
    n_boot, seed, ci, n_jobs:
        ``n_boot > 0`` adds a seeded bootstrap of people, shared by all models (paired), with
        ``ci="percentile"`` or ``"bca"`` (BCa for binary outcomes only) intervals.
    confidence_level:
        Interval level.

    Returns
    -------
    DecisionCurveResult
        ``.frame`` (model, threshold, net_benefit, lower, upper, tp_rate, fp_rate),
        ``.difference(a, b)`` (paired difference with interval) and a readable ``print``.

    Example
    -------
    >>> dc = decision_curve(df.reoffended, {"RNR": p_rnr, "RNR + strengths": p_int},
    ...                     n_boot=1000, seed=1)
    >>> dc.difference("RNR + strengths", "RNR").query("0.2 <= threshold <= 0.5")
    """
    metric = "decision_curve"
    out: _Outcome = _check_outcome(y_true, time, event, horizon, metric=metric)
    models = _check_models(p, out.n, metric)
    thr = _check_thresholds(thresholds)
    n_boot = _check_boot(n_boot, ci, confidence_level)
    if out.kind == "survival" and n_boot and ci == "bca":
        raise ValueError(
            "ci='bca' is available for binary outcomes only (the survival jackknife would need a "
            "Kaplan-Meier fit per person); use ci='percentile'"
        )
    if out.n == 0:
        raise ValueError("decision_curve needs at least one person; got empty inputs")
    names = tuple(models)
    T = thr.size
    bins = [np.searchsorted(thr, v, side="right").astype(np.int64) for v in models.values()]
    if out.kind == "binary":
        attrs, counts = _joint_cells([*bins, out.y.astype(np.int64)], [T + 1] * len(bins) + [2])
        curves = _BinaryCurves(attrs[:, :-1], attrs[:, -1], thr)
        method = "net benefit (Vickers and Elkin 2006)"
    else:
        col, ev, m = _horizon_coding(out.time, out.event, out.horizon)
        attrs, counts = _joint_cells(
            [*bins, col, ev.astype(np.int64)], [T + 1] * len(bins) + [m + 1, 2]
        )
        curves = _SurvivalCurves(attrs[:, :-2], attrs[:, -2], attrs[:, -1], m, thr)
        method = "net benefit at the horizon, Kaplan-Meier (Vickers et al. 2008)"
    tp, fp = curves.rates(counts[None, :])
    est = (tp - fp * curves.odds)[0]  # (M + 1, T)
    boot = None
    jk = None
    lower = np.full(est.shape, np.nan)
    upper = np.full(est.shape, np.nan)
    if n_boot:
        if ci == "bca":
            jk = curves.jackknife(counts)
        boot = bootstrap_counts(
            curves, counts, n_boot=n_boot, seed=seed, ci=ci, confidence_level=confidence_level,
            n_jobs=n_jobs, estimate=est.reshape(-1), jackknife=jk,
        )
        lower = np.asarray(boot.lower, dtype=float).reshape(est.shape)
        upper = np.asarray(boot.upper, dtype=float).reshape(est.shape)
    curve_names = [*names, TREAT_ALL]
    M1 = len(curve_names)
    frame = pd.DataFrame(
        {
            "model": np.repeat(curve_names + [TREAT_NONE], T),
            "threshold": np.tile(thr, M1 + 1),
            "net_benefit": np.concatenate([est.reshape(-1), np.zeros(T)]),
            "lower": np.concatenate([lower.reshape(-1), np.zeros(T) if boot else np.full(T, np.nan)]),
            "upper": np.concatenate([upper.reshape(-1), np.zeros(T) if boot else np.full(T, np.nan)]),
            "tp_rate": np.concatenate([tp[0].reshape(-1), np.zeros(T)]),
            "fp_rate": np.concatenate([fp[0].reshape(-1), np.zeros(T)]),
        }
    )
    return DecisionCurveResult(
        frame=frame,
        models=names,
        thresholds=thr,
        n=out.n,
        events=out.events,
        horizon=out.horizon,
        method=method,
        confidence_level=confidence_level,
        ci_method=None if boot is None else f"bootstrap-{ci}",
        n_boot=n_boot,
        seed=None if boot is None else boot.seed,
        bootstrap=boot,
        _estimate=est,
        _jackknife=jk,
        _jk_weights=None if jk is None else counts.astype(float),
    )
