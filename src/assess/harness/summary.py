"""``summary.md``: a markdown digest of a run, fit for a pull-request comment.

Headline pass/fail first, then failing checks, the additionality verdicts, key metrics with
their confidence intervals, published figures (real data), all checks and the notes.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["KEY_METRICS", "summary_markdown"]

#: Whole-cohort metrics shown in the key-metrics table, in this order.
KEY_METRICS = (
    "auc", "harrell_c", "uno_c", "time_auc", "calibration_slope", "observed_expected_ratio",
    "calibration_in_the_large", "ici", "brier", "ipcw_brier", "cox_hr_per_sd",
)


def _cell(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        return f"{x:.3f}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"
    return str(x).replace("|", "\\|").replace("\n", " ")


def _num(x: Any) -> str:
    """A published or computed figure with enough digits to see the difference (7 significant)."""
    if x is None:
        return ""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "" if math.isnan(f) else f"{f:.7g}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
    return out


def _ci(est: Any, lo: Any, hi: Any) -> str:
    if est is None or pd.isna(est):
        return ""
    text = _cell(float(est))
    if lo is not None and hi is not None and not pd.isna(lo) and not pd.isna(hi):
        text += f" ({_cell(float(lo))} to {_cell(float(hi))})"
    return text


def _observed(r: dict[str, Any]) -> Any:
    """The observed value, or why there is none (taken from the check's message)."""
    v = r.get("observed")
    if v is not None and not (isinstance(v, float) and math.isnan(v)):
        return v
    return str(r.get("message", "")).split("observed ", 1)[-1].split("; required")[0]


def _horizon(h: Any) -> str:
    return "" if h is None or pd.isna(h) else f"{float(h):g}"


def summary_markdown(bundle: Any) -> str:
    """Markdown summary of a :class:`~assess.report.bundle.ReportBundle`."""
    prov = bundle.provenance or {}
    checks = bundle.checks
    failed = checks[~checks["passed"].astype(bool)] if len(checks) else checks
    n_checks = len(checks)
    if n_checks == 0:
        headline = "NO CHECKS"
    elif len(failed):
        headline = f"FAILED: {len(failed)} of {n_checks} checks failed"
    else:
        headline = f"PASSED: all {n_checks} checks passed"
    lines = [f"# {bundle.title}", "", f"**{headline}**", ""]
    cohort = prov.get("cohort", {}).get("label")
    insts = prov.get("instruments", {})
    meta = [f"suite `{bundle.suite}`"]
    if cohort:
        meta.append(f"cohort: {cohort}")
    boot = prov.get("bootstrap") or {}
    if boot:
        meta.append(f"{boot.get('n_boot')} bootstrap replicates (seed {boot.get('seed')}, {boot.get('ci_method')})")
    lines.append("; ".join(meta) + ".")
    if insts:
        lines.append("Instruments: " + "; ".join(
            f"`{k}` {v.get('version')} (spec {str(v.get('spec_hash', ''))[:12]}, score `{v.get('score')}`)" for k, v in insts.items()) + ".")
    lines.append("")
    if len(failed):
        lines += ["## Failing checks", ""]
        lines += _table(["check", "observed", "required"],
                        [[r["check"], _observed(r), r["threshold"]] for r in failed.to_dict("records")])
        lines.append("")
    add = bundle.additionality
    if len(add):
        lines += ["## Additionality and dilution", ""]
        overall = add[add["criterion"] == "overall"]
        for r in overall.to_dict("records"):
            lines.append(f"- **{r['comparison']}** (`{r['integrated']}` vs `{r['base']}`): overall verdict **{r['verdict']}**")
        lines.append("")
        rows = []
        for r in add[add["criterion"] != "overall"].to_dict("records"):
            rows.append([r["comparison"], r["criterion"], r["base_value"], r["integrated_value"],
                         _ci(r["difference"], r["lower"], r["upper"]),
                         r["p_value"], r["verdict"]])
        if rows:
            lines += _table(["comparison", "criterion", "base", "integrated", "difference (CI)", "p", "verdict"], rows)
            lines.append("")
    res = bundle.results
    if len(res):
        key = res[(res["group"] == "overall") & res["metric"].isin(KEY_METRICS)]
        if "comparison" in key:
            key = key[key["comparison"].isna()]
        if len(key):
            order = {m: i for i, m in enumerate(KEY_METRICS)}
            key = key.assign(_o=key["metric"].map(order)).sort_values(["instrument", "_o"], kind="stable")
            lines += ["## Key metrics (whole cohort)", ""]
            rows = []
            for r in key.to_dict("records"):
                value = _ci(r["estimate"], r["lower"], r["upper"]) if r["status"] == "ok" else f"{r['status']}: {r['reason']}"
                rows.append([r["instrument"], r["metric"], _horizon(r["horizon"]), value, r["n"], r["events"]])
            lines += _table(["instrument", "metric", "horizon", "estimate (95% CI)", "n", "events"], rows)
            lines.append("")
    pub = bundle.published
    if len(pub):
        lines += ["## Published figures: published vs computed", ""]
        if "status" in pub:
            counts = pub["status"].value_counts()
            lines.append(f"{int(counts.get('reproduced', 0))} of {len(pub)} reproduced within the precision they were "
                         f"published at (tolerance); {int(counts.get('differs', 0))} differ; "
                         f"{int(counts.get('not computed', 0))} not computed by this suite.")
            lines.append("")
        rows = []
        for r in pub.to_dict("records"):
            status = r.get("status", "")
            if status == "not computed":
                status = f"not computed: {str(r.get('note') or '').split('not computed by this suite: ')[-1]}"
            rows.append([r["instrument"], r["metric"], r["group"], _horizon(r["horizon"]), _num(r["published"]),
                         _num(r["computed"]), _num(r["difference"]), _num(r.get("tolerance")),
                         "**DIFFERS**" if status == "differs" else status, r["source"]])
        lines += _table(["instrument", "metric", "group", "horizon", "published", "computed", "difference",
                         "tolerance", "status", "source"], rows)
        lines.append("")
    if n_checks:
        lines += ["## All checks", ""]
        lines += _table(["", "check", "observed", "required"],
                        [["pass" if r["passed"] else "**FAIL**", r["check"], _observed(r), r["threshold"]]
                         for r in checks.to_dict("records")])
        lines.append("")
    if bundle.notes:
        lines += ["## Notes", ""]
        lines += [f"- {_cell(n)}" for n in bundle.notes]
        lines.append("")
    versions = prov.get("versions") or {}
    if versions:
        lines.append(f"<sub>assess {versions.get('assess')}, Python {versions.get('python')}; started {prov.get('started')}, "
                     f"{prov.get('duration_seconds')} s.</sub>")
    return "\n".join(lines).rstrip() + "\n"
