"""Figures of the HTML validation report, each returned as inline SVG text.

Every function takes one tidy frame of a :class:`~assess.report.bundle.ReportBundle` (or a slice
of it) and returns a ``<svg>`` element ready to paste into HTML: no XML prolog, no external
references, element ids prefixed with ``fig_id`` (so several figures can share one page), a
``<title>`` and ``<desc>`` for screen readers, and text kept as text (``svg.fonttype = "none"``).

Output is reproducible: the same frame gives byte-identical SVG (``svg.hashsalt`` fixed, no
date metadata). Long curves (a 100k-person ROC or Kaplan-Meier curve has one point per distinct
score or time) are thinned to at most ``max_points`` points per line by equal steps of arc length,
which keeps every visible bend while bounding the size of the page.

Colours are Okabe-Ito; each series also has its own line style and marker, so that colour is
never the only cue.
"""

from __future__ import annotations

import contextlib
import html
import io
import math
import re
from collections.abc import Iterator, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ._style import series_style

__all__ = [
    "calibration_figure",
    "decision_figure",
    "fairness_figure",
    "grouping_of",
    "roc_figure",
    "survival_figure",
    "thin_curve",
]

#: Default cap on plotted points per line.
MAX_POINTS = 500
#: Cap on series drawn in one panel (the palette has eight distinguishable colours).
MAX_SERIES = 8

_RC = {
    "svg.hashsalt": "assess-report",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "text.parse_math": False,  # user labels are literal text: "$" is a dollar sign
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "path.simplify": True,
}
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
OVERALL = "overall"


@contextlib.contextmanager
def _rc() -> Iterator[None]:
    with matplotlib.rc_context(_RC):
        yield


def _text(value: object) -> str:
    """A bundle value as a matplotlib label: literal, and never hidden by the legend.

    matplotlib drops legend entries whose label starts with an underscore; a zero-width space
    in front keeps them (the label still reads the same).
    """
    s = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return "\u200b" + s if s.startswith("_") else s


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value) != ""


def thin_curve(x: Sequence[float], y: Sequence[float], max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` points of a curve, equally spaced in arc length.

    Arc length is measured after scaling both axes to unit range, so steep and flat stretches
    get points in proportion to how long they look on the plot; a jump between two consecutive
    points counts as at most one equal share. The first and last points are always kept and the
    indices come back sorted (the curve's order is preserved).

    >>> thin_curve(np.linspace(0, 1, 10_000), np.linspace(0, 1, 10_000), 5)
    array([   0, 2500, 5000, 7500, 9999])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    if n <= max_points:
        return np.arange(n)
    ok = np.isfinite(x) & np.isfinite(y)
    xs = np.where(ok, x, 0.0)
    ys = np.where(ok, y, 0.0)
    xr = np.ptp(xs[ok]) if ok.any() else 1.0
    yr = np.ptp(ys[ok]) if ok.any() else 1.0
    seg = np.hypot(np.diff(xs) / (xr or 1.0), np.diff(ys) / (yr or 1.0))
    # a single long step (a jump) cannot be subdivided: cap each step at one equal share so that
    # jumps do not swallow the budget of points meant for the rest of the curve
    for _ in range(3):
        seg = np.minimum(seg, seg.sum() / (max_points - 1))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    targets = np.linspace(0.0, s[-1], max_points)
    idx = np.clip(np.searchsorted(s, targets, side="left"), 0, n - 1)
    idx[0], idx[-1] = 0, n - 1
    return np.unique(idx)


# ----------------------------------------------------------------------------------------------
# SVG post-processing
# ----------------------------------------------------------------------------------------------

_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'xlink:href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def _to_svg(fig: Figure, fig_id: str, title: str, description: str) -> str:
    """Serialise ``fig`` as an inline-ready, reproducible, accessible ``<svg>`` element."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_NO_METADATA)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    # the namespaces are implied for <svg> inside HTML; dropping them leaves no URL in the page
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'\s+version="1\.1"', "", svg, count=1)
    svg = re.sub(r'<style type="text/css">[^<]*</style>', "", svg)  # moved to the page's CSS
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", fig_id)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _HREF.sub(lambda m: f'xlink:href="#{prefix}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    m = re.match(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    width = m.group(1) if m else None
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    style = f' style="max-width:{width}pt"' if width else ""
    head = head[:-1] + (
        f' role="img" aria-labelledby="{prefix}-title {prefix}-desc" class="chart-svg"{style}>'
    )
    a11y = (
        f'\n <title id="{prefix}-title">{html.escape(title)}</title>'
        f'\n <desc id="{prefix}-desc">{html.escape(description)}</desc>'
    )
    return head + a11y + svg[head_end:].rstrip() + "\n"


def _margins(fig: Figure, left: float, right: float, top: float, bottom: float, **space: float) -> None:
    """Fixed margins in inches (cheaper and more predictable than a layout engine)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, **space)


def _message_svg(fig_id: str, title: str, message: str) -> str:
    """A small figure that states, in words, why there is nothing to draw."""
    with _rc():
        fig = Figure(figsize=(6.0, 1.2))
        fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True, color="#555555")
        return _to_svg(fig, fig_id, title, message)


# ----------------------------------------------------------------------------------------------
# ROC
# ----------------------------------------------------------------------------------------------


def _series_label(row: pd.Series, keys: Sequence[str], vary: Sequence[str]) -> str:
    parts = []
    for k in keys:
        if k in vary and _present(row[k]):
            parts.append(str(row[k]))
    return _text(" \u00b7 ".join(parts) if parts else "all")


def roc_figure(
    roc: pd.DataFrame,
    *,
    title: str = "ROC curves",
    fig_id: str = "roc",
    max_points: int = MAX_POINTS,
) -> str:
    """ROC curves (true vs false positive rate), one line per instrument, score and group.

    The dotted diagonal is chance (AUC 0.5). ``roc`` has the bundle's ``roc`` columns
    (``instrument, score, group, fpr, tpr``); points are plotted in order of increasing FPR.
    Up to eight lines are drawn; more are named in the figure's description as omitted.
    """
    keys = ["instrument", "score", "group"]
    data = roc.assign(_fpr=_num(roc, "fpr"), _tpr=_num(roc, "tpr"))
    data = data[np.isfinite(data["_fpr"]) & np.isfinite(data["_tpr"])]
    if data.empty:
        return _message_svg(fig_id, title, "No ROC points to draw.")
    lines = data[keys].drop_duplicates()
    vary = [k for k in keys if lines[k].nunique(dropna=False) > 1] or ["instrument", "score"]
    shown, omitted = lines.iloc[:MAX_SERIES], lines.iloc[MAX_SERIES:]
    names = []
    with _rc():
        fig = Figure(figsize=(5.0, 5.0))
        _margins(fig, 0.75, 0.2, 0.35, 0.6)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color="#777777", linestyle=":", linewidth=1.2, label="chance")
        for i, (_, line) in enumerate(shown.iterrows()):
            sel = np.ones(len(data), dtype=bool)
            for k in keys:
                sel &= (data[k] == line[k]).to_numpy() | (data[k].isna() & pd.isna(line[k])).to_numpy()
            part = data.loc[sel]
            order = np.lexsort((part["_tpr"].to_numpy(), part["_fpr"].to_numpy()))
            x = part["_fpr"].to_numpy()[order]
            y = part["_tpr"].to_numpy()[order]
            keep = thin_curve(x, y, max_points)
            st = series_style(i)
            label = _series_label(line, keys, vary)
            names.append(label)
            ax.plot(x[keep], y[keep], color=st["color"], linestyle=st["linestyle"], label=label,
                    drawstyle="default")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("False positive rate (1 - specificity)")
        ax.set_ylabel("True positive rate (sensitivity)")
        ax.set_title(_text(title))
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        desc = "ROC curves: " + "; ".join(names) + ". Dotted diagonal: chance."
        if len(omitted):
            desc += f" {len(omitted)} further curve(s) not drawn."
        return _to_svg(fig, fig_id, title, desc)


# ----------------------------------------------------------------------------------------------
# calibration
# ----------------------------------------------------------------------------------------------


def grouping_of(group: object) -> str:
    """The grouping a bundle ``group`` label belongs to: ``"sex=female"`` -> ``"sex"``,
    ``"sex=female & ethnicity=white"`` -> ``"sex \u00d7 ethnicity"``, ``"overall"`` -> ``"overall"``."""
    g = str(group)
    if g == OVERALL:
        return OVERALL
    return " \u00d7 ".join(part.split("=", 1)[0].strip() for part in g.split(" & "))


def calibration_figure(
    curves: pd.DataFrame,
    *,
    title: str = "Calibration",
    fig_id: str = "calibration",
    max_series: int = MAX_SERIES,
) -> str:
    """Binned calibration curves by group: observed against mean predicted risk per bin, with
    the bin's confidence interval as a vertical bar and the 45-degree line of perfect calibration.

    One panel for the whole cohort (``group == "overall"``) and one per grouping (``sex``,
    ``ethnicity``, intersections), so that the groups being compared share axes. ``curves`` has
    the bundle's ``calibration_curves`` columns for one instrument and horizon.
    """
    data = curves.assign(
        _x=_num(curves, "predicted"), _y=_num(curves, "observed"),
        _lo=_num(curves, "lower"), _hi=_num(curves, "upper"),
    )
    data = data[np.isfinite(data["_x"]) & np.isfinite(data["_y"])]
    if data.empty:
        return _message_svg(fig_id, title, "No calibration bins to draw.")
    groups = list(pd.unique(data["group"].astype(str)))
    panels: dict[str, list[str]] = {}
    for g in groups:
        panels.setdefault(grouping_of(g), []).append(g)
    finite = np.concatenate([data[c].to_numpy() for c in ("_x", "_y", "_hi")])
    finite = finite[np.isfinite(finite)]
    top = float(min(1.0, max(0.05, finite.max() * 1.08))) if finite.size else 1.0
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    desc_parts, omitted = [], 0
    with _rc():
        fig = Figure(figsize=(3.5 * ncols + 0.3, 3.5 * nrows + 0.45))
        _margins(fig, 0.6, 0.15, 0.6, 0.55, wspace=0.35, hspace=0.45)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        for ax, (panel, members) in zip(axes, panels.items(), strict=False):
            ax.plot([0, top], [0, top], color="#777777", linestyle=":", linewidth=1.2,
                    label="perfect calibration")
            drawn = members[:max_series]
            omitted += len(members) - len(drawn)
            for i, g in enumerate(drawn):
                part = data[data["group"].astype(str) == g].sort_values("_x", kind="stable")
                st = series_style(i)
                x, y = part["_x"].to_numpy(), part["_y"].to_numpy()
                lo, hi = part["_lo"].to_numpy(), part["_hi"].to_numpy()
                yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
                yerr = np.where(np.isfinite(yerr), yerr, 0.0)
                ax.errorbar(x, y, yerr=yerr, color=st["color"], linestyle=st["linestyle"],
                            marker=st["marker"], markersize=4.5, linewidth=1.4, capsize=2.5,
                            elinewidth=1.0, label=_text(g))
                desc_parts.append(f"{g}: {len(part)} bins")
            ax.set_xlim(0, top)
            ax.set_ylim(0, top)
            ax.set_aspect("equal")
            ax.set_title(_text(panel))
            ax.set_xlabel("Predicted risk")
            ax.set_ylabel("Observed proportion")
            ax.legend(loc="upper left", fontsize=7.5, framealpha=0.9)
        fig.suptitle(_text(title), fontsize=11, y=1 - 0.1 / fig.get_size_inches()[1], va="top")
        desc = (
            "Observed against predicted risk per bin, with confidence intervals; dotted line: "
            "perfect calibration. " + "; ".join(desc_parts) + "."
        )
        if omitted:
            desc += f" {omitted} further group(s) not drawn."
        return _to_svg(fig, fig_id, title, desc)


# ----------------------------------------------------------------------------------------------
# Kaplan-Meier
# ----------------------------------------------------------------------------------------------


def _at_risk(times: np.ndarray, at_risk: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """Number at risk at each tick: the ``at_risk`` of the first step at or after the tick
    (subjects with follow-up >= t), zero after the last step."""
    pos = np.searchsorted(times, ticks, side="left")
    inside = pos < times.size
    out = np.zeros(ticks.size)
    out[inside] = at_risk[pos[inside]]
    return out


def survival_figure(
    curves: pd.DataFrame,
    *,
    title: str = "Kaplan-Meier curves by band",
    fig_id: str = "survival",
    max_points: int = MAX_POINTS,
    time_label: str = "Time since assessment",
) -> str:
    """Kaplan-Meier survival curves, one per band, with pointwise confidence bands (shaded) and a
    table of numbers at risk under the time axis.

    ``curves`` has the bundle's ``survival_curves`` columns for one instrument, one row per step
    (``time``, ``survival`` just after it, ``lower``, ``upper``, ``at_risk`` = subjects with
    follow-up >= time). Bands keep their order of first appearance (low to high as the harness
    writes them). Curves start at S(0) = 1.
    """
    data = curves.assign(
        _t=_num(curves, "time"), _s=_num(curves, "survival"),
        _lo=_num(curves, "lower"), _hi=_num(curves, "upper"), _n=_num(curves, "at_risk"),
    )
    data = data[np.isfinite(data["_t"]) & np.isfinite(data["_s"])]
    if data.empty:
        return _message_svg(fig_id, title, "No survival curve steps to draw.")
    bands = list(pd.unique(data["band"].astype(str)))
    shown, omitted = bands[:MAX_SERIES], bands[MAX_SERIES:]
    tmax = float(data["_t"].max())
    ticks = MaxNLocator(nbins=6, min_n_ticks=3).tick_values(0.0, tmax if tmax > 0 else 1.0)
    # 3 * 0.2 is 0.6000000000000001: round ticks to their nominal values, or the number at risk
    # at "0.6" would skip the people followed up for exactly 0.6
    ticks = np.array([float(f"{v:.12g}") for v in ticks])
    ticks = ticks[(ticks >= 0) & (ticks <= tmax)]
    desc_parts = []
    with _rc():
        # explicit layout in inches: title, curves, time axis and its label, at-risk table
        width, top, plot_h, axis_h, row_h, bottom = 7.0, 0.35, 3.3, 0.75, 0.2, 0.1
        table_h = row_h * (len(shown) + 1)
        height = top + plot_h + axis_h + table_h + bottom
        # band names sit left of the table, clear of the first column of numbers (centred at 0)
        left = max(0.75, 0.6 + 0.075 * max(len(str(b)) for b in shown))
        fig = Figure(figsize=(width, height))
        axw = (width - left - 0.3) / width
        ax = fig.add_axes((left / width, (bottom + table_h + axis_h) / height, axw, plot_h / height))
        tab = fig.add_axes((left / width, bottom / height, axw, table_h / height))
        ymin = 1.0
        rows = []
        for i, band in enumerate(shown):
            part = data[data["band"].astype(str) == band]
            order = np.lexsort((-part["_s"].to_numpy(), part["_t"].to_numpy()))
            t, s = part["_t"].to_numpy()[order], part["_s"].to_numpy()[order]
            lo, hi = part["_lo"].to_numpy()[order], part["_hi"].to_numpy()[order]
            n_risk = part["_n"].to_numpy()[order]
            risk_row = _at_risk(t, n_risk, ticks)  # NaN (shown as n/a) where not recorded
            if t[0] > 0:  # every curve starts at S(0) = 1
                t, s = np.r_[0.0, t], np.r_[1.0, s]
                lo, hi = np.r_[1.0, lo], np.r_[1.0, hi]
            keep = thin_curve(t, s, max_points)
            t, s, lo, hi = t[keep], s[keep], lo[keep], hi[keep]
            st = series_style(i)
            ax.step(t, s, where="post", color=st["color"], linestyle=st["linestyle"], label=_text(band))
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any():
                ax.fill_between(t[ok], lo[ok], hi[ok], step="post", color=st["color"], alpha=0.15,
                                linewidth=0)
                ymin = min(ymin, float(np.nanmin(lo[ok])))
            ymin = min(ymin, float(np.nanmin(s)))
            rows.append((band, risk_row, st["color"]))
            desc_parts.append(f"{band}: survival {s[-1]:.3f} at time {t[-1]:g}")
        ax.set_ylim(max(0.0, math.floor(ymin * 10) / 10 - 0.02), 1.01)
        ax.set_xlim(0, tmax if tmax > 0 else 1.0)
        ax.set_ylabel("Proportion without the event")
        ax.set_title(_text(title))
        ax.legend(loc="lower left", framealpha=0.9, title="band")
        ax.tick_params(labelbottom=True)
        ax.set_xlabel(time_label)
        # numbers at risk, one row per band, aligned with the time ticks (plain text: no tick
        # machinery, which is most of matplotlib's drawing time)
        tab.set_xlim(ax.get_xlim())
        tab.set_ylim(len(rows) - 0.5, -1.5)
        tab.axis("off")
        label_at = tab.get_yaxis_transform()  # x in axes fraction, y in rows
        pad = -0.45 / (axw * width)  # 0.45 inch left of the axis
        tab.text(0.1 / width, -1.0, "Number at risk", transform=blended_transform_factory(
            fig.transFigure, label_at), ha="left", va="center", fontsize=8.5, fontweight="bold")
        for j, (band, risk_row, colour) in enumerate(rows):
            tab.text(pad, j, _text(band), transform=label_at, ha="right", va="center", color=colour)
            for x, n in zip(ticks, risk_row, strict=True):
                label = f"{int(n):,}" if np.isfinite(n) else "n/a"
                tab.text(x, j, label, ha="center", va="center", fontsize=8.5)
        ax.set_xticks(ticks)
        desc = "Kaplan-Meier curves with shaded confidence bands; " + "; ".join(desc_parts) + "."
        if omitted:
            desc += f" {len(omitted)} further band(s) not drawn."
        return _to_svg(fig, fig_id, title, desc)


# ----------------------------------------------------------------------------------------------
# decision curves
# ----------------------------------------------------------------------------------------------

_REFERENCE_MODELS = {"treat all": ("#777777", "--"), "treat none": ("#000000", ":")}


def decision_figure(
    curves: pd.DataFrame,
    *,
    title: str = "Decision curves",
    fig_id: str = "decision",
    max_points: int = MAX_POINTS,
) -> str:
    """Decision curves (Vickers & Elkin 2006): net benefit against threshold probability for the
    base and integrated models, with the treat-all (dashed grey) and treat-none (dotted black,
    net benefit 0) references and shaded confidence bands where given.

    ``curves`` has the bundle's ``decision_curves`` columns for one comparison. The net-benefit
    axis is cut a little below zero (treat-all falls steeply at high thresholds).
    """
    data = curves.assign(
        _x=_num(curves, "threshold"), _y=_num(curves, "net_benefit"),
        _lo=_num(curves, "lower"), _hi=_num(curves, "upper"),
    )
    data = data[np.isfinite(data["_x"]) & np.isfinite(data["_y"])]
    if data.empty:
        return _message_svg(fig_id, title, "No decision-curve points to draw.")
    models = list(pd.unique(data["model"].astype(str)))
    others = [m for m in models if m not in _REFERENCE_MODELS]
    ordered = others[:MAX_SERIES] + [m for m in _REFERENCE_MODELS if m in models]
    omitted = len(others) - len(others[:MAX_SERIES])
    ymax = float(np.nanmax(data["_y"].to_numpy()))
    ymax = ymax if ymax > 0 else 0.05
    desc_parts = []
    with _rc():
        fig = Figure(figsize=(6.6, 4.4))
        _margins(fig, 0.75, 0.2, 0.35, 0.6)
        ax = fig.add_subplot()
        for i, model in enumerate(ordered):
            part = data[data["model"].astype(str) == model].sort_values("_x", kind="stable")
            x, y = part["_x"].to_numpy(), part["_y"].to_numpy()
            lo, hi = part["_lo"].to_numpy(), part["_hi"].to_numpy()
            keep = thin_curve(x, y, max_points)
            x, y, lo, hi = x[keep], y[keep], lo[keep], hi[keep]
            if model in _REFERENCE_MODELS:
                color, ls = _REFERENCE_MODELS[model]
                lw = 1.3
            else:
                st = series_style(i)
                color, ls, lw = st["color"], st["linestyle"], 1.8
            ax.plot(x, y, color=color, linestyle=ls, linewidth=lw, label=_text(model))
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any() and model not in _REFERENCE_MODELS:
                ax.fill_between(x[ok], lo[ok], hi[ok], color=color, alpha=0.15, linewidth=0)
            best = int(np.nanargmax(y))
            desc_parts.append(f"{model}: highest net benefit {y[best]:.3f} at threshold {x[best]:.2f}")
        xmin, xmax = float(data["_x"].min()), float(data["_x"].max())
        ax.set_xlim(xmin, xmax if xmax > xmin else xmin + 1)
        ax.set_ylim(-0.15 * ymax, 1.1 * ymax)
        ax.axhline(0, color="#bbbbbb", linewidth=0.6, zorder=0)
        ax.set_xlabel("Threshold probability")
        ax.set_ylabel("Net benefit")
        ax.set_title(_text(title))
        ax.legend(loc="upper right", framealpha=0.9)
        desc = "Decision curves: " + "; ".join(desc_parts) + "."
        if omitted:
            desc += f" {omitted} further model(s) not drawn."
        return _to_svg(fig, fig_id, title, desc)


# ----------------------------------------------------------------------------------------------
# fairness forest plot
# ----------------------------------------------------------------------------------------------


def _is_ratio(comparison: object) -> bool:
    return "ratio" in str(comparison).lower()


def _row_label(r: pd.Series) -> str:
    lab = f"{r['metric']}: {r['group']}"
    if _present(r["versus"]):
        lab += f" vs {r['versus']}"
    return lab


def fairness_figure(
    gaps: pd.DataFrame,
    *,
    title: str = "Fairness gaps",
    fig_id: str = "fairness",
) -> str:
    """Forest plot of fairness gaps: each group's metric against its comparator with its
    confidence interval, and a vertical reference line at no gap (0 for differences, 1 for
    ratios; differences and ratios get separate panels).

    ``gaps`` has the bundle's ``fairness_gaps`` columns for one instrument. Rows whose ``status``
    is not ``ok`` (suppressed small cells, undefined metrics) or whose estimate is missing are
    left out of the plot and counted in its description; the report's table lists them.
    """
    status = gaps["status"].astype(str).str.lower()
    est = _num(gaps, "estimate")
    usable = (status.isin(["ok", "nan", "none", ""]) | gaps["status"].isna()).to_numpy() & np.isfinite(est)
    data = gaps.loc[usable].assign(
        _x=est[usable], _lo=_num(gaps, "lower")[usable], _hi=_num(gaps, "upper")[usable]
    )
    left_out = int((~usable).sum())
    if data.empty:
        return _message_svg(
            fig_id, title, f"No fairness gap could be drawn ({left_out} row(s) suppressed or undefined)."
        )
    data = data.assign(_kind=np.where([_is_ratio(c) for c in data["comparison"]], "ratio", "difference"))
    kinds = [k for k in ("difference", "ratio") if (data["_kind"] == k).any()]
    counts = [int((data["_kind"] == k).sum()) for k in kinds]
    metrics = list(pd.unique(data["metric"].astype(str)))
    desc_parts = []
    with _rc():
        longest = max(len(_row_label(r)) for _, r in data.iterrows())
        left = min(3.8, 0.3 + 0.062 * longest)
        height = 0.45 + 0.26 * sum(counts) + 0.65 * len(kinds)
        fig = Figure(figsize=(left + 4.4, height))
        _margins(fig, left, 0.25, 0.35, 0.55, hspace=0.65 * len(kinds) / max(1.0, 0.26 * sum(counts)))
        axes = np.atleast_1d(
            fig.subplots(len(kinds), 1, squeeze=False, gridspec_kw={"height_ratios": counts})
        ).ravel()
        for ax, kind in zip(axes, kinds, strict=True):
            part = data[data["_kind"] == kind]
            n = len(part)
            y = np.arange(n)
            labels = [_text(_row_label(r)) for _, r in part.iterrows()]
            ref = 1.0 if kind == "ratio" else 0.0
            ax.axvline(ref, color="#444444", linestyle="--", linewidth=1.1, zorder=1)
            for j, metric in enumerate(metrics):
                sel = (part["metric"].astype(str) == metric).to_numpy()
                if not sel.any():
                    continue
                st = series_style(j)
                x, lo, hi = part["_x"].to_numpy()[sel], part["_lo"].to_numpy()[sel], part["_hi"].to_numpy()[sel]
                xerr = np.vstack([np.clip(x - lo, 0, None), np.clip(hi - x, 0, None)])
                xerr = np.where(np.isfinite(xerr), xerr, 0.0)
                ax.errorbar(x, y[sel], xerr=xerr, fmt=st["marker"], color=st["color"], markersize=5,
                            capsize=2.5, elinewidth=1.2, linestyle="none", zorder=2)
            ax.set_ylim(n - 0.5, -0.5)
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            at = ax.get_yaxis_transform()
            for yy, lab in zip(y, labels, strict=True):  # row labels as text (cheaper than ticks)
                ax.text(-0.015, yy, lab, transform=at, ha="right", va="center", fontsize=8)
            names = sorted({str(c) for c in part["comparison"]} - {kind})
            named = f" ({', '.join(names)})" if names else ""
            ax.set_xlabel(_text(f"{kind}{named}; dashed line: no gap ({ref:g})"))
            lo_all = np.nanmin(np.r_[part["_lo"].to_numpy(), part["_x"].to_numpy(), ref])
            hi_all = np.nanmax(np.r_[part["_hi"].to_numpy(), part["_x"].to_numpy(), ref])
            pad = 0.08 * (hi_all - lo_all or 1.0)
            ax.set_xlim(lo_all - pad, hi_all + pad)
            desc_parts.append(f"{n} {kind}(s), reference line at {ref:g}")
        axes[0].set_title(_text(title))
        desc = "Forest plot of fairness gaps with confidence intervals: " + "; ".join(desc_parts) + "."
        if left_out:
            desc += f" {left_out} row(s) suppressed or undefined, not drawn."
        return _to_svg(fig, fig_id, title, desc)

