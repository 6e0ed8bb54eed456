"""Benchmark: subgroup fairness report vs fairlearn's MetricFrame bootstrap.

Task (from the issue): 4 groups, AUC + calibration + three error rates at a cut-off, 1000
bootstrap replicates, n = 100 000, integer score 0-30 with a fixed probability per score.
Target: <= 5 s.

* ours: ``assess.fairness.fairness_report`` (which computes more than asked: every error rate,
  calibration slope and intercept, curves, xAUC, comparisons with intervals for all of them).
* fairlearn: ``MetricFrame(n_boot=..., ci_quantiles=[0.025, 0.975])`` with AUC (scikit-learn),
  O/E ratio, observed-minus-expected rate, FPR, FNR and selection rate. fairlearn resamples rows
  and recomputes each metric in pandas per replicate; it needs minutes for 1000 replicates, so
  by default it runs ``--peer-replicates`` (20) replicates and the time is scaled linearly to
  1000 (its cost is linear in the number of replicates). ``--full`` runs 200.

Also checks that the per-group point estimates agree (to 1e-12).

Run: ``python benchmarks/bench_fairness.py [--quick] [--full] [--peer-replicates K]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from assess.fairness import fairness_report

N_BOOT = 1000


def cohort(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B", "C", "D"], n, p=[0.4, 0.3, 0.2, 0.1])
    score = rng.integers(0, 31, n)
    shift = pd.Series(group).map({"A": 0.0, "B": 0.3, "C": -0.2, "D": 0.4}).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 0.15 * score + shift)))).astype(int)
    p = 1 / (1 + np.exp(-(-2.4 + 0.15 * score)))  # the instrument's published probability
    return pd.DataFrame({"group": group, "score": score, "y": y, "p": p})


def ours(df: pd.DataFrame, cutoff: int):
    return fairness_report(df, score="score", outcome="y", groups="group", cutoff=cutoff, probability="p",
                           n_boot=N_BOOT, seed=1)


def fairlearn_frame(df: pd.DataFrame, cutoff: int, n_boot: int | None):
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )
    from sklearn.metrics import roc_auc_score

    lookup = np.zeros(int(df["score"].max()) + 1)  # probability of each integer score
    lookup[df["score"].to_numpy()] = df["p"].to_numpy()

    def flag(s):
        return (np.asarray(s) >= cutoff).astype(int)

    def oe(y, s):
        return float(np.sum(y) / np.sum(lookup[np.asarray(s)]))

    def o_minus_e(y, s):
        return float(np.mean(y) - np.mean(lookup[np.asarray(s)]))

    metrics = {
        "auc": roc_auc_score,
        "oe_ratio": oe,
        "observed_minus_expected": o_minus_e,
        "fpr": lambda y, s: false_positive_rate(y, flag(s)),
        "fnr": lambda y, s: false_negative_rate(y, flag(s)),
        "selection_rate": lambda y, s: selection_rate(y, flag(s)),
    }
    kw = {} if not n_boot else {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0}
    return MetricFrame(metrics=metrics, y_true=df["y"], y_pred=df["score"], sensitive_features=df["group"], **kw)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="n = 10 000")
    ap.add_argument("--full", action="store_true", help="run fairlearn with 200 replicates")
    ap.add_argument("--peer-replicates", type=int, default=20)
    args = ap.parse_args()
    n = 10_000 if args.quick else 100_000
    k = 200 if args.full else args.peer_replicates
    df = cohort(n)
    cutoff = 15

    ours(df, cutoff)  # warm-up (imports, first-call overhead)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rep = ours(df, cutoff)
        times.append(time.perf_counter() - t0)
    t_ours = min(times)

    point = fairlearn_frame(df, cutoff, None)
    bg = rep.frames["group"].by_group
    worst = max(float(np.max(np.abs(bg[m].to_numpy() - point.by_group[m].to_numpy())))
                for m in ("auc", "oe_ratio", "observed_minus_expected", "fpr", "fnr", "selection_rate"))

    t0 = time.perf_counter()
    fairlearn_frame(df, cutoff, k)
    t_peer = time.perf_counter() - t0
    t_peer_1000 = t_peer * N_BOOT / k

    print(f"subgroup fairness, n = {n}, 4 groups, {N_BOOT} bootstrap replicates")
    print(f"  assess.fairness.fairness_report: {t_ours:8.2f} s  (best of 3; target <= 5 s)")
    print(f"  fairlearn MetricFrame:           {t_peer:8.2f} s for {k} replicates -> {t_peer_1000:8.1f} s for {N_BOOT} (linear)")
    print(f"  ratio (fairlearn / ours, {N_BOOT} replicates): {t_peer_1000 / t_ours:8.0f}x")
    print(f"  largest per-group difference from fairlearn's point estimates: {worst:.1e}")


if __name__ == "__main__":
    main()
