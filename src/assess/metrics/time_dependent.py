"""Cumulative/dynamic time-dependent AUC for right-censored outcomes.

At horizon ``t`` the *cases* are subjects with an event by ``t`` (``T_i <= t``, event) and the
*controls* those still event-free after ``t`` (``T_j > t``). Cases are weighted by inverse
probability of censoring weights ``1 / G(T_i)`` (``G`` = reverse Kaplan-Meier censoring
survival), which makes the estimator consistent under independent censoring (Uno, Cai, Tian &
Wei 2007, JASA 102:527; Hung & Chiang 2010, Canadian Journal of Statistics 38:8):

    AUC(t) = sum_i sum_j w_i [T_i <= t, event_i] [T_j > t] ([s_i > s_j] + [s_i = s_j] / 2)
             / (sum_i w_i [T_i <= t, event_i] * #{j: T_j > t})

This equals scikit-survival's ``cumulative_dynamic_auc`` (same weights, the censoring
distribution from ``train_time``/``train_event`` -- default: the same data -- and the same
summary ``mean_auc``: the AUCs weighted by the drop of the Kaplan-Meier survival of the test
data over the horizons, ``sum AUC(t_k) (S(t_{k-1}) - S(t_k)) / (1 - S(t_K))`` with
``S(t_0) = 1``; Lambert & Chevret 2016). Higher score = higher risk.

Intervals are bootstrap intervals (``ci="bootstrap"``; there is no simple closed form). When no
separate training data are given the censoring distribution is re-estimated in every replicate.
With at most 256 score levels the row resamples are evaluated as case weights (replicate counts
in one fixed time order, :func:`assess.metrics.bootstrap.bootstrap_weights`): the same
replicates as re-sorting every resample, to rounding (tested to 1e-12).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._result import MetricResult, _fmt, as_float_array, results_frame, undefined
from ._survival_core import km_table
from .concordance import (
    WEIGHTED_BATCH_CELLS,
    WEIGHTED_MAX_LEVELS,
    CensoringKM,
    _count_distinct,
    _require_finite,
    check_survival_inputs,
    dense_rank,
    replace_result,
    training_censoring,
)

__all__ = ["cumulative_dynamic_auc", "TimeDependentAUC"]


@dataclass(frozen=True)
class TimeDependentAUC:
    """Cumulative/dynamic AUC at several horizons plus the summary mean AUC.

    Iterate over it (or index it) for the per-horizon :class:`MetricResult` objects;
    :meth:`to_frame` gives one tidy row per horizon and a final row for the mean.
    """

    results: tuple[MetricResult, ...]
    mean_auc: MetricResult

    @property
    def horizons(self) -> np.ndarray:
        return np.array([r.horizon for r in self.results], dtype=float)

    @property
    def estimates(self) -> np.ndarray:
        return np.array([r.estimate for r in self.results], dtype=float)

    def __iter__(self) -> Iterator[MetricResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> MetricResult:
        return self.results[i]

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per horizon, then the mean AUC."""
        return results_frame([*self.results, self.mean_auc])

    def __str__(self) -> str:
        lines = ["cumulative/dynamic AUC (IPCW)"]
        for r in self.results:
            line = f"  t={r.horizon:g}: {_fmt(r.estimate)}"
            if not math.isnan(r.lower):
                line += f"  ({r.confidence_level:.0%} CI {_fmt(r.lower)} to {_fmt(r.upper)})"
            line += f"  [cases={r.details.get('cases', '-')}, controls={r.details.get('controls', '-')}]"
            if r.reason:
                line += f"  undefined: {r.reason}"
            lines.append(line)
        m = self.mean_auc
        line = f"  mean AUC: {_fmt(m.estimate)}"
        if not math.isnan(m.lower):
            line += f"  ({m.confidence_level:.0%} CI {_fmt(m.lower)} to {_fmt(m.upper)})"
        if m.reason:
            line += f"  undefined: {m.reason}"
        lines.append(line)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<TimeDependentAUC\n{self.__str__()}>"


def _compute(
    t: np.ndarray,
    e: np.ndarray,
    srank: np.ndarray,
    m: int,
    horizons: np.ndarray,
    km: CensoringKM,
) -> tuple[np.ndarray, list[str | None], list[dict[str, Any]], float, str | None]:
    """AUC per horizon, reasons, details, mean AUC and its reason."""
    H = horizons.size
    aucs = np.full(H, np.nan)
    reasons: list[str | None] = [None] * H
    details: list[dict[str, Any]] = [{} for _ in range(H)]
    for k, h in enumerate(horizons):
        cases = e & (t <= h)
        controls = t > h
        n_cases = int(cases.sum())
        n_controls = int(controls.sum())
        details[k] = {"cases": n_cases, "controls": n_controls}
        if n_cases == 0:
            reasons[k] = f"no events at or before t={h:g} (no cases)"
            continue
        if n_controls == 0:
            reasons[k] = f"nobody is still event-free after t={h:g} (no controls)"
            continue
        g = km.at(t[cases])
        if np.isnan(g).any():
            reasons[k] = (
                f"case times beyond the follow-up of the censoring-distribution data "
                f"(last time {km.times[-1]:g}); the censoring survival is unknown there"
            )
            continue
        if (g == 0).any():
            reasons[k] = (
                "the estimated censoring survival is 0 at a case time; choose an earlier horizon"
            )
            continue
        w = 1.0 / g
        ctrl = np.bincount(srank[controls], minlength=m).astype(float)
        below = np.cumsum(ctrl) - ctrl
        case_w = np.bincount(srank[cases], weights=w, minlength=m)
        num = float(np.sum(case_w * (below + 0.5 * ctrl)))
        aucs[k] = num / (float(w.sum()) * n_controls)
    if H == 1:
        return aucs, reasons, details, float(aucs[0]), reasons[0]
    if np.isnan(aucs).any():
        return aucs, reasons, details, math.nan, "the AUC is undefined at one or more horizons"
    s = km_table(t, e).at(horizons)
    drop = -np.diff(np.concatenate(([1.0], s)))
    denom = 1.0 - s[-1]
    if denom <= 0:
        return (
            aucs,
            reasons,
            details,
            math.nan,
            "the survival estimate does not drop over the horizons",
        )
    return aucs, reasons, details, float(np.sum(aucs * drop) / denom), None


def _weighted_statistic(
    t: np.ndarray,
    e: np.ndarray,
    srank: np.ndarray,
    m: int,
    horizons: np.ndarray,
    km_fixed: CensoringKM | None,
):
    """AUC at every horizon and the mean AUC as a function of a ``(B, n)`` batch of row weights.

    Returns ``(statistic, order)``; the statistic takes the weights with column ``k`` belonging
    to row ``order[k]`` (time order) and returns ``(B, horizons + 1)``. Same numbers (to
    rounding) as :func:`_compute` on the data set repeating row j ``c_j`` times: cases weighted
    by ``c_j / G(T_j)``, controls by ``c_j``; ``G`` (unless ``km_fixed``) and the Kaplan-Meier
    survival for the mean come from the summed weights per (time, status) group, where a time
    absent from a replicate contributes a factor of exactly 1.
    """
    n = t.size
    H = horizons.size
    seq = np.lexsort((~e, t))  # time ascending, events first at a tied time
    ts, es, rs = t[seq], e[seq], srank[seq].astype(np.int64)
    tflag = np.ones(n, dtype=bool)
    tflag[1:] = ts[1:] != ts[:-1]
    tid = np.cumsum(tflag) - 1
    gflag = tflag.copy()
    gflag[1:] |= es[1:] != es[:-1]
    gstarts = np.flatnonzero(gflag)
    g_tid = tid[gstarts]
    g_event = es[gstarts]
    # position p is a control at horizon k when p >= cut[k]; a case when p < cut[k] and event
    cut = np.searchsorted(ts, horizons, side="right")
    seg = np.searchsorted(cut, np.arange(n), side="right")  # horizons with p >= cut
    lo, hi = int(cut[0]), int(cut[-1])  # no control before lo, no case from hi on
    ctrl_code = (seg[lo:] - 1) * m + rs[lo:]
    evpos = np.flatnonzero(es[:hi])
    ev_seg = seg[evpos]
    case_code = ev_seg * m + rs[evpos]
    cells = H * m
    # the KM factors needed: groups starting before hi, plus the rest as one segment
    sub = gstarts < hi
    starts = np.append(gstarts[sub], hi) if hi < n else gstarts[sub]
    cg = np.flatnonzero(sub & ~g_event)
    eg = np.flatnonzero(sub & g_event)
    ev_cidx = np.searchsorted(g_tid[cg], tid[evpos], side="right")
    h_eidx = np.searchsorted(ts[gstarts[eg]], horizons, side="right")
    if km_fixed is not None:
        g = km_fixed.at(ts[evpos])
        fixed_bad = ~(g > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            fixed_inv = np.where(fixed_bad, 0.0, 1.0 / g)
    flat_cache: dict[tuple[int, str], np.ndarray] = {}

    def hist(code: np.ndarray, w: np.ndarray, name: str) -> np.ndarray:
        B = w.shape[0]
        key = (B, name)
        if key not in flat_cache:  # bincount codes for a batch of B replicates, built once
            flat_cache[key] = ((np.arange(B) * cells)[:, None] + code).ravel()
        out = np.bincount(flat_cache[key], weights=w.ravel(), minlength=B * cells)
        return out.reshape(B, H, m)

    def km_parts(cs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weight of each needed (time, status) group and the weight at risk at its start."""
        gsum = np.add.reduceat(cs, starts, axis=1) if starts.size else cs[:, :0]
        tail = np.cumsum(gsum[:, ::-1], axis=1)[:, ::-1]
        return gsum, tail

    def product_limit(num: np.ndarray, risk: np.ndarray) -> np.ndarray:
        num = num.astype(np.float64)
        risk = risk.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(risk > 0, 1.0 - num / risk, 1.0)
        surv = np.ones((num.shape[0], num.shape[1] + 1))
        np.cumprod(factor, axis=1, out=surv[:, 1:])
        return surv

    def stat(cs: np.ndarray) -> np.ndarray:
        B = cs.shape[0]
        gsum, tail = km_parts(cs)
        cev = cs[:, evpos]
        if km_fixed is None:
            g = product_limit(gsum[:, cg], tail[:, cg])[:, ev_cidx]
            ok = g > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = 1.0 / g
            if not ok.all():
                inv = np.where(ok, inv, 0.0)
                bad_ev = (cev > 0) & ~ok
            else:
                bad_ev = None
        else:
            inv = fixed_inv
            bad_ev = (cev > 0) & fixed_bad if fixed_bad.any() else None
        wcase = cev * inv
        # per horizon k: controls are the positions from cut[k] on, cases the events before it
        ctrl = np.cumsum(hist(ctrl_code, cs[:, lo:], "ctrl")[:, ::-1], axis=1)[:, ::-1]
        case = np.cumsum(hist(case_code, wcase, "case"), axis=1)
        below = np.cumsum(ctrl, axis=2) - ctrl
        num = np.sum(case * (below + 0.5 * ctrl), axis=2)
        n_ctrl = ctrl.sum(axis=2)
        case_total = case.sum(axis=2)  # > 0 exactly when a case is present (weights >= 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            aucs = num / (case_total * n_ctrl)
        undefined_ = ~(case_total > 0) | ~(n_ctrl > 0)
        if bad_ev is not None and bad_ev.any():
            seg_bad = np.zeros((B, H), dtype=bool)
            for k in range(H):
                seg_bad[:, k] = np.any(bad_ev[:, ev_seg == k], axis=1)
            undefined_ |= np.logical_or.accumulate(seg_bad, axis=1)
        aucs = np.where(undefined_, np.nan, aucs)
        if H == 1:
            return np.concatenate((aucs, aucs), axis=1)
        surv = product_limit(gsum[:, eg], tail[:, eg])
        sh = surv[:, h_eidx]
        drop = -np.diff(np.concatenate((np.ones((B, 1)), sh), axis=1), axis=1)
        denom = 1.0 - sh[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.sum(aucs * drop, axis=1) / denom
        mean = np.where(np.isnan(aucs).any(axis=1) | ~(denom > 0), np.nan, mean)
        return np.concatenate((aucs, mean[:, None]), axis=1)

    return stat, seq


def cumulative_dynamic_auc(
    time: Any,
    event: Any,
    score: Any,
    times: Any,
    *,
    train_time: Any = None,
    train_event: Any = None,
    confidence_level: float = 0.95,
    ci: Literal["bootstrap"] | None = None,
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    bootstrap_method: Literal["percentile", "bca"] = "percentile",
    strata: Any = None,
    n_jobs: int = 1,
) -> TimeDependentAUC:
    """Cumulative/dynamic AUC(t) at the horizons ``times`` with IPCW (Uno et al. 2007).

    Parameters
    ----------
    time, event, score:
        Follow-up time, event indicator (bool or 0/1) and risk score (higher = higher risk).
    times:
        Horizons; sorted and de-duplicated (as scikit-survival does). A horizon without cases
        or without controls gives an undefined result with the reason.
    train_time, train_event:
        Data for the censoring distribution ``G`` (scikit-survival's ``survival_train``);
        default the same data. ``G`` must be known (and positive) at every case time.
    ci:
        ``None`` (default; point estimates only) or ``"bootstrap"`` (row bootstrap of all
        horizons and the mean jointly; ``G`` re-estimated per replicate unless separate training
        data are given, in which case it is held fixed).
    n_boot, seed, bootstrap_method, strata, n_jobs:
        Bootstrap settings (see :func:`assess.metrics.bootstrap.bootstrap`); ``strata="event"``
        keeps the numbers of events and censorings fixed. BCa needs n leave-one-out evaluations
        (allowed up to 20 000 rows).

    Returns
    -------
    TimeDependentAUC
        Per-horizon results (``metric="cumulative_dynamic_auc"``, ``horizon`` set, ``details``
        with ``cases`` and ``controls``) and ``mean_auc``.

    Examples
    --------
    >>> res = cumulative_dynamic_auc([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1], [6, 4, 5, 3, 1, 2], [2.5, 4.5])
    >>> [round(float(a), 3) for a in res.estimates]
    [0.875, 1.0]
    """
    t, e, s = check_survival_inputs(time, event, score, metric="cumulative_dynamic_auc")
    h = as_float_array(np.atleast_1d(np.asarray(times, dtype=float)), "times")
    _require_finite(h, "times", "cumulative_dynamic_auc")
    if h.size == 0:
        raise ValueError("times must contain at least one horizon")
    horizons = np.unique(h)
    if ci not in ("bootstrap", None):
        raise ValueError(f"ci must be 'bootstrap' or None, got {ci!r}")
    km_fixed = training_censoring(train_time, train_event, metric="cumulative_dynamic_auc")
    n = t.size
    events = int(e.sum())
    method = "cumulative/dynamic AUC, IPCW (Uno 2007; Hung & Chiang 2010)"
    if n == 0:
        res = [
            undefined(
                "cumulative_dynamic_auc",
                "no observations",
                n=0,
                events=0,
                method=method,
                horizon=float(x),
            )
            for x in horizons
        ]
        return TimeDependentAUC(
            tuple(res), undefined("mean_cumulative_dynamic_auc", "no observations", method=method)
        )
    srank, levels = dense_rank(s)
    km = km_fixed if km_fixed is not None else CensoringKM.fit(t, e)
    aucs, reasons, details, mean, mean_reason = _compute(t, e, srank, levels.size, horizons, km)
    results = []
    for k, x in enumerate(horizons):
        if reasons[k]:
            r = undefined(
                "cumulative_dynamic_auc",
                reasons[k],
                n=n,
                events=events,
                method=method,
                horizon=float(x),
            )
            r = replace_result(r, details=details[k])
        else:
            r = MetricResult(
                metric="cumulative_dynamic_auc",
                estimate=float(aucs[k]),
                n=n,
                events=events,
                horizon=float(x),
                method=method,
                details=details[k],
            )
        results.append(r)
    mdet = {"horizons": horizons.tolist()}
    if mean_reason:
        mres = replace_result(
            undefined(
                "mean_cumulative_dynamic_auc", mean_reason, n=n, events=events, method=method
            ),
            details=mdet,
        )
    else:
        mres = MetricResult(
            metric="mean_cumulative_dynamic_auc",
            estimate=mean,
            n=n,
            events=events,
            method=method + ", weighted by the Kaplan-Meier drop",
            details=mdet,
        )
    if ci is None or np.isnan(aucs).all():
        return TimeDependentAUC(tuple(results), mres)

    from .bootstrap import attach_bootstrap, bootstrap, bootstrap_weights

    def stat(tb: np.ndarray, eb: np.ndarray, sb: np.ndarray) -> np.ndarray:
        rb, lv = dense_rank(sb)
        kmb = km_fixed if km_fixed is not None else CensoringKM.fit(tb, eb)
        a, _, _, mb, _ = _compute(tb, eb, rb, lv.size, horizons, kmb)
        return np.append(a, mb)

    if isinstance(strata, str):
        if strata != "event":
            raise ValueError(f"strata must be None, 'event' or an array of labels, got {strata!r}")
        strata_arr = e.astype(np.int64)
    else:
        strata_arr = strata
    if _count_distinct(s, WEIGHTED_MAX_LEVELS) <= WEIGHTED_MAX_LEVELS:
        # the same replicates as the row bootstrap, evaluated on replicate counts
        stat_w, order = _weighted_statistic(t, e, srank, levels.size, horizons, km_fixed)
        boot = bootstrap_weights(
            stat_w,
            n,
            n_boot=n_boot,
            seed=seed,
            strata=strata_arr,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            estimate=np.append(aucs, mean),
            order=order,
            dtype=np.float32 if n < 2**22 else np.float64,
            max_batch_cells=WEIGHTED_BATCH_CELLS,
        )
    else:
        boot = bootstrap(
            stat,
            t,
            e,
            s,
            n_boot=n_boot,
            seed=seed,
            strata=strata_arr,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            estimate=np.append(aucs, mean),
        )
    results = [
        r if r.reason else attach_bootstrap(r, boot, component=k) for k, r in enumerate(results)
    ]
    if not mres.reason:
        mres = attach_bootstrap(mres, boot, component=horizons.size)
    return TimeDependentAUC(tuple(results), mres)
