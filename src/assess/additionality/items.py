"""Item contribution and short forms: which items of a sum score earn their place?

* :func:`item_contribution` -- drop-one (the score without one item's weighted points) and
  add-one (a base score plus one item, weighted as the instrument weights it) effects on
  Harrell's C (paired infinitesimal-jackknife interval) and on the AUC at the horizon / of a
  binary outcome (paired DeLong), each against the score it changes.
* :func:`short_form` -- greedy backward elimination: repeatedly drop the item whose removal
  costs least, while the shortened score stays non-inferior to the full one (lower confidence
  limit of short - full above ``-margin``). Assessment time is a real burden on practitioners.

Item points come from the instrument's own score frame (``<item>_points``) and the weights from
its scale definitions: the primary score (e.g. ``net_score = risk_total - 0.5 x
strength_total``) is expanded down to items, so a strength item enters the integrated score
with weight -0.5. Only people with every item of the score recorded are used (a prorated score
cannot be re-prorated item by item); the others are counted in ``notes``.

Optimism: a short form chosen and judged on the same people is optimistic (the search picks
the items that happen to matter least in this sample). Judge the chosen subset on other people:
pass ``validation=`` (a held-out data frame with the same columns), or split the data yourself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..metrics.concordance import pair_counts
from ..scoring.engine import Instrument
from ._inputs import Prepared, as_instrument, prepare
from .paired import PairedDifference, _wald, concordance_influence, paired_auc
from .verdict import criterion_verdict

__all__ = ["ItemContributionResult", "ShortFormResult", "item_contribution", "item_weights", "short_form"]

ITEM_COLUMNS = ("item", "role", "weight", "mode", "criterion", "full_value", "reduced_value", "difference", "lower", "upper", "p_value", "verdict")
PATH_COLUMNS = ("step", "dropped", "n_items", "criterion", "value", "difference", "lower", "upper", "verdict")


# --------------------------------------------------------------------------------------------
# items and weights
# --------------------------------------------------------------------------------------------


def item_weights(instrument: Instrument | str, score: str | None = None) -> dict[str, float]:
    """Weight of every scored item in a sum score, expanding scales of scales.

    >>> item_weights("rnr-desistance-integrated")["supportive_family"]     # doctest: +SKIP
    -0.5
    """
    inst = as_instrument(instrument, "instrument")
    spec = inst.spec
    if score is None:
        from ._inputs import primary_score

        score = primary_score(inst)
    scales = {s.id: s for s in spec.scales}
    items = {it.id: it for it in spec.items}
    out: dict[str, float] = {}

    def expand(ref: str, w: float, path: tuple[str, ...]) -> None:
        if ref in items:
            if items[ref].is_scored:
                out[ref] = out.get(ref, 0.0) + w
            return
        if ref not in scales:
            raise ValueError(
                f"{inst.id}: {' -> '.join((*path, ref))} is not an item or a scale; item contributions need a score "
                "that is a weighted sum of items (pass score=)"
            )
        s = scales[ref]
        if s.method != "sum" or s.lookup:
            raise ValueError(
                f"{inst.id}: scale {ref!r} is a {s.method}{' with a lookup table' if s.lookup else ''}, not a plain sum: "
                "an item's contribution to it is not its points"
            )
        for c in s.components:
            expand(c.ref, w * float(c.weight), (*path, ref))

    expand(score, 1.0, ())
    if not out:
        raise ValueError(f"{inst.id}: score {score!r} has no scored items")
    return {k: v for k, v in out.items() if v != 0.0}


@dataclass
class _ItemData:
    prep: Prepared
    ids: list[str]
    roles: list[str]
    weights: np.ndarray  # (J,)
    points: np.ndarray  # (n, J) item points of the analysed complete cases
    full: np.ndarray  # (n,) weighted sum = the score
    time: np.ndarray | None
    event: np.ndarray | None
    y: np.ndarray | None  # binary outcome (at the horizon)
    known: np.ndarray  # rows with known binary outcome
    notes: list[str]
    score: str


def _item_data(instrument: Any, data: pd.DataFrame, score: str | None, time: str | None, event: str | None,
               outcome: str | None, horizon: float | None) -> _ItemData:
    inst = as_instrument(instrument, "instrument")
    prep = prepare(inst, inst, data, time=time, event=event, outcome=outcome, horizon=horizon,
                   base_score=score, integrated_score=score)
    weights = item_weights(inst, prep.base_score)
    ids = list(weights)
    cols = [f"{i}_points" for i in ids]
    missing = [c for c in cols if c not in prep.frame_a.columns]
    if missing:
        raise ValueError(f"{inst.id}'s score frame lacks item points columns {missing[:5]}")
    P = prep.frame_a[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    w = np.array([weights[i] for i in ids])
    complete = np.all(np.isfinite(P), axis=1)
    notes = list(prep.exclusions)
    k = int((~complete).sum())
    if k:
        notes.append(f"{k} {'person' if k == 1 else 'people'} with an item of {prep.base_score!r} missing (prorated score) left out")
    if not complete.any():
        raise ValueError(f"nobody has every item of {prep.base_score!r} recorded")
    P = P[complete]
    full = P @ w
    off = np.abs(full - prep.a[complete]) > 1e-9 * (1 + np.abs(full))
    if off.any():
        raise ValueError(
            f"{inst.id}: {int(off.sum())} complete case(s) have a {prep.base_score!r} that is not the weighted sum of its "
            "item points (rounding or a lookup?): item contributions cannot be computed"
        )
    from .api import _horizon_outcome

    yh, known, hz_note = _horizon_outcome(prep)
    if hz_note:
        notes.append(hz_note)
    roles = [next(it.role for it in inst.spec.items if it.id == i) for i in ids]
    return _ItemData(
        prep, ids, roles, w, P, full,
        None if prep.time is None else prep.time[complete], None if prep.event is None else prep.event[complete],
        None if yh is None else yh[complete], known[complete], notes, prep.base_score,
    )


def _criteria_for(d: _ItemData, criterion: str) -> list[str]:
    if criterion == "auto":
        return ["harrell_c"] + (["auc"] if d.y is not None else []) if d.time is not None else ["auc"]
    if criterion == "harrell_c" and d.time is None:
        raise ValueError("criterion='harrell_c' needs survival data (time=, event=)")
    if criterion == "auc" and d.y is None:
        raise ValueError("criterion='auc' needs a binary outcome or a horizon")
    if criterion not in ("harrell_c", "auc"):
        raise ValueError(f"criterion must be 'auto', 'harrell_c' or 'auc', got {criterion!r}")
    return [criterion]


# --------------------------------------------------------------------------------------------
# paired differences against one reference score
# --------------------------------------------------------------------------------------------


class _Reference:
    """One reference score; paired differences of candidate scores against it."""

    def __init__(self, d: _ItemData, criterion: str, ref: np.ndarray, confidence_level: float):
        self.d, self.criterion, self.ref, self.cl = d, criterion, ref, confidence_level
        if criterion == "harrell_c":
            self.value, self.infl, _ = concordance_influence(d.time, d.event, ref)
        else:
            self.value = math.nan

    def value_of(self, s: np.ndarray) -> float:
        """The criterion for score ``s`` (fast: no influence)."""
        d = self.d
        if self.criterion == "harrell_c":
            pc = pair_counts(d.time, d.event, s, rows=False)
            return (pc.concordant + 0.5 * pc.tied_score) / pc.pairs if pc.pairs else math.nan
        k = d.known
        from ..metrics.auc import _level_placements

        v10, _ = _level_placements(d.y[k], s[k])
        return float(np.mean(v10)) if v10.size else math.nan

    def against(self, s: np.ndarray) -> PairedDifference:
        """``s`` minus the reference, paired interval (IJ for C, DeLong for the AUC)."""
        d = self.d
        if self.criterion == "harrell_c":
            if self.infl is None:
                return PairedDifference("harrell_c", math.nan, math.nan, math.nan, math.nan, math.nan, reason="no comparable pairs")
            c, ib, _ = concordance_influence(d.time, d.event, s)
            dd = ib - self.infl
            se = math.sqrt(float(dd @ dd))
            lo, hi, p = _wald(c - self.value, se, self.cl)
            return PairedDifference("harrell_c", self.value, c, c - self.value, lo, hi, p, se, n=int(d.time.size),
                                    events=int(d.event.sum()), method="Harrell C, paired infinitesimal-jackknife SE")
        k = d.known
        return paired_auc(d.y[k], self.ref[k], s[k], confidence_level=self.cl, horizon=d.prep.horizon)


# --------------------------------------------------------------------------------------------
# item_contribution
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemContributionResult:
    """Drop-one or add-one item effects. ``frame`` has columns :data:`ITEM_COLUMNS`.

    Drop mode: ``full_value`` is the full score's C/AUC, ``reduced_value`` the score without the
    item, ``difference = reduced - full`` and the verdict judges the shortened score against the
    full one (``non-inferior``: the item can go; ``dilutes``: dropping it loses; ``additive``:
    dropping it gains, the item harms). Add mode: ``full_value`` is the base score plus the
    item, ``reduced_value`` the base score, ``difference = full - reduced`` and the verdict
    judges adding the item (``additive``: it adds; ``dilutes``: it harms).
    """

    frame: pd.DataFrame
    mode: str
    score: str
    base: str | None
    margin: float
    notes: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def __str__(self) -> str:
        head = f"<item_contribution: {self.mode}-one, score {self.score!r}" + (f", base {self.base!r}" if self.base else "") + f", margin {self.margin:g}>"
        lines = [head, self.frame.drop(columns=["p_value"]).to_string(index=False, float_format=lambda x: f"{x:.4f}")]
        lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def item_contribution(
    instrument: Any,
    data: pd.DataFrame,
    *,
    score: str | None = None,
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    horizon: float | None = None,
    items: Sequence[str] | None = None,
    mode: Literal["drop", "add"] = "drop",
    base: str | None = None,
    criterion: Literal["auto", "harrell_c", "auc"] = "auto",
    margin: float = 0.01,
    confidence_level: float = 0.95,
) -> ItemContributionResult:
    """Drop-one / add-one effect of each item on discrimination, with paired intervals.

    Parameters
    ----------
    instrument:
        Instrument, id or spec path; ``score`` is the sum score studied (default: its primary
        score, e.g. ``net_score`` of rnr-desistance-integrated).
    data, time, event, outcome, horizon:
        As :func:`~assess.additionality.compare`. Criteria: Harrell's C for survival data (and
        the AUC at the horizon when there is one), the AUC for a binary outcome.
    items:
        Items studied (default: drop mode, every item of the score; add mode, its strength items).
    mode:
        ``"drop"``: the score minus one item's weighted points, against the full score.
        ``"add"``: the base score plus one item's weighted points, against the base score.
    base:
        Add mode: a column of the instrument's score frame or of ``data`` (e.g. ``"risk_total"``).
        Default: the score without any of its strength items.
    margin:
        Non-inferiority margin in C/AUC.

    Intervals: paired infinitesimal-jackknife for C (:func:`~assess.additionality.paired_harrell_c`)
    and DeLong for the AUC (:func:`~assess.additionality.paired_auc`), each item against the score
    it changes. Example: ``item_contribution("rnr-desistance-integrated", cohort, mode="add")``.
    """
    if mode not in ("drop", "add"):
        raise ValueError(f"mode must be 'drop' or 'add', got {mode!r}")
    if not (isinstance(margin, int | float) and margin >= 0):
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    d = _item_data(instrument, data, score, time, event, outcome, horizon)
    crits = _criteria_for(d, criterion)
    pos = _select(d, items, mode)
    notes = list(d.notes)
    base_name = None
    if mode == "drop":
        ref = d.full
        cands = d.full[:, None] - d.points[:, pos] * d.weights[pos]  # all drop-one scores at once
    else:
        if base is None:
            strength = [j for j, r in enumerate(d.roles) if r == "strength"]
            ref = d.full - d.points[:, strength] @ d.weights[strength]
            base_name = f"{d.score} without its strength items"
        else:
            ref = _base_column(d, base, data)
            base_name = base
        cands = ref[:, None] + d.points[:, pos] * d.weights[pos]
    recs = []
    for crit in crits:
        r0 = _Reference(d, crit, ref, confidence_level)
        for k, j in enumerate(pos):
            r = r0.against(cands[:, k])
            if mode == "drop":
                full_v, red_v, diff, lo, hi = r.base_value, r.integrated_value, r.difference, r.lower, r.upper
                verdict = criterion_verdict(lo, hi, margin=margin)
            else:
                full_v, red_v, diff, lo, hi = r.integrated_value, r.base_value, r.difference, r.lower, r.upper
                verdict = criterion_verdict(lo, hi, margin=margin)
            recs.append((d.ids[j], d.roles[j], float(d.weights[j]), mode, crit, full_v, red_v, diff, lo, hi, r.p_value, verdict))
    frame = pd.DataFrame(recs, columns=list(ITEM_COLUMNS))
    return ItemContributionResult(frame, mode, d.score, base_name, float(margin), tuple(notes),
                                  {"n": int(d.full.size), "horizon": d.prep.horizon, "confidence_level": confidence_level})


def _select(d: _ItemData, items: Sequence[str] | None, mode: str) -> list[int]:
    if items is None:
        if mode == "add":
            pos = [j for j, r in enumerate(d.roles) if r == "strength"]
            if not pos:
                raise ValueError(f"{d.score!r} has no strength items to add: pass items=")
            return pos
        return list(range(len(d.ids)))
    items = [items] if isinstance(items, str) else list(items)
    bad = [i for i in items if i not in d.ids]
    if bad:
        raise ValueError(f"items {bad} are not scored items of {d.score!r} (its items: {', '.join(d.ids[:8])}, ...)")
    return [d.ids.index(i) for i in items]


def _base_column(d: _ItemData, base: str, data: pd.DataFrame) -> np.ndarray:
    fa = d.prep.frame_a
    if base in fa.columns:
        src = fa[base]
    elif base in d.prep.data.columns:
        src = d.prep.data[base]
    else:
        raise ValueError(f"base={base!r} is neither an output column of the instrument nor a column of data")
    complete = np.all(np.isfinite(d.prep.frame_a[[f"{i}_points" for i in d.ids]].apply(pd.to_numeric, errors="coerce").to_numpy(float)), axis=1)
    v = pd.to_numeric(src, errors="coerce").to_numpy(dtype=float)[complete]
    if not np.all(np.isfinite(v)):
        raise ValueError(f"base={base!r} is missing for {int((~np.isfinite(v)).sum())} analysed people")
    return v


# --------------------------------------------------------------------------------------------
# short_form
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShortFormResult:
    """Greedy backward elimination path and the smallest non-inferior item subset.

    ``path``: columns :data:`PATH_COLUMNS` (step 0 = the full score; each later step drops one
    item; ``difference``/``lower``/``upper`` are short - full with a paired interval).
    ``items``: the selected subset (the last step still non-inferior); ``dropped``: in the order
    dropped. ``validation``: the subset against the full score on held-out data (or ``None``).
    """

    path: pd.DataFrame
    items: tuple[str, ...]
    dropped: tuple[str, ...]
    criterion: str
    margin: float
    validation: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.path.copy()

    def __str__(self) -> str:
        lines = [
            f"<short_form: {len(self.items)} of {len(self.items) + len(self.dropped)} items non-inferior in {self.criterion} "
            f"(margin {self.margin:g})>",
            self.path.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
        ]
        if self.validation is not None:
            lines += ["validation (held-out data):", self.validation.to_string(index=False, float_format=lambda x: f"{x:.4f}")]
        else:
            lines.append("  note: chosen and judged on the same data (optimistic); pass validation= to judge it on other people")
        lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def short_form(
    instrument: Any,
    data: pd.DataFrame,
    *,
    score: str | None = None,
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    horizon: float | None = None,
    items: Sequence[str] | None = None,
    keep: Sequence[str] = (),
    criterion: Literal["auto", "harrell_c", "auc"] = "auto",
    margin: float = 0.01,
    confidence_level: float = 0.95,
    max_steps: int | None = None,
    validation: pd.DataFrame | None = None,
) -> ShortFormResult:
    """Smallest item subset whose score stays non-inferior to the full score (greedy).

    Backward elimination: at each step, among the candidate ``items`` still in the score (default
    all; ``keep`` are never dropped), drop the one whose removal leaves the highest C (survival
    data) or AUC (binary outcome, or ``criterion="auc"`` at the horizon); the step is accepted
    while the lower confidence limit of (short - full) stays above ``-margin`` (paired IJ for C,
    DeLong for the AUC), and the search stops at the first step that fails. Items keep their
    weights in the remaining score.

    The search is optimistic when the same data choose the subset and judge it: pass
    ``validation=`` (held-out people, same columns) to judge the chosen subset there, or split
    the data before calling. Greedy elimination need not find the globally smallest subset.

    Example: ``short_form("rnr-desistance-integrated", train, validation=test)``.
    """
    if not (isinstance(margin, int | float) and margin >= 0):
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    d = _item_data(instrument, data, score, time, event, outcome, horizon)
    crit = _criteria_for(d, "harrell_c" if criterion == "auto" and d.time is not None else ("auc" if criterion == "auto" else criterion))[0]
    cand = _select(d, items, "drop")
    keep = [keep] if isinstance(keep, str) else list(keep)
    bad = [k for k in keep if k not in d.ids]
    if bad:
        raise ValueError(f"keep items {bad} are not items of {d.score!r}")
    cand = [j for j in cand if d.ids[j] not in keep]
    ref = _Reference(d, crit, d.full, confidence_level)
    full_value = ref.value if crit == "harrell_c" else ref.value_of(d.full)
    contrib = d.points * d.weights  # (n, J)
    current = d.full.copy()
    remaining = list(range(len(d.ids)))
    recs = [(0, None, len(remaining), crit, full_value, 0.0, 0.0, 0.0, "full")]
    dropped: list[str] = []
    steps = 0
    while cand and (max_steps is None or steps < max_steps):
        if len(remaining) == 1:
            break
        # all candidate scores in one pass; value only (cheap) to choose, then the interval
        vals = np.array([ref.value_of(current - contrib[:, j]) for j in cand])
        if not np.isfinite(vals).any():
            break
        best = int(np.nanargmax(vals))
        j = cand[best]
        trial = current - contrib[:, j]
        r = ref.against(trial)
        ok = math.isfinite(r.lower) and r.lower > -margin
        verdict = criterion_verdict(r.lower, r.upper, margin=margin)
        recs.append((steps + 1, d.ids[j], len(remaining) - 1, crit, float(vals[best]), r.difference, r.lower, r.upper,
                     verdict if ok else f"{verdict} (stop)"))
        if not ok:
            break
        current = trial
        remaining.remove(j)
        cand.remove(j)
        dropped.append(d.ids[j])
        steps += 1
    path = pd.DataFrame(recs, columns=list(PATH_COLUMNS))
    path["dropped"] = path["dropped"].astype(object)
    chosen = tuple(d.ids[j] for j in remaining)
    notes = list(d.notes)
    val = None
    if validation is not None:
        val = _validate(instrument, validation, d, chosen, crit, score, time, event, outcome, d.prep.horizon, margin, confidence_level)
    else:
        notes.append("the subset was chosen and judged on the same data: optimistic (pass validation= held-out data)")
    return ShortFormResult(path, chosen, tuple(dropped), crit, float(margin), val, tuple(notes))


def _validate(instrument, data, d, chosen, crit, score, time, event, outcome, horizon, margin, cl) -> pd.DataFrame:
    v = _item_data(instrument, data, score, time, event, outcome, horizon)
    sel = [v.ids.index(i) for i in chosen]
    short = v.points[:, sel] @ v.weights[sel]
    r = _Reference(v, crit, v.full, cl).against(short)
    return pd.DataFrame([{
        "criterion": crit, "n_items": len(chosen), "full_value": r.base_value, "short_value": r.integrated_value,
        "difference": r.difference, "lower": r.lower, "upper": r.upper,
        "verdict": criterion_verdict(r.lower, r.upper, margin=margin), "n": int(v.full.size),
    }])
