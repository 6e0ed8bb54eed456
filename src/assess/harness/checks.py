"""Evaluate a suite's checks against the results of a run.

Each check selects one number (or verdict) and compares it with its threshold. A number that
is undefined or suppressed fails, with the reason; a selection that names something the run
does not have (a group label that does not occur, a horizon the metric lacks, an unknown
comparison criterion) is an error in the suite (:class:`~assess.harness.loader.SuiteError`),
located at the check's field.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from assess.report.bundle import BUNDLE_COLUMNS

from .loader import LoadedSuite, did_you_mean
from .models import Check

__all__ = ["CHECK_COLUMNS", "evaluate_checks"]

#: Columns of the checks frame (the bundle's plus comparison, horizon, kind).
CHECK_COLUMNS = (*BUNDLE_COLUMNS["checks"], "comparison", "horizon", "kind")


def _fmt(x: Any) -> str:
    if isinstance(x, str):
        return x
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "nan" if math.isnan(xf) else f"{xf:.4g}"


def _default_name(ch: Check, instrument: str | None) -> str:
    target = ch.comparison or instrument or "?"
    what = ch.metric or "overall verdict"
    parts = [target]
    if ch.group not in (None, "overall"):
        parts.append(ch.group)
    if ch.horizon is not None:
        parts.append(f"horizon {ch.horizon:g}")
    return f"{what} [{', '.join(parts)}]: {ch.threshold_text()}"


def _pick_horizon(loaded: LoadedSuite, j: int, ch: Check, rows: pd.DataFrame) -> pd.DataFrame:
    if ch.horizon is not None:
        h = rows["horizon"].astype(float)
        return rows[np.isclose(h, float(ch.horizon)) & h.notna()]
    if rows["horizon"].isna().any():
        return rows[rows["horizon"].isna()]
    hs = sorted(set(rows["horizon"].astype(float)))
    if len(hs) > 1:
        raise loaded.error(("checks", j, "metric"), f"{ch.metric!r} has values at horizons {', '.join(f'{h:g}' for h in hs)}: give 'horizon' to say which one this check is on")
    return rows


def _instrument_check(loaded: LoadedSuite, j: int, ch: Check, inst: str, results: pd.DataFrame) -> tuple[Any, bool, str]:
    mine = results[(results["instrument"] == inst) & results["comparison"].isna() & (results["metric"] == ch.metric)]
    group = ch.group or "overall"
    rows = mine[mine["group"] == group]
    if rows.empty:
        if mine.empty:
            return math.nan, False, f"{ch.metric} was not computed for {inst} (see the run's notes)"
        groups = list(dict.fromkeys(mine["group"]))
        raise loaded.error(("checks", j, "group"), f"{ch.metric} for {inst} has no group {group!r}" + did_you_mean(group, groups))
    rows = _pick_horizon(loaded, j, ch, rows)
    if rows.empty:
        hs = sorted({float(h) for h in mine["horizon"].dropna()})
        raise loaded.error(("checks", j, "horizon"), f"{ch.metric} has no value at horizon {ch.horizon:g}" + (f" (horizons: {', '.join(f'{h:g}' for h in hs)})" if hs else " (it has no horizon)"))
    r = rows.iloc[0]
    value = {"lower_ci": r["lower"], "upper_ci": r["upper"]}.get(ch.kind, r["estimate"])
    value = float(value) if value is not None and not pd.isna(value) else math.nan
    if math.isnan(value):
        why = r["reason"] if isinstance(r["reason"], str) and r["reason"] else (
            "no confidence interval was computed" if ch.kind in ("lower_ci", "upper_ci") else "undefined")
        return math.nan, False, f"{r['status']}: {why}"
    ci = ""
    if not pd.isna(r["lower"]) and not pd.isna(r["upper"]):
        ci = f" (estimate {_fmt(r['estimate'])}, CI {_fmt(r['lower'])} to {_fmt(r['upper'])})"
    return value, ch.passes(value), f"{_fmt(value)}{ci}"


def _gap_check(loaded: LoadedSuite, j: int, ch: Check, inst: str, gaps: pd.DataFrame) -> tuple[Any, bool, str]:
    g = loaded.suite.groups
    want = "min / max" if ch.kind == "max_ratio" else "max - min"
    mine = gaps[(gaps["instrument"] == inst) & (gaps["metric"] == ch.metric) & (gaps["comparison"] == want)]
    groupings = list(g.columns) if ch.group in (None, "all") else [ch.group]
    rows = mine[mine["grouping"].isin(groupings)] if "grouping" in mine else mine.iloc[0:0]
    if rows.empty:
        return math.nan, False, f"no {want} comparison of {ch.metric} between groups for {inst} (fewer than two unsuppressed groups?)"
    worst: tuple[float, str] | None = None
    for r in rows.itertuples(index=False):
        est = float(r.estimate)
        if r.status != "ok" or math.isnan(est):
            return math.nan, False, f"{r.grouping}: {ch.metric} comparison is {r.status}"
        value = (math.inf if est <= 0 else 1.0 / est) if ch.kind == "max_ratio" else est
        if ch.kind == "max_ratio":
            hi, lo = r.group, r.versus  # 'min / max': group holds the highest, versus the lowest
            text = f"{r.grouping}: {_fmt(value)} ({hi} / {lo})"
        else:
            text = f"{r.grouping}: {_fmt(value)} ({r.group} - {r.versus})"
        if worst is None or value > worst[0]:
            worst = (value, text)
    assert worst is not None
    return worst[0], ch.passes(worst[0]), worst[1]


def _comparison_check(loaded: LoadedSuite, j: int, ch: Check, additionality: pd.DataFrame,
                      results: pd.DataFrame, comparisons: dict[str, Any]) -> tuple[Any, bool, str]:
    name = ch.comparison
    if comparisons.get(name) is None:
        return math.nan, False, f"comparison {name!r} was not run (see the run's notes)"
    crit_name = ch.metric or "overall"
    mine = additionality[additionality["comparison"] == name]
    rows = mine[mine["criterion"] == crit_name]
    if ch.kind == "verdict":
        if rows.empty:
            raise loaded.error(("checks", j, "metric"), f"comparison {name!r} has no criterion {crit_name!r}" + did_you_mean(crit_name, list(dict.fromkeys(mine["criterion"]))))
        verdict = str(rows["verdict"].iloc[0])
        ok = verdict != ch.verdict_not if ch.verdict_not is not None else verdict in (ch.verdict_in or [])
        return verdict, ok, verdict
    if rows.empty:  # a number from the comparison's tidy results
        res = results[(results["comparison"] == name) & (results["metric"] == crit_name)]
        if res.empty:
            options = list(dict.fromkeys([*mine["criterion"], *results.loc[results["comparison"] == name, "metric"]]))
            raise loaded.error(("checks", j, "metric"), f"comparison {name!r} has no criterion or metric {crit_name!r}" + did_you_mean(crit_name, options))
        res = _pick_horizon(loaded, j, ch, res)
        r = res.iloc[0]
        est, lo, hi = r["estimate"], r["lower"], r["upper"]
    else:
        r = rows.iloc[0]
        est, lo, hi = r["difference"], r["lower"], r["upper"]
    value = {"lower_ci": lo, "upper_ci": hi}.get(ch.kind, est)
    value = math.nan if value is None or pd.isna(value) else float(value)
    if math.isnan(value):
        return math.nan, False, "undefined (no value or interval for this criterion)"
    return value, ch.passes(value), f"{_fmt(value)} (difference {_fmt(est)}, CI {_fmt(lo)} to {_fmt(hi)})"


def evaluate_checks(loaded: LoadedSuite, results: pd.DataFrame, gaps: pd.DataFrame,
                    additionality: pd.DataFrame, comparisons: dict[str, Any]) -> pd.DataFrame:
    """One row per check of the suite: observed value, threshold, passed, a message."""
    out = []
    for j, ch in enumerate(loaded.suite.checks):
        inst = loaded.check_instruments[j] if j < len(loaded.check_instruments) else ch.instrument
        if ch.comparison is not None:
            observed, passed, detail = _comparison_check(loaded, j, ch, additionality, results, comparisons)
        elif ch.kind in ("max_ratio", "max_gap"):
            observed, passed, detail = _gap_check(loaded, j, ch, inst, gaps)
        else:
            observed, passed, detail = _instrument_check(loaded, j, ch, inst, results)
        name = ch.name or _default_name(ch, inst)
        message = f"{'passed' if passed else 'FAILED'}: {name}: observed {detail}; required {ch.threshold_text()}"
        out.append({
            "check": name, "instrument": inst if ch.comparison is None else None,
            "metric": ch.metric or "overall", "group": ch.group or ("overall" if ch.kind not in ("max_ratio", "max_gap") else "all"),
            "observed": observed if isinstance(observed, str) else (None if math.isnan(observed) else observed),
            "threshold": ch.threshold_text(), "passed": bool(passed), "message": message,
            "comparison": ch.comparison, "horizon": ch.horizon, "kind": ch.kind,
        })
    return pd.DataFrame(out, columns=list(CHECK_COLUMNS))
