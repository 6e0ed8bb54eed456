"""Benchmark: assess.additionality.compare on n = 100 000 people with 1000 paired bootstrap
replicates and every criterion (nested LR tests, C, AUC, Brier, ICI, calibration slope, group
gaps, NRI by bands and continuous, IDI, decision curves on 19 thresholds), with the time spent
per criterion, against the equivalent paired bootstrap of Harrell's C (lifelines), the AUC at
the horizon (scikit-learn) and the two decision curves (numpy masks) done in a loop -- a few
replicates timed, then extrapolated. Budget: <= ~20 s for compare() (validation harness).

Run: python benchmarks/bench_compare.py [n] [n_boot] [peer_reps]
"""

from __future__ import annotations

import sys
import time

import numpy as np

import assess
from assess.additionality import compare


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    n_boot = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    peer_reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    cohort = assess.simulate("strengths-additive", n=n, seed=1)
    base = assess.load_instrument("rnr-general")
    integrated = assess.load_instrument("rnr-desistance-integrated")

    t0 = time.perf_counter()
    res = compare(base, integrated, cohort, groups=["sex", "ethnicity"], n_boot=n_boot, seed=1)
    ours = time.perf_counter() - t0
    print(res)
    print(f"\nassess.compare: n={n}, {n_boot} paired bootstrap replicates, 2 group columns: {ours:.2f} s")
    print("time per step (s):")
    for k, v in sorted(res.timings.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<55} {v:6.2f}")
    print(f"  {'(sum of steps)':<55} {sum(res.timings.values()):6.2f}")

    # peer: lifelines C + sklearn AUC, paired bootstrap in a Python loop
    from lifelines.utils import concordance_index
    from sklearn.metrics import roc_auc_score

    fa = base.score(cohort).frame
    fb = integrated.score(cohort).frame
    ok = (fa.risk_total.notna() & fb.net_score.notna()).to_numpy()
    t = cohort.time.to_numpy()[ok]
    e = cohort.event.to_numpy()[ok].astype(bool)
    a = fa.risk_total.to_numpy()[ok]
    b = fb.net_score.to_numpy()[ok]
    known = (e & (t <= 2.0)) | (t >= 2.0)
    y = e & (t <= 2.0)
    pa = fa.reoffending_p_2y.to_numpy()[ok]
    pb = fb.reoffending_integrated_p_2y.to_numpy()[ok]
    thr = np.arange(1, 20) * 0.05
    rng = np.random.default_rng(1)
    t1 = time.perf_counter()
    for _ in range(peer_reps):
        idx = rng.integers(0, t.size, t.size)
        ti, ei, ai, bi = t[idx], e[idx], a[idx], b[idx]
        _ = concordance_index(ti, -bi, ei) - concordance_index(ti, -ai, ei)
        k = known[idx]
        _ = roc_auc_score(y[idx][k], bi[k]) - roc_auc_score(y[idx][k], ai[k])
        yk = y[idx][k]
        for p in (pa[idx][k], pb[idx][k]):
            _ = [np.mean(yk & (p >= c)) - np.mean(~yk & (p >= c)) * c / (1 - c) for c in thr]
    per_rep = (time.perf_counter() - t1) / peer_reps
    peer = per_rep * n_boot
    print(
        f"peer (lifelines concordance_index + sklearn roc_auc_score + numpy net benefit, paired bootstrap loop): "
        f"{per_rep:.2f} s per replicate x {n_boot} = {peer:.0f} s (extrapolated from {peer_reps})"
    )
    print(f"ratio peer / assess: {peer / ours:.1f}x  (assess also computes LR tests, calibration, Brier, NRI, IDI and group gaps)")


if __name__ == "__main__":
    main()
