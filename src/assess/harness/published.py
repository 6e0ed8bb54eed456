"""Published figures next to the computed ones (real-data suites).

Every row of a dataset's published table (:data:`assess.datasets.PUBLISHED_COLUMNS`) gets a
computed value, the difference and a status, or is listed as ``not computed`` with the reason:
never dropped. A figure is looked up first in the run's results (same instrument, metric, group
and horizon: e.g. ``fpr`` by race from the fairness report, ``cox_coef:fin`` from a suite fit,
``harrell_c`` of an instrument). Figures that describe the data rather than a metric of the run
are computed from the cohort by the rules below (names as in the datasets' tables):

* instrument ``(cohort)``: ``n`` (rows), ``events`` (outcome = 1), ``base_rate`` (share with
  outcome = 1), ``time_at_risk`` (sum of follow-up times), on the whole cohort as loaded (the
  published figures describe the published data, before any instrument drops a row);
* an instrument of the suite: ``count:<column>=<value>`` (rows whose instrument output or
  cohort column equals the value), the confusion counts ``count:true_positive`` /
  ``false_positive`` / ``true_negative`` / ``false_negative`` and the rates ``fpr``, ``fnr``,
  ``tpr``, ``tnr``, ``ppv``, ``npv``, ``selection_rate`` at the instrument's cut-off, or at a band
  edge with the suffix ``[<band set>>=<label>]`` (e.g. ``fpr[score_text>=High]``: flagged when the
  band is High or above), and ``correlation:<a>~<b>`` (Pearson, rows where both are present).

``status`` is ``reproduced`` when ``|computed - published| <= tolerance`` (the precision it was
published at), ``differs`` otherwise, and ``not computed`` when the run has no such number.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from assess.report.bundle import BUNDLE_COLUMNS, empty_frame

__all__ = ["PUBLISHED_TABLE_COLUMNS", "published_table"]

#: Columns of the bundle's ``published`` frame written by the harness.
PUBLISHED_TABLE_COLUMNS = (*BUNDLE_COLUMNS["published"], "tolerance", "status", "computed_from", "note")

_RATES = ("fpr", "fnr", "tpr", "tnr", "ppv", "npv", "selection_rate")
_COUNTS = ("true_positive", "false_positive", "true_negative", "false_negative")
_RATE_RE = re.compile(r"^(?P<what>[a-z_:]+?)(?:\[(?P<band>[A-Za-z0-9_]+)>=(?P<label>[^\]]+)\])?$")


def _group_mask(frame: pd.DataFrame, group: str) -> np.ndarray | str:
    """Boolean mask of ``group`` (``overall`` or ``col=value`` joined by `` & ``), or why not."""
    mask = np.ones(len(frame), dtype=bool)
    if group in (None, "", "overall"):
        return mask
    for part in str(group).split(" & "):
        if "=" not in part:
            return f"group {group!r} is not 'overall' or '<column>=<value>'"
        col, val = (p.strip() for p in part.split("=", 1))
        if col not in frame.columns:
            return f"the cohort has no column {col!r}"
        mask &= _equals(frame[col], val)
    return mask


def _equals(values: pd.Series, text: str) -> np.ndarray:
    """``values == text``, comparing numbers as numbers (``"1"`` matches 1 and 1.0)."""
    as_text = values.astype("object").where(values.notna(), None).map(lambda v: None if v is None else str(v))
    hit = (as_text == text).to_numpy()
    try:
        num = float(text)
    except ValueError:
        return hit
    vals = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return hit | (vals == num)


class _Context:
    """What the published-figure rules read: cohort, analysis sample, scores, outcome."""

    def __init__(self, loaded: Any, cohort_frame: pd.DataFrame, data: Any) -> None:
        self.loaded = loaded
        self.cohort = cohort_frame
        self.data = data
        o = loaded.suite.outcome
        self.outcome_col = o.binary if o.binary is not None else o.event
        self.time_col = o.time

    def column(self, name: str) -> tuple[pd.Series, pd.DataFrame] | None:
        """An instrument output or cohort column of the analysis sample, with its frame."""
        for sf in self.data.scores.values():
            if name in sf.columns:
                return sf[name], self.data.frame
        if name in self.data.frame.columns:
            return self.data.frame[name], self.data.frame
        return None


def _cohort_figure(ctx: _Context, metric: str, group: str) -> tuple[float, str] | str:
    frame = ctx.cohort
    mask = _group_mask(frame, group)
    if isinstance(mask, str):
        return mask
    where = f"the whole cohort as loaded ({len(frame)} rows)"
    if metric == "n":
        return float(mask.sum()), f"rows of {where}"
    if metric in ("events", "base_rate"):
        y = pd.to_numeric(frame[ctx.outcome_col], errors="coerce").to_numpy(dtype=float)[mask]
        if metric == "events":
            return float(np.nansum(y == 1)), f"{ctx.outcome_col} == 1 in {where}"
        return (float(np.mean(y == 1)) if y.size else math.nan), f"share with {ctx.outcome_col} == 1 in {where}"
    if metric == "time_at_risk":
        if ctx.time_col is None:
            return "the outcome has no follow-up time"
        t = pd.to_numeric(frame[ctx.time_col], errors="coerce").to_numpy(dtype=float)[mask]
        return float(t.sum()), f"sum of {ctx.time_col} in {where}"
    return f"no rule computes the cohort figure {metric!r}"


def _instrument_figure(ctx: _Context, inst: str, metric: str, group: str, horizon: Any) -> tuple[float, str] | str:
    ri = ctx.loaded.instruments.get(inst)
    data = ctx.data
    mask = _group_mask(data.frame, group)
    if isinstance(mask, str):
        return mask
    if metric.startswith("correlation:") and "~" in metric:
        a, b = metric.split(":", 1)[1].split("~", 1)
        ca, cb = ctx.column(a), ctx.column(b)
        if ca is None or cb is None:
            return f"no column {a if ca is None else b!r} in the cohort or the instruments' outputs"
        x = pd.to_numeric(ca[0], errors="coerce").to_numpy(dtype=float)[mask]
        y = pd.to_numeric(cb[0], errors="coerce").to_numpy(dtype=float)[mask]
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 3:
            return "fewer than 3 rows with both values"
        return float(np.corrcoef(x[ok], y[ok])[0, 1]), f"Pearson correlation over the {int(ok.sum())} rows with both values"
    m = _RATE_RE.match(metric)
    count_col = metric.startswith("count:") and "=" in metric and metric[6:] not in _COUNTS
    if count_col:
        col, val = metric[6:].split("=", 1)
        found = ctx.column(col)
        if found is None:
            return f"no column {col!r} in the cohort or the instruments' outputs"
        return float((_equals(found[0], val) & mask).sum()), f"rows of the analysis sample with {col} == {val}"
    if m is None or ri is None:
        return f"no rule computes {metric!r}" + ("" if ri is not None else f" ({inst!r} is not an instrument of this suite)")
    what = m.group("what")
    kind = what[6:] if what.startswith("count:") else what
    if kind not in _RATES and kind not in _COUNTS:
        return f"no rule computes {metric!r}"
    sf = data.scores[inst]
    if m.group("band"):
        band, label = m.group("band"), m.group("label")
        if band not in sf.columns or ri.band is None:
            return f"{inst} has no band set {band!r}"
        spec_band = next((b for b in ri.instrument.spec.bands if b.id == band), None)
        labels = [c.label for c in spec_band.cuts] if spec_band is not None else []
        if label not in labels:
            return f"band set {band!r} has no level {label!r}"
        flagged = sf[band].map({lab: i for i, lab in enumerate(labels)}).to_numpy(dtype=float) >= labels.index(label)
        rule = f"flagged when {band} is {label} or above"
    else:
        if ri.cutoff is None:
            return f"{inst} has no cut-off"
        flagged = pd.to_numeric(sf[ri.score]).to_numpy(dtype=float) >= ri.cutoff
        rule = f"flagged when {ri.cutoff_text or f'score >= {ri.cutoff:g}'}"
    h = None if horizon is None or (isinstance(horizon, float) and math.isnan(horizon)) else float(horizon)
    if h is None and data.binary is None:
        return "a rate on a time-to-event outcome needs a horizon"
    y, known = data.outcome_at(h)
    sel = mask & known
    yy, ff = y[sel].astype(bool), flagged[sel]
    tp, fp = int((yy & ff).sum()), int((~yy & ff).sum())
    fn, tn = int((yy & ~ff).sum()), int((~yy & ~ff).sum())
    counts = {"true_positive": tp, "false_positive": fp, "true_negative": tn, "false_negative": fn}
    if kind in counts:
        return float(counts[kind]), rule
    num, den = {"fpr": (fp, fp + tn), "fnr": (fn, fn + tp), "tpr": (tp, tp + fn), "tnr": (tn, tn + fp),
                "ppv": (tp, tp + fp), "npv": (tn, tn + fn), "selection_rate": (tp + fp, sel.sum())}[kind]
    return (num / den if den else math.nan), f"{rule} ({num} / {int(den)})"


def published_table(published: pd.DataFrame | None, results: pd.DataFrame, loaded: Any, cohort_frame: pd.DataFrame,
                    data: Any) -> pd.DataFrame:
    """One row per published figure: published, computed, difference, tolerance, status.

    See the module docstring for how each figure is found. Unmatched figures are kept with
    ``status`` ``not computed`` and the reason in ``note``.
    """
    if published is None or published.empty:
        frame = empty_frame("published")
        for c in PUBLISHED_TABLE_COLUMNS:
            if c not in frame:
                frame[c] = pd.Series(dtype=object)
        return frame
    res = results[results["comparison"].isna()] if "comparison" in results else results
    ctx = _Context(loaded, cohort_frame, data)
    out = []
    for p in published.to_dict("records"):
        h = p.get("horizon")
        no_h = h is None or (isinstance(h, float) and math.isnan(h))
        hcol = res["horizon"].astype(float)
        hmask = hcol.isna() if no_h else np.isclose(hcol, float(h))
        m = res[(res["instrument"] == p["instrument"]) & (res["metric"] == p["metric"]) & (res["group"] == p["group"]) & hmask]
        note = str(p.get("note") or "")
        tol = float(p["tolerance"]) if p.get("tolerance") is not None and not pd.isna(p.get("tolerance")) else math.nan
        if len(m):
            r = m.iloc[0]
            computed = float(r["estimate"])
            src = f"results ({r['method']})" if isinstance(r.get("method"), str) and r["method"] else "results"
            if r["status"] != "ok":
                src += f"; {r['status']}: {r['reason']}"
        else:
            if p["instrument"] == "(cohort)":
                got = _cohort_figure(ctx, p["metric"], p["group"])
            else:
                got = _instrument_figure(ctx, p["instrument"], p["metric"], p["group"], None if no_h else float(h))
            if isinstance(got, str):
                computed, src = math.nan, ""
                note = (note + "; " if note else "") + f"not computed by this suite: {got}"
            else:
                computed, src = got
        diff = computed - float(p["published"])
        if math.isnan(computed):
            status = "not computed"
        elif not math.isnan(tol) and abs(diff) <= tol * (1 + 1e-9) + 1e-12:
            status = "reproduced"
        else:
            status = "differs"
        out.append({"instrument": p["instrument"], "metric": p["metric"], "group": p["group"],
                    "horizon": None if no_h else float(h), "published": float(p["published"]), "computed": computed,
                    "difference": diff, "source": p.get("source"), "tolerance": tol, "status": status,
                    "computed_from": src, "note": note})
    return pd.DataFrame(out, columns=list(PUBLISHED_TABLE_COLUMNS))
