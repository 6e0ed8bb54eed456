"""The SVG figures: thinning of long curves, self-contained reproducible SVG, large curves."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.report import figures
from assess.report.figures import thin_curve


@given(n=st.integers(1, 3000), k=st.integers(2, 600), seed=st.integers(0, 2**16))
@settings(max_examples=60, deadline=None)
def test_thin_curve_properties(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))
    y = np.cumsum(rng.random(n))
    idx = thin_curve(x, y, k)
    if n <= k:
        assert np.array_equal(idx, np.arange(n))
        return
    assert idx.size <= k
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)


def _arc(x: np.ndarray, y: np.ndarray, sx: float, sy: float) -> np.ndarray:
    return np.hypot(np.diff(x) / sx, np.diff(y) / sy)


def test_thin_curve_bounds_the_visible_gap() -> None:
    # a curve with one jump among gentle stretches: every kept segment is at most an equal share
    # of the arc length plus the longest single step of the data (a jump cannot be split)
    x = np.linspace(0, 1, 100_000)
    y = np.where(x < 0.5, 0.0, 1.0) + np.sin(8 * x) * 0.2
    idx = thin_curve(x, y, 200)
    sx, sy = np.ptp(x), np.ptp(y)
    orig = _arc(x, y, sx, sy)
    kept = _arc(x[idx], y[idx], sx, sy)
    assert kept.max() <= orig.sum() / 199 + orig.max() + 1e-12
    assert idx.size >= 150  # the cap is nearly used, not wasted


def test_thin_curve_rejects_tiny_caps() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        thin_curve([0, 1, 2], [0, 1, 2], 1)


def _points_in_paths(svg: str) -> int:
    return max(len(re.findall(r"[ML] ", d)) for d in re.findall(r'<path[^>]* d="([^"]*)"', svg))


def test_long_roc_curve_is_thinned_and_small() -> None:
    n = 200_000
    rng = np.random.default_rng(0)
    fpr = np.r_[0.0, np.sort(rng.random(n)), 1.0]
    tpr = np.sqrt(fpr)
    roc = pd.DataFrame({"instrument": "i", "score": "s", "group": "overall", "fpr": fpr, "tpr": tpr})
    svg = figures.roc_figure(roc, fig_id="t")
    assert _points_in_paths(svg) <= figures.MAX_POINTS + 5
    assert len(svg) < 80_000


def test_long_survival_curve_is_thinned_and_at_risk_is_exact() -> None:
    n = 100_000
    t = np.arange(1, n + 1, dtype=float) / n
    s = 1 - 0.5 * t
    at_risk = np.arange(n, 0, -1, dtype=float)
    km = pd.DataFrame({"instrument": "i", "band": "low", "time": t, "survival": s, "lower": s - 0.01,
                       "upper": s + 0.01, "at_risk": at_risk})
    svg = figures.survival_figure(km, fig_id="k")
    # step drawing doubles the vertices; the shaded band has a stepped upper and lower edge
    assert _points_in_paths(svg) <= 4 * figures.MAX_POINTS + 10
    assert len(svg) < 120_000
    # numbers at risk at the ticks 0, 0.2, ..., 1.0: subjects with follow-up >= t
    texts = re.findall(r">([\d,]+)</text>", svg)
    for expected in ("100,000", "80,001", "60,001", "40,001", "20,001", "1"):
        assert expected in texts


def test_svg_is_inline_ready_and_reproducible() -> None:
    dc = pd.DataFrame({"comparison": "c", "model": ["base"] * 3 + ["treat all"] * 3,
                       "threshold": [0.1, 0.2, 0.3] * 2, "net_benefit": [0.2, 0.1, 0.05, 0.18, 0.05, -0.1],
                       "lower": [0.15, 0.05, 0.0, np.nan, np.nan, np.nan],
                       "upper": [0.25, 0.15, 0.1, np.nan, np.nan, np.nan]})
    a = figures.decision_figure(dc, fig_id="d1")
    b = figures.decision_figure(dc, fig_id="d1")
    assert a == b
    assert a.startswith("<svg ") and a.rstrip().endswith("</svg>")
    assert "http" not in a and "xmlns" not in a and "<style" not in a
    assert '<title id="d1-title">' in a and '<desc id="d1-desc">' in a
    ids = re.findall(r' id="([^"]+)"', a)
    assert ids and all(i.startswith("d1-") for i in ids) and len(ids) == len(set(ids))
    assert "treat all" in a and "base" in a  # text stays text (svg.fonttype none)


def test_fairness_figure_reference_lines_and_suppressed_rows() -> None:
    gaps = pd.DataFrame({
        "instrument": "i", "metric": ["fpr", "fpr", "fpr"], "group": ["sex=f", "sex=f", "sex=x"],
        "versus": ["sex=m", "sex=m", "sex=m"], "comparison": ["difference", "ratio", "difference"],
        "estimate": [0.02, 1.1, np.nan], "lower": [-0.01, 0.9, np.nan], "upper": [0.05, 1.3, np.nan],
        "status": ["ok", "ok", "suppressed"],
    })
    svg = figures.fairness_figure(gaps, fig_id="f")
    assert "no gap (0)" in svg and "no gap (1)" in svg
    assert "1 row(s) suppressed or undefined, not drawn" in svg
    only_suppressed = figures.fairness_figure(gaps.iloc[[2]], fig_id="g")
    assert "No fairness gap could be drawn" in only_suppressed


def test_calibration_panels_by_grouping() -> None:
    groups = ["overall", "sex=f", "sex=m", "ethnicity=a", "sex=f & ethnicity=a"]
    rows = [dict(instrument="i", group=g, horizon=1.0, bin=b, predicted=p, observed=p * 0.9,
                 lower=p * 0.8, upper=p, n=40) for g in groups for b, p in enumerate([0.1, 0.3, 0.6])]
    svg = figures.calibration_figure(pd.DataFrame(rows), fig_id="c")
    for title in ("overall", "sex", "ethnicity", "sex \u00d7 ethnicity"):
        assert f">{title}</text>" in svg
    assert figures.grouping_of("sex=f & ethnicity=a") == "sex \u00d7 ethnicity"
    assert figures.grouping_of("overall") == "overall"


def test_unrecorded_numbers_at_risk_show_as_not_available() -> None:
    km = pd.DataFrame({"instrument": "i", "band": "low", "time": [0.5, 1.0], "survival": [0.9, 0.8],
                       "lower": np.nan, "upper": np.nan, "at_risk": [np.nan, np.nan]})
    svg = figures.survival_figure(km, fig_id="k")
    assert ">n/a</text>" in svg and ">0</text>" not in svg.split("Number at risk")[1]
