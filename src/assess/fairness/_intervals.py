"""Confidence limits for many statistics at once: bootstrap (percentile, BCa) and Wald.

``replicates`` has the replicate on axis 0 and any shape after it; limits come back with that
shape. Replicates where a statistic is undefined (NaN) are left out of its interval; when more
than ``max_undefined`` of them are undefined the interval is NaN (the bootstrap distribution is
not trustworthy, e.g. a group that often has no events).
"""

from __future__ import annotations

import numpy as np

#: Largest fraction of undefined replicates tolerated before an interval is withheld.
MAX_UNDEFINED = 0.05


def percentile_interval(
    replicates: np.ndarray, confidence_level: float, max_undefined: float = MAX_UNDEFINED
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval (Efron and Tibshirani 1993, ch. 13)."""
    alpha = (1.0 - confidence_level) / 2.0
    return _quantiles(replicates, np.full(replicates.shape[1:], alpha), np.full(replicates.shape[1:], 1 - alpha), max_undefined)


def _quantiles(rep: np.ndarray, q_lo: np.ndarray, q_hi: np.ndarray, max_undefined: float) -> tuple[np.ndarray, np.ndarray]:
    b = rep.shape[0]
    flat = rep.reshape(b, -1)
    defined = np.isfinite(flat)
    frac_undef = 1.0 - defined.mean(0) if b else np.ones(flat.shape[1])
    ordered = np.sort(np.where(defined, flat, np.inf), axis=0)  # NaN/inf last
    count = defined.sum(0)
    lo = _pick(ordered, count, q_lo.reshape(-1))
    hi = _pick(ordered, count, q_hi.reshape(-1))
    keep = (frac_undef <= max_undefined) & (count > 1)
    lo = np.where(keep, lo, np.nan).reshape(rep.shape[1:])
    hi = np.where(keep, hi, np.nan).reshape(rep.shape[1:])
    return lo, hi


def _pick(ordered: np.ndarray, count: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Linear-interpolated quantile ``q`` of the first ``count`` sorted values of each column
    (numpy's default 'linear' method, applied to the defined values only)."""
    cols = np.arange(ordered.shape[1])
    pos = np.clip(q, 0.0, 1.0) * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    frac = pos - lo
    with np.errstate(invalid="ignore"):
        v_lo = ordered[lo, cols]
        v_hi = ordered[hi, cols]
        out = v_lo + (v_hi - v_lo) * frac
        out = np.where(frac == 0, v_lo, out)
    return np.where(count > 0, out, np.nan)


def bca_interval(
    replicates: np.ndarray,
    estimate: np.ndarray,
    jackknife: np.ndarray,
    weights: np.ndarray,
    confidence_level: float,
    max_undefined: float = MAX_UNDEFINED,
    strata: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated interval (Efron 1987; Efron and Tibshirani 1993, ch. 14)
    for every component, using :func:`assess.metrics.bootstrap.jackknife_acceleration` and
    :func:`assess.metrics.bootstrap.bca_levels` (scipy's conventions).

    ``jackknife`` (J, ...) holds leave-one-out values with ``weights`` the number of rows giving
    each value (one value per non-empty table cell) and ``strata`` their stratum labels when the
    bootstrap was stratified.
    """
    from assess.metrics.bootstrap import bca_levels, jackknife_acceleration

    b = replicates.shape[0]
    shape = replicates.shape[1:]
    r2 = replicates.reshape(b, -1)
    e1 = np.broadcast_to(np.asarray(estimate, dtype=float), shape).reshape(-1)
    j2 = np.asarray(jackknife, dtype=float).reshape(np.asarray(jackknife).shape[0], -1)
    w = np.asarray(weights, dtype=float)
    lo = np.full(r2.shape[1], np.nan)
    hi = np.full(r2.shape[1], np.nan)
    for c in range(r2.shape[1]):
        col = r2[:, c]
        fin = col[np.isfinite(col)]
        if not np.isfinite(e1[c]) or fin.size < 2 or 1.0 - fin.size / max(b, 1) > max_undefined:
            continue
        jc = j2[:, c]
        ok = np.isfinite(jc)
        if ok.sum() < 2:
            continue
        acc = jackknife_acceleration(jc[ok], None if strata is None else np.asarray(strata)[ok], w[ok])
        if not np.isfinite(acc):
            continue
        a1, a2, z0 = bca_levels(float(e1[c]), fin, acc, confidence_level)
        if not (np.isfinite(z0) and np.isfinite(a1) and np.isfinite(a2)):
            continue
        lo[c], hi[c] = np.quantile(fin, [a1, a2])
    return lo.reshape(shape), hi.reshape(shape)


def wald_limits(
    values: np.ndarray,
    cov: np.ndarray,
    a: np.ndarray,
    b: np.ndarray | None,
    estimate: np.ndarray,
    kind: str,
    confidence_level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Wald limits from a covariance matrix of estimates (e.g. infinitesimal-jackknife).

    ``values`` (E,) are the estimates and ``cov`` (E, E) their covariance; ``a``/``b`` index
    ``values`` (-1 = undefined) and ``estimate`` is the quantity whose limits are wanted:

    * ``"value"``: ``values[a]`` on the logit scale, ``expit(logit p +/- z se / (p (1-p)))``
      (for probability-like indices such as Harrell's C; the convention of
      :func:`assess.metrics.concordance.harrell_c` with ``ci_scale="logit"``);
    * ``"difference"``: ``values[a] - values[b] +/- z sqrt(v_aa + v_bb - 2 v_ab)``;
    * ``"ratio"``: ``values[a] / values[b]`` on the log scale, delta method
      ``var(log r) = v_aa / x_a^2 + v_bb / x_b^2 - 2 v_ab / (x_a x_b)``.

    NaN where an index is undefined, the variance is not finite, or (logit/log scales) the
    value is outside the scale's domain.
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence_level / 2.0))
    a = np.asarray(a)
    est = np.asarray(estimate, dtype=float)
    ok = a >= 0
    ia = np.maximum(a, 0)
    xa = values[ia]
    vaa = cov[ia, ia]
    if kind == "value":
        p = est
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = np.log(p) - np.log1p(-p)
            half = z * np.sqrt(vaa) / (p * (1.0 - p))
            lo = 1.0 / (1.0 + np.exp(-(centre - half)))
            hi = 1.0 / (1.0 + np.exp(-(centre + half)))
        ok = ok & (p > 0) & (p < 1) & (vaa >= 0)
        # zero variance: the degenerate interval (p, p)
        lo = np.where(vaa == 0, p, lo)
        hi = np.where(vaa == 0, p, hi)
    else:
        if b is None:
            raise ValueError("a difference or ratio needs two indices")
        b = np.asarray(b)
        ok = ok & (b >= 0)
        ib = np.maximum(b, 0)
        xb = values[ib]
        vbb = cov[ib, ib]
        vab = cov[ia, ib]
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "difference":
                sd = np.sqrt(vaa + vbb - 2.0 * vab)
                lo, hi = est - z * sd, est + z * sd
            elif kind == "ratio":
                sd = np.sqrt(vaa / xa**2 + vbb / xb**2 - 2.0 * vab / (xa * xb))
                lo, hi = est * np.exp(-z * sd), est * np.exp(z * sd)
                ok = ok & (xa > 0) & (xb > 0) & (est > 0)
            else:
                raise ValueError(f"unknown kind {kind!r}")
        ok = ok & np.isfinite(sd)
    ok = ok & np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
