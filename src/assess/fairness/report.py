"""Subgroup fairness report for one instrument: :func:`fairness_report`.

For every group of every grouping (each attribute, and their intersection) the report gives
n, events, base rate, AUC, error rates at a cut-off (selection rate, TPR, FPR, FNR, TNR, PPV,
NPV), calibration (expected rate, O/E ratio, observed minus expected rate,
calibration-in-the-large (logistic intercept with offset) and slope, calibration curves), cross-group AUCs (xAUC; Kallus and Zhou 2019), and, with follow-up
times, Harrell's C, survival by band and IPCW error rates at a horizon. Every number has a
bootstrap confidence interval, and groups are compared with a reference group, the whole
sample, and between highest and lowest (fairlearn ``MetricFrame`` conventions).

Where base rates differ between groups the report says so, and shows that Chouldechova's (2017)
identity FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR) holds in each group: a score calibrated within
groups cannot then have equal error rates (Kleinberg, Mullainathan and Raghavan 2016).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from . import _batch as B
from . import _engine as E
from ._cells import level_table
from ._data import GroupDesign, binary, column, group_design, numeric
from .frame import GroupMetricFrame, format_frame

#: Metrics shown in the printed summary (all are in the tidy frames).
DISCRIMINATION = ("base_rate", "auc", "oe_ratio", "calibration_in_the_large", "calibration_slope")
ERROR_RATES = ("selection_rate", "fpr", "fnr", "ppv", "npv")


def _gap_lines(frame: GroupMetricFrame, metrics: Sequence[str]) -> list[str]:
    """One line per metric: highest minus lowest group, with interval and the groups named."""
    if (~frame.suppressed).sum() < 2:
        return []
    comp = frame.comparisons_frame()
    out = []
    for m in metrics:
        row = comp[(comp["metric"] == m) & (comp["comparison"] == "max - min")]
        if row.empty or not np.isfinite(row["estimate"].iloc[0]):
            continue
        r = row.iloc[0]
        ci = ""
        if np.isfinite(r["lower"]):
            how = f"; {r['ci_method']}" if str(r["ci_method"]).startswith("ij") else ""
            ci = f" ({r['lower']:.3f} to {r['upper']:.3f}{how})"
        out.append(f"  {m}: highest - lowest = {r['estimate']:.3f}{ci} [{r['group']} minus {r['versus']}]")
    return out


def _many_groups_with_ci(report: FairnessReport) -> bool:
    frames = list(report.frames.values()) + list((report.horizon_frames or {}).values())
    return any(f.has_ci and (~f.suppressed).sum() > 2 for f in frames)


def _survival_text(surv: pd.DataFrame) -> str:
    """Kaplan-Meier survival at the horizon: one line per group, one column per band."""
    bands = list(dict.fromkeys(surv["band"]))
    horizon = surv["horizon"].iloc[0]
    rows = [["group", *bands]]
    for (grouping, group), sub in surv.groupby(["grouping", "group"], sort=False):
        cells = []
        for band in bands:
            r = sub[sub["band"] == band].iloc[0]
            if r["status"] == "suppressed":
                cells.append("suppressed")
            elif not np.isfinite(r["survival"]):
                cells.append("-")
            else:
                ci = f" ({r['lower']:.3f} to {r['upper']:.3f})" if np.isfinite(r["lower"]) else ""
                cells.append(f"{r['survival']:.3f}{ci}")
        label = group if grouping == "(all)" else f"{grouping}: {group}"
        rows.append([label, *cells])
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    text = [f"Survival (Kaplan-Meier) at horizon {horizon:g} by band"]
    for i, r in enumerate(rows):
        text.append("  ".join(v.ljust(w) if c == 0 else v.rjust(w) for c, (v, w) in enumerate(zip(r, widths, strict=True))))
        if i == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def _pvalue_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass
class FairnessReport:
    """Result of :func:`fairness_report`. Print it for a readable summary; use
    :meth:`to_frames` (or the properties) for tidy DataFrames.

    Attributes
    ----------
    frames:
        One :class:`GroupMetricFrame` per grouping (each attribute, then the intersection).
    calibration_curves, xauc, identity, base_rates:
        Tidy DataFrames (see :meth:`to_frames`).
    survival, horizon_error_rates, horizon_comparisons, horizon_frames:
        With follow-up times: Kaplan-Meier survival by band per group, IPCW error rates at the
        horizon (tidy, and one :class:`GroupMetricFrame` per grouping) and their comparisons;
        else ``None``.
    dif:
        :class:`~assess.fairness.dif.DIFResult` when items were given, else ``None``.
    settings:
        The options used, including the seed that reproduces the intervals.
    notes:
        Plain-language statements the reader must see (base-rate differences, dropped rows...).
    """

    frames: dict[str, GroupMetricFrame]
    calibration_curves: pd.DataFrame
    xauc: pd.DataFrame
    identity: pd.DataFrame
    base_rates: pd.DataFrame
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    survival: pd.DataFrame | None = None
    horizon_error_rates: pd.DataFrame | None = None
    horizon_comparisons: pd.DataFrame | None = None
    horizon_frames: dict[str, GroupMetricFrame] | None = None
    dif: Any = None

    @property
    def by_group(self) -> pd.DataFrame:
        """Tidy frame of every metric for every group of every grouping, and the whole sample."""
        return pd.concat([f.to_frame() for f in self.frames.values()], ignore_index=True)

    @property
    def comparisons(self) -> pd.DataFrame:
        """Tidy frame of differences and ratios: against the reference group, highest vs
        lowest group, and largest gap to the whole sample."""
        return pd.concat([f.comparisons_frame() for f in self.frames.values()], ignore_index=True)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """All results as tidy DataFrames, keyed by table name."""
        out = {
            "by_group": self.by_group,
            "comparisons": self.comparisons,
            "calibration_curves": self.calibration_curves,
            "xauc": self.xauc,
            "identity": self.identity,
            "base_rates": self.base_rates,
        }
        if self.survival is not None:
            out["survival"] = self.survival
        if self.horizon_error_rates is not None:
            out["horizon_error_rates"] = self.horizon_error_rates
            out["horizon_comparisons"] = self.horizon_comparisons
        if self.dif is not None:
            out["dif"] = self.dif.to_frame()
        return out

    def __str__(self) -> str:
        s = self.settings
        lines = [
            "Subgroup fairness report",
            f"  score {s['score']!r}, outcome {s['outcome']!r}, flagged when score >= {s['cutoff']:g}; "
            f"n = {s['n']}, events = {s['events']}",
        ]
        if s["n_boot"]:
            lines.append(
                f"  {s['confidence_level']:.0%} {s['ci_method']} bootstrap intervals, {s['n_boot']} replicates "
                f"({'stratified by group' if s['stratified'] else 'unstratified'}), seed {s['seed']}"
            )
        lines.append(
            f"  groups with fewer than {s['min_group_size']} people or fewer than {s['min_events']} events "
            "(or non-events) are suppressed"
        )
        for note in self.notes:
            lines.append(f"  NOTE: {note}")
        for frame in self.frames.values():
            lines.append("")
            lines.append(format_frame(frame, [m for m in DISCRIMINATION if m in frame.metrics],
                                      title=f"{frame.grouping}: discrimination and calibration"))
            lines.append(format_frame(frame, [m for m in ERROR_RATES if m in frame.metrics],
                                      title=f"{frame.grouping}: error rates at score >= {s['cutoff']:g}"))
            lines.extend(_gap_lines(frame, ("auc", "fpr", "fnr", "ppv", "calibration_slope")))
        if self.horizon_frames:
            for frame in self.horizon_frames.values():
                lines.append("")
                lines.append(format_frame(frame, ["c_index", "cumulative_incidence", "fpr", "fnr", "ppv", "npv"],
                                          title=f"{frame.grouping}: Harrell's C and IPCW error rates"))
                lines.extend(_gap_lines(frame, ("c_index", "fpr", "fnr")))
        if self.survival is not None:
            lines.append("")
            lines.append(_survival_text(self.survival))
        if _many_groups_with_ci(self):
            lines.append("")
            lines.append(
                "  Note: 'highest - lowest' is the difference between the two groups named, which are the highest and "
                "lowest in these data; its interval is for that pair's difference (the pair is kept fixed in every "
                "bootstrap replicate, which avoids the upward bias of re-selecting the extremes in each replicate). It does not allow for the pair "
                "having been picked as the most different one: with several groups, give most weight to pre-specified "
                "comparisons with the reference group (report.comparisons)."
            )
        lines.append("")
        lines.append("Chouldechova identity FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR), per group:")
        ident = self.identity
        ok = ident[ident["status"] == "ok"]
        if len(ok):
            lines.append(f"  holds in {len(ok)} groups; largest |FPR - implied FPR| = {ok['abs_difference'].max():.1e}")
        if self.dif is not None:
            lines.append("")
            lines.append(str(self.dif))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<FairnessReport: {', '.join(self.frames)}>"


# --------------------------------------------------------------------------- reasons


def _reasons(counts: np.ndarray) -> np.ndarray:
    """Why each metric would be undefined, from the counts (..., C) -> object (..., M)."""
    n, ev, ne, tp, fp, fn, tn = (counts[..., i] for i in range(len(E.COUNTS)))
    out = np.full(counts.shape[:-1] + (len(E.METRICS),), None, dtype=object)

    def put(metric: str, cond: np.ndarray, text: str) -> None:
        j = E.METRICS.index(metric)
        sl = out[..., j]
        sl[np.asarray(cond) & np.equal(sl, None)] = text

    none_ev = ev == 0
    none_ne = ne == 0
    for m in E.METRICS:
        put(m, n == 0, "no people in the group")
    for m in ("auc", "calibration_in_the_large", "calibration_slope"):
        put(m, none_ev, "no events")
        put(m, none_ne, "no non-events")
    for m in ("tpr", "fnr"):
        put(m, none_ev, "no events")
    for m in ("fpr", "tnr"):
        put(m, none_ne, "no non-events")
    put("ppv", tp + fp == 0, "nobody at or above the cut-off")
    put("npv", tn + fn == 0, "nobody below the cut-off")
    put("oe_ratio", np.ones_like(n, dtype=bool), "expected number of events is zero")
    put("calibration_slope", np.ones_like(n, dtype=bool),
        "events and non-events do not overlap in predicted risk (separation) or only one risk level")
    put("calibration_in_the_large", np.ones_like(n, dtype=bool), "a predicted probability is exactly 0 or 1")
    return out


def _suppression(counts: np.ndarray, min_group_size: int, min_events: int) -> tuple[np.ndarray, list[str | None]]:
    n, ev, ne = counts[..., 0], counts[..., 1], counts[..., 2]
    reasons: list[str | None] = []
    for i in range(n.size):
        if n[i] < min_group_size:
            reasons.append(f"suppressed: fewer than {min_group_size} people")
        elif ev[i] < min_events:
            reasons.append(f"suppressed: fewer than {min_events} events")
        elif ne[i] < min_events:
            reasons.append(f"suppressed: fewer than {min_events} non-events")
        else:
            reasons.append(None)
    return np.array([r is not None for r in reasons], dtype=bool), reasons


# --------------------------------------------------------------------------- main entry


def fairness_report(
    data: pd.DataFrame | None,
    *,
    score: Any,
    outcome: Any,
    groups: str | Sequence[str] | Mapping[str, Any],
    cutoff: float,
    probability: Any = None,
    reference: str | Mapping[str, str] | None = None,
    intersections: bool = True,
    min_group_size: int = 30,
    min_events: int = 5,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    ci_method: Literal["percentile", "bca"] = "percentile",
    stratified: bool = True,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    curve_bins: int = 10,
    max_levels: int = 1000,
    missing: Literal["raise", "drop"] = "raise",
    time: Any = None,
    event: Any = None,
    horizon: float | None = None,
    band: Any = None,
    items: Sequence[str] | pd.DataFrame | None = None,
    dif_options: Mapping[str, Any] | None = None,
) -> FairnessReport:
    """Subgroup fairness of one instrument: every metric by group and by intersection of groups,
    with bootstrap intervals, comparisons between groups and plain statements of the trade-offs.

    Parameters
    ----------
    data:
        One row per person. Column arguments may be names in ``data`` or arrays of its length.
    score:
        The instrument's score (higher = higher risk); integer scores make everything exact
        and fast (see :mod:`assess.fairness._cells`).
    outcome:
        0/1 outcome (e.g. proven reoffence within the follow-up period).
    groups:
        Column(s) defining groups, e.g. ``["sex", "ethnicity"]``. Each is reported alone and,
        with ``intersections=True``, all together (e.g. ``"sex & ethnicity"``). Missing values
        form their own group ``"(missing)"``.
    cutoff:
        People with ``score >= cutoff`` are "flagged" (predicted positive) for the error rates:
        the lower bound of the band that triggers action.
    probability:
        Predicted probability of the outcome (e.g. from the instrument's logistic model). If
        omitted, calibration is assessed against the pooled expectancy of the score: a logistic
        regression of outcome on score fitted on the whole sample (re-fitted in each bootstrap
        replicate). The whole-sample O/E is then 1 and slope 1 by construction, and the group
        values show whether the same score means the same risk in each group (Cleary 1968).
    reference:
        Reference group for ``to_reference`` comparisons: a label, or a mapping grouping name ->
        label. Default: the largest unsuppressed group of each grouping.
    min_group_size, min_events:
        Groups with fewer people, or fewer events or non-events, are suppressed: shown as
        "suppressed", never as a number, and left out of comparisons. Calibration-curve points
        follow the same rule.
    n_boot, confidence_level, ci_method, stratified, seed:
        Bootstrap settings. ``stratified=True`` resamples within each finest group cell, so
        group sizes are fixed; ``False`` resamples the whole sample (as fairlearn does).
        ``ci_method="bca"`` uses bias-corrected and accelerated limits (jackknife per table
        cell). ``seed`` makes the intervals reproducible; when ``None`` a seed is drawn and
        recorded in ``report.settings["seed"]``. Replicates are drawn by
        :func:`assess.metrics.bootstrap.bootstrap_counts` (multinomial over the count table's
        cells), so they do not depend on ``n_jobs`` (threads used for the replicates).
    curve_bins:
        Calibration curves use one point per score level when there are at most 20 levels,
        else this many quantile bins of predicted risk.
    max_levels:
        With more distinct score (x probability) levels than this (continuous scores), the
        bootstrap replicates are computed on ``max_levels`` quantile bins of the score (split at
        the cut-off) and shifted by the exact-minus-binned estimate, so intervals are centred on
        the exact point estimates; the note in the report says so. Integer instruments are never
        binned.
    missing:
        ``"raise"`` (default) if score, outcome, probability, time or event is missing;
        ``"drop"`` to leave those rows out, with the number dropped stated in ``notes``.
    time, event, horizon, band:
        Follow-up time and event indicator for Harrell's C, survival by ``band`` per group (the
        instrument's band column; default: flagged vs not) and IPCW error rates at ``horizon``.
    items, dif_options:
        Item columns for logistic-regression DIF (:func:`assess.fairness.dif.logistic_dif`)
        against the first grouping; ``dif_options`` are passed on.

    Returns
    -------
    FairnessReport

    Example
    -------
    >>> rep = fairness_report(df, score="risk_total", outcome="reoffended",
    ...                       groups=["sex", "ethnicity"], cutoff=20, seed=1)  # doctest: +SKIP
    >>> print(rep); rep.by_group; rep.frames["sex"].difference()              # doctest: +SKIP
    """
    if data is not None and not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or None, got {type(data).__name__}")
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    if ci_method not in ("percentile", "bca"):
        raise ValueError(f"ci_method must be 'percentile' or 'bca', got {ci_method!r}")
    if int(n_boot) < 0 or int(n_boot) == 1:
        raise ValueError(f"n_boot must be 0 (no intervals) or >= 2, got {n_boot!r}")
    if min_group_size < 0 or min_events < 0:
        raise ValueError("min_group_size and min_events must be >= 0")
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', got {missing!r}")
    try:
        cutoff = float(cutoff)
    except (TypeError, ValueError):
        raise TypeError(f"cutoff must be a number (flag score >= cutoff), got {cutoff!r}") from None

    n_rows = len(data) if data is not None else len(np.asarray(score))
    s = numeric(column(data, score, "score", n_rows), "score")
    y = binary(column(data, outcome, "outcome", n_rows), "outcome")
    p = None if probability is None else numeric(column(data, probability, "probability", n_rows), "probability")
    t = None if time is None else numeric(column(data, time, "time", n_rows), "time")
    ev = None if event is None else binary(column(data, event, "event", n_rows), "event")
    if (t is None) != (ev is None):
        raise ValueError("give both time and event (or neither)")
    if t is not None and horizon is None:
        raise ValueError("time and event were given: also give the horizon for error rates at a horizon")

    notes: list[str] = []
    checks = {"score": s, "outcome": y, "probability": p, "time": t, "event": ev}
    bad = np.zeros(n_rows, dtype=bool)
    for name, arr in checks.items():
        if arr is None:
            continue
        miss = ~np.isfinite(arr)
        if miss.any():
            if missing == "raise":
                rows = np.flatnonzero(miss)[:5].tolist()
                raise ValueError(
                    f"{name} is missing or not finite in {int(miss.sum())} rows (first rows {rows}); "
                    "fix them or pass missing='drop' to leave those rows out"
                )
            bad |= miss
    keep = ~bad
    if bad.any():
        notes.append(f"{int(bad.sum())} of {n_rows} rows left out because of missing values (missing='drop').")
    if p is not None and ((p[keep] < 0) | (p[keep] > 1)).any():
        raise ValueError("probability must lie in [0, 1]")
    if t is not None and (t[keep] < 0).any():
        raise ValueError("time must be >= 0")

    sub = data.loc[keep] if (data is not None and bad.any()) else data
    if isinstance(groups, Mapping):
        groups = {k: (np.asarray(v)[keep] if not isinstance(v, str) else v) for k, v in groups.items()}
    design = group_design(sub, groups, int(keep.sum()), intersections=intersections)
    s, y = s[keep], y[keep]
    p = None if p is None else p[keep]
    if s.size == 0:
        raise ValueError("no rows to analyse")

    flagged = s >= cutoff
    if flagged.all() or not flagged.any():
        notes.append(
            f"cut-off {cutoff:g} flags {'everyone' if flagged.all() else 'nobody'}: error rates that need both "
            "flagged and unflagged people are undefined."
        )
    table = level_table(design.stratum, design.n_strata, s, y, flagged, p)
    bins, n_bins, bin_label = _curve_bins(table, curve_bins)
    spec = E.EngineSpec(table=table, design=design, prob=table.prob, curve_bins=bins, n_curve_bins=n_bins)

    obs = E.observed(spec)
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    boot_seq, surv_seq = seq.spawn(2)
    rep = jk = jk_w = jk_strata = None
    if n_boot:
        boot_spec = spec
        if table.n_levels > max_levels:
            boot_spec = _binned_spec(spec, design, s, y, flagged, p, bins, n_bins, max_levels)
            notes.append(
                f"the score has {table.n_levels} distinct levels: point estimates are exact, but bootstrap replicates "
                f"use {boot_spec.table.n_levels} quantile bins of the score (max_levels={max_levels}), shifted so that "
                "they are centred on the exact estimates."
            )
        res = E.resample(boot_spec, int(n_boot), boot_seq, stratified=stratified, ci_method=ci_method,
                         confidence_level=confidence_level, n_jobs=n_jobs)
        rep, jk, jk_w, jk_strata = res.replicates, res.jackknife, res.jackknife_weights, res.jackknife_strata
        if boot_spec is not spec:
            base = E.observed(boot_spec)
            rep = {k: v - base[k] + obs[k] for k, v in rep.items()}
            if jk is not None:
                jk = {k: v - base[k] + obs[k] for k, v in jk.items()}

    refs = _references(reference, design)
    frames: dict[str, GroupMetricFrame] = {}
    overall_reasons = _reasons(obs["overall_counts"])
    for gi, grouping in enumerate(design.groupings):
        counts = obs[f"g{gi}_counts"]
        suppressed, sup_reasons = _suppression(counts, min_group_size, min_events)
        frames[grouping.name] = GroupMetricFrame(
            grouping=grouping.name,
            groups=grouping.labels,
            metrics=E.METRICS,
            estimates=obs[f"g{gi}"],
            overall=obs["overall"],
            n=counts[:, 0],
            events=counts[:, 1],
            suppressed=suppressed,
            suppression_reasons=sup_reasons,
            reasons=_reasons(counts),
            overall_reasons=list(overall_reasons),
            replicates=None if rep is None else rep[f"g{gi}"],
            overall_replicates=None if rep is None else rep["overall"],
            jackknife=None if jk is None else jk[f"g{gi}"],
            overall_jackknife=None if jk is None else jk["overall"],
            jackknife_weights=jk_w,
            jackknife_strata=jk_strata,
            reference=refs.get(grouping.name),
            confidence_level=confidence_level,
            ci_method=ci_method,
        )

    curves = _curves_frame(obs, rep, design, frames, bin_label, min_group_size, min_events, confidence_level)
    xauc = _xauc_frame(obs, rep, design, frames, confidence_level)
    identity = _identity_frame(frames)
    base_rates = _base_rate_frame(frames)
    notes.extend(_base_rate_notes(base_rates))
    if p is None:
        notes.append(
            "no predicted probabilities given: calibration is against the pooled expectancy of the score "
            "(logistic regression of outcome on score in the whole sample), so the whole-sample O/E and slope are 1."
        )
    settings = {
        "score": score if isinstance(score, str) else "score",
        "outcome": outcome if isinstance(outcome, str) else "outcome",
        "probability": probability if isinstance(probability, str) or probability is None else "probability",
        "cutoff": cutoff,
        "n": int(s.size),
        "events": int(y.sum()),
        "n_boot": int(n_boot),
        "confidence_level": confidence_level,
        "ci_method": ci_method,
        "stratified": stratified,
        "seed": seq.entropy if seed is None or isinstance(seed, np.random.SeedSequence) else seed,
        "min_group_size": min_group_size,
        "min_events": min_events,
        "groupings": [g.name for g in design.groupings],
    }
    report = FairnessReport(
        frames=frames,
        calibration_curves=curves,
        xauc=xauc,
        identity=identity,
        base_rates=base_rates,
        settings=settings,
        notes=notes,
    )
    if t is not None:
        from .time_to_event import survival_fairness

        surv = survival_fairness(
            time=t[keep],
            event=ev[keep],
            score=s,
            flagged=flagged,
            band=None if band is None else column(sub, band, "band", int(keep.sum())),
            design=design,
            horizon=float(horizon),
            min_group_size=min_group_size,
            min_events=min_events,
            n_boot=int(n_boot),
            confidence_level=confidence_level,
            stratified=stratified,
            seed=surv_seq,
            n_jobs=n_jobs,
            suppressed={name: f.suppressed for name, f in frames.items()},
        )
        report.survival = surv.by_band
        report.horizon_error_rates = surv.error_rates
        report.horizon_comparisons = surv.comparisons
        report.horizon_frames = surv.frames
        report.identity = pd.concat([report.identity, surv.identity], ignore_index=True)
        if any(v["bootstrap_note"] for v in surv.c_index.values()):
            notes.append(
                "Harrell's C intervals (per group, whole sample and comparisons) are infinitesimal-jackknife Wald "
                "intervals, not bootstrap (" + next(v["bootstrap_note"] for v in surv.c_index.values() if v["bootstrap_note"])
                + "): logit scale for C, plain for differences (groups are disjoint, so variances add), log scale "
                "(delta method) for ratios; ci_method 'ij-wald*' in the tidy frames."
            )
        notes.append(
            f"error rates at horizon {float(horizon):g} use inverse probability of censoring weights (censoring "
            "distribution estimated within each group); Harrell's C uses the whole follow-up."
        )
        settings["horizon"] = float(horizon)
    if items is not None:
        from .dif import logistic_dif

        item_frame = items if isinstance(items, pd.DataFrame) else sub[list(items)]
        if isinstance(items, pd.DataFrame) and bad.any():
            item_frame = item_frame.loc[keep]
        first = design.groupings[0]
        labels = np.asarray(first.labels, dtype=object)[first.member[design.stratum]]
        report.dif = logistic_dif(item_frame, labels, **dict(dif_options or {}))
    return report


def _binned_spec(spec, design, score, y, flagged, prob, exact_bins, n_bins, max_levels):
    """Engine spec on quantile bins of the score (separately below and at/above the cut-off,
    so the flag is constant within a bin). A bin's score is its rows' mean score and its
    probability their mean probability; calibration-curve bins follow the exact table's."""
    n = score.size
    code = np.zeros(n, dtype=np.int64)
    offset = 0
    share = flagged.mean()
    for part, frac in ((~flagged, 1.0 - share), (flagged, share)):
        idx = np.flatnonzero(part)
        if idx.size == 0:
            continue
        k = max(1, int(round(max_levels * frac)))
        edges = np.quantile(score[idx], np.linspace(0.0, 1.0, k + 1)[1:-1])
        b = np.searchsorted(edges, score[idx], side="right")
        used, b = np.unique(b, return_inverse=True)
        code[idx] = offset + b
        offset += used.size
    counts = np.bincount(code, minlength=offset)
    mean_score = np.bincount(code, weights=score, minlength=offset) / counts
    mean_prob = None if prob is None else np.bincount(code, weights=prob, minlength=offset) / counts
    btable = level_table(design.stratum, design.n_strata, mean_score[code], y, flagged,
                         None if mean_prob is None else mean_prob[code])
    curve_of_level = np.zeros(btable.n_levels, dtype=np.int64)
    curve_of_level[btable.row_level] = exact_bins[spec.table.row_level]
    return E.EngineSpec(table=btable, design=design, prob=btable.prob, curve_bins=curve_of_level, n_curve_bins=n_bins)


def _references(reference: str | Mapping[str, str] | None, design: GroupDesign) -> dict[str, str]:
    if reference is None:
        return {}
    if isinstance(reference, Mapping):
        unknown = set(reference) - {g.name for g in design.groupings}
        if unknown:
            raise ValueError(f"reference given for unknown groupings {sorted(unknown)}; groupings are {[g.name for g in design.groupings]}")
        return {k: str(v) for k, v in reference.items()}
    ref = str(reference)
    out = {g.name: ref for g in design.groupings if ref in g.labels}
    if not out:
        raise ValueError(f"reference group {reference!r} is not a group of any grouping")
    return out


def _curve_bins(table, n_bins: int) -> tuple[np.ndarray, int, list[str]]:
    """Curve bin of each level: one per score level when there are <= 20 distinct scores,
    else quantile bins of the level's predicted probability (or score) weighted by counts."""
    starts = table.score_starts
    k = table.n_levels
    score_of_level = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, k]))
    if starts.size <= 20:
        labels = [f"{v:g}" for v in table.score[starts]]
        return score_of_level, starts.size, labels
    key = table.prob if table.prob is not None else table.score
    weight = table.counts.sum(axis=(0, 2))
    order = np.argsort(key, kind="stable")
    cum = np.cumsum(weight[order]) / weight.sum()
    b = np.minimum((cum * n_bins - 1e-12).astype(np.int64), n_bins - 1)
    bins = np.empty(k, dtype=np.int64)
    bins[order] = np.maximum(b, 0)
    used = np.unique(bins)
    remap = np.full(n_bins, -1)
    remap[used] = np.arange(used.size)
    bins = remap[bins]
    labels = []
    for j in range(used.size):
        vals = key[bins == j]
        labels.append(f"{vals.min():.3g}-{vals.max():.3g}")
    return bins, used.size, labels


def _curves_frame(obs, rep, design, frames, bin_label, min_group_size, min_events, level) -> pd.DataFrame:
    from ._intervals import percentile_interval

    rows = []
    parts = [("(all)", "overall", None)] + [(g.name, f"g{gi}", g) for gi, g in enumerate(design.groupings)]
    for name, key, grouping in parts:
        n = obs[f"{key}_curve_n"]
        o = obs[f"{key}_curve_observed"]
        e = obs[f"{key}_curve_expected"]
        lo_o = hi_o = None
        if rep is not None:
            lo_o, hi_o = percentile_interval(rep[f"{key}_curve_observed"], level)
        labels = ["(all)"] if grouping is None else list(grouping.labels)
        n2 = np.atleast_2d(n)
        o2, e2 = np.atleast_2d(o), np.atleast_2d(e)
        lo2 = None if lo_o is None else np.atleast_2d(lo_o)
        hi2 = None if hi_o is None else np.atleast_2d(hi_o)
        for gi, label in enumerate(labels):
            group_sup = grouping is not None and frames[name].suppressed[gi]
            for bj, blabel in enumerate(bin_label):
                nn = n2[gi, bj]
                events = o2[gi, bj] * nn if nn > 0 else 0.0
                small = nn < min_group_size or events < min_events - 1e-9 or (nn - events) < min_events - 1e-9
                sup = group_sup or small
                rows.append({
                    "grouping": name,
                    "group": label,
                    "bin": blabel,
                    "n": None if sup else int(round(nn)),
                    "observed": math.nan if sup else o2[gi, bj],
                    "expected": math.nan if sup else e2[gi, bj],
                    "lower": math.nan if sup or lo2 is None else lo2[gi, bj],
                    "upper": math.nan if sup or hi2 is None else hi2[gi, bj],
                    "status": "suppressed" if sup else "ok",
                })
    return pd.DataFrame(rows)


def _xauc_frame(obs, rep, design, frames, level) -> pd.DataFrame:
    from ._intervals import percentile_interval

    kinds = ("xauc", "disparity", "events_vs_others", "others_vs_non_events")
    rows = []
    for gi, grouping in enumerate(design.groupings):
        sup = frames[grouping.name].suppressed
        pair = sup[:, None] | sup[None, :]
        est = {k: obs[f"g{gi}_xauc_{k}"] for k in kinds}
        lims = {}
        if rep is not None:
            lims = {k: percentile_interval(rep[f"g{gi}_xauc_{k}"], level) for k in kinds}
        labels = grouping.labels
        g = len(labels)
        for a in range(g):
            for b in range(g):
                for kind in ("xauc",) + (("disparity",) if a != b else ()):
                    val = est[kind][a, b]
                    lo, hi = lims.get(kind, (None, None))
                    hidden = bool(pair[a, b])
                    rows.append({
                        "grouping": grouping.name,
                        "kind": kind,
                        "events_of": labels[a],
                        "non_events_of": labels[b],
                        "estimate": math.nan if hidden else val,
                        "lower": math.nan if hidden or lo is None else lo[a, b],
                        "upper": math.nan if hidden or hi is None else hi[a, b],
                        "status": "suppressed" if hidden else ("ok" if np.isfinite(val) else "undefined"),
                    })
            for kind, ev_of, ne_of in (("events_vs_others", labels[a], "(others)"), ("others_vs_non_events", "(others)", labels[a])):
                val = est[kind][a]
                lo, hi = lims.get(kind, (None, None))
                hidden = bool(sup[a])
                rows.append({
                    "grouping": grouping.name,
                    "kind": kind,
                    "events_of": ev_of,
                    "non_events_of": ne_of,
                    "estimate": math.nan if hidden else val,
                    "lower": math.nan if hidden or lo is None else lo[a],
                    "upper": math.nan if hidden or hi is None else hi[a],
                    "status": "suppressed" if hidden else ("ok" if np.isfinite(val) else "undefined"),
                })
    return pd.DataFrame(rows)


def _identity_frame(frames: Mapping[str, GroupMetricFrame]) -> pd.DataFrame:
    rows = []
    for frame in frames.values():
        bg = frame.by_group
        implied = B.chouldechova_fpr(bg["base_rate"].to_numpy(), bg["ppv"].to_numpy(), bg["fnr"].to_numpy())
        for gi, g in enumerate(frame.groups):
            sup = frame.suppressed[gi]
            fpr = bg["fpr"].iloc[gi]
            imp = implied[gi]
            ok = not sup and np.isfinite(fpr) and np.isfinite(imp)
            rows.append({
                "grouping": frame.grouping,
                "group": g,
                "base_rate": bg["base_rate"].iloc[gi],
                "ppv": bg["ppv"].iloc[gi],
                "fnr": bg["fnr"].iloc[gi],
                "fpr": fpr,
                "implied_fpr": imp,
                "abs_difference": abs(fpr - imp) if ok else math.nan,
                "status": "suppressed" if sup else ("ok" if ok else "undefined"),
                "reason": frame.suppression_reasons[gi] if sup else (None if ok else "needs 0 < p < 1 and PPV > 0"),
            })
    return pd.DataFrame(rows)


def _base_rate_frame(frames: Mapping[str, GroupMetricFrame]) -> pd.DataFrame:
    """Chi-square test of equal base rates over the unsuppressed groups of each grouping."""
    rows = []
    for frame in frames.values():
        keep = ~frame.suppressed
        ev = frame.events[keep]
        n = frame.n[keep]
        stat = pval = math.nan
        dof = int(keep.sum()) - 1
        if keep.sum() > 1 and (ev.sum() > 0) and ((n - ev).sum() > 0):
            res = chi2_contingency(np.column_stack([ev, n - ev]), correction=False)
            stat, pval = float(res.statistic), float(res.pvalue)
        rates = frame.by_group["base_rate"]
        rows.append({
            "grouping": frame.grouping,
            "groups_compared": int(keep.sum()),
            "lowest_base_rate": float(np.nanmin(rates)) if keep.any() else math.nan,
            "highest_base_rate": float(np.nanmax(rates)) if keep.any() else math.nan,
            "chi_square": stat,
            "dof": dof,
            "p_value": pval,
        })
    return pd.DataFrame(rows)


def _base_rate_notes(base_rates: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    differ, same = [], []
    for _, r in base_rates.iterrows():
        if not np.isfinite(r["p_value"]):
            continue
        text = (f"{r['grouping']} ({r['lowest_base_rate']:.1%} to {r['highest_base_rate']:.1%}; "
                f"chi-square {_pvalue_text(r['p_value'])})")
        (differ if r["p_value"] < alpha else same).append(text)
    notes = []
    if differ:
        notes.append(
            "base rates differ by " + "; by ".join(differ) + ". Where base rates differ, a score cannot be both "
            "calibrated within each group and have equal false-positive and false-negative rates across groups "
            "unless it predicts perfectly (Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2016). Both are "
            "reported below, and the identity FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR) is shown to hold in each group."
        )
    if same:
        notes.append("base rates do not differ detectably by " + "; by ".join(same) + ".")
    return notes
