"""Colours, line styles and the stylesheet shared by the HTML report and its figures.

Colours follow the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
distinguishable under the common colour-vision deficiencies; every series also gets its own line
style and marker so that colour is never the only cue (and the page still reads in grey print).
"""

from __future__ import annotations

#: Okabe-Ito palette, yellow last (weak contrast on white).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

LINESTYLES: tuple = ("-", "--", ":", "-.", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 3)), (0, (3, 1, 1, 1)))
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Verdict words of the additionality analysis -> (css class, symbol shown before the word).
VERDICTS: dict[str, tuple[str, str]] = {
    "additive": ("v-additive", "\u25b2"),  # up triangle
    "non-inferior": ("v-noninferior", "="),
    "dilutes": ("v-dilutes", "\u25bc"),  # down triangle
    "inconclusive": ("v-inconclusive", "?"),
}


def series_style(i: int) -> dict:
    """Colour, line style and marker of the ``i``-th series (cycles after eight)."""
    return {
        "color": OKABE_ITO[i % len(OKABE_ITO)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


#: Inline stylesheet of ``report.html``: screen, narrow screens and print. No web fonts.
CSS = """
:root {
  --fg: #1b1b1b; --muted: #555; --line: #c9c9c9; --bg-alt: #f4f5f7;
  --pass-bg: #d8f0e6; --pass-fg: #00573c; --fail-bg: #fbe0d3; --fail-fg: #8a2c00;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0 auto; padding: 0 1.25rem 3rem; max-width: 72rem; color: var(--fg); background: #fff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  font-size: 16px; line-height: 1.5;
}
h1 { font-size: 1.75rem; margin: 1.5rem 0 0.25rem; line-height: 1.25; }
h2 { font-size: 1.35rem; margin: 2.25rem 0 0.5rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.4rem; }
p, li, dd, figcaption, summary { overflow-wrap: anywhere; }
td, th { overflow-wrap: break-word; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
.subtitle { color: var(--muted); margin: 0 0 0.75rem; }
.description { white-space: pre-line; }
.empty { color: var(--muted); font-style: italic; }
.badge {
  display: inline-block; padding: 0.35rem 0.8rem; border-radius: 0.3rem; font-weight: 700;
  border: 2px solid currentColor; -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
.badge.pass { background: var(--pass-bg); color: var(--pass-fg); }
.badge.fail { background: var(--fail-bg); color: var(--fail-fg); }
.badge.none { background: var(--bg-alt); color: var(--muted); }
nav.toc ol { columns: 2 14rem; padding-left: 1.5rem; margin: 0.5rem 0; }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; caption-side: top; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
thead th { background: var(--bg-alt); }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.overall td { font-weight: 700; border-top: 2px solid var(--fg); }
tr.failed td { background: #fff4ee; }
.status { font-weight: 700; white-space: nowrap; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.status.pass { color: var(--pass-fg); }
.status.fail { color: var(--fail-fg); background: var(--fail-bg); }
.verdict {
  display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.25rem; font-weight: 700;
  white-space: nowrap; border: 1px solid currentColor;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
.v-additive { background: #d8f0e6; color: #00573c; }
.v-noninferior { background: #dcecf8; color: #004a75; }
.v-dilutes { background: #fbe0d3; color: #8a2c00; }
.v-inconclusive { background: #ececec; color: #3d3d3d; }
.v-unknown { background: #fff; color: var(--fg); }
dl.provenance { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; }
dl.provenance dl.provenance { margin: 0; }
figure.chart { margin: 1rem 0 1.5rem; break-inside: avoid; page-break-inside: avoid; }
.figure-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr)); gap: 0 1.5rem; align-items: start; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart svg * { stroke-linejoin: round; stroke-linecap: butt; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3rem; }
details { margin: 0.5rem 0 1rem; }
summary { cursor: pointer; font-weight: 600; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line); padding-top: 0.5rem; }
@media (max-width: 40rem) {
  body { padding: 0 0.6rem 2rem; font-size: 15px; }
  h1 { font-size: 1.4rem; }
  dl.provenance { grid-template-columns: 1fr; }
  dl.provenance dd { margin-left: 0.75rem; }
  nav.toc ol { columns: 1; }
}
@media print {
  @page { margin: 15mm 12mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  tr, figure.chart, .badge { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  .figure-grid { display: block; }
  figure.chart svg { max-height: 24cm; }
  thead { display: table-header-group; }
  summary { list-style: none; }
  details::details-content { content-visibility: visible; display: contents; }
}
"""

#: Inline script: open every collapsed section before printing (and restore afterwards).
PRINT_SCRIPT = (
    'window.addEventListener("beforeprint",function(){'
    'document.querySelectorAll("details").forEach(function(d){'
    'd.setAttribute("data-was-open",d.open?"1":"0");d.open=true;});});'
    'window.addEventListener("afterprint",function(){'
    'document.querySelectorAll("details").forEach(function(d){'
    'if(d.getAttribute("data-was-open")==="0"){d.open=false;}});});'
)
