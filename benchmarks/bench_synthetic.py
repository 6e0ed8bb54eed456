"""Benchmark: simulate 1,000,000 people (46 items of the integrated instrument, outcomes with
censoring) from the shipped 'baseline' and 'heavy-censoring' scenarios.

Target: <= 5 s and <= 2 GB peak memory for 1M people with ~40 items and outcomes.
There is no peer library that simulates instrument cohorts, so the reference figure is a floor:
the time numpy alone takes to draw the raw random numbers the simulation needs (one uniform per
item response and per missingness draw, normals for the latents, exponentials for the outcome),
with nothing else done. The ratio says how much the modelling costs on top of the raw draws.

Run: python benchmarks/bench_synthetic.py [n]
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import tracemalloc

import numpy as np


def _floor(n: int, n_items: int) -> float:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    rng.standard_normal((n, 2))
    for _ in range(n_items):
        rng.random(n)  # response
        rng.random(n)  # missingness
    rng.standard_exponential(n)
    rng.standard_exponential(n)
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    from assess.synthetic import compile_scenario, simulate

    for name in ("baseline", "heavy-censoring"):
        compiled = compile_scenario(name)
        n_items = len(compiled.items)
        simulate(compiled, n=1000, seed=0)  # warm-up (imports, caches)
        gc.collect()
        t0 = time.perf_counter()
        frame = simulate(compiled, n=n, seed=1)
        elapsed = time.perf_counter() - t0
        del frame
        gc.collect()
        tracemalloc.start()
        frame = simulate(compiled, n=n, seed=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        shape = frame.shape
        frame_mb = frame.memory_usage(deep=False).sum() / 1e6
        del frame
        gc.collect()
        floor = _floor(n, n_items)
        print(
            f"{name:16s} n={n:,} items={n_items} columns={shape[1]}: "
            f"assess {elapsed:.2f} s | numpy raw draws {floor:.2f} s | ratio {elapsed / floor:.1f}x | "
            f"peak traced memory {peak / 1e9:.2f} GB (frame {frame_mb / 1e3:.2f} GB)"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB on Linux
    print(f"process max RSS {rss:.2f} GB (includes the interpreter and libraries)")


if __name__ == "__main__":
    main()
