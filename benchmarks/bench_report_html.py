"""Benchmark: render report.html for a 100k-person run (issue 6 target: <= 5 s, page < 3 MB).

The bundle holds real curves: a 100k-person synthetic cohort scored by rnr-general and
rnr-desistance-integrated, ROC curves (one point per distinct score), calibration bins,
Kaplan-Meier step functions by band (one row per distinct event time, ~100k rows per instrument),
decision curves and fairness gaps. The "peer" is the same page drawn without thinning the curves
(every point plotted), which is what a plain matplotlib export does.

Run: python benchmarks/bench_report_html.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from assess.report import figures  # noqa: E402
from assess.report.html import render_html, write_html  # noqa: E402
from report._bundles import build_bundle  # noqa: E402

N = 100_000


def main() -> None:
    t0 = time.perf_counter()
    bundle = build_bundle(n=N, seed=1)
    build = time.perf_counter() - t0
    rows = {name: len(getattr(bundle, name)) for name in ("roc", "survival_curves", "calibration_curves",
                                                         "decision_curves", "fairness_gaps")}
    print(f"bundle for n={N:,} built in {build:.1f} s; rows: {rows}")

    render_html(bundle)  # warm-up: imports, font cache
    times = []
    for _ in range(3):
        t = time.perf_counter()
        page = render_html(bundle)
        times.append(time.perf_counter() - t)
    ours = min(times)
    with tempfile.TemporaryDirectory() as d:
        path = write_html(bundle, Path(d) / "report.html")
        size = path.stat().st_size

    for fn in (figures.roc_figure, figures.survival_figure, figures.decision_figure):
        fn.__kwdefaults__["max_points"] = 10**9
    t = time.perf_counter()
    naive = render_html(bundle)
    peer = time.perf_counter() - t

    print(f"assess render_html:        {ours:6.2f} s (best of 3: {', '.join(f'{x:.2f}' for x in times)}), "
          f"page {size / 1e6:.2f} MB, {page.count('<figure')} figures")
    print(f"unthinned matplotlib page: {peer:6.2f} s, page {len(naive.encode()) / 1e6:.2f} MB")
    print(f"ratio (unthinned / ours):  {peer / ours:6.2f}x time, {len(naive.encode()) / size:.1f}x size")
    print(f"target <= 5 s and < 3 MB: {'met' if ours <= 5 and size < 3e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
