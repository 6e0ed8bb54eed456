"""Reclassification measures for comparing a base and a new risk model on the same people.

* :func:`net_reclassification_index` -- the net reclassification index (NRI). With risk
  ``cutoffs`` it is the categorical NRI of Pencina, D'Agostino, D'Agostino and Vasan (2008,
  Statistics in Medicine 27:157); without, the category-free ("continuous") NRI of Pencina,
  D'Agostino and Steyerberg (2011, Statistics in Medicine 30:11).
* :func:`integrated_discrimination_improvement` -- the IDI, the change in the discrimination
  slope (mean predicted risk among events minus among non-events; Pencina et al. 2008).

Both report the **events** and **non-events** components separately as well as their sum:
Kerr et al. (2014, Epidemiology 25:114) and Pepe, Janes and Li (2014) show that the sum alone
is easily misread (it is not a proportion of people reclassified, and a gain among events can
hide a loss among non-events). Kerr et al. also show that the p-value of the NRI is not a valid
test of added value when the new model was fitted on the same data (test the new predictor's
coefficient instead), and recommend bootstrap intervals; use ``n_boot``.

Definitions (binary outcome, ``p`` = predicted probability of the event)
-------------------------------------------------------------------------
* NRI, events: ``P(up | event) - P(down | event)``; non-events:
  ``P(down | non-event) - P(up | non-event)``; ``nri`` is their sum. "Up" means a higher
  category under the new model (categorical) or simply ``p_new > p_base`` (category-free).
  A risk equal to a cut-off belongs to the higher category (categories ``[c_k, c_(k+1))``).
* IDI, events: ``mean(p_new - p_base | event)``; non-events: ``mean(p_base - p_new | non-event)``;
  ``idi`` is their sum (= discrimination slope of the new model minus that of the base model).

Intervals: Wald intervals with the analytic standard errors of Pencina et al. (2008) for a
binary outcome (see the functions); a seeded bootstrap (``n_boot > 0``, percentile or BCa)
replaces them when requested.

Survival outcomes (``time``, ``event``, ``horizon`` instead of ``y_true``)
--------------------------------------------------------------------------
* NRI: the Kaplan-Meier form of Pencina, D'Agostino and Steyerberg (2011) and Steyerberg and
  Pencina (2010, Statistics in Medicine 29:2577): with ``S`` the Kaplan-Meier survival at the
  horizon overall, ``S_up`` / ``S_down`` among people reclassified up / down and ``pi_up`` /
  ``pi_down`` the shares reclassified,
  ``NRI_events = ((1 - S_up) pi_up - (1 - S_down) pi_down) / (1 - S)`` and
  ``NRI_non_events = (S_down pi_down - S_up pi_up) / S``.
* IDI: inverse-probability-of-censoring weighting (Uno, Tian, Cai, Kohane and Wei 2013,
  Statistics in Medicine 32:2430): events are people with an observed event by the horizon,
  weighted by ``1 / G(T-)`` (``G`` = reverse Kaplan-Meier censoring survival), non-events are
  people followed to or beyond the horizon without an event by then (equal weights).
* No analytic standard errors are published for these; intervals need ``n_boot``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._result import MetricResult, _fmt, as_float_array, results_frame, undefined, z_value
from .bootstrap import (
    BootstrapResult,
    _run_blocks,
    _seed_sequence,
    _summarise,
    attach_bootstrap,
    bootstrap_counts,
    jackknife_acceleration,
)
from .concordance import _as_event, _positions, _require_finite
from .survival import _check_time_event

__all__ = [
    "ReclassificationResult",
    "integrated_discrimination_improvement",
    "net_reclassification_index",
]

#: Memory bound (array cells) for one vectorised evaluation batch.
_BATCH_CELLS = 2_000_000


# --------------------------------------------------------------------------------------------
# input validation (shared with decision_curve.py)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """A validated outcome: binary (``y``) or right-censored at a ``horizon``."""

    kind: Literal["binary", "survival"]
    n: int
    y: np.ndarray | None = None
    time: np.ndarray | None = None
    event: np.ndarray | None = None
    horizon: float | None = None

    @property
    def events(self) -> int:
        """Binary: number of events; survival: observed events at or before the horizon."""
        if self.kind == "binary":
            return int(self.y.sum())
        return int(np.count_nonzero(self.event & (self.time <= self.horizon)))


def _check_outcome(
    y_true: Any, time: Any, event: Any, horizon: Any, *, metric: str
) -> _Outcome:
    """Either a binary ``y_true`` or (``time``, ``event``, ``horizon``), with actionable errors."""
    surv_given = [name for name, v in (("time", time), ("event", event), ("horizon", horizon)) if v is not None]
    if y_true is not None:
        if surv_given:
            raise ValueError(
                f"{metric}: give either y_true (a binary outcome) or time, event and horizon "
                f"(a survival outcome), not both; got y_true and {', '.join(surv_given)}"
            )
        y = _as_event(y_true, "y_true", metric)
        return _Outcome(kind="binary", n=int(y.size), y=y)
    if len(surv_given) != 3:
        missing = [n for n in ("time", "event", "horizon") if n not in surv_given]
        raise ValueError(
            f"{metric}: y_true is None, so time, event and horizon are all needed for a survival "
            f"outcome; missing {', '.join(missing)}"
        )
    t, e = _check_time_event(time, event)
    try:
        h = float(horizon)
    except (TypeError, ValueError):
        raise TypeError(f"horizon must be a single number (a follow-up time), got {horizon!r}") from None
    if not math.isfinite(h) or h <= 0:
        raise ValueError(f"horizon must be a positive finite follow-up time, got {horizon!r}")
    return _Outcome(kind="survival", n=int(t.size), time=t, event=e, horizon=h)


def _check_probability(p: Any, name: str, n: int, metric: str) -> np.ndarray:
    """A 1-d array of n finite probabilities in [0, 1]."""
    arr = as_float_array(p, name)
    if arr.size != n:
        raise ValueError(f"{name} must have one value per person ({n}), got {arr.size}")
    _require_finite(arr, name, metric)
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        raise ValueError(
            f"{name} must be predicted probabilities in [0, 1]; found {int(bad.sum())} value(s) "
            f"outside (first at positions {_positions(bad)}, range [{arr.min():g}, {arr.max():g}]). "
            "Convert scores to probabilities first (e.g. with the instrument's logistic or Cox model)."
        )
    return arr


def _check_boot(n_boot: Any, ci: str, confidence_level: float) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0 or n_boot == 1:
        raise ValueError(f"n_boot must be 0 (no bootstrap) or an integer >= 2, got {n_boot!r}")
    if ci not in ("percentile", "bca"):
        raise ValueError(f"ci must be 'percentile' or 'bca', got {ci!r}")
    z_value(confidence_level)
    return int(n_boot)


# --------------------------------------------------------------------------------------------
# survival building blocks (shared with decision_curve.py)
# --------------------------------------------------------------------------------------------


def _horizon_coding(time: np.ndarray, event: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Code each person for Kaplan-Meier estimation at ``horizon`` in count tables.

    With ``tau_0 < ... < tau_(m-1)`` the distinct event times at or before the horizon, a person
    is at risk at ``tau_j`` for ``j < col`` and has an event at ``tau_(col-1)`` when ``ev`` is
    true. ``col = 0`` means censored before the first event time (never at risk); people
    followed beyond the horizon have ``col = m``. At a tied time events come first, so a person
    censored at ``tau_j`` is at risk at ``tau_j`` (R ``survival`` / lifelines convention).
    Returns ``(col, ev, m)``.
    """
    ev = event & (time <= horizon)
    tau = np.unique(time[ev])
    col = np.searchsorted(tau, time, side="right")
    return col.astype(np.int64), ev, int(tau.size)


def _km_from_counts(tot: np.ndarray, ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival at the horizon from coded counts, for many groups at once.

    ``tot[..., c]`` counts people with ``col == c`` (``m + 1`` columns), ``ev[..., j]`` the events
    at ``tau_j`` (``m`` columns). Returns ``(S, n_group)``; an empty group has ``S = 1``. Beyond
    the last person at risk the curve stays flat (lifelines' convention).
    """
    atrisk = np.flip(np.cumsum(np.flip(tot[..., 1:], -1), -1), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(atrisk > 0, 1.0 - ev / atrisk, 1.0)
    return np.prod(factor, axis=-1), tot.sum(-1)


def _cell_batches(n_rows: int, row_cells: int) -> int:
    return max(1, _BATCH_CELLS // max(row_cells, 1))


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReclassificationResult:
    """NRI or IDI: the events and non-events components and their sum.

    Attributes
    ----------
    measure:
        ``"nri"`` or ``"idi"``.
    events, non_events, total:
        :class:`~assess.metrics._result.MetricResult` for each component (metric names
        ``"<measure>_events"``, ``"<measure>_non_events"``, ``"<measure>"``).
    table:
        Categorical NRI: counts of base category (rows, within outcome) x new category
        (columns). ``None`` otherwise.
    movement:
        NRI: counts moving up / unchanged / down by outcome. ``None`` for the IDI.
    cutoffs:
        The risk cut-offs of a categorical NRI (``None`` when category-free).
    details:
        Extra values (e.g. discrimination slopes for the IDI, Pencina's z-test for the NRI).
    bootstrap:
        The :class:`~assess.metrics.bootstrap.BootstrapResult` (components events, non-events,
        total) when ``n_boot > 0``, else ``None``.
    """

    measure: str
    events: MetricResult
    non_events: MetricResult
    total: MetricResult
    table: pd.DataFrame | None = None
    movement: pd.DataFrame | None = None
    cutoffs: tuple[float, ...] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    bootstrap: BootstrapResult | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return self.total.method

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per component (events, non-events, total)."""
        return results_frame([self.events, self.non_events, self.total])

    def __str__(self) -> str:
        title = {"nri": "Net reclassification index", "idi": "Integrated discrimination improvement"}[self.measure]
        lines = [f"{title} ({self.method})"]
        if self.cutoffs is not None:
            lines.append("  risk cut-offs: " + ", ".join(f"{c:g}" for c in self.cutoffs))
        lvl = self.total.confidence_level
        for label, r in (("events", self.events), ("non-events", self.non_events), ("total", self.total)):
            row = f"  {label:<11} {_fmt(r.estimate):>8}"
            if not (math.isnan(r.lower) or math.isnan(r.upper)):
                row += f"  ({lvl:.0%} CI {_fmt(r.lower)} to {_fmt(r.upper)})"
            if r.reason:
                row += f"  undefined: {r.reason}"
            lines.append(row)
        ci_method = self.total.ci_method or self.events.ci_method
        tail = f"  n={self.total.n}, events={self.total.events}"
        if self.total.horizon is not None:
            tail += f", horizon={self.total.horizon:g}"
        if ci_method:
            tail += f"; intervals: {ci_method}"
        lines.append(tail)
        if self.movement is not None:
            lines.append("  reclassified (up / unchanged / down):")
            for outcome, row in self.movement.iterrows():
                lines.append(f"    {outcome:<24} {row['up']:>7} {row['unchanged']:>9} {row['down']:>7}")
        if self.measure == "nri":
            lines.append("  Read the events and non-events parts separately; the total is not a proportion of people.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ReclassificationResult {self.measure}: {self.total.metric} = {_fmt(self.total.estimate)}>"


# --------------------------------------------------------------------------------------------
# NRI
# --------------------------------------------------------------------------------------------


def _check_cutoffs(cutoffs: Any) -> np.ndarray:
    c = np.atleast_1d(np.asarray(cutoffs, dtype=float))
    if c.ndim != 1 or c.size == 0:
        raise ValueError("cutoffs must be a non-empty list of risk cut-offs, e.g. [0.2, 0.5]")
    if not np.all(np.isfinite(c)) or c.min() <= 0 or c.max() >= 1:
        raise ValueError(f"cutoffs must be probabilities strictly between 0 and 1, got {c.tolist()}")
    if c.size > 1 and np.any(np.diff(c) <= 0):
        raise ValueError(f"cutoffs must be strictly increasing, got {c.tolist()}")
    return c


def _category_labels(c: np.ndarray) -> list[str]:
    edges = [0.0, *c.tolist(), 1.0]
    labels = [f"[{edges[k]:g}, {edges[k + 1]:g})" for k in range(len(edges) - 1)]
    labels[-1] = labels[-1][:-1] + "]"
    return labels


def _nri_binary_stat(counts: np.ndarray) -> np.ndarray:
    """NRI (events, non-events, total) from (B, 6) counts coded ``move * 2 + y``
    with move 0 = down, 1 = unchanged, 2 = up."""
    x = np.asarray(counts, dtype=float).reshape(-1, 3, 2)
    n_ne = x[:, :, 0].sum(1)
    n_e = x[:, :, 1].sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ev = (x[:, 2, 1] - x[:, 0, 1]) / n_e
        ne = (x[:, 0, 0] - x[:, 2, 0]) / n_ne
    return np.column_stack([ev, ne, ev + ne])


def _nri_survival_stat(counts: np.ndarray, cells: np.ndarray, m: int) -> np.ndarray:
    """KM-based NRI (events, non-events, total) from (B, K) counts over the observed cells
    ``cells`` coded ``(move * (m + 1) + col) * 2 + ev``."""
    counts = np.asarray(counts, dtype=float)
    B = counts.shape[0]
    size = 3 * (m + 1) * 2
    out = np.empty((B, 3))
    step = _cell_batches(B, size)
    for s0 in range(0, B, step):
        blk = counts[s0 : s0 + step]
        dense = np.zeros((blk.shape[0], size))
        dense[:, cells] = blk
        x = dense.reshape(-1, 3, m + 1, 2)
        groups = np.stack([x[:, 0], x[:, 2], x.sum(1)], axis=1)  # down, up, all
        surv, n_g = _km_from_counts(groups.sum(-1), groups[..., 1:, 1])
        s_down, s_up, s_all = surv[:, 0], surv[:, 1], surv[:, 2]
        n = n_g[:, 2]
        pi_down, pi_up = n_g[:, 0] / n, n_g[:, 1] / n
        with np.errstate(divide="ignore", invalid="ignore"):
            ev = np.where(
                s_all < 1, ((1 - s_up) * pi_up - (1 - s_down) * pi_down) / (1 - s_all), np.nan
            )
            ne = np.where(s_all > 0, (s_down * pi_down - s_up * pi_up) / s_all, np.nan)
        out[s0 : s0 + step] = np.column_stack([ev, ne, ev + ne])
    return out


def net_reclassification_index(
    y_true: Any,
    p_base: Any,
    p_new: Any,
    *,
    cutoffs: Sequence[float] | None = None,
    time: Any = None,
    event: Any = None,
    horizon: float | None = None,
    n_boot: int = 0,
    seed: int | np.random.SeedSequence | None = None,
    confidence_level: float = 0.95,
    ci: Literal["percentile", "bca"] = "percentile",
    n_jobs: int = 1,
) -> ReclassificationResult:
    """Net reclassification index of ``p_new`` over ``p_base``, events and non-events separately.

    Categorical NRI (Pencina et al. 2008) when ``cutoffs`` are given; category-free NRI
    (Pencina, D'Agostino and Steyerberg 2011) when ``cutoffs`` is None. For a survival outcome
    pass ``y_true=None`` with ``time``, ``event`` and ``horizon``: the Kaplan-Meier NRI of
    Pencina et al. (2011) / Steyerberg and Pencina (2010) at the horizon.

    Parameters
    ----------
    y_true:
        Binary outcome (True/1 = event, e.g. reoffended), or None for a survival outcome.
    p_base, p_new:
        Predicted probabilities of the event (by the horizon for survival) from the base and
        the new model, same people, same order.
    cutoffs:
        Increasing risk cut-offs strictly inside (0, 1); a risk equal to a cut-off belongs to
        the higher category. None = category-free (any increase is "up").
    time, event, horizon:
        Right-censored follow-up (event = 1 if the event was observed) and the horizon at
        which the probabilities apply.
    n_boot, seed, ci, n_jobs:
        ``n_boot > 0`` adds a seeded bootstrap (rows resampled with replacement, computed as
        multinomial draws over the reclassification cells; ``ci`` = ``"percentile"`` or
        ``"bca"``; BCa for binary outcomes only). Its interval replaces the analytic one.
    confidence_level:
        Interval level.

    Returns
    -------
    ReclassificationResult
        ``.events`` (``"nri_events"``), ``.non_events`` (``"nri_non_events"``), ``.total``
        (``"nri"``), ``.movement`` (up / unchanged / down counts by outcome), ``.table``
        (categorical: base x new category counts by outcome).

    Notes
    -----
    Binary outcome intervals: the component variance is that of a difference of two
    multinomial proportions, ``(p_up + p_down - (p_up - p_down)^2) / n``, per outcome group;
    the total adds the two. Pencina et al.'s (2008) variance ``(p_up + p_down) / n`` is the same
    quantity under the null hypothesis of no net reclassification; their z statistic and p-value
    are given in ``details`` (``z_pencina``, ``p_value_pencina``) -- not a valid test of added
    value for nested models fitted on the same data (Kerr et al. 2014).

    Example
    -------
    >>> res = net_reclassification_index(df.reoffended, p_rnr, p_integrated, cutoffs=[0.3, 0.6])
    >>> print(res)          # events, non-events, total, and the movement counts
    >>> res.table           # base x new category counts for events and non-events
    """
    metric = "net_reclassification_index"
    out = _check_outcome(y_true, time, event, horizon, metric=metric)
    pb = _check_probability(p_base, "p_base", out.n, metric)
    pn = _check_probability(p_new, "p_new", out.n, metric)
    n_boot = _check_boot(n_boot, ci, confidence_level)
    if out.kind == "survival" and n_boot and ci == "bca":
        raise ValueError(
            "ci='bca' is available for binary outcomes only (the survival jackknife would need a "
            "Kaplan-Meier fit per person); use ci='percentile'"
        )
    cut = None if cutoffs is None else _check_cutoffs(cutoffs)
    if cut is None:
        cat_b = cat_n = None
        move = np.sign(pn - pb).astype(np.int64) + 1
        kind = "category-free NRI"
        source = "Pencina, D'Agostino and Steyerberg 2011"
    else:
        cat_b = np.searchsorted(cut, pb, side="right")
        cat_n = np.searchsorted(cut, pn, side="right")
        move = np.sign(cat_n - cat_b).astype(np.int64) + 1
        kind = f"categorical NRI, {cut.size + 1} categories"
        source = "Pencina et al. 2008"
    n = out.n
    horizon_v = out.horizon

    # outcome groups for the descriptive tables
    if out.kind == "binary":
        status = out.y.astype(np.int64)  # 0 = non-event, 1 = event
        status_labels = ["non-events", "events"]
    else:
        status = np.where(
            out.event & (out.time <= out.horizon), 1, np.where(out.time >= out.horizon, 0, 2)
        )
        status_labels = ["event-free at horizon", "event by horizon", "censored before horizon"]
    mv = np.bincount(status * 3 + move, minlength=3 * len(status_labels)).reshape(-1, 3)
    movement = pd.DataFrame(
        {"up": mv[:, 2], "unchanged": mv[:, 1], "down": mv[:, 0], "n": mv.sum(1)},
        index=pd.Index(status_labels, name="outcome"),
    )
    order = [1, 0] + ([2] if len(status_labels) == 3 else [])
    movement = movement.iloc[order]
    table = None
    if cut is not None:
        labels = _category_labels(cut)
        k = cut.size + 1
        tab = np.bincount((status * k + cat_b) * k + cat_n, minlength=len(status_labels) * k * k)
        tab = tab.reshape(len(status_labels), k, k)[order].reshape(-1, k)
        table = pd.DataFrame(
            tab,
            index=pd.MultiIndex.from_product(
                [[status_labels[i] for i in order], labels], names=["outcome", "base category"]
            ),
            columns=pd.Index(labels, name="new category"),
        )

    names = ("nri_events", "nri_non_events", "nri")
    details: dict[str, Any] = {}
    boot = None
    if out.kind == "binary":
        y = out.y
        counts = np.bincount(move * 2 + y, minlength=6)
        est = _nri_binary_stat(counts[None, :])[0]
        n_e = int(y.sum())
        n_ne = n - n_e
        x = counts.reshape(3, 2).astype(float)
        method = f"{kind} ({source})"
        results = list(_nri_binary_results(est, x, n, n_e, n_ne, confidence_level, method, names))
        if n_e and n_ne:
            v0 = (x[2, 1] + x[0, 1]) / n_e**2 + (x[2, 0] + x[0, 0]) / n_ne**2
            if v0 > 0:
                from scipy.stats import norm

                z = float(est[2] / math.sqrt(v0))
                details.update(z_pencina=z, p_value_pencina=float(2 * norm.sf(abs(z))))
        stat = _nri_binary_stat
        boot_counts, strata = counts, None
    else:
        col, ev, m = _horizon_coding(out.time, out.event, out.horizon)
        codes = (move * (m + 1) + col) * 2 + ev
        cells, boot_counts = np.unique(codes, return_counts=True)
        est = _nri_survival_stat(boot_counts[None, :], cells, m)[0]
        method = f"{kind} at the horizon, Kaplan-Meier (Pencina, D'Agostino and Steyerberg 2011)"
        results = []
        reasons = (
            "no events observed by the horizon (Kaplan-Meier risk is 0)",
            "Kaplan-Meier survival at the horizon is 0 (no one is known to be event-free)",
        )
        n_ev = out.events
        for j, name in enumerate(names):
            if math.isnan(est[j]):
                reason = reasons[1] if j == 1 or (j == 2 and not math.isnan(est[0])) else reasons[0]
                results.append(undefined(name, reason, n=n, events=n_ev, method=method, horizon=horizon_v))
            else:
                results.append(
                    MetricResult(
                        metric=name, estimate=float(est[j]), confidence_level=confidence_level,
                        n=n, events=n_ev, horizon=horizon_v, method=method,
                        details={"ci_note": "no analytic standard error is published for the survival NRI; use n_boot"},
                    )
                )

        def stat(c: np.ndarray) -> np.ndarray:
            return _nri_survival_stat(c, cells, m)

        strata = None
    if n_boot:
        boot = bootstrap_counts(
            stat, boot_counts, strata=strata, n_boot=n_boot, seed=seed, ci=ci,
            confidence_level=confidence_level, n_jobs=n_jobs, estimate=est,
        )
        results = [attach_bootstrap(r, boot, j) if r.status == "ok" else r for j, r in enumerate(results)]
    return ReclassificationResult(
        measure="nri",
        events=results[0],
        non_events=results[1],
        total=results[2],
        table=table,
        movement=movement,
        cutoffs=None if cut is None else tuple(float(c) for c in cut),
        details=details,
        bootstrap=boot,
    )


def _nri_binary_results(est, x, n, n_e, n_ne, confidence_level, method, names):
    """MetricResults with multinomial Wald intervals for the binary NRI components."""
    z = z_value(confidence_level)
    var = []
    for grp, size in ((1, n_e), (0, n_ne)):
        if size == 0:
            var.append(math.nan)
            continue
        up, down = x[2, grp] / size, x[0, grp] / size
        var.append(max(up + down - (up - down) ** 2, 0.0) / size)
    var.append(var[0] + var[1])
    reasons = {
        0: "no events: the events component needs at least one event",
        1: "no non-events: the non-events component needs at least one non-event",
    }
    for j, name in enumerate(names):
        if math.isnan(est[j]):
            reason = reasons.get(j) or (reasons[0] if n_e == 0 else reasons[1])
            yield undefined(name, reason, n=n, events=n_e, method=method)
            continue
        se = math.sqrt(var[j])
        yield MetricResult(
            metric=name,
            estimate=float(est[j]),
            se=se,
            lower=float(est[j] - z * se),
            upper=float(est[j] + z * se),
            confidence_level=confidence_level,
            n=n,
            events=n_e,
            method=method,
            ci_method="wald-multinomial",
        )


# --------------------------------------------------------------------------------------------
# IDI
# --------------------------------------------------------------------------------------------


def _idi_binary_stat(counts: np.ndarray, d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """IDI components from (B, n) row multiplicities (each row its own cell)."""
    w = np.asarray(counts, dtype=float)
    yf = y.astype(float)
    m = np.column_stack([d * yf, yf, d * (1 - yf), 1 - yf])
    s = w @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        ev = s[:, 0] / s[:, 1]
        ne = -s[:, 2] / s[:, 3]
    return np.column_stack([ev, ne, ev + ne])


class _IPCWIDI:
    """IPCW IDI for right-censored data, vectorised over bootstrap multiplicity vectors.

    Rows are put once in (time cell, status) order; a replicate's sums per cell then come from
    ``np.add.reduceat``, and the reverse Kaplan-Meier censoring survival ``G`` (events before
    censorings at a tied time, as :func:`~assess.metrics._survival_core.censoring_survival`)
    from cumulative sums over the cells.
    """

    def __init__(self, time: np.ndarray, event: np.ndarray, horizon: float, d: np.ndarray):
        # Cells 0..q-1: distinct times before the horizon, and events at it; cell q: everyone
        # known to be event-free at the horizon (followed to or beyond it without an event by
        # then). A person censored exactly at the horizon was followed to it without an event,
        # so is a known non-event (as in the NRI and the decision curve); putting them in a
        # time cell instead left nobody in cell q when follow-up ends at the horizon, and the
        # non-events part (and the IDI) came out NaN. Moving them to cell q leaves G unchanged:
        # they stay in the risk sets of every earlier cell, and G(h-) excludes censorings at h.
        le = (time < horizon) | (event & (time <= horizon))
        ut, inv = np.unique(time[le], return_inverse=True)
        q = ut.size
        u = np.full(time.size, q, dtype=np.int64)
        u[le] = inv
        st = event.astype(np.int64)  # 1 = event, 0 = censored
        key = u * 2 + st
        self.order = np.argsort(key, kind="stable")
        ks = key[self.order]
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        self.starts = starts
        self.seg_key = ks[starts]
        self.q = q
        self.d_sorted = d[self.order]

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts, dtype=float)
        out = np.empty((counts.shape[0], 3))
        q = self.q
        for s0 in range(0, counts.shape[0], _cell_batches(counts.shape[0], counts.shape[1])):
            w = counts[s0 : s0 + _cell_batches(counts.shape[0], counts.shape[1])][:, self.order]
            B = w.shape[0]
            sw = np.add.reduceat(w, self.starts, axis=1)
            swd = np.add.reduceat(w * self.d_sorted, self.starts, axis=1)
            W = np.zeros((B, (q + 1) * 2))
            WD = np.zeros((B, (q + 1) * 2))
            W[:, self.seg_key] = sw
            WD[:, self.seg_key] = swd
            W = W.reshape(B, q + 1, 2)
            WD = WD.reshape(B, q + 1, 2)
            cens = W[:, :q, 0]
            evs = W[:, :q, 1]
            tot = W.sum(-1)  # (B, q + 1)
            atrisk = np.flip(np.cumsum(np.flip(tot, -1), -1), -1)[:, :q]
            crisk = atrisk - evs
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(crisk > 0, 1.0 - cens / crisk, 1.0)
                g = np.cumprod(factor, axis=1)
                g_before = np.concatenate([np.ones((B, 1)), g[:, :-1]], axis=1)
                inv_g = np.where(g_before > 0, 1.0 / g_before, 0.0)
                ev = np.sum(WD[:, :q, 1] * inv_g, 1) / np.sum(evs * inv_g, 1)
                ne = -WD[:, q, :].sum(-1) / W[:, q, :].sum(-1)
            out[s0 : s0 + B] = np.column_stack([ev, ne, ev + ne])
        return out


def integrated_discrimination_improvement(
    y_true: Any,
    p_base: Any,
    p_new: Any,
    *,
    time: Any = None,
    event: Any = None,
    horizon: float | None = None,
    n_boot: int = 0,
    seed: int | np.random.SeedSequence | None = None,
    confidence_level: float = 0.95,
    ci: Literal["percentile", "bca"] = "percentile",
    n_jobs: int = 1,
) -> ReclassificationResult:
    """Integrated discrimination improvement of ``p_new`` over ``p_base`` (Pencina et al. 2008).

    ``idi_events = mean(p_new - p_base | event)`` (the gain in mean risk among events),
    ``idi_non_events = mean(p_base - p_new | non-event)`` (the drop among non-events) and
    ``idi`` = their sum = the new model's discrimination slope minus the base model's.
    ``details`` carry both discrimination slopes and the relative IDI (IDI / base slope;
    Pencina, D'Agostino and Steyerberg 2011).

    Binary outcome: Wald intervals with Pencina et al.'s (2008) standard errors
    ``sd(p_new - p_base) / sqrt(n)`` within events and non-events (sample SD), the total adding
    the two variances. Survival outcome (``y_true=None`` with ``time``, ``event``,
    ``horizon``): inverse-probability-of-censoring weighted means (Uno et al. 2013); events are
    people with an observed event by the horizon, weighted by 1 / G(T-), non-events people
    followed to or beyond the horizon without an event by then; intervals need ``n_boot`` (percentile).

    Parameters as :func:`net_reclassification_index` (no cut-offs).

    Example
    -------
    >>> res = integrated_discrimination_improvement(df.reoffended, p_rnr, p_integrated, n_boot=1000, seed=1)
    >>> res.to_frame()[["metric", "estimate", "lower", "upper"]]
    """
    metric = "integrated_discrimination_improvement"
    out = _check_outcome(y_true, time, event, horizon, metric=metric)
    pb = _check_probability(p_base, "p_base", out.n, metric)
    pn = _check_probability(p_new, "p_new", out.n, metric)
    n_boot = _check_boot(n_boot, ci, confidence_level)
    if out.kind == "survival" and n_boot and ci == "bca":
        raise ValueError(
            "ci='bca' is available for binary outcomes only (the survival jackknife would need a "
            "censoring Kaplan-Meier fit per person); use ci='percentile'"
        )
    d = pn - pb
    n = out.n
    names = ("idi_events", "idi_non_events", "idi")
    details: dict[str, Any] = {}
    jackknife = None
    boot = None
    if out.kind == "binary":
        y = out.y
        n_e = int(y.sum())
        n_ne = n - n_e
        stat = _idi_binary_stat_closure(d, y)
        est = stat(np.ones((1, n)))[0]
        method = "IDI (Pencina et al. 2008)"
        z = z_value(confidence_level)
        var_e = float(np.var(d[y], ddof=1)) / n_e if n_e >= 2 else math.nan
        var_ne = float(np.var(d[~y], ddof=1)) / n_ne if n_ne >= 2 else math.nan
        variances = (var_e, var_ne, var_e + var_ne)
        results = []
        for j, name in enumerate(names):
            if math.isnan(est[j]):
                reason = (
                    "no events: the events component needs at least one event"
                    if n_e == 0
                    else "no non-events: the non-events component needs at least one non-event"
                )
                results.append(undefined(name, reason, n=n, events=n_e, method=method))
                continue
            se = math.sqrt(variances[j]) if math.isfinite(variances[j]) else math.nan
            r = MetricResult(
                metric=name, estimate=float(est[j]), se=se, confidence_level=confidence_level,
                n=n, events=n_e, method=method,
            )
            if math.isfinite(se):
                r = r.with_ci(est[j] - z * se, est[j] + z * se, "wald-pencina")
            results.append(r)
        if n_e and n_ne:
            slope_b = float(pb[y].mean() - pb[~y].mean())
            slope_n = float(pn[y].mean() - pn[~y].mean())
            details.update(
                discrimination_slope_base=slope_b,
                discrimination_slope_new=slope_n,
                relative_idi=(slope_n - slope_b) / slope_b if slope_b != 0 else math.nan,
            )
        if n_boot and ci == "bca":
            jackknife = _idi_binary_jackknife(d, y)
    else:
        stat = _IPCWIDI(out.time, out.event, out.horizon, d)
        est = stat(np.ones((1, n)))[0]
        n_ev = out.events
        method = (
            "IDI at the horizon, inverse-probability-of-censoring weighted (Uno et al. 2013)"
        )
        results = []
        for j, name in enumerate(names):
            if math.isnan(est[j]):
                reason = (
                    "no events observed by the horizon"
                    if j != 1 and n_ev == 0
                    else "no one is followed to the horizon without an event (no known non-events)"
                )
                results.append(undefined(name, reason, n=n, events=n_ev, method=method, horizon=out.horizon))
                continue
            results.append(
                MetricResult(
                    metric=name, estimate=float(est[j]), confidence_level=confidence_level, n=n,
                    events=n_ev, horizon=out.horizon, method=method,
                    details={"ci_note": "no analytic standard error for the survival IDI; use n_boot"},
                )
            )
        sp = _IPCWIDI(out.time, out.event, out.horizon, pb)
        sn = _IPCWIDI(out.time, out.event, out.horizon, pn)
        ones = np.ones((1, n))
        mb, mn = sp(ones)[0], sn(ones)[0]
        # for a single model the "non-events" column is -mean(p | non-event)
        slope_b, slope_n = float(mb[0] + mb[1]), float(mn[0] + mn[1])
        details.update(
            discrimination_slope_base=slope_b,
            discrimination_slope_new=slope_n,
            relative_idi=(slope_n - slope_b) / slope_b if slope_b != 0 else math.nan,
        )
    if n_boot and out.kind == "binary":
        boot = _idi_row_bootstrap(d, out.y, est, n_boot, seed, ci, confidence_level, n_jobs, jackknife)
    elif n_boot:
        boot = bootstrap_counts(
            stat, np.ones(n, dtype=np.int64), n_boot=n_boot, seed=seed, ci=ci,
            confidence_level=confidence_level, n_jobs=n_jobs, estimate=est, jackknife=jackknife,
        )
        results = [attach_bootstrap(r, boot, j) if r.status == "ok" else r for j, r in enumerate(results)]
    return ReclassificationResult(
        measure="idi",
        events=results[0],
        non_events=results[1],
        total=results[2],
        details=details,
        bootstrap=boot,
    )


def _idi_binary_stat_closure(d: np.ndarray, y: np.ndarray):
    def stat(counts: np.ndarray) -> np.ndarray:
        return _idi_binary_stat(counts, d, y)

    return stat


def _idi_binary_jackknife(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact leave-one-out IDI components (closed form), one row per person."""
    n_e = int(y.sum())
    n_ne = y.size - n_e
    s_e = float(d[y].sum())
    s_ne = float(d[~y].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ev_all = s_e / n_e
        ne_all = -s_ne / n_ne
        ev = np.where(y, (s_e - d) / (n_e - 1), ev_all)
        ne = np.where(y, ne_all, -(s_ne - d) / (n_ne - 1))
    return np.column_stack([ev, ne, ev + ne])


def _idi_row_bootstrap(
    d: np.ndarray,
    y: np.ndarray,
    est: np.ndarray,
    n_boot: int,
    seed: Any,
    ci: str,
    confidence_level: float,
    n_jobs: int,
    jackknife: np.ndarray | None,
) -> BootstrapResult:
    """Row bootstrap of the binary IDI at O(n) per replicate.

    A resample of n rows with replacement has ``N_e ~ Binomial(n, n_e / n)`` event rows, and
    given ``N_e`` those are ``N_e`` uniform draws from the events (the rest from the
    non-events): the same distribution as drawing row indices, but only the needed sums are
    formed. Seeding and blocks follow :mod:`assess.metrics.bootstrap` (results do not depend
    on ``n_jobs``).
    """
    d_e = d[y]
    d_ne = d[~y]
    n_e, n_ne = d_e.size, d_ne.size
    n = n_e + n_ne
    ss, seed_used = _seed_sequence(seed)

    def work(start: int, rng: np.random.Generator, size: int) -> np.ndarray:
        out = np.empty((size, 3))
        k_e = rng.binomial(n, n_e / n, size=size) if n_e and n_ne else np.full(size, n_e)
        for i in range(size):
            ke = int(k_e[i])
            ev = d_e[rng.integers(0, n_e, ke)].sum() / ke if ke else np.nan
            ne = -d_ne[rng.integers(0, n_ne, n - ke)].sum() / (n - ke) if n - ke else np.nan
            out[i] = (ev, ne, ev + ne)
        return out

    reps = _run_blocks(work, n_boot, ss, n_jobs)
    accel = None
    if ci == "bca":
        accel = np.array([jackknife_acceleration(jackknife[:, c]) for c in range(3)])
    return _summarise(
        est, reps, ci, confidence_level, accel, n_boot=n_boot, seed=seed_used,
        resampling="rows (events drawn as Binomial(n, n_e/n))", strata=None,
    )
