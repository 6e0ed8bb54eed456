"""Paired differences (integrated B minus base A) of discrimination and prediction error.

Both instruments are scored on the same people, so their accuracy estimates are correlated and
the difference must be judged with a *paired* interval; two separate intervals that overlap say
nothing about the difference.

* :func:`paired_harrell_c` -- Harrell's C of both scores on the same right-censored data, with
  the infinitesimal-jackknife (IJ) variance of the difference. Why it is valid: C is a ratio of
  two U-statistics of order 2 over the same comparable pairs (which depend on time and event
  only, so they are the same pairs for A and B). Its IJ influence for person k is
  ``(c_k + t_k / 2 - C p_k) / pairs`` (``c_k, t_k, p_k``: concordant, score-tied and all
  comparable pairs person k belongs to); the influence of ``C_B - C_A`` is the difference of
  the two influences, person by person, so the correlation between the two C's is carried by
  construction. ``var = sum_k (IF_Bk - IF_Ak)^2`` is the variance that R
  ``survival::concordance`` reports for several predictors (Therneau & Atkinson, "The
  concordance statistic"); the single-score version equals
  :func:`assess.metrics.harrell_c`'s standard error exactly. Censoring only decides which pairs
  are comparable and is part of the observed data the influence is computed from.
* :func:`paired_auc` -- DeLong, DeLong & Clarke-Pearson (1988) for two correlated AUCs
  (:func:`assess.metrics.delong_test`). Valid when both scores are observed on the same people
  and every person's binary outcome is known -- for an outcome at a horizon this means nobody
  who is analysed was censored before the horizon (the caller removes those people and says how
  many; see :mod:`assess.additionality.api`).
* :func:`paired_brier` -- the Brier score difference is the mean of the per-person differences
  of squared errors, so its standard error is their sample SD over sqrt(n) (a paired z
  interval; Bradley et al. 2008, Weather and Forecasting 23:992).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr

from ..metrics import delong_test
from ..metrics._result import z_value
from ..metrics.auc import _level_placements
from ..metrics.concordance import pair_counts

__all__ = [
    "PairedDifference",
    "auc_influence",
    "concordance_influence",
    "paired_auc",
    "paired_brier",
    "paired_harrell_c",
]


@dataclass(frozen=True)
class PairedDifference:
    """One criterion compared on the same people: A's value, B's value and B - A with its interval.

    ``higher_is_better`` says which direction is a gain; ``margin`` is the non-inferiority margin
    in the criterion's units (``None`` when none applies). ``reason`` explains a NaN.
    """

    criterion: str
    base_value: float
    integrated_value: float
    difference: float
    lower: float
    upper: float
    p_value: float = math.nan
    se: float = math.nan
    n: int = 0
    events: int | None = None
    method: str = ""
    higher_is_better: bool = True
    base_lower: float = math.nan
    base_upper: float = math.nan
    integrated_lower: float = math.nan
    integrated_upper: float = math.nan
    group: str = "overall"
    horizon: float | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _undefined(criterion: str, reason: str, *, n: int = 0, events: int | None = None, method: str = "", higher_is_better: bool = True, horizon: float | None = None) -> PairedDifference:
    nan = math.nan
    return PairedDifference(criterion, nan, nan, nan, nan, nan, n=n, events=events, method=method, higher_is_better=higher_is_better, horizon=horizon, reason=reason)


def _wald(diff: float, se: float, confidence_level: float) -> tuple[float, float, float]:
    if not (se > 0) or math.isnan(diff):
        return math.nan, math.nan, math.nan
    z = z_value(confidence_level)
    return diff - z * se, diff + z * se, float(2.0 * ndtr(-abs(diff / se)))


# --------------------------------------------------------------------------------------------
# influence functions
# --------------------------------------------------------------------------------------------


def concordance_influence(time: np.ndarray, event: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray | None, int]:
    """Harrell's C and each person's infinitesimal-jackknife influence ``dC / dw_k`` (original
    row order), with the number of comparable pairs. ``sum(influence**2)`` is the IJ variance
    of :func:`assess.metrics.harrell_c`; the influences sum to 0."""
    pc = pair_counts(np.asarray(time, dtype=float), np.asarray(event, dtype=bool), np.asarray(score, dtype=float), rows=True, early=False)
    if pc.pairs == 0:
        return math.nan, None, 0
    c = (pc.concordant + 0.5 * pc.tied_score) / pc.pairs
    rc = pc.to_rows(pc.row_concordant).astype(float)
    rt = pc.to_rows(pc.row_tied).astype(float)
    rp = rc + pc.to_rows(pc.row_discordant).astype(float) + rt
    return c, (rc + 0.5 * rt - c * rp) / pc.pairs, int(pc.pairs)


def auc_influence(y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray | None]:
    """AUC and each person's influence ``dAUC / dw_k`` (original row order): ``(V10_k - AUC) / P``
    for a positive and ``(V01_k - AUC) / Q`` for a negative, where ``V`` are DeLong's placements."""
    y = np.asarray(y, dtype=bool)
    P = int(y.sum())
    Q = int(y.size - P)
    if P == 0 or Q == 0:
        return math.nan, None
    v10, v01 = _level_placements(y, np.asarray(score, dtype=float))
    a = float(np.mean(v10))
    infl = np.empty(y.size)
    infl[y] = (v10 - a) / P
    infl[~y] = (v01 - a) / Q
    return a, infl


# --------------------------------------------------------------------------------------------
# paired differences
# --------------------------------------------------------------------------------------------


def paired_harrell_c(time: Any, event: Any, base: Any, integrated: Any, *, confidence_level: float = 0.95) -> PairedDifference:
    """Harrell's C of ``integrated`` minus that of ``base`` on the same people, with a paired
    infinitesimal-jackknife interval (see the module docstring for why it is valid).

    Inputs are 1-d arrays of equal length without missing values (higher score = higher risk).

    >>> d = paired_harrell_c([1, 2, 3, 4, 5], [1, 1, 0, 1, 0], [5, 4, 3, 1, 2], [5, 4, 1, 3, 2])
    >>> round(d.difference, 4)
    0.0
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    a = np.asarray(base, dtype=float)
    b = np.asarray(integrated, dtype=float)
    method = "Harrell C, paired infinitesimal-jackknife SE of the difference (Wald, plain scale)"
    ca, ia, pairs = concordance_influence(t, e, a)
    if ia is None:
        return _undefined("harrell_c", "no comparable pairs (no events?)", n=t.size, events=int(e.sum()), method=method)
    cb, ib, _ = concordance_influence(t, e, b)
    d = ib - ia
    se = math.sqrt(float(d @ d))
    diff = cb - ca
    lo, hi, p = _wald(diff, se, confidence_level)
    sa, sb = math.sqrt(float(ia @ ia)), math.sqrt(float(ib @ ib))
    z = z_value(confidence_level)
    reason = None
    if not se > 0:
        reason = "the two scores order every comparable pair the same way: the difference has no variance"
    corr = float(ia @ ib) / (sa * sb) if sa > 0 and sb > 0 else math.nan
    return PairedDifference(
        "harrell_c", ca, cb, diff, lo, hi, p, se, n=int(t.size), events=int(e.sum()), method=method,
        base_lower=ca - z * sa, base_upper=ca + z * sa, integrated_lower=cb - z * sb, integrated_upper=cb + z * sb,
        reason=reason, details={"comparable_pairs": pairs, "correlation": corr, "base_se": sa, "integrated_se": sb},
    )


def paired_auc(y: Any, base: Any, integrated: Any, *, confidence_level: float = 0.95, horizon: float | None = None) -> PairedDifference:
    """AUC of ``integrated`` minus that of ``base`` with DeLong's paired test
    (:func:`assess.metrics.delong_test`); every outcome must be known (0/1)."""
    res = delong_test(y, integrated, base, confidence_level=confidence_level)
    method = "AUC, DeLong paired test (DeLong, DeLong & Clarke-Pearson 1988)"
    z = z_value(confidence_level)
    yy = np.asarray(y, dtype=bool)
    extra: dict[str, float] = {}
    if res.positives >= 1 and res.negatives >= 1:
        _, ia = auc_influence(yy, np.asarray(base, dtype=float))
        _, ib = auc_influence(yy, np.asarray(integrated, dtype=float))
        sa, sb = math.sqrt(float(ia @ ia)), math.sqrt(float(ib @ ib))
        extra = dict(base_lower=res.auc_b - z * sa, base_upper=res.auc_b + z * sa, integrated_lower=res.auc_a - z * sb, integrated_upper=res.auc_a + z * sb)
    return PairedDifference(
        "auc", res.auc_b, res.auc_a, res.difference, res.lower, res.upper, res.p_value, res.se,
        n=res.n, events=res.positives, method=method, horizon=horizon, reason=res.reason,
        details={"correlation": res.correlation}, **extra,
    )


def paired_brier(y: Any, p_base: Any, p_integrated: Any, *, confidence_level: float = 0.95, horizon: float | None = None) -> PairedDifference:
    """Brier score (mean squared error of predicted probabilities; Brier 1950) of the integrated
    minus the base probabilities, with a paired z interval (lower is better)."""
    yy = np.asarray(y, dtype=float)
    ea = (yy - np.asarray(p_base, dtype=float)) ** 2
    eb = (yy - np.asarray(p_integrated, dtype=float)) ** 2
    n = yy.size
    method = "Brier score, paired z interval on per-person differences of squared error"
    if n < 2:
        return _undefined("brier", "needs at least two people", n=n, method=method, higher_is_better=False, horizon=horizon)
    d = eb - ea
    se = float(np.std(d, ddof=1)) / math.sqrt(n)
    diff = float(d.mean())
    lo, hi, p = _wald(diff, se, confidence_level)
    z = z_value(confidence_level)
    ba, bb = float(ea.mean()), float(eb.mean())
    sa, sb = float(np.std(ea, ddof=1)) / math.sqrt(n), float(np.std(eb, ddof=1)) / math.sqrt(n)
    return PairedDifference(
        "brier", ba, bb, diff, lo, hi, p, se, n=n, events=int(yy.sum()), method=method, higher_is_better=False,
        base_lower=ba - z * sa, base_upper=ba + z * sa, integrated_lower=bb - z * sb, integrated_upper=bb + z * sb,
        horizon=horizon, reason=None if se > 0 else "the two sets of probabilities give identical errors",
    )
