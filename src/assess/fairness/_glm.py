"""Maximum-likelihood logistic and cumulative-logit (proportional odds) regression.

Small, dependency-free fitters used by the DIF analysis. Both take frequency weights, so rows
that share covariates and response can be collapsed into one weighted cell first (an item
response analysed against an integer total score and a group has few distinct cells, whatever
n is). Newton-Raphson with step halving; the log-likelihood of both models is concave, so this
converges from the starting values used here unless the MLE does not exist (separation), which
is reported as non-convergence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fit:
    """A fitted model: parameters, maximised log-likelihood, covariance and convergence."""

    params: np.ndarray
    loglik: float
    cov: np.ndarray
    converged: bool
    iterations: int


def _log_expit(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(h, g)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(h, g, rcond=None)[0]


def _cov(neg_hessian: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(neg_hessian)
    except np.linalg.LinAlgError:
        return np.full_like(neg_hessian, np.nan)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, *, max_iter: int = 100, tol: float = 1e-10
) -> Fit:
    """Logistic regression ``logit P(y=1) = x @ beta`` by Newton-Raphson (IRLS).

    ``x`` must include an intercept column if one is wanted; ``weights`` are frequency weights.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(x.shape[1])

    def loglik(b: np.ndarray) -> float:
        eta = x @ b
        return float(np.sum(w * (y * _log_expit(eta) + (1.0 - y) * _log_expit(-eta))))

    ll = loglik(beta)
    converged = False
    it = 0
    for iteration in range(1, max_iter + 1):
        it = iteration
        eta = x @ beta
        mu = np.exp(_log_expit(eta))
        grad = x.T @ (w * (y - mu))
        hess = (x * (w * mu * (1.0 - mu))[:, None]).T @ x
        step = _solve(hess, grad)
        t = 1.0
        new = beta + step
        new_ll = loglik(new)
        while new_ll < ll - 1e-12 * (1.0 + abs(ll)) and t > 1e-10:
            t /= 2.0
            new = beta + t * step
            new_ll = loglik(new)
        done = np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(beta)))
        beta, ll = new, new_ll
        if done:
            converged = True
            break
    eta = x @ beta
    mu = np.exp(_log_expit(eta))
    hess = (x * (w * mu * (1.0 - mu))[:, None]).T @ x
    if converged and np.max(np.abs(beta)) > 30:  # drifting to infinity: quasi-separation
        converged = False
    return Fit(params=beta, loglik=ll, cov=_cov(hess), converged=converged, iterations=it)


def _ordinal_parts(theta: np.ndarray, beta: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Per-row probability and the derivatives of F at the upper and lower cut-points."""
    k = theta.size + 1
    eta = x @ beta if beta.size else np.zeros(y.size)
    ext = np.r_[-np.inf, theta, np.inf]
    upper = ext[y + 1] - eta  # theta_y - eta (inf for top category)
    lower = ext[y] - eta  # theta_{y-1} - eta (-inf for bottom)
    with np.errstate(over="ignore", invalid="ignore"):
        fu = np.where(np.isfinite(upper), 1.0 / (1.0 + np.exp(-upper)), 1.0)
        fl = np.where(np.isfinite(lower), 1.0 / (1.0 + np.exp(-lower)), 0.0)
    # P(y) = F(upper) - F(lower), computed stably
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.where(
            np.isfinite(upper) & np.isfinite(lower),
            np.exp(_log_expit(upper)) * np.exp(_log_expit(-lower)) * -np.expm1(lower - upper),
            np.where(np.isfinite(upper), fu, 1.0 - fl),
        )
    du = fu * (1.0 - fu)
    dl = fl * (1.0 - fl)
    d2u = du * (1.0 - 2.0 * fu)
    d2l = dl * (1.0 - 2.0 * fl)
    del k
    return p, du, dl, d2u, d2l


def fit_cumulative_logit(
    x: np.ndarray,
    y: np.ndarray,
    n_categories: int,
    weights: np.ndarray | None = None,
    *,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> Fit:
    """Proportional-odds model ``logit P(y <= k) = theta_k - x @ beta`` (McCullagh 1980).

    ``y`` holds category codes 0..K-1 (every category must occur); ``x`` has no intercept
    column (the cut-points play that role). Parameters are returned as
    ``[theta_0, ..., theta_{K-2}, beta...]``, the parametrisation of statsmodels'
    ``OrderedModel`` before its exp-increment transform.
    """
    x = np.asarray(x, dtype=float).reshape(np.asarray(y).size, -1)
    y = np.asarray(y, dtype=np.int64)
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    k = int(n_categories)
    if k < 2:
        raise ValueError("an ordinal model needs at least two categories")
    counts = np.bincount(y, weights=w, minlength=k)
    if (counts <= 0).any():
        raise ValueError("every response category must occur; recode empty categories first")
    cum = np.cumsum(counts)[:-1] / counts.sum()
    theta = np.log(cum) - np.log1p(-cum)
    beta = np.zeros(x.shape[1])
    nt = k - 1
    npar = nt + x.shape[1]
    ext_idx_hi = y  # theta index for the upper cut-point (valid when y < k-1)
    ext_idx_lo = y - 1  # theta index for the lower cut-point (valid when y > 0)
    has_hi = y < k - 1
    has_lo = y > 0

    def loglik(th: np.ndarray, be: np.ndarray) -> float:
        if np.any(np.diff(th) <= 0):
            return -np.inf
        p, *_ = _ordinal_parts(th, be, x, y)
        with np.errstate(divide="ignore"):
            return float(np.sum(w * np.log(p)))

    def derivatives(th: np.ndarray, be: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, du, dl, d2u, d2l = _ordinal_parts(th, be, x, y)
        du = np.where(has_hi, du, 0.0)
        d2u = np.where(has_hi, d2u, 0.0)
        dl = np.where(has_lo, dl, 0.0)
        d2l = np.where(has_lo, d2l, 0.0)
        gu = du / p  # d log p / d theta_y
        gl = -dl / p  # d log p / d theta_{y-1}
        ge = -(du - dl) / p  # d log p / d eta
        huu = d2u / p - gu * gu
        hll = -d2l / p - gl * gl
        hul = -gu * gl
        hue = -d2u / p - gu * ge
        hle = d2l / p - gl * ge
        hee = (d2u - d2l) / p - ge * ge
        grad = np.zeros(npar)
        grad[:nt] = np.bincount(ext_idx_hi[has_hi], weights=(w * gu)[has_hi], minlength=nt) + np.bincount(
            ext_idx_lo[has_lo], weights=(w * gl)[has_lo], minlength=nt
        )
        grad[nt:] = x.T @ (w * ge)
        h = np.zeros((npar, npar))
        tt = np.zeros((nt, nt))
        np.add.at(tt, (ext_idx_hi[has_hi], ext_idx_hi[has_hi]), (w * huu)[has_hi])
        np.add.at(tt, (ext_idx_lo[has_lo], ext_idx_lo[has_lo]), (w * hll)[has_lo])
        both = has_hi & has_lo
        np.add.at(tt, (ext_idx_hi[both], ext_idx_lo[both]), (w * hul)[both])
        np.add.at(tt, (ext_idx_lo[both], ext_idx_hi[both]), (w * hul)[both])
        h[:nt, :nt] = tt
        if x.shape[1]:
            onehot_hi = np.zeros((y.size, nt))
            onehot_hi[np.flatnonzero(has_hi), ext_idx_hi[has_hi]] = 1.0
            onehot_lo = np.zeros((y.size, nt))
            onehot_lo[np.flatnonzero(has_lo), ext_idx_lo[has_lo]] = 1.0
            cross = onehot_hi.T @ (x * (w * hue)[:, None]) + onehot_lo.T @ (x * (w * hle)[:, None])
            h[:nt, nt:] = cross
            h[nt:, :nt] = cross.T
            h[nt:, nt:] = (x * (w * hee)[:, None]).T @ x
        return grad, h

    ll = loglik(theta, beta)
    converged = False
    it = 0
    for iteration in range(1, max_iter + 1):
        it = iteration
        grad, h = derivatives(theta, beta)
        step = _solve(-h, grad)
        t = 1.0
        for _ in range(60):
            nth, nbe = theta + t * step[:nt], beta + t * step[nt:]
            new_ll = loglik(nth, nbe)
            if new_ll >= ll - 1e-12 * (1.0 + abs(ll)):
                break
            t /= 2.0
        done = np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(np.r_[theta, beta])))
        theta, beta, ll = nth, nbe, new_ll
        if done:
            converged = True
            break
    _, h = derivatives(theta, beta)
    params = np.r_[theta, beta]
    if converged and np.max(np.abs(params)) > 50:
        converged = False
    return Fit(params=params, loglik=ll, cov=_cov(-h), converged=converged, iterations=it)
