"""``compare(base, integrated, data)``: does integrating strengths add to a risk/need instrument?

HM Inspectorate of Probation's Academic Insight on needs assessment (Wong & Horan 2021) asks
that adding strengths and desistance items to a risk/need assessment provide *additionality*
(predict better) and avoid *dilution* (not predict worse), and that this be tested. This module
tests it on one cohort scored by both instruments (paired):

==========================  ===================================================================
criterion                   how the interval / test is obtained
==========================  ===================================================================
``lr_cox``                  Cox likelihood-ratio test of the strengths block (survival data)
``lr_logistic``             logistic likelihood-ratio test of the strengths block (binary
                            outcome, or the outcome at the horizon)
``harrell_c``               paired infinitesimal-jackknife SE of C_B - C_A (survival data)
``auc``                     paired DeLong test (binary outcome or outcome at the horizon)
``ici``                     paired bootstrap (same people for A and B), percentile interval
``calibration_slope``       paired bootstrap; the verdict uses ``|slope - 1|``
``brier``                   paired z interval on per-person differences of squared error
``gap_<metric>[<column>]``  largest minus smallest group C (or AUC): paired bootstrap,
                            group values linearised by their IJ influence
``nri``, ``nri_events``,    category-free NRI and its events / non-events parts: Wald interval
``nri_non_events``          (multinomial SE; :mod:`assess.additionality.reclass`)
``nri_bands*``              categorical NRI at the instruments' probability band cut-offs
                            (when a band set is on a predicted probability): Wald interval
``idi``, ``idi_events``,    IDI (values: discrimination slopes) and its parts: Wald interval
``idi_non_events``          with Pencina et al.'s (2008) SE
``net_benefit``,            mean net-benefit difference over a threshold range, and at each
``net_benefit@<t>``         band cut-off: paired bootstrap (decision curves in
                            :attr:`ComparisonResult.decision_curve`)
==========================  ===================================================================

NRI, IDI and net benefit have no agreed non-inferiority margin: their verdict is ``additive`` or
``dilutes`` when the interval excludes 0 and otherwise ``inconclusive`` (never ``non-inferior``)
unless a margin is given in ``margins=`` (e.g. ``{"net_benefit": 0.005}``).

Outcome at the horizon: a person with an event at or before the horizon is a positive, a person
followed past (or exactly to) the horizon without one is a negative, and a person censored
before the horizon without an event has *unknown* status: they are excluded from the criteria at
the horizon and counted in the method text, never counted as non-events.

Overall verdict: the verdict of the primary discrimination criterion -- Harrell's C for survival
data, the AUC for a binary outcome -- computed with the non-inferiority margin ``margin``. The
other criteria keep their own verdicts and numbers in :attr:`ComparisonResult.criteria`.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from ..fairness._glm import fit_logistic
from ..metrics import calibration_slope, integrated_calibration_index
from ._inputs import Prepared, model_probability, prepare
from .nested import NestedTest, nested_cox_test, nested_logistic_test
from .paired import (
    PairedDifference,
    auc_influence,
    concordance_influence,
    paired_auc,
    paired_brier,
    paired_harrell_c,
)
from .reclass import (
    DEFAULT_DECISION_THRESHOLDS,
    DecisionCurveBootstrap,
    probability_cutoffs,
    reclassification_rows,
)
from .resample import (
    MAX_BATCH_LEVELS,
    RowBootstrap,
    calibration_slope_cells_batch,
    ici_cells_batch,
    percentile_interval,
    weights_from_draws,
)
from .result import CRITERIA_COLUMNS, DECISION_CURVE_COLUMNS, TIDY_COLUMNS, ComparisonResult
from .verdict import criterion_verdict, nested_test_verdict

__all__ = ["DEFAULT_MARGINS", "compare"]

#: Non-inferiority margins per criterion (criterion units) used unless ``margins=`` overrides;
#: ``harrell_c``, ``auc`` and the group gaps take ``margin=``.
DEFAULT_MARGINS: dict[str, float | None] = {
    "ici": 0.01,
    "calibration_slope": 0.05,
    "brier": 0.005,
    # no agreed margin: inconclusive unless one is given (see the module docstring)
    "nri": None,
    "nri_bands": None,
    "idi": None,
    "net_benefit": None,
}


def _margin_for(mg: Mapping[str, float | None], criterion: str) -> float | None:
    """Margin of a criterion: its own entry, else its family's (``nri_bands_events`` ->
    ``nri_bands`` -> ``nri``; ``net_benefit@0.25`` -> ``net_benefit``)."""
    if criterion in mg:
        return mg[criterion]
    name = criterion.split("@")[0]
    for suffix in ("_events", "_non_events", ""):
        if suffix and name.endswith(suffix):
            stem = name[: -len(suffix)]
            if stem in mg:
                return mg[stem]
    return mg.get(name)


def compare(
    base: Any,
    integrated: Any,
    data: pd.DataFrame,
    *,
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    horizon: float | None = None,
    base_score: str | None = None,
    integrated_score: str | None = None,
    probabilities: Literal["auto", "model", "recalibrated"] = "auto",
    strengths: Sequence[str] | None = None,
    strength_items: bool = False,
    groups: Sequence[str] | None = None,
    margin: float = 0.01,
    margins: Mapping[str, float | None] | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence_level: float = 0.95,
    comparison: str | None = None,
    min_group_size: int = 50,
    min_group_events: int = 10,
    nri_cutoffs: Sequence[float] | Literal["bands"] | None = "bands",
    decision_thresholds: Sequence[float] | None = None,
    net_benefit_range: tuple[float, float] | None = None,
) -> ComparisonResult:
    """Compare a base instrument A with an integrated instrument B on the same people.

    Parameters
    ----------
    base, integrated:
        :class:`~assess.scoring.Instrument`, built-in id (``"rnr-general"``) or spec path.
    data:
        One row per person: every item both instruments need, and the outcome.
    time, event:
        Follow-up time and 0/1 event columns (default ``"time"`` and ``"event"``).
    outcome:
        Instead of ``time``/``event``: a 0/1 outcome column (binary mode).
    horizon:
        Time (data's unit, e.g. years) at which the binary criteria are taken for survival data.
        Default: the longest prediction horizon of the instruments' models (stated in the notes).
    base_score, integrated_score:
        Score columns compared (default: each instrument's primary score, the column its primary
        band set is on -- ``risk_total`` for rnr-general, ``net_score`` for the integrated one).
    probabilities:
        ``"auto"``: each instrument's own logistic/survival model output at the horizon when it
        has one, else a logistic recalibration of its score on these data (in-sample, so
        optimistic); ``"model"`` requires model output; ``"recalibrated"`` always recalibrates.
    strengths:
        Columns of B's score frame (or of ``data``) forming the strengths block of the nested
        tests. Default: the strength-role scales B's primary score is built from (for the
        integrated instrument, ``strength_total``), else every strength-role scale that is not
        the sum of the others. ``strength_items=True`` uses the strength items' points instead.
    groups:
        Columns of ``data`` (e.g. ``["sex", "ethnicity"]``) for the worst-group gap criteria.
        Groups with fewer than ``min_group_size`` people or ``min_group_events`` events (and
        non-events) are left out of the gap and named in the method.
    margin:
        Non-inferiority margin for C, AUC and the group gaps (default 0.01).
    margins:
        Margins for other criteria (see :data:`DEFAULT_MARGINS`); ``None`` for no margin.
    n_boot, seed, confidence_level:
        Paired bootstrap replicates (0 = no bootstrap intervals), seed and interval level.
    comparison:
        Name of the comparison (default ``"<base id> vs <integrated id>"``).
    nri_cutoffs:
        Risk cut-offs of the categorical NRI: ``"bands"`` (default) takes them from a band set
        on a predicted probability (the base instrument's first, e.g. 0.25 / 0.5 / 0.75);
        a list gives them; ``None`` reports only the category-free NRI.
    decision_thresholds:
        Threshold probabilities of the decision curves (default 0.05, 0.10, ..., 0.95).
    net_benefit_range:
        ``(low, high)``: the ``net_benefit`` criterion is the mean net-benefit difference over
        the grid thresholds in ``[low, high]``. Default: the 5th to 95th percentile of the
        pooled predicted probabilities (where acting on the two models can differ; stated in
        the method).

    Returns
    -------
    ComparisonResult
        Prints a readable table; ``.verdict``, ``.criteria``, ``.decision_curve``,
        ``.to_frame()``, ``.to_dict()``.

    Examples
    --------
    >>> import assess
    >>> cohort = assess.simulate("strengths-additive", n=5000, seed=1)            # doctest: +SKIP
    >>> res = compare("rnr-general", "rnr-desistance-integrated", cohort)        # doctest: +SKIP
    >>> res.verdict                                                              # doctest: +SKIP
    'additive'
    """
    if probabilities not in ("auto", "model", "recalibrated"):
        raise ValueError(f"probabilities must be 'auto', 'model' or 'recalibrated', got {probabilities!r}")
    if not (isinstance(margin, int | float) and margin >= 0):
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if n_boot == 1:
        raise ValueError("n_boot must be 0 (no bootstrap) or at least 2")
    mg = {**DEFAULT_MARGINS, **dict(margins or {})}
    thresholds = _check_thresholds(decision_thresholds)
    if net_benefit_range is not None:
        lo_r, hi_r = (float(v) for v in net_benefit_range)
        if not (0 <= lo_r <= hi_r < 1):
            raise ValueError(f"net_benefit_range must be (low, high) with 0 <= low <= high < 1, got {net_benefit_range!r}")
    timings: dict[str, float] = {}
    clock = _time.perf_counter()

    def lap(key: str) -> None:
        nonlocal clock
        now = _time.perf_counter()
        timings[key] = timings.get(key, 0.0) + now - clock
        clock = now

    prep = prepare(
        base, integrated, data, time=time, event=event, outcome=outcome, horizon=horizon,
        base_score=base_score, integrated_score=integrated_score,
    )
    if groups is not None:
        groups = [groups] if isinstance(groups, str) else list(groups)
        bad = [g for g in groups if g not in data.columns]
        if bad:
            raise ValueError(f"groups column(s) {bad} are not in data")
    name = comparison or f"{prep.base.id} vs {prep.integrated.id}"
    alpha = 1.0 - confidence_level
    notes: list[str] = [*prep.exclusions]
    if prep.horizon_note:
        notes.append(prep.horizon_note)
    rows: list[tuple[PairedDifference | NestedTest, str, float | None]] = []  # (result, verdict, margin)
    group_values: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- outcome at the horizon
    yh, known, hz_note = _horizon_outcome(prep)
    if hz_note:
        notes.append(hz_note)
    lap("scoring and inputs")

    # ---------------------------------------------------------------- nested LR tests
    sblock, sdesc = _strengths_block(prep, strengths, strength_items)
    for test in _nested_tests(prep, sblock, yh, known):
        rows.append((test, nested_test_verdict(test.p_value, alpha), None))
    lap("nested likelihood-ratio tests")

    # ---------------------------------------------------------------- discrimination
    if prep.survival:
        c = paired_harrell_c(prep.time, prep.event, prep.a, prep.b, confidence_level=confidence_level)
        rows.append((c, criterion_verdict(c.lower, c.upper, margin=margin), margin))
        lap("harrell_c (paired IJ)")
    if yh is not None:
        d = paired_auc(yh[known], prep.a[known], prep.b[known], confidence_level=confidence_level, horizon=prep.horizon)
        d = _with_method(d, _known_text(prep, known))
        rows.append((d, criterion_verdict(d.lower, d.upper, margin=margin), margin))
        lap("auc (paired DeLong)")

    # ---------------------------------------------------------------- probabilities, calibration, Brier
    boot = RowBootstrap(prep.n, int(n_boot), seed)
    probs = None
    if yh is not None and known.sum() >= 2:
        probs = _probabilities(prep, yh, known, probabilities)
        notes.extend(probs["notes"])
        pa, pb = probs["base"][known], probs["integrated"][known]
        br = paired_brier(yh[known], pa, pb, confidence_level=confidence_level, horizon=prep.horizon)
        br = _with_method(br, f"{_known_text(prep, known)}; {probs['method']}")
        rows.append((br, criterion_verdict(br.lower, br.upper, margin=mg.get("brier"), higher_is_better=False), mg.get("brier")))
        lap("probabilities and brier")
    # ---------------------------------------------------------------- NRI, IDI, decision curves
    rec_rows: list[PairedDifference] = []
    dcb = None
    cut_list: list[float] = []
    tail = ""
    if probs is not None and 0 < yh[known].sum() < known.sum():
        pa, pb = probs["base"][known], probs["integrated"][known]
        tail = "; " + "; ".join(x for x in (_known_text(prep, known), probs["method"]) if x)
        if isinstance(nri_cutoffs, str):
            if nri_cutoffs != "bands":
                raise ValueError(f"nri_cutoffs must be 'bands', a list of probabilities or None, got {nri_cutoffs!r}")
            cut, cut_text = probability_cutoffs(prep.base, prep.integrated, probs["columns"])
        elif nri_cutoffs is None:
            cut, cut_text = None, "none (nri_cutoffs=None)"
        else:
            cut = np.asarray(list(nri_cutoffs), dtype=float)
            cut_text = f"cut-offs {', '.join(f'{c:g}' for c in cut)} (nri_cutoffs=)"
        rec_rows = reclassification_rows(
            yh[known], pa, pb, cutoffs=cut, cutoff_text=cut_text, confidence_level=confidence_level,
            horizon=prep.horizon, tail=tail, recalibrated=bool(probs["recalibrated"]),
        )
        cut_list = [] if cut is None else [float(c) for c in cut]
        lap("nri and idi (analytic)")
        dcb = DecisionCurveBootstrap.build(yh, probs["base"], probs["integrated"], known, thresholds, int(n_boot))
        lap("decision curves")
    # ---------------------------------------------------------------- bootstrap criteria
    cal_rows, gap_rows = _bootstrap_criteria(
        prep, boot, yh, known, probs, data, groups, confidence_level, min_group_size, min_group_events, group_values,
        dcb, timings,
    )
    clock = _time.perf_counter()
    for r in rec_rows:
        m = _margin_for(mg, r.criterion)
        rows.append((r, criterion_verdict(r.lower, r.upper, margin=m), m))
    dc_frame = None
    if dcb is not None:
        pooled = np.concatenate([probs["base"][known], probs["integrated"][known]])
        if net_benefit_range is None:
            lo_r, hi_r = (float(v) for v in np.quantile(pooled, [0.05, 0.95]))
            range_text = f"from {lo_r:.3g} to {hi_r:.3g} (5th to 95th percentile of the pooled predicted probabilities)"
        else:
            range_text = f"from {lo_r:g} to {hi_r:g} (net_benefit_range=)"
        in_range = (thresholds >= lo_r) & (thresholds <= hi_r)
        for r in dcb.rows(in_range=in_range, range_text=range_text, at=cut_list, confidence_level=confidence_level,
                          horizon=prep.horizon, tail=tail, seed=seed):
            m = _margin_for(mg, r.criterion)
            rows.append((r, criterion_verdict(r.lower, r.upper, margin=m), m))
        if not in_range.any():
            notes.append(f"no decision-curve threshold lies in the net-benefit range {range_text}: no net_benefit criterion")
        dc_frame = dcb.frame(confidence_level)
        lap("decision curves")
    for r in cal_rows:
        m = mg.get(r.criterion)
        if r.criterion == "calibration_slope":
            v = "inconclusive" if r.details.get("recalibrated") else criterion_verdict(
                r.details.get("error_lower"), r.details.get("error_upper"), margin=m, higher_is_better=False
            )
        else:
            v = criterion_verdict(r.lower, r.upper, margin=m, higher_is_better=False)
        rows.append((r, v, m))
    for r in gap_rows:
        rows.append((r, criterion_verdict(r.lower, r.upper, margin=margin, higher_is_better=False), margin))
    if n_boot == 0 and (cal_rows or gap_rows or dcb is not None):
        notes.append("n_boot=0: the bootstrap criteria have no intervals (verdict inconclusive)")

    # ---------------------------------------------------------------- overall
    primary = "harrell_c" if prep.survival else "auc"
    prim = next((r for r, _, _ in rows if isinstance(r, PairedDifference) and r.criterion == primary), None)
    prim_verdict = next((v for r, v, _ in rows if r is prim), "inconclusive")
    rule = (
        f"the verdict of {'Harrell C' if primary == 'harrell_c' else 'the AUC'} (B - A): additive if its "
        f"{confidence_level:.0%} CI is above 0, dilutes if below 0, non-inferior if the CI's lower end is "
        f"above -{margin:g}, else inconclusive"
    )
    crit = _criteria_frame(name, prep, rows, prim, prim_verdict, rule)
    tidy = _tidy_frame(prep, rows, group_values)
    settings = {
        "comparison": name,
        "margin": margin,
        "margins": mg,
        "n_boot": int(n_boot),
        "seed": seed,
        "confidence_level": confidence_level,
        "horizon": prep.horizon,
        "outcome": "survival" if prep.survival else "binary",
        "outcome_description": prep.outcome_description,
        "base_score": prep.base_score,
        "integrated_score": prep.integrated_score,
        "probabilities": None if probs is None else probs["method"],
        "strengths": list(sblock.columns) if sblock is not None else [],
        "strengths_description": sdesc,
        "groups": list(groups or []),
        "min_group_size": min_group_size,
        "min_group_events": min_group_events,
        "n_rows": prep.n_rows,
        "n_analysed": prep.n,
        "n_known_at_horizon": None if yh is None else int(known.sum()),
        "exclusions": list(prep.exclusions),
        "overall_rule": rule,
        "primary_criterion": primary,
    }
    ident = {
        "base": {"id": prep.base.id, "version": prep.base.version, "spec_hash": prep.base.spec_hash, "score": prep.base_score},
        "integrated": {"id": prep.integrated.id, "version": prep.integrated.version, "spec_hash": prep.integrated.spec_hash, "score": prep.integrated_score},
    }
    settings.update(
        nri_cutoffs=cut_list or None,
        decision_thresholds=[float(t) for t in thresholds],
        net_benefit_range=None if dcb is None else [lo_r, hi_r],
    )
    if dc_frame is None:
        dc_frame = pd.DataFrame({c: pd.Series(dtype=float if c != "model" else object) for c in DECISION_CURVE_COLUMNS})
    lap("result frames")
    return ComparisonResult(name, prim_verdict, crit, dc_frame[list(DECISION_CURVE_COLUMNS)], settings, ident["base"], ident["integrated"],
                            tidy, tuple(notes), timings=timings)


# ============================================================================================
# pieces
# ============================================================================================


def _with_method(r: PairedDifference, extra: str) -> PairedDifference:
    from dataclasses import replace

    return replace(r, method=f"{r.method}; {extra}" if extra else r.method)


def _known_text(prep: Prepared, known: np.ndarray) -> str:
    if not prep.survival:
        return ""
    k = int((~known).sum())
    return f"outcome at horizon {prep.horizon:g}: {int(known.sum())} people with known status" + (
        f", {k} censored before the horizon without an event excluded" if k else ""
    )


def _horizon_outcome(prep: Prepared) -> tuple[np.ndarray | None, np.ndarray, str]:
    """Binary outcome (at the horizon for survival data) and which people have a known status."""
    if not prep.survival:
        return prep.y, np.ones(prep.n, dtype=bool), ""
    if prep.horizon is None:
        return None, np.zeros(prep.n, dtype=bool), ""
    t, e, h = prep.time, prep.event, prep.horizon
    pos = e & (t <= h)
    known = pos | (t >= h)
    k = int((~known).sum())
    note = ""
    if k:
        note = (
            f"{k} of {prep.n} people were censored before the horizon {h:g} without an event: their status at "
            "the horizon is unknown, so they are left out of the criteria at the horizon (AUC, calibration, NRI, IDI, net benefit, "
            "Brier, logistic test) but kept in Harrell's C and the Cox test"
        )
    if pos[known].all() or not pos[known].any():
        note += ("; " if note else "") + "only one outcome class at the horizon: criteria at the horizon are undefined"
    return pos, known, note


def _strengths_block(prep: Prepared, strengths: Sequence[str] | None, items: bool) -> tuple[pd.DataFrame | None, str]:
    spec = prep.integrated.spec
    fb = prep.frame_b
    if strengths is not None:
        cols = [strengths] if isinstance(strengths, str) else list(strengths)
        out = {}
        for c in cols:
            if c in fb.columns:
                out[c] = pd.to_numeric(fb[c], errors="coerce")
            elif c in prep.data.columns:
                out[c] = pd.to_numeric(prep.data[c], errors="coerce")
            else:
                raise ValueError(f"strengths column {c!r} is neither an output of {prep.integrated.label} nor in data")
        return pd.DataFrame(out), "as given (strengths=)"
    if items:
        ids = [it.id for it in spec.items if it.role == "strength" and it.is_scored]
        if not ids:
            return None, f"{prep.integrated.id} has no scored strength items"
        return fb[[f"{i}_points" for i in ids]].astype(float), f"points of the {len(ids)} strength items of {prep.integrated.id}"
    scales = {s.id: s for s in spec.scales}
    strength = [s.id for s in spec.scales if s.role == "strength"]
    if not strength:
        return None, f"{prep.integrated.id} has no strength-role scales: pass strengths="
    primary = scales.get(prep.integrated_score)
    chosen: list[str] = []
    if primary is not None:
        chosen = [c.ref for c in primary.components if c.ref in strength]
    how = f"strength scale(s) that {prep.integrated.id}'s score {prep.integrated_score!r} is built from"
    if not chosen:
        def item_set(sid: str) -> frozenset[str]:
            return frozenset(c.ref for c in scales[sid].components)

        chosen = [
            s for s in strength
            if item_set(s) != frozenset().union(*(item_set(o) for o in strength if o != s)) or len(strength) == 1
        ]
        how = f"strength-role scales of {prep.integrated.id} (a total equal to the sum of the others left out)"
    return fb[chosen].astype(float), how


def _nested_tests(prep: Prepared, sblock: pd.DataFrame | None, yh: np.ndarray | None, known: np.ndarray) -> list[NestedTest]:
    out: list[NestedTest] = []
    kinds = (["cox"] if prep.survival else []) + (["logistic"] if yh is not None else [])
    for kind in kinds:
        if sblock is None or sblock.shape[1] == 0:
            out.append(NestedTest(kind, (), math.nan, math.nan, math.nan, 0, math.nan, prep.n, 0, {}, "no strengths block to test"))
            continue
        s = sblock.to_numpy(dtype=float)
        ok = np.all(np.isfinite(s), axis=1)
        if kind == "logistic":
            ok &= known
        if kind == "cox":
            res = nested_cox_test(prep.time[ok], prep.event[ok], prep.a[ok], sblock[ok])
        else:
            res = nested_logistic_test(yh[ok], prep.a[ok], sblock[ok])
        dropped = int((~ok).sum())
        if dropped:
            res = NestedTest(*[getattr(res, f) for f in ("model", "terms", "loglik_base", "loglik_full", "statistic", "df", "p_value", "n", "events", "coefficients")],
                             reason=res.reason)
            object.__setattr__(res, "coefficients", {**res.coefficients, "_excluded": dropped})
        out.append(res)
    return out


def _recalibrate(y: np.ndarray, s: np.ndarray, known: np.ndarray) -> np.ndarray:
    x = np.column_stack([np.ones(int(known.sum())), s[known]])
    u, inv, cnt = np.unique(np.column_stack([x, y[known]]), axis=0, return_inverse=True, return_counts=True)
    fit = fit_logistic(u[:, :2], u[:, 2], cnt.astype(float))
    return expit(fit.params[0] + fit.params[1] * s)


def _probabilities(prep: Prepared, yh: np.ndarray, known: np.ndarray, how: str) -> dict[str, Any]:
    out: dict[str, Any] = {"notes": [], "recalibrated": {}, "columns": {}}
    texts = []
    for role, inst, frame, score in (
        ("base", prep.base, prep.frame_a, prep.a),
        ("integrated", prep.integrated, prep.frame_b, prep.b),
    ):
        found = model_probability(inst, prep.horizon) if (prep.horizon is not None and how != "recalibrated") else None
        if how == "model" and found is None:
            raise ValueError(
                f"probabilities='model' but {inst.label} has no logistic/survival model output at horizon {prep.horizon}"
            )
        p = None
        if found is not None:
            p = pd.to_numeric(frame[found[0]], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(p[known])):
                out["notes"].append(f"{inst.id}: model output {found[0]!r} is missing for some people; recalibrating instead")
                p = None
            else:
                texts.append(f"{role}: {found[1]} ({found[0]})")
                out["columns"][role] = found[0]
        if p is None:
            p = _recalibrate(yh, score, known)
            out["recalibrated"][role] = True
            texts.append(f"{role}: logistic recalibration of {getattr(prep, role + '_score')!r} on these data (in-sample, optimistic)")
        out[role] = p
    out["method"] = "probabilities " + "; ".join(texts)
    if out["recalibrated"]:
        out["notes"].append(
            "probabilities of " + " and ".join(out["recalibrated"]) + " come from a logistic recalibration fitted on the "
            "same data: calibration and Brier are optimistic (in-sample), and the calibration slope is 1 by construction"
        )
    return out


def _groups_influence(prep: Prepared, data: pd.DataFrame, column: str, yh, known, min_size: int, min_events: int):
    labels = prep.data[column]
    eligible, suppressed = [], []
    infl_a, infl_b, vals = [], [], []
    for level in pd.unique(labels.dropna()):
        m = (labels == level).to_numpy()
        if prep.survival:
            ev = int(prep.event[m].sum())
            size, ok = int(m.sum()), int(m.sum()) >= min_size and ev >= min_events
        else:
            ev = int(prep.y[m].sum())
            size = int(m.sum())
            ok = size >= min_size and min(ev, size - ev) >= min_events
        if not ok:
            suppressed.append(f"{column}={level} (n={size}, events={ev})")
            continue
        fa = np.zeros(prep.n)
        fb = np.zeros(prep.n)
        if prep.survival:
            ca, ia, _ = concordance_influence(prep.time[m], prep.event[m], prep.a[m])
            cb, ib, _ = concordance_influence(prep.time[m], prep.event[m], prep.b[m])
        else:
            ca, ia = auc_influence(prep.y[m], prep.a[m])
            cb, ib = auc_influence(prep.y[m], prep.b[m])
        if ia is None or ib is None:
            suppressed.append(f"{column}={level} (metric undefined)")
            continue
        fa[m], fb[m] = ia, ib
        infl_a.append(fa)
        infl_b.append(fb)
        vals.append((f"{column}={level}", ca, cb, size, ev, math.sqrt(float(ia @ ia)), math.sqrt(float(ib @ ib))))
        eligible.append(level)
    return vals, infl_a, infl_b, suppressed


def _check_thresholds(thresholds: Sequence[float] | None) -> np.ndarray:
    if thresholds is None:
        return DEFAULT_DECISION_THRESHOLDS.copy()
    from ..metrics.decision_curve import _check_thresholds as check

    t = check(thresholds)
    if t.min() <= 0:
        raise ValueError("decision_thresholds must be above 0 (at 0 every model is 'treat all')")
    return t


def _bootstrap_criteria(prep, boot, yh, known, probs, data, groups, cl, min_size, min_events, group_values, dcb=None, timings=None):
    """ICI, calibration slope, worst-group gaps and decision curves on ONE set of paired
    bootstrap draws: each block of drawn rows becomes case weights once, and every criterion's
    replicate comes from those weights (cell counts by a sparse product, exactly the counts of
    the drawn people; group C/AUC by their influence functions)."""
    timings = {} if timings is None else timings
    clock = [_time.perf_counter()]

    def lap(key: str) -> None:
        now = _time.perf_counter()
        timings[key] = timings.get(key, 0.0) + now - clock[0]
        clock[0] = now

    cal_specs = []  # (criterion, role, u, codes)
    if probs is not None and known.sum() >= 2 and 0 < yh[known].sum() < known.sum():
        for role in ("base", "integrated"):
            p = probs[role]
            u, inv = np.unique(p[known], return_inverse=True)
            codes = np.full(prep.n, -1, dtype=np.int64)
            codes[known] = inv * 2 + yh[known].astype(np.int64)
            cal_specs.append((role, u, codes))
    gap_specs = []
    metric = "harrell_c" if prep.survival else "auc"
    for col in groups or []:
        vals, ia, ib, suppressed = _groups_influence(prep, data, col, yh, known, min_size, min_events)
        gap_specs.append((col, vals, ia, ib, suppressed))
        for label, ca, cb, size, ev, sa, sb in vals:
            group_values.append({"metric": metric, "group": label, "a": ca, "b": cb, "n": size, "events": ev, "sa": sa, "sb": sb})

    nb = boot.n_boot
    cal_reps = {(k, role): np.full(nb, np.nan) for k in ("ici", "slope") for role in ("base", "integrated")}
    gap_reps = {col: np.full((nb, 2), np.nan) for col, vals, *_ in gap_specs if len(vals) >= 2}
    gap_mats = {}
    for col, vals, ia, ib, _ in gap_specs:
        if len(vals) >= 2:
            gap_mats[col] = (np.column_stack(ia + ib), np.array([v[1] for v in vals] + [v[2] for v in vals]), len(vals))
    need_ici_rows = {}
    joint_codes = joint_maps = None
    joint_k = 0
    if cal_specs:
        # joint (A cell, B cell) code per person: a replicate's A and B counts come from one draw
        ca_, cb_ = cal_specs[0][2], cal_specs[1][2]
        kb = 2 * cal_specs[1][1].size
        pair = np.where(ca_ >= 0, ca_ * kb + cb_, -1)
        uj, inv = np.unique(pair[pair >= 0], return_inverse=True)
        joint_codes = np.full(prep.n, -1, dtype=np.int64)
        joint_codes[pair >= 0] = inv
        joint_k = uj.size
        joint_maps = {}
        for role, col in (("base", uj // kb), ("integrated", uj % kb)):
            k = 2 * (cal_specs[0][1].size if role == "base" else cal_specs[1][1].size)
            joint_maps[role] = sparse.csr_matrix((np.ones(joint_k), (np.arange(joint_k), col)), shape=(joint_k, k))
        rows_in = np.flatnonzero(joint_codes >= 0)
        joint_onehot_t = sparse.csr_matrix(
            (np.ones(rows_in.size), (joint_codes[rows_in], rows_in)), shape=(joint_k, prep.n)
        )  # (cells, people)
    lap("bootstrap setup (calibration cells, group influences)")
    if nb and (cal_specs or gap_mats or dcb is not None):
        for start, idx in boot.blocks():
            b = idx.shape[0]
            lap("bootstrap draws (shared)")
            w = weights_from_draws(idx, prep.n)  # (b, n) times each person is drawn: shared by every criterion
            lap("bootstrap case weights (shared)")
            if dcb is not None:
                dcb.add_block(start, w)
                lap("decision curves")
            if cal_specs:
                jc = np.asarray((joint_onehot_t @ w.T).T)  # (b, joint cells): same people for A and B
                for role, u, _codes in cal_specs:
                    cc = np.asarray((joint_maps[role].T @ jc.T).T).reshape(b, u.size, 2)
                    cnt = cc.sum(axis=2)
                    sy = cc[:, :, 1]
                    if u.size <= MAX_BATCH_LEVELS:
                        cal_reps[("ici", role)][start : start + b] = ici_cells_batch(u, cnt, sy)
                    else:
                        need_ici_rows.setdefault(role, []).extend((start + r, idx[r]) for r in range(b))
                    lap(f"ici[{role}]")
                    cal_reps[("slope", role)][start : start + b] = calibration_slope_cells_batch(u, cnt, sy)
                    lap("calibration_slope")
            if gap_mats:
                for col, (mat, est, k) in gap_mats.items():
                    rep = est[None, :] + w @ mat  # sum(infl) = 0 within each group
                    ga = rep[:, :k].max(1) - rep[:, :k].min(1)
                    gb = rep[:, k:].max(1) - rep[:, k:].min(1)
                    gap_reps[col][start : start + b] = np.column_stack([ga, gb])
                lap("group gaps")
        # continuous probabilities: the cell loess would need the grid approximation; recompute on rows
        for role, todo in need_ici_rows.items():
            p = probs[role]
            for r, rows in todo:
                sel = rows[known[rows]]
                cal_reps[("ici", role)][r] = integrated_calibration_index(yh[sel], p[sel]).estimate
        lap("ici (row fallback)")
    cal_rows: list[PairedDifference] = []
    if cal_specs:
        pa, pb = probs["base"][known], probs["integrated"][known]
        y = yh[known]
        method_tail = f"{_known_text(prep, known)}; {probs['method']}"
        boot_txt = f"paired bootstrap ({nb} replicates, seed {boot.seed}, same people for A and B), percentile interval"
        ia_, ib_ = integrated_calibration_index(y, pa), integrated_calibration_index(y, pb)
        cal_rows.append(_boot_row("ici", ia_.estimate, ib_.estimate, cal_reps[("ici", "base")], cal_reps[("ici", "integrated")], cl,
                                  f"integrated calibration index (Austin & Steyerberg 2019), {boot_txt}; {method_tail}", int(y.size), int(y.sum()), False, prep.horizon,
                                  ia_.reason or ib_.reason))
        sa_, sb_ = calibration_slope(y, pa), calibration_slope(y, pb)
        row = _boot_row("calibration_slope", sa_.estimate, sb_.estimate, cal_reps[("slope", "base")], cal_reps[("slope", "integrated")], cl,
                        f"calibration slope (Cox 1958), {boot_txt}; verdict from the change in |slope - 1|; {method_tail}", int(y.size), int(y.sum()), True, prep.horizon,
                        sa_.reason or sb_.reason)
        err = np.abs(cal_reps[("slope", "integrated")] - 1) - np.abs(cal_reps[("slope", "base")] - 1)
        lo, hi, _, _ = percentile_interval(err, cl) if nb else (math.nan, math.nan, 0, 0)
        row.details.update({"error_lower": lo, "error_upper": hi, "recalibrated": bool(probs["recalibrated"])})
        cal_rows.append(row)
    gap_rows: list[PairedDifference] = []
    for col, vals, _ia, _ib, suppressed in gap_specs:
        crit = f"gap_{metric}[{col}]"
        sup = f"; left out (too small): {', '.join(suppressed)}" if suppressed else ""
        if len(vals) < 2:
            gap_rows.append(PairedDifference(crit, math.nan, math.nan, math.nan, math.nan, math.nan, method=f"largest minus smallest group {metric}{sup}",
                                             higher_is_better=False, reason=f"fewer than two groups of {col!r} large enough to compare"))
            continue
        a = np.array([v[1] for v in vals])
        b_ = np.array([v[2] for v in vals])
        ga, gb = float(a.max() - a.min()), float(b_.max() - b_.min())
        reps = gap_reps.get(col)
        method = (
            f"largest minus smallest group {metric} over {len(vals)} groups of {col!r}; paired bootstrap ({nb} replicates, seed "
            f"{boot.seed}) with each group's {metric} linearised by its infinitesimal-jackknife influence, percentile interval{sup}"
        )
        gap_rows.append(_boot_row(crit, ga, gb, reps[:, 0] if reps is not None else np.zeros(0), reps[:, 1] if reps is not None else np.zeros(0),
                                  cl, method, prep.n, int(prep.event.sum()) if prep.survival else int(prep.y.sum()), False, None, None))
    return cal_rows, gap_rows


def _boot_row(criterion, va, vb, ra, rb, cl, method, n, events, higher, horizon, reason) -> PairedDifference:
    if ra.size >= 2:
        lo, hi, se, failed = percentile_interval(rb - ra, cl)
        la, ua, _, _ = percentile_interval(ra, cl)
        lb, ub, _, _ = percentile_interval(rb, cl)
    else:
        lo = hi = se = la = ua = lb = ub = math.nan
        failed = 0
    det: dict[str, Any] = {"boot_failed": failed}
    return PairedDifference(criterion, float(va), float(vb), float(vb - va), lo, hi, math.nan, se, n=n, events=events, method=method,
                            higher_is_better=higher, base_lower=la, base_upper=ua, integrated_lower=lb, integrated_upper=ub,
                            horizon=horizon, reason=reason, details=det)


# ============================================================================================
# frames
# ============================================================================================


def _criteria_frame(name, prep, rows, prim, prim_verdict, rule) -> pd.DataFrame:
    recs = []
    for r, verdict, _m in rows:
        if isinstance(r, NestedTest):
            excl = r.coefficients.get("_excluded")
            coefs = ", ".join(f"{k} {v:+.4f}" for k, v in r.coefficients.items() if k != "_excluded")
            method = (
                f"nested likelihood-ratio test, {r.model} ({'Efron ties' if r.model == 'cox' else 'IRLS'}): outcome ~ "
                f"{prep.base_score} vs + [{', '.join(r.terms)}]; values are maximised log-likelihoods, difference is their gain, "
                f"LR chi2 = {2 * (r.loglik_full - r.loglik_base):.3f} on {r.df} df; n={r.n}, events={r.events}"
                + (f"; coefficients {coefs}" if coefs else "")
                + (f"; {excl} people without every strength term excluded" if excl else "")
                + (f"; undefined: {r.reason}" if r.reason else "")
            )
            recs.append((f"lr_{r.model}", r.loglik_base, r.loglik_full, r.loglik_full - r.loglik_base, math.nan, math.nan, r.p_value, verdict, method))
        else:
            method = r.method + (f"; undefined: {r.reason}" if r.reason and math.isnan(r.difference) else (f"; note: {r.reason}" if r.reason else ""))
            recs.append((r.criterion, r.base_value, r.integrated_value, r.difference, r.lower, r.upper, r.p_value, verdict, method))
    if prim is not None:
        recs.append(("overall", prim.base_value, prim.integrated_value, prim.difference, prim.lower, prim.upper, prim.p_value, prim_verdict,
                     f"overall verdict = {rule}"))
    else:
        recs.append(("overall", math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, "inconclusive", "primary criterion undefined"))
    frame = pd.DataFrame(recs, columns=list(CRITERIA_COLUMNS[3:]))
    frame.insert(0, "integrated", prep.integrated.id)
    frame.insert(0, "base", prep.base.id)
    frame.insert(0, "comparison", name)
    for c in ("base_value", "integrated_value", "difference", "lower", "upper", "p_value"):
        frame[c] = frame[c].astype(float)
    return frame[list(CRITERIA_COLUMNS)]


def _tidy_frame(prep, rows, group_values) -> pd.DataFrame:
    recs = []
    ida, idb = prep.base.id, prep.integrated.id
    for r, _v, _m in rows:
        if isinstance(r, NestedTest):
            status = "ok" if r.reason is None else "undefined"
            for inst, est in ((ida, r.loglik_base), (idb, r.loglik_full), ("difference", r.loglik_full - r.loglik_base)):
                recs.append((f"lr_{r.model}_loglik", inst, "overall", None, est, math.nan, math.nan, r.n, r.events, status, r.reason))
            continue
        status = "undefined" if math.isnan(r.difference) else "ok"
        for inst, est, lo, hi in (
            (ida, r.base_value, r.base_lower, r.base_upper),
            (idb, r.integrated_value, r.integrated_lower, r.integrated_upper),
            ("difference", r.difference, r.lower, r.upper),
        ):
            recs.append((r.criterion, inst, r.group, r.horizon, est, lo, hi, r.n, r.events, status, r.reason))
    from ..metrics._result import z_value

    z = z_value(0.95)
    for g in group_values:
        for inst, est, se in ((ida, g["a"], g["sa"]), (idb, g["b"], g["sb"])):
            recs.append((g["metric"], inst, g["group"], None, est, est - z * se, est + z * se, g["n"], g["events"], "ok", None))
    frame = pd.DataFrame(recs, columns=list(TIDY_COLUMNS))
    for c in ("estimate", "lower", "upper"):
        frame[c] = frame[c].astype(float)
    return frame
