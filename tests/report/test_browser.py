"""report.html in real headless Chromium: loads with no console errors or requests, every figure
renders with a non-zero box, the page fits a phone-width screen, prints to PDF; screenshots saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.report.bundle import ReportBundle
from assess.report.html import write_html

from ._bundles import EXPECTED_FIGURES
from ._cdp import Browser, find_chromium

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found: install Debian's `chromium` package (or set ASSESS_CHROMIUM to a "
    "Chromium binary) to run the browser test of report.html",
)

PAGE_STATE = """JSON.stringify({
  figures: document.querySelectorAll("figure.chart").length,
  svgs: [...document.querySelectorAll("figure.chart svg")].map(s => {
      const r = s.getBoundingClientRect();
      return {w: r.width, h: r.height, title: !!s.querySelector(":scope > title"),
              desc: !!s.querySelector(":scope > desc"), paths: s.querySelectorAll("path").length};
  }),
  allSvgs: document.querySelectorAll("svg").length,
  sections: [...document.querySelectorAll("main > section")].map(s => s.id),
  title: document.title,
  badge: (document.querySelector(".badge") || {}).textContent,
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  images: document.images.length,
})"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with Browser(CHROMIUM, profile) as b:
        b.open_page()
        yield b


def _load(browser: Browser, path: Path, width: int = 1280, height: int = 900) -> tuple[dict, list[str]]:
    mark = len(browser.events)
    browser.set_viewport(width, height)
    browser.navigate(path.as_uri())
    state = json.loads(browser.evaluate(PAGE_STATE))
    return state, browser.problems(since=mark)


def test_report_renders_in_chromium(bundle: ReportBundle, browser: Browser, tmp_path: Path) -> None:
    path = write_html(bundle, tmp_path / "report.html")
    state, problems = _load(browser, path)
    assert problems == []
    assert state["figures"] == EXPECTED_FIGURES
    assert len(state["svgs"]) == EXPECTED_FIGURES == state["allSvgs"]
    for i, svg in enumerate(state["svgs"], start=1):
        assert svg["w"] > 100 and svg["h"] > 50, f"figure {i} has an empty box: {svg}"
        assert svg["title"] and svg["desc"], f"figure {i} lacks <title>/<desc>"
        assert svg["paths"] > 5, f"figure {i} drew nothing"
    assert state["sections"][0] == "checks" and state["sections"][-1] == "results"
    assert "FAIL" in state["badge"]
    assert state["images"] == 0
    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    print(f"\nscreenshot of report.html: {shot}")

    # a phone-width screen: nothing wider than the viewport (wide tables scroll in their box)
    mark = len(browser.events)
    browser.set_viewport(390, 844)
    narrow = json.loads(browser.evaluate(PAGE_STATE))
    assert narrow["scrollWidth"] <= narrow["innerWidth"], "page overflows a 390px-wide screen"
    assert all(0 < s["w"] <= 390 for s in narrow["svgs"])
    phone = browser.screenshot(tmp_path / "report-narrow.png")
    print(f"screenshot at phone width: {phone}")

    pdf = browser.print_pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert browser.problems(since=mark) == []


def test_empty_bundle_renders_without_figures(browser: Browser, tmp_path: Path) -> None:
    path = write_html(ReportBundle(suite="empty", title="Nothing computed"), tmp_path / "empty.html")
    state, problems = _load(browser, path)
    assert problems == []
    assert state["figures"] == 0 == state["allSvgs"]
    assert len(state["sections"]) == 11
    assert "No checks" in state["badge"]


def test_the_probe_sees_errors_and_requests(browser: Browser, tmp_path: Path) -> None:
    """Negative control: a page with a console error, a script error and a network image must be
    reported, or a clean result above would mean nothing."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>b</title></head><body>'
        '<img src="http://assess.invalid/x.png" alt="x">'
        "<script>console.error('boom'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    _, problems = _load(browser, page)
    text = "\n".join(problems)
    assert "console.error: boom" in text
    assert "uncaught exception" in text
    assert "assess.invalid" in text
