"""The self-contained HTML validation report: :func:`render_html` and :func:`write_html`.

One file, no network: the stylesheet and a two-line print helper are inline, every figure is
inline SVG (:mod:`assess.report.figures`), and a Content-Security-Policy forbids the page from
loading anything at all. All text taken from the bundle is HTML-escaped (suite titles,
descriptions and group labels are user input). The same bundle always gives the same bytes.

Sections: headline (pass/fail with counts), checks (failing first), provenance, additionality,
discrimination, calibration by group, Kaplan-Meier by band, decision curves, fairness gaps,
published against computed figures, notes, and the full results table (collapsed). A frame the
run did not produce gives a sentence saying so, never a broken figure.

>>> from assess.report.bundle import ReportBundle
>>> page = render_html(ReportBundle(suite="demo", title="Demo suite"))
>>> page.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import numbers
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import figures
from ._style import CSS, PRINT_SCRIPT, VERDICTS
from .bundle import ReportBundle

__all__ = [
    "format_ci",
    "format_count",
    "format_number",
    "format_p",
    "render_html",
    "write_html",
]

#: (anchor, heading) of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("checks", "Checks"),
    ("provenance", "Provenance"),
    ("additionality", "Additionality"),
    ("discrimination", "Discrimination"),
    ("calibration", "Calibration by group"),
    ("survival", "Survival by band (Kaplan-Meier)"),
    ("decision", "Decision curves"),
    ("fairness", "Fairness gaps"),
    ("published", "Published and computed figures"),
    ("notes", "Notes"),
    ("results", "All results"),
)

NA = "n/a"
DASH = "\u2014"


# ----------------------------------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------------------------------


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_):
        return math.isnan(float(x))
    return False


def format_number(x: Any, digits: int = 3) -> str:
    """A number as the report shows it: floats to ``digits`` decimals (no ``-0.000``), integers
    as integers, missing values as ``n/a``; booleans as yes/no; anything else as text.

    >>> format_number(0.71234), format_number(float("nan")), format_number(-0.0001), format_number(3)
    ('0.712', 'n/a', '0.000', '3')
    """
    if _missing(x):
        return NA
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        v = float(x)
        if math.isinf(v):
            return "infinity" if v > 0 else "-infinity"
        s = f"{v:.{digits}f}"
        return s[1:] if re.fullmatch(r"-0\.?0*", s) else s
    if isinstance(x, list | tuple | np.ndarray):
        return "[" + ", ".join(format_number(v, digits) for v in x) + "]"
    return str(x)


def format_ci(estimate: Any, lower: Any, upper: Any, digits: int = 3) -> str:
    """``"0.712 (0.701 to 0.723)"``; the estimate alone when either limit is missing.

    >>> format_ci(0.71234, 0.7011, 0.7229)
    '0.712 (0.701 to 0.723)'
    """
    est = format_number(estimate, digits)
    if est == NA or _missing(lower) or _missing(upper):
        return est
    return f"{est} ({format_number(lower, digits)} to {format_number(upper, digits)})"


def format_p(p: Any) -> str:
    """A p-value to 3 decimals, ``<0.001`` below that, ``n/a`` when missing."""
    if _missing(p):
        return NA
    try:
        v = float(p)
    except (TypeError, ValueError):
        return str(p)
    return "<0.001" if v < 0.0005 else format_number(v)


def format_count(n: Any) -> str:
    """A count with thousands separators (``12,345``), ``n/a`` when missing."""
    if _missing(n):
        return NA
    try:
        v = float(n)
    except (TypeError, ValueError):
        return str(n)
    return f"{int(round(v)):,}" if v.is_integer() else format_number(v)


def _format_horizon(h: Any) -> str:
    if _missing(h) or (isinstance(h, str) and not h.strip()):
        return DASH
    try:
        return f"{float(h):g}"
    except (TypeError, ValueError):
        return str(h)


def _e(x: Any) -> str:
    """Escape any value as HTML text."""
    return html.escape("" if _missing(x) else str(x), quote=True)


def _passed(v: Any) -> bool | None:
    """A check's ``passed`` value as True / False, or None when it was not evaluated."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if _missing(v):
        return None
    if isinstance(v, numbers.Integral):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in {"true", "pass", "passed", "yes", "1"}:
            return True
        if s in {"false", "fail", "failed", "no", "0"}:
            return False
    return None


# ----------------------------------------------------------------------------------------------
# HTML building blocks
# ----------------------------------------------------------------------------------------------


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    caption: str | None = None,
    numeric: Iterable[int] = (),
    row_class: Sequence[str] | None = None,
) -> str:
    """A table from escaped cell HTML; ``numeric`` column positions are right-aligned."""
    num = set(numeric)
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if j in num else f"<td>{c}</td>" for j, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _empty(sentence: str) -> str:
    return f'<p class="empty">{_e(sentence)}</p>'


def _status_cell(status: Any, reason: Any) -> str:
    s = _e(status) if not _missing(status) else NA
    if not _missing(reason) and str(reason).strip():
        s += f": {_e(reason)}"
    return s


class _Figures:
    """Numbers figures across the page and turns SVG into captioned ``<figure>`` elements."""

    def __init__(self) -> None:
        self.count = 0

    def make(self, draw: Callable[..., str], frame: pd.DataFrame, caption: str, **kwargs: Any) -> str:
        n = self.count + 1
        try:
            svg = draw(frame, fig_id=f"fig{n}", **kwargs)
        except Exception as exc:  # noqa: BLE001 - one bad figure must not lose the whole report
            msg = f"This figure ({caption}) could not be drawn: {type(exc).__name__}: {exc}"
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            return _empty(msg)
        self.count = n
        return (
            f'<figure class="chart" id="fig{n}">{svg}'
            f"<figcaption><strong>Figure {n}.</strong> {_e(caption)}</figcaption></figure>"
        )


def _grid(parts: list[str]) -> str:
    """Figures side by side on wide screens (one column on narrow screens and in print)."""
    return f'<div class="figure-grid">{"".join(parts)}</div>' if len(parts) > 1 else "".join(parts)


def _subset(frame: pd.DataFrame, **equal: Any) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for col, value in equal.items():
        if _missing(value):
            mask &= frame[col].isna().to_numpy()
        else:
            mask &= (frame[col].astype(str) == str(value)).to_numpy()
    return frame.loc[mask]


def _keys(frame: pd.DataFrame, cols: Sequence[str]) -> list[tuple]:
    """Distinct combinations of ``cols`` in order of first appearance (missing kept as None)."""
    distinct = frame[list(cols)].drop_duplicates()
    return [tuple(None if _missing(v) else v for v in row) for row in distinct.itertuples(index=False, name=None)]


# ----------------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------------


def _headline(bundle: ReportBundle) -> str:
    checks = bundle.checks
    states = [_passed(v) for v in checks["passed"]]
    total = len(states)
    ok = sum(s is True for s in states)
    failed = sum(s is False for s in states)
    unknown = total - ok - failed
    if total == 0:
        badge = '<p class="badge none">No checks were defined for this suite.</p>'
    elif ok == total:
        badge = f'<p class="badge pass">\u2713 PASS: all {total} checks passed</p>'
    else:
        extra = f", {unknown} not evaluated" if unknown else ""
        badge = (
            f'<p class="badge fail">\u2717 FAIL: {failed + unknown} of {total} checks did not pass '
            f"({ok} passed, {failed} failed{extra})</p>"
        )
    desc = f'<p class="description">{_e(bundle.description)}</p>' if str(bundle.description).strip() else ""
    return (
        f"<header><h1>{_e(bundle.title)}</h1>"
        f'<p class="subtitle">Validation report for suite <code>{_e(bundle.suite)}</code></p>'
        f"{desc}{badge}</header>"
    )


def _toc() -> str:
    items = "".join(f'<li><a href="#{a}">{_e(h)}</a></li>' for a, h in SECTIONS)
    return f'<nav class="toc" aria-label="Contents"><ol>{items}</ol></nav>'


def _checks(bundle: ReportBundle) -> str:
    c = bundle.checks
    if c.empty:
        return _empty("This suite defines no checks, so the run has no pass/fail gate.")
    states = [_passed(v) for v in c["passed"]]
    rank = [0 if s is False else 1 if s is None else 2 for s in states]  # failing first
    order = sorted(range(len(c)), key=lambda i: rank[i])  # stable within each kind
    rows, classes = [], []
    for i in order:
        r = c.iloc[i]
        s = states[i]
        if s is True:
            status = '<span class="status pass">\u2713 pass</span>'
        elif s is False:
            status = '<span class="status fail">\u2717 FAIL</span>'
        else:
            status = '<span class="status fail">? not evaluated</span>'
        rows.append([
            status, _e(r["check"]), _e(r["instrument"]), _e(r["metric"]), _e(r["group"]),
            _e(format_number(r["observed"])), _e(format_number(r["threshold"])), _e(r["message"]),
        ])
        classes.append("" if s is True else "failed")
    n_fail = sum(x != 2 for x in rank)
    intro = (
        f"<p>{len(c)} check(s); {n_fail} did not pass and are listed first.</p>"
        if n_fail else f"<p>All {len(c)} check(s) passed.</p>"
    )
    headers = ["Result", "Check", "Instrument", "Metric", "Group", "Observed", "Threshold", "Message"]
    return intro + _table(headers, rows, numeric=(5,), row_class=classes)


_HASHLIKE = re.compile(r"(sha\d*:)?[0-9a-fA-F]{16,}")


def _prov_value(v: Any, depth: int = 0) -> str:
    if isinstance(v, Mapping):
        if not v:
            return DASH
        if depth >= 4:
            return _e(repr(dict(v)))
        items = "".join(
            f"<dt>{_e(k)}</dt><dd>{_prov_value(val, depth + 1)}</dd>" for k, val in v.items()
        )
        return f'<dl class="provenance">{items}</dl>'
    if isinstance(v, list | tuple | set | frozenset):
        vals = sorted(v, key=str) if isinstance(v, set | frozenset) else list(v)
        if any(isinstance(x, Mapping) for x in vals):
            return "".join(_prov_value(x, depth + 1) for x in vals) or DASH
        return ", ".join(_prov_value(x, depth + 1) for x in vals) or DASH
    if _missing(v):
        return NA
    s = str(v)
    if _HASHLIKE.fullmatch(s):
        return f"<code>{_e(s)}</code>"
    return _e(s)


def _provenance(bundle: ReportBundle) -> str:
    if not bundle.provenance:
        return _empty("No provenance was recorded for this run.")
    return _prov_value(bundle.provenance)


def _verdict_badge(v: Any) -> str:
    word = "" if _missing(v) else str(v).strip()
    cls, sym = VERDICTS.get(word.lower(), ("v-unknown", ""))
    label = f"{sym} {word}".strip() if word else NA
    return f'<span class="verdict {cls}">{_e(label)}</span>'


def _additionality(bundle: ReportBundle) -> str:
    a = bundle.additionality
    if a.empty:
        return _empty("This run made no base-versus-integrated comparison, so there is no additionality analysis.")
    out = [
        "<p>Does adding strengths to a risk instrument improve it? Each criterion compares the "
        "integrated instrument with the base one; the verdict is given in words and by colour.</p>"
    ]
    for (comparison,) in _keys(a, ["comparison"]):
        part = _subset(a, comparison=comparison)
        base = part["base"].iloc[0]
        integ = part["integrated"].iloc[0]
        is_overall = (part["criterion"].astype(str).str.lower() == "overall").to_numpy()
        out.append(f"<h3>{_e(comparison)}: {_e(integ)} against {_e(base)}</h3>")
        if is_overall.any():
            ov = part.loc[is_overall].iloc[0]
            method = f" ({_e(ov['method'])})" if not _missing(ov["method"]) and str(ov["method"]) else ""
            out.append(f"<p><strong>Overall verdict:</strong> {_verdict_badge(ov['verdict'])}{method}</p>")
        ordered = pd.concat([part.loc[~is_overall], part.loc[is_overall]])
        rows, classes = [], []
        for _, r in ordered.iterrows():
            rows.append([
                _e(r["criterion"]), _e(format_number(r["base_value"])),
                _e(format_number(r["integrated_value"])),
                _e(format_ci(r["difference"], r["lower"], r["upper"])), _e(format_p(r["p_value"])),
                _verdict_badge(r["verdict"]), _e(r["method"]),
            ])
            classes.append("overall" if str(r["criterion"]).lower() == "overall" else "")
        headers = [
            "Criterion", f"Base ({base})", f"Integrated ({integ})",
            "Difference, integrated - base (CI)", "p", "Verdict", "Method",
        ]
        out.append(_table(headers, rows, numeric=(1, 2, 3, 4), row_class=classes))
    return "".join(out)


def _is_discrimination(metric: str) -> bool:
    m = metric.lower()
    return "auc" in m or m in {"c_index", "concordance", "c_statistic"} or m.endswith("_c")


def _is_calibration(metric: str) -> bool:
    m = metric.lower()
    return (
        "calib" in m or "observed_expected" in m or "brier" in m
        or m in {"oe_ratio", "o_e_ratio", "ici", "e50", "e90", "emax"}
    )


def _metric_table(results: pd.DataFrame, keep: Callable[[str], bool], caption: str) -> str:
    if results.empty:
        return ""
    sel = results.loc[[keep(str(m)) for m in results["metric"]]]
    if sel.empty:
        return ""
    rows = [
        [
            _e(r["instrument"]), _e(r["metric"]), _e(r["group"]), _e(_format_horizon(r["horizon"])),
            _e(format_ci(r["estimate"], r["lower"], r["upper"])), _e(format_count(r["n"])),
            _e(format_count(r["events"])), _status_cell(r["status"], r["reason"]),
        ]
        for _, r in sel.iterrows()
    ]
    headers = ["Instrument", "Metric", "Group", "Horizon", "Estimate (CI)", "n", "Events", "Status"]
    return _table(headers, rows, caption=caption, numeric=(3, 4, 5, 6))


def _discrimination(bundle: ReportBundle, figs: _Figures) -> str:
    roc = bundle.roc
    out = []
    if roc.empty:
        out.append(_empty("This run produced no ROC curves (for example, no binary outcome at a horizon was analysed)."))
    else:
        overall = roc[roc["group"].astype(str) == figures.OVERALL]
        main = overall if not overall.empty else roc
        out.append(figs.make(
            figures.roc_figure, main, "ROC curves for the whole cohort; the dotted diagonal is chance (AUC 0.5).",
            title="ROC curves" + (" (overall)" if not overall.empty else ""),
        ))
        if not overall.empty:
            by_group = []
            for inst, score in _keys(roc, ["instrument", "score"]):
                part = _subset(roc, instrument=inst, score=score)
                if part["group"].astype(str).nunique() > 1:
                    label = f"{inst} ({score})"
                    by_group.append(figs.make(
                        figures.roc_figure, part, f"ROC curves of {label} by group.",
                        title=f"ROC by group: {label}",
                    ))
            out.append(_grid(by_group))
    table = _metric_table(bundle.results, _is_discrimination, "Discrimination: AUC and concordance (C) with confidence intervals")
    out.append(table or _empty("No discrimination statistics (AUC or C) are among the results."))
    return "".join(out)


def _calibration(bundle: ReportBundle, figs: _Figures) -> str:
    cc = bundle.calibration_curves
    out = []
    if cc.empty:
        out.append(_empty("This run produced no calibration curves (the instruments give no predicted probabilities, or calibration was not requested)."))
    else:
        for inst, horizon in _keys(cc, ["instrument", "horizon"]):
            part = _subset(cc, instrument=inst, horizon=horizon)
            h = _format_horizon(horizon)
            suffix = f" at horizon {h}" if h != DASH else ""
            out.append(figs.make(
                figures.calibration_figure, part,
                f"Calibration of {inst}{suffix}: observed against predicted risk by group, with "
                "confidence intervals per bin; the dotted line is perfect calibration.",
                title=f"Calibration: {inst}{suffix}",
            ))
    table = _metric_table(bundle.results, _is_calibration, "Calibration and prediction-error statistics")
    if table:
        out.append(table)
    return "".join(out)


def _survival(bundle: ReportBundle, figs: _Figures) -> str:
    sc = bundle.survival_curves
    if sc.empty:
        return _empty("This run produced no Kaplan-Meier curves (for example, the outcome is binary rather than time to event, or no bands were defined).")
    out = []
    for (inst,) in _keys(sc, ["instrument"]):
        part = _subset(sc, instrument=inst)
        out.append(figs.make(
            figures.survival_figure, part,
            f"Kaplan-Meier curves of {inst} by band, with shaded pointwise confidence bands; the "
            "numbers at risk are under the time axis.",
            title=f"Survival by band: {inst}",
        ))
    return _grid(out)


def _decision(bundle: ReportBundle, figs: _Figures) -> str:
    dc = bundle.decision_curves
    if dc.empty:
        return _empty("This run produced no decision curves (no comparison with predicted probabilities was made).")
    out = [
        "<p>Net benefit weighs true positives against false positives at the odds given by the "
        "threshold probability (Vickers and Elkin 2006). A model is useful at thresholds where its "
        "curve lies above both treat-all and treat-none.</p>"
    ]
    curves = []
    for (comparison,) in _keys(dc, ["comparison"]):
        part = _subset(dc, comparison=comparison)
        curves.append(figs.make(
            figures.decision_figure, part,
            f"Decision curves for {comparison}, with confidence bands; dashed grey: treat all; "
            "dotted black: treat none.",
            title=f"Decision curves: {comparison}",
        ))
    return "".join(out) + _grid(curves)


def _fairness(bundle: ReportBundle, figs: _Figures) -> str:
    fg = bundle.fairness_gaps
    if fg.empty:
        return _empty("This run produced no fairness comparisons (no groups were defined).")
    out = []
    for (inst,) in _keys(fg, ["instrument"]):
        part = _subset(fg, instrument=inst)
        out.append(figs.make(
            figures.fairness_figure, part,
            f"Fairness gaps of {inst}: each group against its comparator with confidence "
            "intervals; the dashed line marks no gap.",
            title=f"Fairness gaps: {inst}",
        ))
    rows = [
        [
            _e(r["instrument"]), _e(r["metric"]), _e(r["group"]), _e(r["versus"]), _e(r["comparison"]),
            _e(format_ci(r["estimate"], r["lower"], r["upper"])), _e(r["status"]),
        ]
        for _, r in fg.iterrows()
    ]
    headers = ["Instrument", "Metric", "Group", "Versus", "Comparison", "Gap (CI)", "Status"]
    out.append(
        f"<details><summary>Show the {len(fg)} fairness gaps as a table</summary>"
        f"{_table(headers, rows, caption='Fairness gaps with confidence intervals', numeric=(5,))}</details>"
    )
    return "".join(out)


def _published(bundle: ReportBundle) -> str:
    p = bundle.published
    if p.empty:
        return _empty("No published figures were given for comparison (this is expected for synthetic cohorts).")
    rows = [
        [
            _e(r["instrument"]), _e(r["metric"]), _e(r["group"]), _e(_format_horizon(r["horizon"])),
            _e(format_number(r["published"])), _e(format_number(r["computed"])),
            _e(format_number(r["difference"])), _e(r["source"]),
        ]
        for _, r in p.iterrows()
    ]
    headers = ["Instrument", "Metric", "Group", "Horizon", "Published", "Computed", "Difference (computed - published)", "Source"]
    return _table(headers, rows, numeric=(3, 4, 5, 6))


def _notes(bundle: ReportBundle) -> str:
    notes = [str(n) for n in bundle.notes if str(n).strip()]
    if not notes:
        return _empty("No notes for this run.")
    paras = []
    for note in notes:
        for para in re.split(r"\n\s*\n", note.strip()):
            paras.append(f"<p>{_e(para.strip())}</p>")
    return "".join(paras)


def _results(bundle: ReportBundle) -> str:
    r = bundle.results
    if r.empty:
        return _empty("The run produced no results.")
    rows = [
        [
            _e(x["instrument"]), _e(x["cohort"]), _e(x["metric"]), _e(x["group"]),
            _e(_format_horizon(x["horizon"])), _e(format_number(x["estimate"])),
            _e(format_number(x["lower"])), _e(format_number(x["upper"])), _e(format_count(x["n"])),
            _e(format_count(x["events"])), _status_cell(x["status"], x["reason"]),
        ]
        for _, x in r.iterrows()
    ]
    headers = ["Instrument", "Cohort", "Metric", "Group", "Horizon", "Estimate", "Lower", "Upper", "n", "Events", "Status"]
    table = _table(headers, rows, numeric=(4, 5, 6, 7, 8, 9))
    return (
        f"<details><summary>Show all {len(r)} result rows (the same numbers as results.csv)</summary>"
        f"{table}</details>"
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("assess")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown version"


# ----------------------------------------------------------------------------------------------
# page
# ----------------------------------------------------------------------------------------------


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_html(bundle: ReportBundle) -> str:
    """The validation report of ``bundle`` as one self-contained HTML page (a string).

    No network resources are referenced (a Content-Security-Policy also forbids loading any);
    figures are inline SVG with titles, descriptions and captions; every bundle text is escaped.
    Rendering is deterministic: the same bundle gives the same string.
    """
    if not isinstance(bundle, ReportBundle):
        raise TypeError(f"render_html expects a ReportBundle, got {type(bundle).__name__}")
    bundle.check_columns()
    figs = _Figures()
    body = {
        "checks": _checks(bundle),
        "provenance": _provenance(bundle),
        "additionality": _additionality(bundle),
        "discrimination": _discrimination(bundle, figs),
        "calibration": _calibration(bundle, figs),
        "survival": _survival(bundle, figs),
        "decision": _decision(bundle, figs),
        "fairness": _fairness(bundle, figs),
        "published": _published(bundle),
        "notes": _notes(bundle),
        "results": _results(bundle),
    }
    sections = "".join(
        f'<section id="{anchor}" aria-labelledby="h-{anchor}"><h2 id="h-{anchor}">{_e(heading)}</h2>'
        f"{body[anchor]}</section>\n"
        for anchor, heading in SECTIONS
    )
    title = f"{bundle.title} \u2014 validation report"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="assess {_e(_version())}">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n"
        f"<script>{PRINT_SCRIPT}</script>\n</head>\n<body>\n"
        f"{_headline(bundle)}\n{_toc()}\n<main>\n{sections}</main>\n"
        f"<footer>Generated by assess {_e(_version())}. {figs.count} figure(s). "
        "This page is self-contained: it loads nothing from the network.</footer>\n"
        "</body>\n</html>\n"
    )


def write_html(bundle: ReportBundle, path: str | Path) -> Path:
    """Render ``bundle`` (:func:`render_html`) and write it to ``path`` as UTF-8; returns the path.

    Parent directories are created. The file is written in one go (to a temporary name, then
    renamed), so a reader never sees half a report.
    """
    path = Path(path)
    page = render_html(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8", newline="\n")
    tmp.replace(path)
    return path
