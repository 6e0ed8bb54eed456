"""report.html without a browser: escaping, sections, empty frames, reproducibility, no network
references, well-formed structure, number formatting."""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assess.report import html as report_html
from assess.report.bundle import BUNDLE_COLUMNS, ReportBundle, empty_frame
from assess.report.html import (
    SECTIONS,
    format_ci,
    format_count,
    format_number,
    format_p,
    render_html,
    write_html,
)

from ._bundles import EXPECTED_FIGURES

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Structure(HTMLParser):
    """Checks that every element is closed in order and records tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.doctype = None
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # <path .../> in SVG
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Structure:
    p = _Structure()
    p.feed(page)
    p.close()
    return p


def _count(p: _Structure, tag: str, **attrs: str) -> int:
    return sum(1 for t, a in p.tags if t == tag and all(a.get(k) == v for k, v in attrs.items()))


@pytest.fixture(scope="module")
def page(bundle: ReportBundle) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no figure may fail on a realistic bundle
        return render_html(bundle)


def _hostile_bundle() -> ReportBundle:
    evil = '<script>alert("x")</script><img src="https://evil.example/p.png" onerror="alert(1)">'
    group = "sex=<b>fem</b> & $\\frac{a}$ & _hidden"
    roc = pd.DataFrame({"instrument": [evil] * 3, "score": ["s&t"] * 3, "group": [group] * 3,
                        "fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0]})
    cal = pd.DataFrame({"instrument": "i", "group": [group, group, "overall", "overall"], "horizon": 1.0,
                        "bin": [0, 1, 0, 1], "predicted": [0.1, 0.5, 0.1, 0.5], "observed": [0.12, 0.4, 0.1, 0.5],
                        "lower": [0.05, 0.3, 0.05, 0.4], "upper": [0.2, 0.5, 0.2, 0.6], "n": [50, 50, 100, 100]})
    km = pd.DataFrame({"instrument": "i", "band": ["<low>"] * 3, "time": [1.0, 2.0, 3.0],
                       "survival": [0.9, 0.8, 0.7], "lower": [0.85, 0.7, 0.6], "upper": [0.95, 0.9, 0.8],
                       "at_risk": [100, 80, 60]})
    dc = pd.DataFrame({"comparison": evil, "model": ["base", "base", "treat all", "treat all"],
                       "threshold": [0.1, 0.2, 0.1, 0.2], "net_benefit": [0.1, 0.05, 0.08, 0.0],
                       "lower": np.nan, "upper": np.nan})
    gaps = pd.DataFrame({"instrument": "i", "metric": "fpr", "group": [group], "versus": ["</td>"],
                         "comparison": "difference", "estimate": [0.1], "lower": [0.0], "upper": [0.2],
                         "status": "ok"})
    checks = pd.DataFrame({"check": [evil], "instrument": [evil], "metric": ["m"], "group": [group],
                           "observed": [evil], "threshold": ["<= 1"], "passed": [False], "message": [evil]})
    add = pd.DataFrame({"comparison": [evil], "base": [evil], "integrated": ["<i>"], "criterion": ["overall"],
                        "base_value": [np.nan], "integrated_value": [np.nan], "difference": [np.nan],
                        "lower": [np.nan], "upper": [np.nan], "p_value": [np.nan], "verdict": [evil],
                        "method": [evil]})
    pub = pd.DataFrame({"instrument": [evil], "metric": ["auc"], "group": ["overall"], "horizon": [np.nan],
                        "published": [0.7], "computed": [0.71], "difference": [0.01], "source": [evil]})
    res = pd.DataFrame({c: [evil] for c in BUNDLE_COLUMNS["results"]})
    return ReportBundle(
        suite=evil, title=evil, description=evil + " see https://example.org/paper",
        provenance={evil: evil, "nested": {"k": [evil, 1]}},
        results=res, checks=checks, roc=roc, calibration_curves=cal, survival_curves=km,
        decision_curves=dc, fairness_gaps=gaps, additionality=add, published=pub, notes=[evil],
    )


# ----------------------------------------------------------------------------------------------
# escaping and safety
# ----------------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = render_html(_hostile_bundle())
    p = _parse(page)
    assert p.errors == [] and p.stack == []
    assert _count(p, "script") == 1  # only the report's own print helper
    assert _count(p, "img") == 0 and _count(p, "b") == 0 and _count(p, "i") == 0
    assert not any("onerror" in a for _, a in p.tags)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # the figures carry the same text as literal SVG text, with "$" kept as a dollar sign
    text = "".join(p.text)
    assert '<script>alert("x")</script>' in text
    assert "$\\frac{a}$" in text
    assert "_hidden" in text
    # a URL in user text stays text: no attribute anywhere points at the network
    for _, attrs in p.tags:
        for value in attrs.values():
            assert not re.match(r"\s*(https?:)?//", value or "", flags=re.I), value


def test_no_network_references(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "<link rel=\"stylesheet\"" not in page
    assert re.findall(r"url\((?!#)", page) == []
    p = _parse(page)
    for tag, attrs in p.tags:
        for name in ("src", "href", "xlink:href"):
            if name in attrs:
                assert attrs[name].startswith(("#", "data:")), (tag, attrs)
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp


def test_csp_hash_matches_the_inline_script(page: str) -> None:
    import base64

    script = re.search(r"<script>(.*?)</script>", page, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page


# ----------------------------------------------------------------------------------------------
# structure
# ----------------------------------------------------------------------------------------------


def test_page_is_well_formed(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    p = _parse(page)
    assert p.doctype.lower() == "doctype html"
    assert p.errors == [], p.errors[:5]
    assert p.stack == []
    for tag in ("html", "head", "body", "main", "header", "nav", "footer"):
        assert _count(p, tag) == 1, tag
    assert sum(1 for t, a in p.tags if t == "title" and "id" not in a) == 1  # the page's own
    assert [t for t, _ in p.tags[:2]] == ["html", "head"]
    ids = [a["id"] for _, a in p.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate element ids"
    # every in-page reference points at an element that exists
    refs = {a.get("xlink:href", a.get("href", ""))[1:] for _, a in p.tags
            if a.get("xlink:href", a.get("href", "")).startswith("#")}
    refs |= set(re.findall(r"url\(#([^)]+)\)", page))
    assert refs <= set(ids)


def test_every_section_present_in_order(page: str) -> None:
    p = _parse(page)
    found = [a["id"] for t, a in p.tags if t == "section"]
    assert found == [anchor for anchor, _ in SECTIONS]
    for anchor, heading in SECTIONS:
        assert f'<h2 id="h-{anchor}">{heading}</h2>' in page
    assert _count(p, "details") == 2  # fairness table and the full results
    assert "<th scope=\"col\">" in page


def test_figures_are_accessible_and_numbered(page: str) -> None:
    p = _parse(page)
    assert _count(p, "figure") == EXPECTED_FIGURES
    assert _count(p, "svg") == EXPECTED_FIGURES
    assert _count(p, "figcaption") == EXPECTED_FIGURES
    svgs = [a for t, a in p.tags if t == "svg"]
    assert all(a["role"] == "img" and a["aria-labelledby"].endswith("-desc") for a in svgs)
    titles = [a["id"] for t, a in p.tags if t == "title" and "id" in a]
    assert len(titles) == EXPECTED_FIGURES
    for n in range(1, EXPECTED_FIGURES + 1):
        assert f"<strong>Figure {n}.</strong>" in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_headline_and_checks_failing_first(bundle: ReportBundle, page: str) -> None:
    assert "FAIL: 1 of 3 checks did not pass (2 passed, 1 failed)" in page
    checks = page[page.index('id="checks"'):page.index('id="provenance"')]
    first_fail = checks.index("\u2717 FAIL")
    first_pass = checks.index("\u2713 pass")
    assert first_fail < first_pass
    assert "C lower CI 0.612 is below 0.65." in checks


def test_headline_pass_and_not_evaluated() -> None:
    def checks(passed: list) -> pd.DataFrame:
        n = len(passed)
        return pd.DataFrame({"check": [f"c{i}" for i in range(n)], "instrument": "i", "metric": "m",
                             "group": "overall", "observed": 0.5, "threshold": 0.4, "passed": passed,
                             "message": "m"})

    ok = render_html(ReportBundle(suite="s", title="t", checks=checks([True, np.True_])))
    assert "PASS: all 2 checks passed" in ok
    unknown = render_html(ReportBundle(suite="s", title="t", checks=checks([True, None])))
    assert "FAIL: 1 of 2 checks did not pass (1 passed, 0 failed, 1 not evaluated)" in unknown
    assert "? not evaluated" in unknown
    none = render_html(ReportBundle(suite="s", title="t"))
    assert "No checks were defined" in none


def test_additionality_verdicts_in_words_and_colour(page: str) -> None:
    sec = page[page.index('id="additionality"'):page.index('id="discrimination"')]
    assert '<span class="verdict v-additive">\u25b2 additive</span>' in sec
    assert '<span class="verdict v-noninferior">= non-inferior</span>' in sec
    assert '<span class="verdict v-inconclusive">? inconclusive</span>' in sec
    assert "Overall verdict:" in sec
    assert re.search(r"0\.\d{3} \(-?0\.\d{3} to -?0\.\d{3}\)", sec)
    assert "&lt;0.001" in sec  # p-values below 0.001


def test_published_and_notes(page: str) -> None:
    sec = page[page.index('id="published"'):page.index('id="notes"')]
    assert "Smith et al. (2020), table 3" in sec and "0.700" in sec
    notes = page[page.index('id="notes"'):page.index('id="results"')]
    assert notes.count("<p>") == 2  # a blank line splits a note into paragraphs


# ----------------------------------------------------------------------------------------------
# empty frames
# ----------------------------------------------------------------------------------------------


def test_empty_bundle_gives_sentences_not_figures() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = render_html(ReportBundle(suite="s", title="Empty"))
    p = _parse(page)
    assert p.errors == [] and p.stack == []
    assert _count(p, "svg") == 0 and _count(p, "figure") == 0
    sections = re.findall(r'<section id="(\w+)".*?</section>', page, flags=re.S)
    assert sections == [a for a, _ in SECTIONS]
    for anchor, _ in SECTIONS:
        body = re.search(rf'<section id="{anchor}".*?</section>', page, flags=re.S).group(0)
        assert 'class="empty"' in body, anchor


def test_binary_outcome_run_says_there_are_no_survival_curves(bundle: ReportBundle) -> None:
    b = ReportBundle(suite="s", title="t", decision_curves=bundle.decision_curves,
                     survival_curves=empty_frame("survival_curves"))
    page = render_html(b)
    sec = page[page.index('id="survival"'):page.index('id="decision"')]
    assert "no Kaplan-Meier curves" in sec and "<svg" not in sec
    assert page.count("<figure") == 1


def test_curves_with_only_missing_values_say_so() -> None:
    roc = pd.DataFrame({"instrument": ["i"], "score": ["s"], "group": ["overall"], "fpr": [np.nan], "tpr": [np.nan]})
    page = render_html(ReportBundle(suite="s", title="t", roc=roc))
    assert "No ROC points to draw." in page


def test_a_failing_figure_warns_and_leaves_a_sentence(bundle: ReportBundle, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("bad curve")

    monkeypatch.setattr(report_html.figures, "decision_figure", broken)
    b = ReportBundle(suite="s", title="t", decision_curves=bundle.decision_curves,
                     fairness_gaps=bundle.fairness_gaps.iloc[:3])
    with pytest.warns(RuntimeWarning, match="bad curve"):
        page = render_html(b)
    assert "could not be drawn: ValueError: bad curve" in page
    assert page.count("<figure") == 1 and "<strong>Figure 1.</strong>" in page  # numbering goes on


def test_rejects_non_bundles() -> None:
    with pytest.raises(TypeError, match="ReportBundle"):
        render_html({"suite": "s"})  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# reproducibility and writing
# ----------------------------------------------------------------------------------------------


def test_same_bundle_gives_identical_bytes_and_write_html_writes_them(
    bundle: ReportBundle, page: str, tmp_path: Path
) -> None:
    out = write_html(bundle, tmp_path / "new" / "dir" / "report.html")
    assert out == tmp_path / "new" / "dir" / "report.html"
    assert out.read_bytes() == page.encode("utf-8")  # a second rendering, byte for byte
    assert not list(out.parent.glob("*.tmp"))


def test_identical_bytes_in_a_fresh_process(tmp_path: Path) -> None:
    """No run-to-run randomness (hash seeds, object ids, dates) leaks into the page."""
    small = _hostile_bundle()
    src = tmp_path / "bundle.pkl"
    src.write_bytes(pickle.dumps(small))
    code = (
        "import pickle, sys, hashlib; from assess.report.html import render_html; "
        f"b = pickle.load(open({str(src)!r}, 'rb')); "
        "sys.stdout.write(hashlib.sha256(render_html(b).encode()).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout == hashlib.sha256(render_html(small).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# number formatting
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.71234, "0.712"), (0.7125, "0.713"), (-0.0004, "0.000"), (-0.0006, "-0.001"), (3, "3"),
     (np.int64(7), "7"), (float("nan"), "n/a"), (None, "n/a"), (pd.NA, "n/a"), (True, "yes"),
     (np.float32(0.5), "0.500"), (math.inf, "infinity"), ("dilutes", "dilutes"), ((0.8, 1.25), "[0.800, 1.250]")],
)
def test_format_number(value, expected) -> None:
    assert format_number(value) == expected


def test_format_ci_p_and_count() -> None:
    assert format_ci(0.7123, 0.7011, 0.7229) == "0.712 (0.701 to 0.723)"
    assert format_ci(0.7123, float("nan"), 0.8) == "0.712"
    assert format_ci(float("nan"), 0.1, 0.2) == "n/a"
    assert format_ci(-0.02, -0.05, 0.01) == "-0.020 (-0.050 to 0.010)"
    assert format_p(0.0004) == "<0.001" and format_p(0.0312) == "0.031" and format_p(None) == "n/a"
    assert format_count(12345) == "12,345" and format_count(12.0) == "12" and format_count(np.nan) == "n/a"


def test_numbers_in_the_page_use_three_decimals(page: str) -> None:
    sec = page[page.index('id="discrimination"'):page.index('id="calibration"')]
    cells = re.findall(r'<td class="num">([^<]*\(.*?\))</td>', sec)
    assert cells and all(re.fullmatch(r"-?\d\.\d{3} \(-?\d\.\d{3} to -?\d\.\d{3}\)", c) for c in cells)
