"""Reclassification criteria of :func:`~assess.additionality.compare`: NRI, IDI and decision curves.

All three are taken on the binary outcome (a binary ``outcome=`` column, or the outcome at the
horizon among people whose status there is known, as the AUC, Brier score and calibration of
the comparison) with the probabilities the comparison uses.

* **NRI** (:func:`assess.metrics.reclassification.net_reclassification_index`): the
  category-free ("continuous") NRI of Pencina, D'Agostino and Steyerberg (2011) -- criteria
  ``nri_events``, ``nri_non_events``, ``nri`` -- and, when either instrument has a band set on
  a predicted probability (e.g. rnr-general's 2-year bands at 25 / 50 / 75 %), the categorical
  NRI of Pencina et al. (2008) with those cut-offs -- ``nri_bands_events``,
  ``nri_bands_non_events``, ``nri_bands``. Events and non-events are always reported
  separately (Kerr et al. 2014). Intervals: Wald, with the multinomial standard error of each
  component (analytic; no bootstrap needed).
* **IDI** (:func:`assess.metrics.reclassification.integrated_discrimination_improvement`):
  ``idi`` (base / integrated value = each model's discrimination slope) and its parts
  ``idi_events``, ``idi_non_events``; Wald intervals with Pencina et al.'s (2008) standard errors.
* **Decision curves** (Vickers and Elkin 2006): net benefit of base, integrated, treat all and
  treat none on a threshold grid (default 0.05, 0.10, ..., 0.95), with paired bootstrap
  percentile intervals computed on the comparison's shared draws. The probabilities are binned
  once against the thresholds, so a replicate only needs the counts of drawn people in each
  (base bin, integrated bin, outcome) cell -- at most ``2 (T + 1)^2`` cells -- which is exactly
  the row bootstrap. Criteria: ``net_benefit`` (the mean of the net-benefit difference over the
  grid thresholds within the stated range) and ``net_benefit@<t>`` at each probability band
  cut-off.

Verdicts: ``additive`` / ``dilutes`` when the interval of the gain excludes 0; these measures
have no agreed non-inferiority margin, so without one (``margins={"nri": ..., ...}``) the
verdict is ``inconclusive`` rather than ``non-inferior``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from ..metrics.decision_curve import TREAT_ALL, TREAT_NONE, _BinaryCurves
from ..metrics.reclassification import (
    integrated_discrimination_improvement,
    net_reclassification_index,
)
from ..scoring.engine import Instrument
from .paired import PairedDifference
from .resample import percentile_interval

__all__ = [
    "DEFAULT_DECISION_THRESHOLDS",
    "DecisionCurveBootstrap",
    "probability_cutoffs",
    "reclassification_rows",
]

#: Threshold grid of the decision curves in :func:`compare`: 0.05, 0.10, ..., 0.95.
DEFAULT_DECISION_THRESHOLDS = np.round(np.arange(1, 20) * 0.05, 2)


def probability_cutoffs(base: Instrument, integrated: Instrument, prob_columns: dict[str, str | None]) -> tuple[np.ndarray | None, str]:
    """Risk cut-offs for the categorical NRI from band sets on a predicted probability.

    A band set counts when it is ``on`` the probability column the comparison uses for that
    instrument, or else on any logistic/survival model output of the instrument. The base
    instrument's cut-offs are preferred (the categories a practitioner now uses); when the two
    instruments' differ, that is said. Returns ``(cutoffs or None, description)``.
    """
    found: list[tuple[str, np.ndarray, str, bool]] = []
    for role, inst in (("base", base), ("integrated", integrated)):
        outputs = {
            f"{m.id}_p_{h.label}" for m in inst.spec.models if m.type in ("logistic", "survival") for h in m.horizons
        }
        used = prob_columns.get(role)
        cands = [b for b in inst.spec.bands if b.on == used] or [b for b in inst.spec.bands if b.on in outputs]
        if cands:
            b = cands[0]
            cuts = np.array([c.upper for c in b.cuts if c.upper is not None], dtype=float)
            if cuts.size and np.all((cuts > 0) & (cuts < 1)) and np.all(np.diff(cuts) > 0):
                found.append((role, cuts, f"{inst.id} band set {b.id!r} on {b.on!r}", bool(b.upper_inclusive)))
    if not found:
        return None, "no band set on a predicted probability"
    role, cuts, desc, upper_incl = found[0]
    text = f"cut-offs {', '.join(f'{c:g}' for c in cuts)} from {desc}"
    if len(found) > 1 and not np.array_equal(found[0][1], found[1][1]):
        text += f" (the integrated instrument's {found[1][2]} uses {', '.join(f'{c:g}' for c in found[1][1])}; one set is needed)"
    if upper_incl:
        text += "; note: a probability exactly at a cut-off is put in the higher category"
    return cuts, text


def _wald_p(est: float, se: float) -> float:
    if not (se > 0) or not math.isfinite(est):
        return math.nan
    return float(2.0 * ndtr(-abs(est / se)))


def _row(criterion: str, r: Any, *, method: str, horizon: float | None, base_value: float = math.nan,
         integrated_value: float = math.nan, details: dict[str, Any] | None = None) -> PairedDifference:
    """A :class:`PairedDifference` from a MetricResult (a difference measure)."""
    return PairedDifference(
        criterion, float(base_value), float(integrated_value), float(r.estimate), float(r.lower), float(r.upper),
        _wald_p(r.estimate, r.se), float(r.se), n=int(r.n), events=r.events, method=method, higher_is_better=True,
        horizon=horizon, reason=r.reason, details={"difference_only": math.isnan(base_value), **(details or {})},
    )


def reclassification_rows(y: np.ndarray, pa: np.ndarray, pb: np.ndarray, *, cutoffs: np.ndarray | None, cutoff_text: str,
                          confidence_level: float, horizon: float | None, tail: str, recalibrated: bool) -> list[PairedDifference]:
    """NRI (continuous, and by band cut-offs when given) and IDI rows on a binary outcome."""
    y = np.asarray(y, dtype=bool)
    rows: list[PairedDifference] = []
    kerr = (
        "; the probabilities were recalibrated on these data, so the Wald p-value is not a valid test of added value "
        "(Kerr et al. 2014): judge the interval, or the likelihood-ratio test"
        if recalibrated else ""
    )
    specs: list[tuple[str, np.ndarray | None, str]] = []
    if cutoffs is not None:
        specs.append(("nri_bands", cutoffs, f"categorical NRI (Pencina et al. 2008), {cutoff_text}"))
    specs.append(("nri", None, "category-free NRI, any rise in predicted risk counts as up (Pencina, D'Agostino and Steyerberg 2011)"))
    for name, cut, what in specs:
        res = net_reclassification_index(y, pa, pb, cutoffs=cut, confidence_level=confidence_level)
        mv = res.movement
        moves = "; ".join(
            f"{lab}: {int(r['up'])} up, {int(r['down'])} down of {int(r['n'])}" for lab, r in mv.iterrows()
        )
        base_m = f"{what}; Wald interval, multinomial SE per outcome group; integrated (B) vs base (A); {moves}"
        for part, label in ((res.events, "events: P(up | event) - P(down | event)"),
                            (res.non_events, "non-events: P(down | non-event) - P(up | non-event)"),
                            (res.total, "events part + non-events part (not a proportion of people)")):
            crit = f"{name}_events" if part is res.events else f"{name}_non_events" if part is res.non_events else name
            rows.append(_row(crit, part, method=f"{label}; {base_m}{kerr}{tail}", horizon=horizon))
    idi = integrated_discrimination_improvement(y, pa, pb, confidence_level=confidence_level)
    sa, sb = idi.details.get("discrimination_slope_base", math.nan), idi.details.get("discrimination_slope_new", math.nan)
    m = "IDI (Pencina et al. 2008), Wald interval with Pencina's SE"
    rows.append(_row("idi", idi.total, method=f"{m}; values are the discrimination slopes (mean risk of events minus of non-events){kerr}{tail}",
                     horizon=horizon, base_value=sa, integrated_value=sb))
    rows.append(_row("idi_events", idi.events, method=f"{m}: mean(p_B - p_A | event){tail}", horizon=horizon))
    rows.append(_row("idi_non_events", idi.non_events, method=f"{m}: mean(p_A - p_B | non-event){tail}", horizon=horizon))
    return rows


@dataclass
class DecisionCurveBootstrap:
    """Net benefit of base and integrated (and treat all) on a threshold grid, with paired
    bootstrap replicates accumulated from shared case weights.

    ``known`` marks the people in the curve; ``cells`` maps each person to a joint
    (base bin, integrated bin, outcome) cell (or -1), ``onehot`` is the ``(n, K)`` indicator
    used to turn a block of case weights into cell counts.
    """

    thresholds: np.ndarray
    curves: _BinaryCurves
    onehot: sparse.csr_matrix
    counts: np.ndarray
    estimate: np.ndarray  # (3, T): base, integrated, treat all
    tp: np.ndarray
    fp: np.ndarray
    reps: np.ndarray  # (n_boot, 3, T)
    n: int
    events: int

    @classmethod
    def build(cls, y: np.ndarray, pa: np.ndarray, pb: np.ndarray, known: np.ndarray, thresholds: np.ndarray, n_boot: int) -> DecisionCurveBootstrap:
        """``y``, ``pa``, ``pb``: full-length arrays (values outside ``known`` are ignored)."""
        thr = np.asarray(thresholds, dtype=float)
        T = thr.size
        idx = np.flatnonzero(known)
        ba = np.searchsorted(thr, pa[idx], side="right").astype(np.int64)
        bb = np.searchsorted(thr, pb[idx], side="right").astype(np.int64)
        yy = np.asarray(y[idx], dtype=np.int64)
        key = (ba * (T + 1) + bb) * 2 + yy
        uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        attrs_bins = np.column_stack([uniq // 2 // (T + 1), uniq // 2 % (T + 1)])
        curves = _BinaryCurves(attrs_bins, uniq % 2, thr)
        K = uniq.size
        onehot = sparse.csr_matrix((np.ones(idx.size), (idx, inv.reshape(-1))), shape=(known.size, K))
        tp, fp = curves.rates(counts[None, :].astype(float))
        est = (tp - fp * curves.odds)[0]
        return cls(thr, curves, onehot, counts, est, tp[0], fp[0], np.full((n_boot, 3, T), np.nan), int(idx.size), int(yy.sum()))

    def add_block(self, start: int, w: np.ndarray) -> None:
        """Replicates ``start .. start + b`` from ``(b, n)`` case weights."""
        cnt = np.asarray((self.onehot.T @ w.T).T)  # (b, K) drawn people per cell
        b = cnt.shape[0]
        self.reps[start : start + b] = self.curves(cnt).reshape(b, 3, self.thresholds.size)

    def frame(self, confidence_level: float) -> pd.DataFrame:
        """``model, threshold, net_benefit, lower, upper`` for base, integrated, treat all, treat none."""
        T = self.thresholds.size
        lo = np.full((3, T), np.nan)
        hi = np.full((3, T), np.nan)
        if self.reps.shape[0] >= 2:
            for i in range(3):
                for t in range(T):
                    lo[i, t], hi[i, t], _, _ = percentile_interval(self.reps[:, i, t], confidence_level)
        zero_ci = 0.0 if self.reps.shape[0] >= 2 else math.nan
        models = ["base", "integrated", TREAT_ALL, TREAT_NONE]
        return pd.DataFrame({
            "model": np.repeat(models, T),
            "threshold": np.tile(self.thresholds, 4),
            "net_benefit": np.concatenate([self.estimate.reshape(-1), np.zeros(T)]),
            "lower": np.concatenate([lo.reshape(-1), np.full(T, zero_ci)]),
            "upper": np.concatenate([hi.reshape(-1), np.full(T, zero_ci)]),
        })

    def rows(self, *, in_range: np.ndarray, range_text: str, at: Sequence[float], confidence_level: float, horizon: float | None,
             tail: str, seed: Any) -> list[PairedDifference]:
        """``net_benefit`` (mean difference over the thresholds ``in_range``) and ``net_benefit@t``."""
        nb = self.reps.shape[0]
        boot = f"paired bootstrap ({nb} replicates, seed {seed}, same people for A and B), percentile interval" if nb else "no bootstrap (n_boot=0)"
        out: list[PairedDifference] = []
        specs: list[tuple[str, np.ndarray, str]] = []
        if in_range.any():
            specs.append(("net_benefit", in_range, f"mean net benefit over the {int(in_range.sum())} grid thresholds {range_text}"))
        for t in at:
            hit = np.isclose(self.thresholds, t, rtol=0, atol=1e-12)
            if hit.any():
                specs.append((f"net_benefit@{t:g}", hit, f"net benefit at threshold probability {t:g} (a band cut-off)"))
        for name, sel, what in specs:
            va, vb = float(self.estimate[0, sel].mean()), float(self.estimate[1, sel].mean())
            ra = self.reps[:, 0, sel].mean(1) if nb else np.zeros(0)
            rb = self.reps[:, 1, sel].mean(1) if nb else np.zeros(0)
            if nb >= 2:
                lo, hi, se, failed = percentile_interval(rb - ra, confidence_level)
                la, ua, _, _ = percentile_interval(ra, confidence_level)
                lb, ub, _, _ = percentile_interval(rb, confidence_level)
            else:
                lo = hi = se = la = ua = lb = ub = math.nan
                failed = 0
            method = (f"{what}, NB = TP/n - FP/n x pt/(1 - pt) (Vickers and Elkin 2006) acting on p >= pt; values are each model's "
                      f"net benefit, difference B - A; {boot}{tail}")
            out.append(PairedDifference(name, va, vb, vb - va, lo, hi, math.nan, se, n=self.n, events=self.events, method=method,
                                        base_lower=la, base_upper=ua, integrated_lower=lb, integrated_upper=ub, horizon=horizon,
                                        details={"boot_failed": failed}))
        return out
