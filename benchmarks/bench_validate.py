"""Benchmark: the default validation suite (validation/academic-insight.yaml) end to end.

100 000 synthetic people, two instruments, every metric kind, subgroup fairness, the paired
additionality comparison, 1000 bootstrap replicates. Target: <= 60 s on the 2-core machine.
Prints the total and the per-step breakdown. There is no peer library that runs a whole
validation suite, so the peer column is left out (the step timings are the comparison).

Run:  python benchmarks/bench_validate.py [suite]
"""

from __future__ import annotations

import sys
import tempfile
import time

from assess.harness import load_suite, run_suite, write_outputs


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else "academic-insight"
    t0 = time.perf_counter()
    loaded = load_suite(source)
    t_load = time.perf_counter() - t0
    s = loaded.suite
    print(f"suite {s.name}: n={s.cohort.n}, n_boot={s.bootstrap.n_boot}, n_jobs={s.bootstrap.n_jobs}")
    t1 = time.perf_counter()
    run = run_suite(loaded)
    t_run = time.perf_counter() - t1
    with tempfile.TemporaryDirectory() as d:
        t2 = time.perf_counter()
        write_outputs(run, d)
        t_write = time.perf_counter() - t2
    total = t_load + t_run + t_write
    print(f"{'step':<40} {'seconds':>8}")
    print(f"{'load suite + compile instruments':<40} {t_load:8.2f}")
    for step, sec in run.timings.items():
        print(f"{step:<40} {sec:8.2f}")
    print(f"{'write outputs (csv, json, md, junit, html)':<40} {t_write:8.2f}")
    print(f"{'TOTAL':<40} {total:8.2f}   (target <= 60 s; {'met' if total <= 60 else 'NOT met'})")
    checks = run.bundle.checks
    print(f"checks passed: {int(checks['passed'].sum())} of {len(checks)}")
    for r in checks.to_dict("records"):
        print(f"  {'ok  ' if r['passed'] else 'FAIL'} {r['check']}: {r['observed']}")


if __name__ == "__main__":
    main()
