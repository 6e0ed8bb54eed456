"""The paired bootstrap shared by every resampled criterion of a comparison.

A replicate draws ``n`` people with replacement, once, and every statistic of *both*
instruments is recomputed on those same people (a paired bootstrap; Efron & Tibshirani 1993,
ch. 6), so the replicate difference B - A keeps the correlation between the instruments.
Replicates come in blocks of :data:`BLOCK` drawn from ``SeedSequence(seed)``'s children, so a
seed reproduces the intervals exactly. Intervals are percentiles of the replicate differences.

Two kinds of statistic are evaluated on a replicate:

* **cell statistics** (calibration slope and ICI at the horizon): the replicate's counts of
  people in each (predicted probability, outcome) cell, ``bincount(cell[idx])`` -- exact,
  the same numbers as recomputing on the resampled rows;
* **linearised statistics** (the C-index / AUC within each group, for the worst-group gap): a
  full recomputation of C costs O(n log n) per replicate and group, too slow for 1000
  replicates at n = 100 000, so each group's C is taken to first order in the replicate's
  case weights, ``C* = C + sum_k (w_k - 1) IF_k`` with ``IF_k`` the infinitesimal-jackknife
  influence (:func:`~assess.additionality.paired.concordance_influence`). The error is
  O(1/n) against a bootstrap spread of O(1/sqrt(n)); the non-smooth part (largest minus
  smallest group) is applied exactly to every replicate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy.special import logit

from ..metrics._result import z_value
from ..metrics.calibration import _MAX_WORK, _local_fits, _logistic_fit, _qth_distance

__all__ = ["BLOCK", "RowBootstrap", "calibration_slope_cells", "ici_cells", "ici_cells_batch", "percentile_interval"]

#: Replicates per independently seeded block.
BLOCK = 50


class RowBootstrap:
    """Seeded row draws for ``n_boot`` paired replicates of ``n`` people, in blocks.

    ``blocks()`` yields ``(start, idx)`` with ``idx`` an ``(b, n)`` array of drawn row numbers.
    """

    def __init__(self, n: int, n_boot: int, seed: int | None):
        if not isinstance(n_boot, int | np.integer) or n_boot < 0:
            raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
        self.n = int(n)
        self.n_boot = int(n_boot)
        self.seed = seed
        self._ss = np.random.SeedSequence(seed)

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        starts = list(range(0, self.n_boot, BLOCK))
        children = self._ss.spawn(len(starts))
        for s, child in zip(starts, children, strict=True):
            b = min(BLOCK, self.n_boot - s)
            rng = np.random.Generator(np.random.PCG64(child))
            yield s, rng.integers(0, self.n, size=(b, self.n))


def weights_from_draws(idx: np.ndarray, n: int) -> np.ndarray:
    """``(b, n)`` case weights (times drawn) from ``(b, n)`` drawn row numbers."""
    b = idx.shape[0]
    off = (np.arange(b, dtype=np.int64) * n)[:, None]
    return np.bincount((idx + off).ravel(), minlength=b * n).reshape(b, n).astype(float)


def percentile_interval(reps: np.ndarray, confidence_level: float) -> tuple[float, float, float, int]:
    """``(lower, upper, se, failed)``: percentile interval and SD of the finite replicates."""
    z_value(confidence_level)
    finite = reps[np.isfinite(reps)]
    failed = int(reps.size - finite.size)
    if finite.size < 2:
        return math.nan, math.nan, math.nan, failed
    a = (1.0 - confidence_level) / 2.0
    lo, hi = np.quantile(finite, [a, 1.0 - a])
    return float(lo), float(hi), float(np.std(finite, ddof=1)), failed


# --------------------------------------------------------------------------------------------
# calibration statistics from (distinct probability, count, events) cells
# --------------------------------------------------------------------------------------------


def ici_cells(u: np.ndarray, cnt: np.ndarray, sy: np.ndarray, *, span: float = 0.75, degree: int = 2) -> float:
    """Integrated calibration index (Austin & Steyerberg 2019) from cells: sorted distinct
    predicted probabilities ``u``, people per value ``cnt`` and events per value ``sy``.

    The same loess (tricube, ``span`` nearest neighbours, no robustness steps, evaluated directly
    at every distinct value) as :func:`assess.metrics.integrated_calibration_index`, which this
    equals on the rows the cells summarise. NaN when the metrics engine would switch to its grid
    approximation (very many distinct values); the caller then falls back to the row version.
    """
    keep = cnt > 0
    u, cnt, sy = u[keep], cnt[keep], sy[keep]
    n = float(cnt.sum())
    m = u.size
    if n < 2 or m == 0:
        return math.nan
    if int(_MAX_WORK / max(span * m, 1.0)) < m:
        return math.nan
    ni = int(round(n))
    q = min(max(int(span * ni + 1e-10), 2), ni)
    xs = np.repeat(u, cnt.astype(np.int64))
    h = _qth_distance(xs, u, q)
    vals, _ = _local_fits(u, cnt, sy, u, h, degree)
    if not np.all(np.isfinite(vals)):
        return math.nan
    return float(np.sum(cnt * np.abs(vals - u)) / n)


#: Largest number of distinct predicted probabilities for the batched replicate loess.
MAX_BATCH_LEVELS = 800


def _bandwidths(u: np.ndarray, cnt: np.ndarray, q: np.ndarray, dsorted: np.ndarray) -> np.ndarray:
    """Distance from each ``u_i`` to its ``q``-th nearest person, per replicate (``cnt``: (R, m)).

    Bisection over the sorted candidate distances ``dsorted[i]`` (the distances from ``u_i`` to
    every distinct value): the smallest one whose closed window holds at least ``q`` people.
    """
    R, m = cnt.shape
    cum = np.zeros((R, m + 1))
    np.cumsum(cnt, axis=1, out=cum[:, 1:])
    lo = np.zeros((R, m), dtype=np.int64)
    hi = np.full((R, m), m - 1, dtype=np.int64)
    rows = np.arange(R)[:, None]
    pts = np.arange(m)[None, :]
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        rad = dsorted[pts, mid]
        # the window's ends are distinct values at distance exactly ``rad``; widen by a hair so
        # that rounding in u_i -/+ rad cannot drop them
        tol = 1e-12 * (1.0 + np.abs(u))[None, :]
        left = np.searchsorted(u, u[None, :] - rad - tol, side="left")
        right = np.searchsorted(u, u[None, :] + rad + tol, side="right")
        inside = cum[rows, right] - cum[rows, left]
        ok = inside >= q[:, None]
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid + 1)
    return dsorted[pts, lo]


def _tricube(dist: np.ndarray, h: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ad = dist / h
    tri = np.maximum(1.0 - ad * ad * ad, 0.0)
    return np.where(np.isfinite(tri), tri * tri * tri, 0.0)


def _solve3(mat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """First coefficient of ``mat @ coef = t`` for stacked 3 x 3 systems, after equilibration
    (as :mod:`assess.metrics.calibration`); Cramer's rule, pseudo-inverse when near singular."""
    scale = np.sqrt(np.einsum("kii->ki", mat))
    scale = np.where(scale > 0, scale, 1.0)
    ms = mat / (scale[:, :, None] * scale[:, None, :])
    ts = t / scale
    a, b, c = ms[:, 0, 0], ms[:, 0, 1], ms[:, 0, 2]
    d, e, f = ms[:, 1, 0], ms[:, 1, 1], ms[:, 1, 2]
    g, h, i = ms[:, 2, 0], ms[:, 2, 1], ms[:, 2, 2]
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    x0 = (ts[:, 0] * (e * i - f * h) - b * (ts[:, 1] * i - f * ts[:, 2]) + c * (ts[:, 1] * h - e * ts[:, 2]))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x0 / det
    weak = ~(np.abs(det) > 1e-8) | ~np.isfinite(out)
    if weak.any():
        sol = np.einsum("kij,kj->ki", np.linalg.pinv(ms[weak], rcond=100 * np.finfo(float).eps), ts[weak])
        out[weak] = sol[:, 0]
    return out / scale[:, 0]


def ici_cells_batch(u: np.ndarray, cnt: np.ndarray, sy: np.ndarray, *, span: float = 0.75) -> np.ndarray:
    """:func:`ici_cells` (degree-2 loess) for many replicates at once: ``cnt`` and ``sy`` are
    ``(B, m)`` counts and events over the same sorted distinct values ``u``.

    Per replicate and fit point the bandwidth is the distance to the ``q``-th nearest person
    (``q = floor(span * n_r)``). With discrete predictions it is nearly always the full-data
    bandwidth, so the weighted moments of all replicates come from one matrix product with the
    full-data kernel; the (replicate, point) pairs whose bandwidth differs are recomputed with
    their own kernel row. The local quadratic is solved as in the metrics engine.
    """
    B, m = cnt.shape
    dist = np.abs(u[None, :] - u[:, None])  # (m, m)
    dsorted = np.sort(dist, axis=1)
    d = u[None, :] - u[:, None]  # d[i, j] = u_j - x_i
    powers = [np.ones_like(d), d, d * d, d * d * d, (d * d) * (d * d)]
    n = cnt.sum(1)
    nr = np.round(n)
    q = np.minimum(np.maximum(np.floor(span * nr + 1e-10), 2), nr)
    h = _bandwidths(u, cnt, q, dsorted)  # (B, m)
    # reference kernel: the bandwidths of the pooled replicates (about those of the full data)
    pooled = cnt.mean(0)[None, :]
    pn = float(pooled.sum())
    h0 = _bandwidths(u, pooled, np.array([min(max(np.floor(span * round(pn) + 1e-10), 2), pn)]), dsorted)[0]
    t0k = _tricube(dist, h0[:, None])  # (m, m)
    stack = np.concatenate([(t0k * p).T for p in powers] + [(t0k > 1e-12).astype(float).T], axis=1)  # (m, 6m)
    mc = cnt @ stack  # (B, 6m): s0..s4, enough
    my = sy @ stack[:, : 3 * m]  # (B, 3m): t0..t2
    s = [mc[:, k * m : (k + 1) * m] for k in range(5)]
    enough = mc[:, 5 * m :]
    t = [my[:, k * m : (k + 1) * m] for k in range(3)]
    diff_r, diff_i = np.nonzero(h != h0[None, :])
    if diff_r.size:
        # distinct (point, bandwidth) kernels among the pairs that differ, each computed once;
        # their moments for every replicate are one matrix product, read off per pair
        hv = h[diff_r, diff_i]
        keys = np.stack([diff_i.astype(float), hv], axis=1)
        uk, cid = np.unique(keys, axis=0, return_inverse=True)
        cid = cid.reshape(-1)
        ci = uk[:, 0].astype(np.int64)
        kern = _tricube(dist[ci], uk[:, 1][:, None])  # (D, m)
        D = ci.size
        vk = [kern * powers[k][ci] for k in range(5)] + [(kern > 1e-12).astype(float)]  # each (D, m)
        step = max(1, 2_000_000 // max(m, 1))
        for a0 in range(0, diff_r.size, step):
            rr, ii, cc = diff_r[a0 : a0 + step], diff_i[a0 : a0 + step], cid[a0 : a0 + step]
            cr, yr = cnt[rr], sy[rr]
            for k in range(5):
                s[k][rr, ii] = np.einsum("kj,kj->k", cr, vk[k][cc])
            for k in range(3):
                t[k][rr, ii] = np.einsum("kj,kj->k", yr, vk[k][cc])
            enough[rr, ii] = np.einsum("kj,kj->k", cr, vk[5][cc])
        del D
    mat = np.stack([np.stack([s[0], s[1], s[2]], -1), np.stack([s[1], s[2], s[3]], -1), np.stack([s[2], s[3], s[4]], -1)], -2)
    tt = np.stack(t, -1)
    present = cnt > 0
    good = present & (enough >= 2) & np.all(np.isfinite(mat), axis=(-2, -1))
    vals = np.full((B, m), np.nan)
    if good.any():
        vals[good] = _solve3(mat[good], tt[good])
    zero = (h <= 0) & present
    if zero.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.where(zero, sy / cnt, vals)
    ok = np.all(np.isfinite(vals) | ~present, axis=1) & (n >= 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ici = np.sum(np.where(present, cnt * np.abs(vals - u[None, :]), 0.0), axis=1) / n
    return np.where(ok, ici, np.nan)


def calibration_slope_cells(u: np.ndarray, cnt: np.ndarray, sy: np.ndarray) -> float:
    """Calibration slope (Cox 1958): the coefficient of logit(p) in a logistic regression of the
    outcome on logit(p), fitted on cells. NaN if p is 0 or 1 somewhere or the fit fails."""
    keep = cnt > 0
    u, cnt, sy = u[keep], cnt[keep], sy[keep]
    if u.size < 2 or np.any((u <= 0) | (u >= 1)):
        return math.nan
    lp = logit(u)
    beta, _, ok = _logistic_fit(sy, cnt, lp, np.zeros(u.size))
    return float(beta[1]) if ok else math.nan


def calibration_slope_cells_batch(u: np.ndarray, cnt: np.ndarray, sy: np.ndarray, *, max_iter: int = 50) -> np.ndarray:
    """:func:`calibration_slope_cells` for many replicates at once (``cnt``, ``sy``: ``(B, m)``),
    by Newton-Raphson run in parallel from the calibrated start (intercept 0, slope 1); a
    replicate whose fit does not converge (or whose log-likelihood would fall) is NaN."""
    B, m = cnt.shape
    if m < 2 or np.any((u <= 0) | (u >= 1)):
        return np.full(B, np.nan)
    x = logit(u)
    beta = np.zeros((B, 2))
    beta[:, 1] = 1.0
    done = np.zeros(B, dtype=bool)
    for _ in range(max_iter):
        eta = beta[:, :1] + beta[:, 1:] * x[None, :]
        mu = 1.0 / (1.0 + np.exp(-eta))
        r = sy - cnt * mu
        v = cnt * mu * (1.0 - mu)
        g0, g1 = r.sum(1), r @ x
        h00, h01, h11 = v.sum(1), v @ x, v @ (x * x)
        det = h00 * h11 - h01 * h01
        with np.errstate(divide="ignore", invalid="ignore"):
            s0 = (h11 * g0 - h01 * g1) / det
            s1 = (h00 * g1 - h01 * g0) / det
        step = np.column_stack([s0, s1])
        step[done] = 0.0
        beta = beta + step
        conv = np.max(np.abs(step), axis=1) < 1e-11 * (1 + np.max(np.abs(beta), axis=1))
        done |= conv | ~np.all(np.isfinite(step), axis=1)
        if done.all():
            break
    slope = beta[:, 1].copy()
    bad = ~np.all(np.isfinite(beta), axis=1) | (np.max(np.abs(beta), axis=1) > 50) | ~done
    slope[bad] = np.nan
    # fewer than two distinct values with people, or one outcome class: not estimable
    present = (cnt > 0).sum(1)
    ev, tot = sy.sum(1), cnt.sum(1)
    slope[(present < 2) | (ev == 0) | (ev == tot)] = np.nan
    return slope
