"""Run a validation suite: score once, compute every metric, evaluate the checks.

:func:`run_suite` fills a :class:`~assess.report.bundle.ReportBundle` (the contract with the
reports) and returns it inside a :class:`ValidationRun` with per-step timings.

Conventions (stated in the bundle's notes when they apply):

* Every instrument scores every row once (``strict: true`` by default: an invalid input value is
  an error naming the row). People without a valid score on some instrument (too many missing
  items) are left out of every metric, so all instruments and comparisons use the same people;
  how many were left out, per instrument, is stated.
* With follow-up times, the binary outcome "event by horizon h" (AUC, Brier, fairness error
  rates) is defined only for people with an event by h or followed up to h; people censored
  earlier without an event are left out of those metrics (their number is stated). Metrics
  that handle censoring (Harrell's and Uno's C, time-dependent AUC, IPCW Brier, Kaplan-Meier,
  Cox, survival calibration) use everybody.
"""

from __future__ import annotations

import math
import os
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from assess.report.bundle import BUNDLE_COLUMNS, ReportBundle, empty_frame

from .checks import evaluate_checks
from .cohort import Cohort, build_cohort
from .loader import LoadedSuite, ResolvedInstrument, load_suite
from .provenance import provenance
from .published import published_table

__all__ = ["RESULT_COLUMNS", "ValidationRun", "run_suite"]

#: Columns of the results frame, in order (the bundle's plus comparison, method, ci_method, p_value).
RESULT_COLUMNS = (
    "suite", "instrument", "comparison", "cohort", "metric", "group", "horizon", "estimate",
    "lower", "upper", "n", "events", "status", "reason", "method", "ci_method", "p_value",
)

ProgressFn = Callable[[str, int, int], None]


@dataclass
class ValidationRun:
    """Outcome of :func:`run_suite`: the report bundle plus what produced it.

    ``timings`` maps each step to its wall time in seconds; ``comparisons`` and ``fairness``
    hold the full result objects (``ComparisonResult``, ``FairnessReport``) by name.
    """

    bundle: ReportBundle
    loaded: LoadedSuite
    cohort: Cohort
    timings: dict[str, float] = field(default_factory=dict)
    comparisons: dict[str, Any] = field(default_factory=dict)
    fairness: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return self.bundle.passed

    @property
    def failed_checks(self) -> pd.DataFrame:
        c = self.bundle.checks
        return c[~c["passed"].astype(bool)] if len(c) else c


# --------------------------------------------------------------------------- helpers


def _group_label(grouping: str, group: str) -> str:
    """``"sex", "female"`` -> ``"sex=female"``; intersections join with ``" & "``."""
    if grouping == "(all)" or str(group) == "(all)":
        return "overall"
    keys = [k.strip() for k in grouping.split(" & ")]
    vals = [v.strip() for v in str(group).split(" & ")]
    if len(keys) != len(vals):
        return f"{grouping}={group}"
    return " & ".join(f"{k}={v}" for k, v in zip(keys, vals, strict=True))


class _Rows:
    """Accumulates result rows for one instrument (or comparison)."""

    def __init__(self, suite: str, cohort: str, instrument: str | None, comparison: str | None = None):
        self.base = {"suite": suite, "instrument": instrument, "comparison": comparison, "cohort": cohort}
        self.rows: list[dict[str, Any]] = []

    def add(self, r: Any, metric: str | None = None, group: str = "overall", horizon: float | None = None,
            reason: str | None = None, p_value: float | None = None) -> None:
        h = horizon if horizon is not None else r.horizon
        self.rows.append({
            **self.base,
            "metric": metric or r.metric,
            "group": group,
            "horizon": None if h is None or (isinstance(h, float) and math.isnan(h)) else float(h),
            "estimate": float(r.estimate),
            "lower": float(r.lower),
            "upper": float(r.upper),
            "n": int(r.n),
            "events": None if r.events is None else int(r.events),
            "status": r.status,
            "reason": reason or r.reason,
            "method": r.method or None,
            "ci_method": r.ci_method,
            "p_value": p_value,
        })

    def undefined(self, metric: str, reason: str, *, horizon: float | None = None, group: str = "overall",
                  n: int = 0, events: int | None = None) -> None:
        self.rows.append({**self.base, "metric": metric, "group": group, "horizon": horizon,
                          "estimate": math.nan, "lower": math.nan, "upper": math.nan, "n": n,
                          "events": events, "status": "undefined", "reason": reason, "method": None,
                          "ci_method": None, "p_value": None})


@dataclass
class _Data:
    """The analysis sample: arrays aligned with the rows every instrument scored."""

    frame: pd.DataFrame  # cohort rows kept (original index)
    scores: dict[str, pd.DataFrame]  # instrument id -> score frame rows kept
    time: np.ndarray | None
    event: np.ndarray | None
    binary: np.ndarray | None
    horizons: list[float | None]

    def outcome_at(self, h: float | None) -> tuple[np.ndarray, np.ndarray]:
        """0/1 outcome at horizon ``h`` and the mask of people whose status at ``h`` is known."""
        if h is None:
            assert self.binary is not None
            return self.binary, np.ones(self.binary.size, dtype=bool)
        assert self.time is not None and self.event is not None
        y = self.event & (self.time <= h)
        known = y | (self.time >= h)
        return y.astype(np.int8), known


def _as_bool(values: pd.Series) -> np.ndarray:
    """0/1 or true/false column (already checked by the cohort builder) as a boolean array."""
    v = values.infer_objects()
    if pd.api.types.is_bool_dtype(v):
        return v.to_numpy(dtype=bool)
    return pd.to_numeric(v).to_numpy(dtype=float) == 1.0


# --------------------------------------------------------------------------- scoring


def _score(loaded: LoadedSuite, cohort: Cohort) -> tuple[_Data, list[str]]:
    from assess.scoring import MissingColumnsError, ScoringInputError

    s = loaded.suite
    frame = cohort.frame
    notes: list[str] = []
    scores: dict[str, pd.DataFrame] = {}
    ok = np.ones(len(frame), dtype=bool)
    dropped: list[str] = []
    for ri in loaded.instruments.values():
        try:
            res = ri.instrument.score(frame, strict=s.strict)
        except MissingColumnsError as exc:
            raise loaded.error(("instruments", ri.index), f"{exc}. Map differently named columns with 'cohort: columns: {{item_id: column_in_file}}'") from None
        except ScoringInputError as exc:
            raise loaded.error(("instruments", ri.index), f"the cohort has invalid values for {ri.id} (the suite scores with strict: true; fix the data or set strict: false to leave such rows out with a stated reason):\n{exc}") from None
        sf = res.frame
        scores[ri.id] = sf
        valid = np.isfinite(pd.to_numeric(sf[ri.score], errors="coerce").to_numpy(dtype=float))
        if ri.band is not None:
            valid &= sf[ri.band].notna().to_numpy()
        for col in ri.probability.values():
            valid &= np.isfinite(sf[col].to_numpy(dtype=float))
        k = int((~valid).sum())
        if k:
            first = sf.loc[~valid, "reason"].dropna()
            label = first.index[0].item() if len(first) and hasattr(first.index[0], "item") else (first.index[0] if len(first) else None)
            why = f" (e.g. row {label!r}: {str(first.iloc[0]).split('; ')[-1]})" if len(first) else ""
            dropped.append(f"{k} of {len(frame)} people have no valid {ri.id} score{why}")
        ok &= valid
    if dropped:
        notes.append("; ".join(dropped) + f". Every metric and comparison uses the {int(ok.sum())} people scored by every instrument, so the instruments are compared on the same people.")
    if not ok.any():
        raise loaded.error(("instruments",), "no person has a valid score on every instrument; nothing to validate")
    keep = np.flatnonzero(ok)
    sub = frame.iloc[keep]
    o = s.outcome
    if o.is_survival:
        t = pd.to_numeric(sub[o.time]).to_numpy(dtype=float)
        e = _as_bool(sub[o.event])
        data = _Data(sub, {k: v.iloc[keep] for k, v in scores.items()}, t, e, None, [float(h) for h in o.horizons])
        for h in data.horizons:
            _, known = data.outcome_at(h)
            if (~known).any():
                notes.append(
                    f"At horizon {h:g}, {int((~known).sum())} people were censored before {h:g} without an event; "
                    "their outcome by then is unknown, so the binary-outcome metrics at that horizon (AUC, Brier, fairness error "
                    "rates) leave them out. Metrics built for censoring (C indices, time-dependent AUC, IPCW Brier, "
                    "Kaplan-Meier, Cox, survival calibration) use everybody."
                )
    else:
        y = _as_bool(sub[o.binary]).astype(np.int8)
        data = _Data(sub, {k: v.iloc[keep] for k, v in scores.items()}, None, None, y, [None])
    return data, notes


# --------------------------------------------------------------------------- metrics


def _roc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC points (fpr, tpr) at every distinct score, from (0, 0) to (1, 1)."""
    order = np.argsort(-s, kind="stable")
    ss, yy = s[order], y[order].astype(np.int64)
    last = np.r_[ss[1:] != ss[:-1], True]
    tp = np.cumsum(yy)[last]
    fp = np.cumsum(1 - yy)[last]
    P, N = max(int(yy.sum()), 1), max(int(yy.size - yy.sum()), 1)
    return np.r_[0.0, fp / N], np.r_[0.0, tp / P]


def _metrics(loaded: LoadedSuite, ri: ResolvedInstrument, data: _Data, rows: _Rows,
             frames: dict[str, list[pd.DataFrame]]) -> None:
    from assess import metrics as M

    s = loaded.suite
    kinds = set(loaded.metric_kinds)
    bs = s.bootstrap
    cl = bs.confidence_level
    sf = data.scores[ri.id]
    score = pd.to_numeric(sf[ri.score]).to_numpy(dtype=float)
    boot = {"n_boot": bs.n_boot, "seed": bs.seed, "bootstrap_method": bs.ci_method, "n_jobs": bs.n_jobs}
    has_boot = bs.n_boot > 0
    t, e = data.time, data.event
    surv = s.outcome.is_survival
    H = [h for h in data.horizons if h is not None]

    def prob(h: float | None) -> np.ndarray | None:
        col = ri.probability.get(h)
        return None if col is None else sf[col].to_numpy(dtype=float)

    no_prob = f"{ri.id} gives no predicted probability at this horizon (model {ri.model!r})" if ri.model else f"{ri.id} has no probability model"

    for h in data.horizons:
        y, known = data.outcome_at(h)
        if "auc" in kinds:
            r = M.auc(y[known], score[known], confidence_level=cl)
            rows.add(r, "auc", horizon=h)
        if "brier" in kinds:
            p = prob(h)
            if p is None:
                rows.undefined("brier", no_prob, horizon=h)
                rows.undefined("scaled_brier", no_prob, horizon=h)
            else:
                rows.add(M.brier_score(y[known], p[known], confidence_level=cl), "brier", horizon=h)
                rows.add(M.scaled_brier_score(y[known], p[known], confidence_level=cl), "scaled_brier", horizon=h)
        if "calibration" in kinds:
            p = prob(h)
            names = METRIC_CAL
            if p is None:
                for m in names:
                    if m == "calibration_in_the_large" and surv:
                        continue
                    rows.undefined(m, no_prob, horizon=h)
            else:
                if surv:
                    cal = M.survival_calibration(t, e, p, h, confidence_level=cl)
                else:
                    cal = M.calibration(y, p, confidence_level=cl)
                for r in cal.metrics:
                    rows.add(r, horizon=h)
                cur = cal.curve
                frames["calibration_curves"].append(pd.DataFrame({
                    "instrument": ri.id, "group": "overall", "horizon": h, "bin": cur["bin"].to_numpy(),
                    "predicted": cur["mean_predicted"].to_numpy(), "observed": cur["observed"].to_numpy(),
                    "lower": cur["observed_lower"].to_numpy(), "upper": cur["observed_upper"].to_numpy(),
                    "n": cur["n"].to_numpy()}))

    if not surv:
        return
    if "harrell_c" in kinds:
        rows.add(M.harrell_c(t, e, score, confidence_level=cl), "harrell_c")
    tau = max(H)
    if "uno_c" in kinds:
        r = M.uno_c(t, e, score, tau=tau, confidence_level=cl, ci="bootstrap" if has_boot else None, **boot)
        rows.add(r, "uno_c", horizon=tau)
    if "time_auc" in kinds:
        td = M.cumulative_dynamic_auc(t, e, score, H, confidence_level=cl, ci="bootstrap" if has_boot else None, **boot)
        for r in td:
            rows.add(r, "time_auc")
        if len(H) > 1:
            rows.add(td.mean_auc, "mean_time_auc", horizon=None)
    if "ipcw_brier" in kinds:
        hs = [h for h in H if prob(h) is not None]
        missing = [h for h in H if prob(h) is None]
        for h in missing:
            rows.undefined("ipcw_brier", no_prob, horizon=h)
        if hs:
            risk = np.column_stack([prob(h) for h in hs])
            ib = M.ipcw_brier_score(t, e, hs, predicted_risk=risk)
            for _, row in ib.to_frame().iterrows():  # a handful of rows (horizons), not people
                if row["metric"] == "integrated_brier" and len(hs) < 2:
                    continue
                rows.rows.append({**rows.base, "metric": row["metric"], "group": "overall",
                                  "horizon": None if pd.isna(row["horizon"]) else float(row["horizon"]),
                                  "estimate": float(row["estimate"]), "lower": float(row["lower"]),
                                  "upper": float(row["upper"]), "n": int(row["n"]),
                                  "events": None if pd.isna(row["events"]) else int(row["events"]),
                                  "status": row["status"], "reason": row["reason"], "method": row["method"],
                                  "ci_method": row["ci_method"], "p_value": None})
    band = sf[ri.band] if ri.band is not None else None
    if "km_by_band" in kinds and band is not None:
        labels = np.asarray(band.astype(str))
        km = M.kaplan_meier(t, e, group=labels, confidence_level=cl)
        steps = km.to_frame()
        order = {lab: i for i, lab in enumerate(ri.band_labels)}
        steps = steps.assign(_o=steps["group"].map(order)).sort_values(["_o", "time"], kind="stable")
        steps = thin_steps(steps, H)
        frames["survival_curves"].append(pd.DataFrame({
            "instrument": ri.id, "band": steps["group"].to_numpy(), "time": steps["time"].to_numpy(),
            "survival": steps["survival"].to_numpy(), "lower": steps["lower"].to_numpy(),
            "upper": steps["upper"].to_numpy(), "at_risk": steps["at_risk"].to_numpy()}))
        at = km.survival_at(H)
        for _, r in at.assign(_o=at["group"].map(order)).sort_values(["_o", "time"], kind="stable").iterrows():
            mask = labels == r["group"]
            rows.rows.append({**rows.base, "metric": "km_survival", "group": f"band={r['group']}",
                              "horizon": float(r["time"]), "estimate": float(r["survival"]),
                              "lower": float(r["lower"]), "upper": float(r["upper"]), "n": int(mask.sum()),
                              "events": int((e & mask & (t <= r["time"])).sum()),
                              "status": "ok" if np.isfinite(r["survival"]) else "undefined",
                              "reason": None if np.isfinite(r["survival"]) else "no follow-up to this horizon in this band",
                              "method": "Kaplan-Meier", "ci_method": "log-log (Greenwood)", "p_value": None})
        lr = M.logrank_test(t, e, labels)
        rows.rows.append({**rows.base, "metric": "logrank_chisq", "group": "overall", "horizon": None,
                          "estimate": float(lr.statistic), "lower": math.nan, "upper": math.nan,
                          "n": int(t.size), "events": int(e.sum()),
                          "status": "ok" if np.isfinite(lr.statistic) else "undefined", "reason": lr.reason,
                          "method": f"{lr.test_name} test across {ri.band} bands, df={lr.df}", "ci_method": None,
                          "p_value": float(lr.p_value)})
    if "cox" in kinds:
        cx = M.cox(t, e, M.per_sd(score, ri.score), confidence_level=cl)
        hr = cx.hazard_ratios()[0]
        rows.add(hr, "cox_hr_per_sd", p_value=hr.details.get("p_value"))
        if band is not None:
            present = [lab for lab in ri.band_labels if (band == lab).any()]
            if len(present) >= 2:
                cat = pd.Categorical(band.astype(str), categories=present)
                cb = M.cox(t, e, M.band_dummies(cat, reference=present[0], name="band"), confidence_level=cl)
                for lab, r in zip(present[1:], cb.hazard_ratios(), strict=True):
                    rows.add(r, "cox_hr_band", group=f"band={lab}", reason=r.reason,
                             p_value=r.details.get("p_value"))
                    rows.rows[-1]["method"] = f"{r.method}; hazard ratio vs band {present[0]!r}"


#: Largest number of Kaplan-Meier steps kept per curve in the bundle (see :func:`thin_steps`).
MAX_CURVE_POINTS = 500


def thin_steps(steps: pd.DataFrame, horizons: list[float], max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """At most about ``max_points`` steps of each curve (column ``group``), for the report.

    A Kaplan-Meier curve at 100 000 people has tens of thousands of steps; a figure shows at
    most a few hundred. Per curve this keeps the first and last step, evenly spaced steps, and
    the step in force at each horizon (the last with time <= horizon), so values read at the
    horizons stay exact; the exact estimates at the horizons are also in the results
    (``km_survival``). Row order is kept.
    """
    if len(steps) <= max_points:
        return steps
    keep = np.zeros(len(steps), dtype=bool)
    groups = steps["group"].astype(str).to_numpy()
    times = steps["time"].to_numpy(dtype=float)
    for g in pd.unique(groups):  # one pass per curve (a handful of bands), not per row
        idx = np.flatnonzero(groups == g)
        if idx.size <= max_points:
            keep[idx] = True
            continue
        keep[idx[np.unique(np.linspace(0, idx.size - 1, max_points).round().astype(int))]] = True
        t = times[idx]
        for h in horizons:
            k = np.searchsorted(t, h, side="right") - 1
            if k >= 0:
                keep[idx[k]] = True
            if k + 1 < idx.size:
                keep[idx[k + 1]] = True
    return steps[keep]


def _km_by_group(loaded: LoadedSuite, data: _Data, rows: _Rows, frames: dict[str, list[pd.DataFrame]]) -> None:
    """Kaplan-Meier by each group column (e.g. financial aid) with a log-rank test: whole cohort."""
    from assess import metrics as M

    s = loaded.suite
    t, e = data.time, data.event
    assert t is not None and e is not None
    H = [h for h in data.horizons if h is not None]
    cl = s.bootstrap.confidence_level
    for col in s.groups.columns:
        labels = data.frame[col].astype("object").where(data.frame[col].notna(), "(missing)").astype(str).to_numpy()
        km = M.kaplan_meier(t, e, group=labels, confidence_level=cl)
        steps = km.to_frame().sort_values(["group", "time"], kind="stable")
        steps = thin_steps(steps, H)
        frames["survival_curves"].append(pd.DataFrame({
            "instrument": "(cohort)", "band": [f"{col}={g}" for g in steps["group"]], "time": steps["time"].to_numpy(),
            "survival": steps["survival"].to_numpy(), "lower": steps["lower"].to_numpy(),
            "upper": steps["upper"].to_numpy(), "at_risk": steps["at_risk"].to_numpy()}))
        at = km.survival_at(H).sort_values(["group", "time"], kind="stable")
        for r in at.to_dict("records"):
            mask = labels == r["group"]
            ok = bool(np.isfinite(r["survival"]))
            rows.rows.append({**rows.base, "metric": "km_survival", "group": f"{col}={r['group']}",
                              "horizon": float(r["time"]), "estimate": float(r["survival"]),
                              "lower": float(r["lower"]), "upper": float(r["upper"]), "n": int(mask.sum()),
                              "events": int((e & mask & (t <= r["time"])).sum()), "status": "ok" if ok else "undefined",
                              "reason": None if ok else "no follow-up to this horizon in this group",
                              "method": f"Kaplan-Meier by {col}", "ci_method": "log-log (Greenwood)", "p_value": None})
        lr = M.logrank_test(t, e, labels)
        rows.rows.append({**rows.base, "metric": "logrank_chisq", "group": col, "horizon": None,
                          "estimate": float(lr.statistic), "lower": math.nan, "upper": math.nan,
                          "n": int(t.size), "events": int(e.sum()),
                          "status": "ok" if np.isfinite(lr.statistic) else "undefined", "reason": lr.reason,
                          "method": f"{lr.test_name} test across {col} groups, df={lr.df}", "ci_method": None,
                          "p_value": float(lr.p_value)})


METRIC_CAL = ("observed_expected_ratio", "calibration_in_the_large", "calibration_slope", "ici",
              "e50", "e90", "emax", "observed_risk")


def _roc_frames(loaded: LoadedSuite, ri: ResolvedInstrument, data: _Data, h: float | None) -> pd.DataFrame:
    """ROC points overall and per group (unsuppressed groups of each single grouping)."""
    y, known = data.outcome_at(h)
    sf = data.scores[ri.id]
    score = pd.to_numeric(sf[ri.score]).to_numpy(dtype=float)
    g = loaded.suite.groups
    parts = []
    fpr, tpr = _roc(y[known], score[known])
    parts.append(pd.DataFrame({"instrument": ri.id, "score": ri.score, "group": "overall", "fpr": fpr, "tpr": tpr}))
    for col in g.columns:
        labels = data.frame[col].astype("object").where(data.frame[col].notna(), "(missing)").astype(str).to_numpy()
        for lab in pd.unique(labels[known]):
            m = known & (labels == lab)
            ev = int(y[m].sum())
            if m.sum() < g.min_group_size or ev < g.min_events or m.sum() - ev < g.min_events:
                continue
            fpr, tpr = _roc(y[m], score[m])
            parts.append(pd.DataFrame({"instrument": ri.id, "score": ri.score, "group": f"{col}={lab}", "fpr": fpr, "tpr": tpr}))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- fairness


def _fairness(loaded: LoadedSuite, ri: ResolvedInstrument, data: _Data, rows: _Rows,
              frames: dict[str, list[pd.DataFrame]], notes: list[str]) -> Any:
    from assess.fairness import fairness_report

    s = loaded.suite
    g = s.groups
    bs = s.bootstrap
    if ri.cutoff is None:
        notes.append(f"{ri.id}: no fairness error rates: no cut-off (give 'cutoff' for the instrument, or a band set on its score)")
        return None
    h = None if not s.outcome.is_survival else float(g.horizon if g.horizon is not None else data.horizons[-1])
    y, known = data.outcome_at(h)
    sf = data.scores[ri.id]
    p = ri.probability.get(h)
    df = pd.DataFrame({
        "_score": pd.to_numeric(sf[ri.score]).to_numpy(dtype=float)[known],
        "_y": y[known],
        **{c: data.frame[c].to_numpy()[known] for c in g.columns},
    })
    kw: dict[str, Any] = {}
    if p is not None:
        df["_p"] = sf[p].to_numpy(dtype=float)[known]
        kw["probability"] = "_p"
    if h is not None and g.survival:
        df["_t"] = data.time[known]
        df["_e"] = data.event[known]
        kw.update(time="_t", event="_e", horizon=h)
        if ri.band is not None:
            df["_band"] = sf[ri.band].astype(str).to_numpy()[known]
            kw["band"] = "_band"
    rep = fairness_report(
        df, score="_score", outcome="_y", groups=list(g.columns), cutoff=ri.cutoff,
        reference=dict(g.reference) or None, intersections=g.intersections and len(g.columns) > 1,
        min_group_size=g.min_group_size, min_events=g.min_events, n_boot=bs.n_boot,
        confidence_level=bs.confidence_level, ci_method=bs.ci_method, seed=bs.seed, n_jobs=bs.n_jobs, **kw,
    )
    skip_overall = {"auc", "calibration_in_the_large", "calibration_slope"}
    bg = rep.by_group
    seen: set[tuple[str, str]] = set()
    for r in bg.itertuples(index=False):
        grp = _group_label(r.grouping, r.group)
        if (grp == "overall" and r.metric in skip_overall) or (r.metric, grp) in seen:
            continue
        seen.add((r.metric, grp))
        rows.rows.append({**rows.base, "metric": r.metric, "group": grp, "horizon": h,
                          "estimate": float(r.estimate), "lower": float(r.lower), "upper": float(r.upper),
                          "n": None if pd.isna(r.n) else int(r.n), "events": None if pd.isna(r.events) else int(r.events),
                          "status": r.status, "reason": r.reason,
                          "method": f"fairness report, flagged when {ri.cutoff_text or f'score >= {ri.cutoff:g}'}",
                          "ci_method": f"bootstrap-{r.ci_method}" if r.ci_method else None, "p_value": None})
    if rep.horizon_error_rates is not None:
        for r in rep.horizon_error_rates.itertuples(index=False):
            grouping = str(r.grouping).split(" (survival")[0]
            grp = _group_label(grouping, r.group)
            name = "c_index" if r.metric == "c_index" else f"ipcw_{r.metric}"
            if (name, grp) in seen:
                continue
            seen.add((name, grp))
            rows.rows.append({**rows.base, "metric": name, "group": grp,
                              "horizon": None if name == "c_index" else h,
                              "estimate": float(r.estimate), "lower": float(r.lower), "upper": float(r.upper),
                              "n": None if pd.isna(r.n) else int(r.n), "events": None if pd.isna(r.events) else int(r.events),
                              "status": r.status, "reason": r.reason, "method": "fairness report (IPCW at the horizon)" if name != "c_index" else "Harrell's C by group",
                              "ci_method": f"bootstrap-{r.ci_method}" if r.ci_method else None, "p_value": None})
    comp = rep.comparisons
    if rep.horizon_comparisons is not None and len(rep.horizon_comparisons):
        hc = rep.horizon_comparisons.copy()
        hc["grouping"] = hc["grouping"].astype(str).str.split(" \\(survival").str[0]
        hc["metric"] = np.where(hc["metric"] == "c_index", "c_index", "ipcw_" + hc["metric"].astype(str))
        comp = pd.concat([comp, hc], ignore_index=True)
    frames["fairness_gaps"].append(pd.DataFrame({
        "instrument": ri.id, "metric": comp["metric"].to_numpy(), "grouping": comp["grouping"].to_numpy(),
        "group": comp["group"].to_numpy(), "versus": comp["versus"].to_numpy(),
        "comparison": comp["comparison"].to_numpy(), "kind": comp["kind"].to_numpy(),
        "estimate": comp["estimate"].to_numpy(dtype=float), "lower": comp["lower"].to_numpy(dtype=float),
        "upper": comp["upper"].to_numpy(dtype=float), "status": comp["status"].to_numpy(), "horizon": h}))
    cc = rep.calibration_curves
    cc = cc[cc["grouping"] != "(all)"]
    if len(cc):
        frames["calibration_curves"].append(pd.DataFrame({
            "instrument": ri.id, "group": [_group_label(a, b) for a, b in zip(cc["grouping"], cc["group"], strict=True)],
            "horizon": h, "bin": cc["bin"].to_numpy(), "predicted": cc["expected"].to_numpy(),
            "observed": cc["observed"].to_numpy(), "lower": cc["lower"].to_numpy(), "upper": cc["upper"].to_numpy(),
            "n": cc["n"].to_numpy(), "status": cc["status"].to_numpy()}))
    for note in rep.notes:
        notes.append(f"{ri.id} (fairness{'' if h is None else f', horizon {h:g}'}): {note}")
    return rep


# --------------------------------------------------------------------------- comparisons


def _compare(loaded: LoadedSuite, j: int, data: _Data, rows: _Rows, frames: dict[str, list[pd.DataFrame]],
             notes: list[str]) -> Any:
    c = loaded.suite.comparisons[j]
    try:
        from assess.additionality import compare
    except ImportError as exc:
        notes.append(f"comparison {c.name!r} was not run: the additionality analysis is not available ({exc})")
        return None
    s = loaded.suite
    bs = s.bootstrap
    base, integ = loaded.instruments[c.base], loaded.instruments[c.integrated]
    frame = data.frame
    kw: dict[str, Any] = {}
    if s.outcome.is_survival:
        h = float(c.horizon if c.horizon is not None else data.horizons[-1])
        kw.update(time=s.outcome.time, event=s.outcome.event, horizon=h)
    else:
        kw.update(outcome=s.outcome.binary)
    groups = list(c.groups) if c.groups is not None else list(s.groups.columns)
    res = compare(
        base.instrument, integ.instrument, frame,
        base_score=base.score, integrated_score=integ.score, groups=groups or None,
        margin=c.margin, n_boot=bs.n_boot, seed=bs.seed, confidence_level=bs.confidence_level,
        comparison=c.name, min_group_size=s.groups.min_group_size, min_group_events=s.groups.min_events, **kw,
    )
    tidy = res.to_frame()
    for r in tidy.to_dict("records"):
        h = r.get("horizon")
        rows.rows.append({**rows.base, "instrument": r.get("instrument"), "metric": r["metric"],
                          "group": r.get("group") or "overall",
                          "horizon": None if h is None or pd.isna(h) else float(h),
                          "estimate": float(r["estimate"]), "lower": float(r["lower"]), "upper": float(r["upper"]),
                          "n": None if pd.isna(r.get("n")) else int(r["n"]),
                          "events": None if r.get("events") is None or pd.isna(r.get("events")) else int(r["events"]),
                          "status": r.get("status", "ok"), "reason": r.get("reason"), "method": r.get("method"),
                          "ci_method": r.get("ci_method"), "p_value": r.get("p_value")})
    crit = res.criteria.copy()
    crit["comparison"] = c.name
    crit["base"], crit["integrated"] = c.base, c.integrated
    if "overall" not in set(crit["criterion"]):
        overall = {k: None for k in crit.columns}
        overall.update(comparison=c.name, base=c.base, integrated=c.integrated, criterion="overall",
                       verdict=res.verdict, method="overall verdict")
        crit = pd.concat([crit, pd.DataFrame([overall])], ignore_index=True)
    frames["additionality"].append(crit)
    dc = res.decision_curve.copy()
    dc.insert(0, "comparison", c.name)
    frames["decision_curves"].append(dc)
    for note in getattr(res, "notes", ()) or ():
        notes.append(f"comparison {c.name!r}: {note}")
    return res


# --------------------------------------------------------------------------- run


def _concat(parts: list[pd.DataFrame], name: str) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_frame(name)
    return pd.concat(parts, ignore_index=True)


def run_suite(suite: LoadedSuite | str | os.PathLike[str], *, progress: ProgressFn | None = None) -> ValidationRun:
    """Run a validation suite and return the filled report bundle with timings.

    ``suite`` is a :class:`LoadedSuite`, a path, or a suite name under ``validation/``.
    ``progress(step, index, total)`` is called before each step (for a progress bar).
    Raises :class:`~assess.harness.loader.SuiteError` (located) when the suite cannot be run
    on its data (missing column, invalid values in strict mode, unknown group in a check...).

    >>> run = run_suite("tests/harness/suites/small.yaml")       # doctest: +SKIP
    >>> run.passed, run.bundle.results.head()                     # doctest: +SKIP
    """
    loaded = suite if isinstance(suite, LoadedSuite) else load_suite(suite)
    s = loaded.suite
    started = _time.time()
    ids = list(loaded.instruments)
    fair = "fairness" in loaded.metric_kinds and bool(s.groups.columns)
    km_group = "km_by_group" in loaded.metric_kinds and s.outcome.is_survival and bool(s.groups.columns)
    steps = ["cohort", "scoring", *[f"metrics {i}" for i in ids], *([f"fairness {i}" for i in ids] if fair else []),
             *(["kaplan-meier by group"] if km_group else []), *(["fits"] if s.fits else []),
             *[f"comparison {c.name}" for c in s.comparisons], "checks"]
    timings: dict[str, float] = {}
    state = {"k": 0}

    def step(name: str) -> None:
        if progress is not None:
            progress(name, state["k"], len(steps))
        state["k"] += 1

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        step(name)
        t0 = _time.perf_counter()
        out = fn()
        timings[name] = _time.perf_counter() - t0
        return out

    cohort = timed("cohort", lambda: build_cohort(loaded))
    data, notes = timed("scoring", lambda: _score(loaded, cohort))
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in BUNDLE_COLUMNS}
    result_rows: list[dict[str, Any]] = []
    roc_h = None if not s.outcome.is_survival else float(s.groups.horizon if s.groups.horizon is not None else data.horizons[-1])
    for ri in loaded.instruments.values():
        rows = _Rows(s.name, cohort.label, ri.id)

        def work(ri: ResolvedInstrument = ri, rows: _Rows = rows) -> None:
            _metrics(loaded, ri, data, rows, frames)
            frames["roc"].append(_roc_frames(loaded, ri, data, roc_h))

        timed(f"metrics {ri.id}", work)
        result_rows += rows.rows
    fairness: dict[str, Any] = {}
    if fair:
        for ri in loaded.instruments.values():
            rows = _Rows(s.name, cohort.label, ri.id)
            fairness[ri.id] = timed(f"fairness {ri.id}", lambda ri=ri, rows=rows: _fairness(loaded, ri, data, rows, frames, notes))
            result_rows += rows.rows
    if "km_by_group" in loaded.metric_kinds and s.outcome.is_survival and s.groups.columns:
        rows = _Rows(s.name, cohort.label, "(cohort)")
        timed("kaplan-meier by group", lambda rows=rows: _km_by_group(loaded, data, rows, frames))
        result_rows += rows.rows
    if s.fits:
        from .fits import run_fits

        result_rows += timed("fits", lambda: run_fits(loaded, data.frame, data.scores, data.time, data.event,
                                                      data.binary, s.name, cohort.label, notes))
    comparisons: dict[str, Any] = {}
    for j, c in enumerate(s.comparisons):
        rows = _Rows(s.name, cohort.label, None, c.name)
        comparisons[c.name] = timed(f"comparison {c.name}", lambda j=j, rows=rows: _compare(loaded, j, data, rows, frames, notes))
        result_rows += rows.rows

    results = pd.DataFrame(result_rows, columns=list(RESULT_COLUMNS)) if result_rows else empty_frame("results")
    for col in RESULT_COLUMNS:
        if col not in results:
            results[col] = None
    for col in ("n", "events"):
        results[col] = pd.to_numeric(results[col], errors="coerce").round().astype("Int64")
    for col in ("estimate", "lower", "upper", "horizon", "p_value"):
        results[col] = pd.to_numeric(results[col], errors="coerce").astype(float)
    gaps = _concat(frames["fairness_gaps"], "fairness_gaps")
    additionality = _concat(frames["additionality"], "additionality")
    checks = timed("checks", lambda: evaluate_checks(loaded, results, gaps, additionality, comparisons))
    published = published_table(cohort.published, results, loaded, cohort.frame, data)
    if len(published):
        miss = published[published["status"] == "not computed"]
        off = published[published["status"] == "differs"]
        notes.append(
            f"Published figures: {int((published['status'] == 'reproduced').sum())} of {len(published)} reproduced within "
            f"the precision they were published at; {len(off)} differ; {len(miss)} not computed by this suite "
            "(listed in the published table with the reason)."
        )
    duration = _time.time() - started
    bundle = ReportBundle(
        suite=s.name,
        title=s.title,
        description=s.description,
        provenance=provenance(loaded, cohort, started, duration, timings),
        results=results,
        checks=checks,
        roc=_concat(frames["roc"], "roc"),
        calibration_curves=_concat(frames["calibration_curves"], "calibration_curves"),
        survival_curves=_concat(frames["survival_curves"], "survival_curves"),
        decision_curves=_concat(frames["decision_curves"], "decision_curves"),
        fairness_gaps=gaps,
        additionality=additionality,
        published=published,
        notes=notes,
    )
    return ValidationRun(bundle, loaded, cohort, timings, comparisons, fairness)
