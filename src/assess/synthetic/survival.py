"""Proportional-hazards event times with a Weibull baseline, and their true probabilities.

With baseline cumulative hazard ``H0(t) = (t / scale) ** shape`` and linear predictor ``lp``, the
cumulative hazard of a person is ``H(t) = exp(lp) * (t / scale) ** shape``: a Weibull with the
same shape and scale ``scale * exp(-lp / shape)`` (Cox 1972; Bender, Augustin & Blettner 2005,
"Generating survival times to simulate Cox proportional hazards models", Stat Med 24:1713-1723).
Times are drawn by inversion: ``T = H^{-1}(E)`` with ``E ~ Exp(1)``.

With a competing event of cause-specific hazard ``h2``, the probability of reoffending by ``t``
is the cumulative incidence ``F1(t) = int_0^t h1(u) S1(u) S2(u) du`` (Putter, Fiocco & Geskus
2007, Stat Med 26:2389-2430): closed form when both shapes are equal, else Gauss-Legendre
quadrature (32 nodes) after a change of variable that removes the singularity of ``h1`` at 0;
absolute error below 2e-6 for shapes in [0.3, 4] (checked against adaptive quadrature in tests).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

__all__ = [
    "cumulative_incidence",
    "loss_rate_for_proportion",
    "weibull_ph_times",
    "weibull_rate",
]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(32)
_GL_X = (_GL_NODES + 1) / 2  # on [0, 1]
_GL_W = _GL_WEIGHTS / 2
_H_CAP = 50.0  # integrate only where the total cumulative hazard is below this (exp(-50) ~ 2e-22)
_CHUNK = 1 << 15


def weibull_rate(lp: np.ndarray, scale: float, shape: float) -> np.ndarray:
    """``c = exp(lp) / scale ** shape``, so that ``H(t) = c * t ** shape``."""
    return np.exp(np.asarray(lp, dtype=float) - shape * np.log(scale))


def weibull_ph_times(
    lp: np.ndarray, scale: float, shape: float, exp_draws: np.ndarray
) -> np.ndarray:
    """Event times ``H^{-1}(E)`` for ``H(t) = exp(lp) (t / scale) ** shape`` and ``E`` = ``exp_draws``
    (standard exponential); computed on the log scale so extreme ``lp`` do not overflow."""
    log_t = np.log(scale) + (np.log(exp_draws) - np.asarray(lp, dtype=float)) / shape
    with np.errstate(over="ignore"):
        return np.exp(log_t)


def cumulative_incidence(
    t: float,
    rate1: np.ndarray,
    shape1: float,
    rate2: np.ndarray | None = None,
    shape2: float | None = None,
) -> np.ndarray:
    """Probability that the event of interest happens by ``t`` (before the competing event).

    ``rate1``/``shape1`` give ``H1(u) = rate1 * u ** shape1`` (see :func:`weibull_rate`);
    ``rate2``/``shape2`` the competing event's, or None for no competing event (then
    ``F1(t) = 1 - exp(-H1(t))``). Vectorised over people.
    """
    rate1 = np.asarray(rate1, dtype=float)
    if rate2 is None:
        return -np.expm1(-rate1 * t**shape1)
    assert shape2 is not None
    rate2 = np.broadcast_to(np.asarray(rate2, dtype=float), rate1.shape)
    if np.isclose(shape1, shape2, rtol=0, atol=1e-12):
        total = rate1 + rate2
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, rate1 / total, 0.0)
        return share * -np.expm1(-total * t**shape1)
    out = np.empty(rate1.shape, dtype=float)
    flat1, flat2, flat_out = rate1.reshape(-1), rate2.reshape(-1), out.reshape(-1)
    for start in range(0, flat1.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        flat_out[sl] = _cif_quadrature(t, flat1[sl], shape1, flat2[sl], shape2)
    return out


def _cif_quadrature(t: float, c1: np.ndarray, k1: float, c2: np.ndarray, k2: float) -> np.ndarray:
    # Integrate only up to where the total cumulative hazard reaches _H_CAP (the rest is < e^-50).
    with np.errstate(divide="ignore"):
        cap1 = np.where(c1 > 0, (_H_CAP / np.maximum(c1, 1e-300)) ** (1 / k1), np.inf)
        cap2 = np.where(c2 > 0, (_H_CAP / np.maximum(c2, 1e-300)) ** (1 / k2), np.inf)
    upper = np.minimum(t, np.minimum(cap1, cap2))
    # u = upper * y**m with m*min(k) = 2 makes the integrand smooth at 0 (h1 ~ u**(k1-1)):
    # h1(u) S(u) du = k1 m A y**(m k1 - 1) exp(-A y**(m k1) - B y**(m k2)) dy with
    # A = H1(upper), B = H2(upper); the powers of y are the same for everybody.
    # The exponentials are taken in single precision (2-3x faster; relative error ~1e-7,
    # below the quadrature error of ~1e-6 at worst, tested against scipy.integrate.quad).
    m = 2.0 / min(k1, k2)
    y1 = (_GL_X ** (m * k1)).astype(np.float32)
    y2 = (_GL_X ** (m * k2)).astype(np.float32)
    wd = (_GL_X ** (m * k1 - 1) * _GL_W).astype(np.float32)
    big_a = c1 * upper**k1
    big_b = c2 * upper**k2
    expo = np.multiply.outer(big_a.astype(np.float32), -y1)
    expo -= np.multiply.outer(big_b.astype(np.float32), y2)
    np.exp(expo, out=expo)
    return (k1 * m) * big_a * (expo @ wd).astype(np.float64)


def loss_rate_for_proportion(proportion: float, follow_min: float, follow_max: float) -> float:
    """Exponential loss rate ``r`` such that ``P(L < C) = proportion`` for ``L ~ Exp(r)`` and the
    follow-up window ``C`` fixed (``follow_min == follow_max``) or uniform on ``[min, max]``."""
    if proportion <= 0:
        return 0.0
    if np.isclose(follow_min, follow_max):
        return float(-np.log1p(-proportion) / follow_max)
    a, b = follow_min, follow_max

    def excess(r: float) -> float:
        lost = 1 - (np.exp(-r * a) - np.exp(-r * b)) / (r * (b - a))
        return lost - proportion

    hi = -np.log1p(-proportion) / a  # lost proportion at this rate is >= proportion
    return float(brentq(excess, 1e-12, hi * 2 + 1e-9, xtol=1e-14, rtol=1e-12))
