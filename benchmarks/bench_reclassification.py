"""Benchmark: decision curves + NRI + IDI with bootstrap intervals vs a naive per-replicate loop.

Task (issue 5 / H2): n = 100 000, 1000 bootstrap replicates, decision curve with 99 thresholds
for two models (paired), plus the category-free NRI, a categorical NRI and the IDI, all with
bootstrap intervals. Target: <= 5 s together.

* ours: ``decision_curve`` + ``net_reclassification_index`` (x2) + ``integrated_discrimination_
  improvement``, each ``n_boot=1000``.
* peer: the straightforward implementation -- per replicate, resample rows with
  ``rng.integers``, then loop over thresholds and models computing TP / FP with boolean masks,
  and compute NRI / IDI with numpy on the resampled arrays. It runs ``--peer-replicates`` (5)
  replicates and its time is scaled linearly to 1000.

Probabilities are continuous by default (the hard case: almost every person is their own
bootstrap cell); ``--integer-score`` uses an instrument-like score with 31 levels.
``--survival`` adds the Kaplan-Meier decision curve at a 365-day horizon (times in days), with
``--survival-replicates`` (200) replicates, against lifelines per threshold for one replicate.

Also checks that the point estimates agree with the peer's (to 1e-12).

Run: ``python benchmarks/bench_reclassification.py [--integer-score] [--survival]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from assess.metrics.decision_curve import decision_curve, default_thresholds
from assess.metrics.reclassification import (
    integrated_discrimination_improvement,
    net_reclassification_index,
)

N_BOOT = 1000
CUTOFFS = [0.2, 0.4]


def cohort(n: int, integer_score: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    if integer_score:
        risk = rng.integers(0, 31, n)
        strengths = rng.integers(0, 11, n)
        lp_base = -2.5 + 0.12 * risk
        lp_new = -2.2 + 0.12 * risk - 0.08 * strengths
    else:
        risk = rng.normal(size=n)
        strengths = rng.normal(size=n)
        lp_base = -1.0 + risk
        lp_new = -1.0 + risk - 0.5 * strengths
    y = rng.random(n) < 1 / (1 + np.exp(-lp_new))
    return y, 1 / (1 + np.exp(-lp_base)), 1 / (1 + np.exp(-lp_new)), rng


def ours(y, pb, pn, n_boot):
    dc = decision_curve(y, {"base": pb, "new": pn}, n_boot=n_boot, seed=1)
    cf = net_reclassification_index(y, pb, pn, n_boot=n_boot, seed=1)
    cat = net_reclassification_index(y, pb, pn, cutoffs=CUTOFFS, n_boot=n_boot, seed=1)
    idi = integrated_discrimination_improvement(y, pb, pn, n_boot=n_boot, seed=1)
    return dc, cf, cat, idi


def naive_statistics(y, pb, pn, thresholds):
    """Everything for one (re)sample, the obvious way."""
    n = y.size
    curves = []
    for p in (pb, pn):
        nb = []
        for pt in thresholds:
            treat = p >= pt
            tp = np.count_nonzero(treat & y)
            fp = np.count_nonzero(treat & ~y)
            nb.append(tp / n - fp / n * pt / (1 - pt))
        curves.append(nb)
    prev = y.mean()
    curves.append(list(prev - (1 - prev) * thresholds / (1 - thresholds)))
    out = [np.array(curves)]
    ne = ~y
    for cb, cn in ((pb, pn), (np.digitize(pb, CUTOFFS), np.digitize(pn, CUTOFFS))):
        up, down = cn > cb, cn < cb
        out.append(
            np.array([
                (np.count_nonzero(up & y) - np.count_nonzero(down & y)) / y.sum(),
                (np.count_nonzero(down & ne) - np.count_nonzero(up & ne)) / ne.sum(),
            ])
        )
    d = pn - pb
    out.append(np.array([d[y].mean(), -d[ne].mean()]))
    return out


def peer(y, pb, pn, reps, rng):
    thr = default_thresholds()
    n = y.size
    start = time.perf_counter()
    for _ in range(reps):
        idx = rng.integers(0, n, n)
        naive_statistics(y[idx], pb[idx], pn[idx], thr)
    return time.perf_counter() - start


def survival_part(n: int, reps: int) -> None:
    from lifelines import KaplanMeierFitter

    y, pb, pn, rng = cohort(n, integer_score=False, seed=3)
    lp = np.log(pn / (1 - pn))
    lat = rng.exponential(365 / np.exp(lp))
    cens = rng.exponential(730, n)
    t = np.ceil(np.minimum(lat, cens))
    e = lat <= cens
    h = 365.0
    t0 = time.perf_counter()
    dc = decision_curve(None, {"base": pb, "new": pn}, time=t, event=e, horizon=h, n_boot=reps, seed=1)
    ours_t = time.perf_counter() - t0
    thr = default_thresholds()
    t0 = time.perf_counter()
    ref = []
    for p in (pb, pn):
        for pt in thr:
            hi = p >= pt
            if not hi.any():
                ref.append(0.0)
                continue
            s = float(KaplanMeierFitter().fit(t[hi], e[hi]).survival_function_at_times(h).iloc[0])
            share = hi.mean()
            ref.append((1 - s) * share - s * share * pt / (1 - pt))
    peer_one = time.perf_counter() - t0
    got = dc.frame[dc.frame["model"].isin(["base", "new"])]["net_benefit"].to_numpy()
    err = float(np.max(np.abs(got - np.array(ref))))
    print(f"\nsurvival decision curve (KM at 365 days, times in days), n={n}, 2 models x 99 thresholds")
    print(f"  ours, {reps} replicates:           {ours_t:8.2f} s  ({ours_t / reps * 1000:.1f} ms per replicate)")
    print(f"  lifelines per threshold, 1 fit: {peer_one:8.2f} s  -> x{reps + 1} = {peer_one * (reps + 1):8.1f} s (extrapolated)")
    print(f"  ratio (peer / ours):             {peer_one * (reps + 1) / ours_t:8.1f}x")
    print(f"  max |ours - lifelines| on the point estimate: {err:.2e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--peer-replicates", type=int, default=5)
    ap.add_argument("--integer-score", action="store_true")
    ap.add_argument("--survival", action="store_true")
    ap.add_argument("--survival-replicates", type=int, default=200)
    args = ap.parse_args()

    y, pb, pn, rng = cohort(args.n, args.integer_score)
    ours(y[:2000], pb[:2000], pn[:2000], 20)  # warm-up (imports, first calls)
    start = time.perf_counter()
    dc, cf, cat, idi = ours(y, pb, pn, N_BOOT)
    ours_t = time.perf_counter() - start

    # agreement of the point estimates with the naive computation
    ref = naive_statistics(y, pb, pn, default_thresholds())
    est = dc._estimate
    errs = [
        np.max(np.abs(est - ref[0])),
        np.max(np.abs([cf.events.estimate - ref[1][0], cf.non_events.estimate - ref[1][1]])),
        np.max(np.abs([cat.events.estimate - ref[2][0], cat.non_events.estimate - ref[2][1]])),
        np.max(np.abs([idi.events.estimate - ref[3][0], idi.non_events.estimate - ref[3][1]])),
    ]
    peer_t = peer(y, pb, pn, args.peer_replicates, rng)
    peer_full = peer_t / args.peer_replicates * (N_BOOT + 1)

    kind = "integer score (31 levels)" if args.integer_score else "continuous probabilities"
    print("decision curve (2 models x 99 thresholds, paired) + category-free NRI + categorical NRI + IDI")
    print(f"n={args.n}, {N_BOOT} bootstrap replicates each, {kind}")
    print(f"  ours:                              {ours_t:8.2f} s   (target <= 5 s)")
    print(f"  naive loop, {args.peer_replicates} replicates:            {peer_t:8.2f} s")
    print(f"  naive loop, extrapolated to {N_BOOT + 1}:  {peer_full:8.1f} s")
    print(f"  ratio (naive / ours):              {peer_full / ours_t:8.1f}x")
    print(f"  max |ours - naive| on point estimates: {max(errs):.2e}")
    print(f"  e.g. NB difference new - base at 0.3: {dc.difference('new', 'base').iloc[29].to_dict()}")
    if args.survival:
        survival_part(args.n, args.survival_replicates)


if __name__ == "__main__":
    main()
