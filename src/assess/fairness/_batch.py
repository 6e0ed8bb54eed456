"""Statistics of count tables, vectorised over any leading (replicate, group) axes.

Every function takes tables ``t`` of shape ``(..., K, 2)`` -- counts of non-events
(``t[..., 0]``) and events (``t[..., 1]``) at K ordered score levels -- and returns arrays of
shape ``(...)``. One call computes a statistic for every group of every bootstrap replicate at
once. Undefined values (e.g. a false-positive rate in a group with no non-events) are NaN; the
caller states why.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def collapse(t: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum levels that share a score value (``starts`` from :class:`LevelTable`)."""
    if starts.size == t.shape[-2]:
        return t
    return np.add.reduceat(t, starts, axis=-2)


def sizes(t: np.ndarray) -> dict[str, np.ndarray]:
    """n, events, non-events and base rate."""
    neg = t[..., 0].sum(-1)
    pos = t[..., 1].sum(-1)
    n = neg + pos
    return {"n": n, "events": pos, "non_events": neg, "base_rate": _div(pos, n)}


def auc(ts: np.ndarray) -> np.ndarray:
    """Area under the ROC curve (Mann-Whitney, ties count one half; Hanley and McNeil 1982)
    of tables with one level per distinct score."""
    neg = ts[..., 0]
    pos = ts[..., 1]
    below = np.cumsum(neg, axis=-1) - neg
    num = (pos * (below + 0.5 * neg)).sum(-1)
    return _div(num, pos.sum(-1) * neg.sum(-1))


def cross_auc(ts: np.ndarray) -> np.ndarray:
    """Cross-group AUC (Kallus and Zhou 2019): ``x[..., a, b]`` is the probability that an event
    in group ``a`` scores above a non-event in group ``b`` (ties one half). ``ts`` has shape
    ``(..., G, Ks, 2)``; the result ``(..., G, G)`` has the within-group AUCs on its diagonal."""
    neg = ts[..., 0]
    pos = ts[..., 1]
    below = np.cumsum(neg, axis=-1) - neg
    num = np.einsum("...ak,...bk->...ab", pos, below + 0.5 * neg)
    den = pos.sum(-1)[..., :, None] * neg.sum(-1)[..., None, :]
    return _div(num, den)


def confusion(t: np.ndarray, flagged: np.ndarray) -> dict[str, np.ndarray]:
    """Confusion counts when levels with ``flagged`` True are predicted positive."""
    f = flagged.astype(float)
    neg = t[..., 0]
    pos = t[..., 1]
    tp = pos @ f
    fp = neg @ f
    fn = pos.sum(-1) - tp
    tn = neg.sum(-1) - fp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def error_rates(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Selection rate and the six conditional rates from confusion counts."""
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    n = tp + fp + fn + tn
    return {
        "selection_rate": _div(tp + fp, n),
        "tpr": _div(tp, tp + fn),
        "fpr": _div(fp, fp + tn),
        "fnr": _div(fn, tp + fn),
        "tnr": _div(tn, fp + tn),
        "ppv": _div(tp, tp + fp),
        "npv": _div(tn, tn + fn),
    }


def chouldechova_fpr(base_rate: np.ndarray, ppv: np.ndarray, fnr: np.ndarray) -> np.ndarray:
    """FPR implied by Chouldechova's (2017) identity FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = base_rate / (1.0 - base_rate) * (1.0 - ppv) / ppv * (1.0 - fnr)
    return np.where(np.isfinite(out), out, np.nan)


# ----------------------------------------------------------------------- logistic on levels


_log_expit = log_expit


def _separated(x: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """True where a one-covariate logistic fit has no finite MLE: events and non-events do not
    overlap in x (complete or quasi-complete separation), which includes a single x value."""
    big = np.inf
    x = np.broadcast_to(x, pos.shape)
    min_pos = np.where(pos > 0, x, big).min(-1)
    max_pos = np.where(pos > 0, x, -big).max(-1)
    min_neg = np.where(neg > 0, x, big).min(-1)
    max_neg = np.where(neg > 0, x, -big).max(-1)
    return (max_neg <= min_pos) | (max_pos <= min_neg)


def logistic_levels(
    x: np.ndarray,
    pos: np.ndarray,
    neg: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    slope: bool = True,
    start: tuple[float, float] = (0.0, 0.0),
    max_iter: int = 100,
    tol: float = 1e-11,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood ``logit P(event) = a + b*x (+ offset)`` for grouped binary data,
    many independent problems at once (Newton-Raphson with step halving).

    ``pos``/``neg`` (..., K) are event/non-event counts at covariate values ``x`` (broadcast to
    the same shape). With ``slope=False`` only ``a`` is fitted (``b`` is fixed at 0; put a known
    slope into ``offset``). Returns ``(a, b)``; NaN where the MLE does not exist (no events, no
    non-events, or separation) or Newton did not converge.
    """
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    shape = pos.shape[:-1]
    x = np.broadcast_to(np.asarray(x, dtype=float), pos.shape)
    off = np.zeros(pos.shape) if offset is None else np.broadcast_to(offset, pos.shape)
    m = pos + neg
    P = pos.sum(-1)
    N = neg.sum(-1)
    bad = (P <= 0) | (N <= 0)
    if slope:
        bad = bad | _separated(x, pos, neg)
    a = np.full(shape, float(start[0]))
    b = np.full(shape, float(start[1]) if slope else 0.0)
    live = ~bad

    def loglik(a_: np.ndarray, b_: np.ndarray) -> np.ndarray:
        eta = a_[..., None] + b_[..., None] * x + off
        return (pos * _log_expit(eta) + neg * _log_expit(-eta)).sum(-1)

    ll = loglik(a, b)
    converged = np.zeros(shape, dtype=bool)
    for _ in range(max_iter):
        eta = a[..., None] + b[..., None] * x + off
        mu = expit(eta)
        r = pos - m * mu
        w = m * mu * (1.0 - mu)
        g0 = r.sum(-1)
        h00 = w.sum(-1)
        if slope:
            g1 = (r * x).sum(-1)
            h01 = (w * x).sum(-1)
            h11 = (w * x * x).sum(-1)
            det = h00 * h11 - h01 * h01
            with np.errstate(divide="ignore", invalid="ignore"):
                da = (h11 * g0 - h01 * g1) / det
                db = (h00 * g1 - h01 * g0) / det
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                da = g0 / h00
            db = np.zeros(shape)
        da = np.where(live & ~converged & np.isfinite(da), da, 0.0)
        db = np.where(live & ~converged & np.isfinite(db), db, 0.0)
        step = np.ones(shape)
        new_a, new_b = a + da, b + db
        new_ll = loglik(new_a, new_b)
        for _ in range(40):
            worse = new_ll < ll - 1e-12 * (1.0 + np.abs(ll))
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new_a, new_b = a + step * da, b + step * db
            new_ll = loglik(new_a, new_b)
        small = (np.abs(step * da) <= tol * (1.0 + np.abs(a))) & (np.abs(step * db) <= tol * (1.0 + np.abs(b)))
        a, b, ll = new_a, new_b, new_ll
        converged |= small
        if (converged | ~live).all():
            break
    ok = live & converged
    a = np.where(ok, a, np.nan)
    b = np.where(ok, b, np.nan) if slope else np.where(ok, 0.0, np.nan)
    return a, b


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def calibration(t: np.ndarray, prob: np.ndarray) -> dict[str, np.ndarray]:
    """Observed/expected ratio, calibration-in-the-large and calibration slope of predicted
    probabilities ``prob`` ((K,) or broadcastable to ``t[..., 0]``) against the table ``t``.

    * ``oe_ratio`` = events / sum of predicted probabilities;
    * ``observed_minus_expected`` = observed event rate - mean predicted probability;
    * ``calibration_in_the_large`` = ``a`` in ``logit P(y) = a + offset(logit p)`` (as
      :func:`assess.metrics.calibration.calibration_in_the_large`; Van Calster et al. 2016);
    * ``calibration_slope`` = ``b`` in ``logit P(y) = a + b logit(p)`` (Cox 1958; Steyerberg 2019).
    Probabilities of exactly 0 or 1 make the logistic quantities undefined (NaN).
    """
    neg = t[..., 0]
    pos = t[..., 1]
    m = neg + pos
    prob = np.broadcast_to(prob, m.shape)
    expected = (m * prob).sum(-1)
    observed = pos.sum(-1)
    n = m.sum(-1)
    lp = _logit(prob)
    used = m > 0
    finite = np.where(used, np.isfinite(lp), True).all(-1)
    lp_safe = np.where(np.isfinite(lp), lp, 0.0)
    a_off, _ = logistic_levels(lp_safe, pos, neg, offset=lp_safe, slope=False)
    _, slope = logistic_levels(lp_safe, pos, neg, slope=True, start=(0.0, 1.0))
    return {
        "expected_rate": _div(expected, n),
        "oe_ratio": _div(observed, expected),
        "observed_minus_expected": _div(observed - expected, n),
        "calibration_in_the_large": np.where(finite, a_off, np.nan),
        "calibration_slope": np.where(finite, slope, np.nan),
    }


def curve(t: np.ndarray, prob: np.ndarray, bins: np.ndarray, n_bins: int) -> dict[str, np.ndarray]:
    """Calibration curve: per bin of levels, n, observed event rate and mean predicted
    probability. ``bins`` (K,) gives each level's bin; results have shape (..., n_bins)."""
    onehot = np.zeros((bins.size, n_bins))
    onehot[np.arange(bins.size), bins] = 1.0
    neg = t[..., 0]
    pos = t[..., 1]
    m = neg + pos
    prob = np.broadcast_to(prob, m.shape)
    n = m @ onehot
    return {
        "n": n,
        "observed": _div(pos @ onehot, n),
        "expected": _div((m * prob) @ onehot, n),
    }
