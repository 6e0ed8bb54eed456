"""Area under the ROC curve with DeLong inference.

* :func:`auc` -- the AUC (= Mann-Whitney probability that a random positive scores above a
  random negative, ties counting 1/2) with the DeLong, DeLong & Clarke-Pearson (1988,
  Biometrics 44:837) variance, computed by the O(n log n) midrank algorithm of Sun & Xu (2014,
  IEEE Signal Processing Letters 21:1389, "Fast implementation of DeLong's algorithm").
* :func:`delong_test` -- DeLong's paired test of two correlated AUCs measured on the same
  subjects (e.g. an old and a revised version of an instrument).

Interval scale
--------------
The default interval is a Wald interval on the **logit** scale,
``expit(logit(AUC) +/- z * se / (AUC (1 - AUC)))``. Unlike the plain ``AUC +/- z se`` (pROC's
default), it cannot leave (0, 1), and its coverage is better for the high AUCs and modest
samples common in validation studies, where the sampling distribution of the AUC is skewed
(Pepe 2003, *The Statistical Evaluation of Medical Tests*, sec. 5.2; Qin & Hotilovac 2008,
Statistical Methods in Medical Research 17:207). ``ci_scale="plain"`` gives the untransformed
interval clipped to [0, 1] for comparison with pROC / SPSS output.

Input rules
-----------
``y_true`` must be boolean or coded 0/1 (1 = positive, e.g. reoffended); scores must be finite
(NaN raises a ``ValueError`` naming the count and first positions -- drop or impute first).
Degenerate data (no positives or no negatives, no rows) give a NaN result with a ``reason``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ._result import MetricResult, _fmt, as_float_array, undefined, z_value
from .concordance import (
    TABLE_MAX_LEVELS,
    _as_event,
    _attach_wald,
    _count_distinct,
    _require_finite,
    replace_result,
)

__all__ = ["auc", "delong_test", "DeLongTest"]


def check_binary_inputs(
    y_true: Any, y_score: Any, *, metric: str, names: tuple[str, str] = ("y_true", "y_score")
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a binary outcome and a score: equal length, 0/1 outcome, finite scores."""
    yn, sn = names
    y = _as_event(y_true, yn, metric)
    s = as_float_array(y_score, sn)
    if y.size != s.size:
        raise ValueError(f"{yn} and {sn} must have the same length; got {y.size} and {s.size}")
    _require_finite(s, sn, metric)
    return y, s


# --------------------------------------------------------------------------------------------
# placements
# --------------------------------------------------------------------------------------------


def _midranks(sorted_values: np.ndarray) -> np.ndarray:
    """1-based midranks of an ascending array (tied values share the mean of their ranks)."""
    n = sorted_values.size
    if n == 0:
        return np.zeros(0)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)  # exclusive
    mid = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    return np.repeat(mid, ends - starts)


def placements_sort(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Sun & Xu (2014): DeLong placements from midranks, one sort.

    Returns ``(v10, v01, U, levels)``: ``v10`` for each positive (share of negatives it
    outranks, ties 1/2), ``v01`` for each negative (share of positives ranked above it, ties
    1/2), both in ascending score order; ``U = sum(v10) * n_neg`` (the Mann-Whitney count, a sum
    of half-integers and therefore exact); the number of distinct scores.
    """
    order = np.argsort(s, kind="stable")
    ss = s[order]
    ys = y[order]
    tz = _midranks(ss)
    pos_s = ss[ys]
    neg_s = ss[~ys]
    P, Q = pos_s.size, neg_s.size
    above10 = tz[ys] - _midranks(pos_s)  # negatives below + ties/2
    below01 = tz[~ys] - _midranks(neg_s)  # positives below + ties/2
    U = float(np.sum(above10))
    levels = int(np.count_nonzero(ss[1:] != ss[:-1])) + 1 if ss.size else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return above10 / Q, (P - below01) / P, U, levels


def _auc_result_from_placements(
    v10: np.ndarray,
    v01: np.ndarray,
    w10: np.ndarray | None,
    w01: np.ndarray | None,
    P: int,
    Q: int,
    levels: int,
    *,
    confidence_level: float,
    ci: str | None,
    ci_scale: str,
    method: str,
    U: float | None = None,
) -> MetricResult:
    """AUC and DeLong SE from placements (rows, or levels with multiplicities ``w``)."""
    n = P + Q
    details = {"positives": P, "negatives": Q, "score_levels": levels}
    if n == 0:
        return replace_result(
            undefined("auc", "no observations", n=0, events=0, method=method), details=details
        )
    if P == 0 or Q == 0:
        which = "negatives" if P == 0 else "positives"
        r = undefined(
            "auc",
            f"all {n} observations are {which}: the AUC needs both outcomes",
            n=n,
            events=P,
            method=method,
        )
        return replace_result(r, details=details)
    w10 = np.ones_like(v10) if w10 is None else w10.astype(float)
    w01 = np.ones_like(v01) if w01 is None else w01.astype(float)
    if U is None:
        U = float(np.sum(w10 * v10 * Q))
    est = U / (float(P) * float(Q))
    if P >= 2 and Q >= 2:
        s10 = float(np.sum(w10 * (v10 - est) ** 2)) / (P - 1)
        s01 = float(np.sum(w01 * (v01 - est) ** 2)) / (Q - 1)
        se = math.sqrt(max(s10 / P + s01 / Q, 0.0))
    else:
        se = math.nan
        details["ci_note"] = "the DeLong variance needs at least 2 positives and 2 negatives"
    res = MetricResult(
        metric="auc", estimate=est, se=se, n=n, events=P, method=method, details=details
    )
    if ci == "delong" and not math.isnan(se):
        res = _attach_wald(res, se, confidence_level, ci_scale, "delong")
    return res


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def auc(
    y_true: Any,
    y_score: Any,
    *,
    confidence_level: float = 0.95,
    ci: Literal["delong", "bootstrap"] | None = "delong",
    ci_scale: Literal["logit", "plain"] = "logit",
    method: Literal["auto", "sort", "table"] = "auto",
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    bootstrap_method: Literal["percentile", "bca"] = "bca",
    strata: Any = "outcome",
    n_jobs: int = 1,
) -> MetricResult:
    """ROC AUC with a DeLong (default) or bootstrap confidence interval.

    The AUC is the probability that a randomly chosen positive has a higher score than a
    randomly chosen negative, ties counting 1/2 (equal to ``sklearn.metrics.roc_auc_score``).
    Its variance is DeLong et al.'s (1988) structural-components estimator, computed with Sun &
    Xu's (2014) midrank algorithm in O(n log n).

    Parameters
    ----------
    y_true:
        Outcome, boolean or 0/1 (1 = positive, e.g. reconvicted within the follow-up).
    y_score:
        Risk score; higher = more likely positive.
    confidence_level:
        Interval level.
    ci:
        ``"delong"`` (default), ``"bootstrap"`` or ``None`` (SE only).
    ci_scale:
        ``"logit"`` (default; see module docstring for why) or ``"plain"`` (``AUC +/- z se``
        clipped to [0, 1], as pROC).
    method:
        ``"auto"``: with at most :data:`~assess.metrics.concordance.TABLE_MAX_LEVELS` distinct
        scores, count the score x outcome table in one O(n) pass (``bincount``) and compute
        everything from it; otherwise the Sun-Xu sort path. Both give the same numbers.
    n_boot, seed, bootstrap_method, strata, n_jobs:
        Bootstrap settings for ``ci="bootstrap"``. ``strata="outcome"`` (default, as pROC)
        resamples positives and negatives separately, keeping their numbers fixed; ``None``
        resamples all rows together; or an array of group labels. For the table path a
        replicate is a multinomial draw over the table's cells (identical in distribution to
        resampling rows). BCa uses exact leave-one-out values.

    Returns
    -------
    MetricResult
        ``metric="auc"``, ``events`` = number of positives; ``details`` has ``positives``,
        ``negatives``, ``score_levels``.

    Examples
    --------
    >>> r = auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> r.estimate
    0.75
    """
    y, s = check_binary_inputs(y_true, y_score, metric="auc")
    if ci not in ("delong", "bootstrap", None):
        raise ValueError(f"ci must be 'delong', 'bootstrap' or None, got {ci!r}")
    if ci_scale not in ("logit", "plain"):
        raise ValueError(f"ci_scale must be 'logit' or 'plain', got {ci_scale!r}")
    if method not in ("auto", "sort", "table"):
        raise ValueError(f"method must be 'auto', 'sort' or 'table', got {method!r}")
    P = int(y.sum())
    Q = int(y.size - P)
    path = method
    if method == "auto":
        path = (
            "table"
            if y.size and _count_distinct(s, TABLE_MAX_LEVELS) <= TABLE_MAX_LEVELS
            else "sort"
        )
    table = None
    if path == "table":
        from .tables import ScoreOutcomeTable, levels_and_codes

        levels, codes = levels_and_codes(s)
        L = levels.size
        pos = np.bincount(codes, weights=y, minlength=L).astype(np.int64)
        neg = np.bincount(codes, minlength=L).astype(np.int64) - pos
        table = ScoreOutcomeTable(levels, pos, neg)
        res = table.auc(
            confidence_level=confidence_level,
            ci=ci if ci != "bootstrap" else None,
            ci_scale=ci_scale,
        )
        res = replace_result(res, method="AUC from score x outcome count table, DeLong variance")
    else:
        if P and Q:
            v10, v01, U, n_levels = placements_sort(y, s)
        else:
            v10, v01, U, n_levels = np.zeros(0), np.zeros(0), 0.0, int(np.unique(s).size)
        res = _auc_result_from_placements(
            v10,
            v01,
            None,
            None,
            P,
            Q,
            n_levels,
            confidence_level=confidence_level,
            ci=ci if ci != "bootstrap" else None,
            ci_scale=ci_scale,
            method="AUC, Sun-Xu fast DeLong (midranks, O(n log n))",
            U=U,
        )
    if ci != "bootstrap" or math.isnan(res.estimate):
        return res
    from .bootstrap import attach_bootstrap, bootstrap, bootstrap_counts

    if table is not None:
        if strata is not None and not (isinstance(strata, str) and strata == "outcome"):
            raise ValueError(
                "with the count-table path strata can only be 'outcome' or None; use method='sort'"
            )
        boot = bootstrap_counts(
            ScoreOutcomeTable.auc_batch,
            table.cell_counts(),
            strata=table.cell_outcome() if strata is not None else None,
            n_boot=n_boot,
            seed=seed,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            estimate=res.estimate,
            jackknife=table.auc_jackknife() if bootstrap_method == "bca" else None,
        )
    else:
        jk = None
        if bootstrap_method == "bca":
            jk = _row_jackknife(y, s)
        if isinstance(strata, str):
            if strata != "outcome":
                raise ValueError(
                    f"strata must be 'outcome', None or an array of labels, got {strata!r}"
                )
            st = y.astype(np.int64)
        else:
            st = strata
        boot = bootstrap(
            _auc_point,
            y,
            s,
            n_boot=n_boot,
            seed=seed,
            strata=st,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            jackknife=jk,
            estimate=res.estimate,
        )
    return attach_bootstrap(res, boot)


def _auc_point(y: np.ndarray, s: np.ndarray) -> float:
    P = int(y.sum())
    Q = y.size - P
    if P == 0 or Q == 0:
        return math.nan
    return placements_sort(y, s)[2] / (P * Q)


def _row_jackknife(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Exact leave-one-out AUC of every row (original order)."""
    P = float(y.sum())
    Q = float(y.size - P)
    order = np.argsort(s, kind="stable")
    v10, v01, U, _ = placements_sort(y, s)
    out = np.empty(y.size)
    ys = y[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[order[ys]] = (U - v10 * Q) / ((P - 1.0) * Q)
        out[order[~ys]] = (U - v01 * P) / (P * (Q - 1.0))
    return out


# --------------------------------------------------------------------------------------------
# paired comparison
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeLongTest:
    """DeLong's test for the difference of two correlated AUCs (``auc_a - auc_b``)."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    z: float
    p_value: float
    lower: float
    upper: float
    confidence_level: float
    correlation: float
    n: int
    positives: int
    negatives: int
    reason: str | None = None

    @property
    def status(self) -> str:
        return "ok" if not math.isnan(self.p_value) else "undefined"

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame."""
        return pd.DataFrame(
            [
                {
                    "metric": "auc_difference",
                    "auc_a": self.auc_a,
                    "auc_b": self.auc_b,
                    "estimate": self.difference,
                    "se": self.se,
                    "lower": self.lower,
                    "upper": self.upper,
                    "confidence_level": self.confidence_level,
                    "z": self.z,
                    "p_value": self.p_value,
                    "correlation": self.correlation,
                    "n": self.n,
                    "events": self.positives,
                    "method": "DeLong paired test",
                    "status": self.status,
                    "reason": self.reason,
                }
            ]
        )

    def __str__(self) -> str:
        out = (
            f"DeLong test: AUC_a = {_fmt(self.auc_a)}, AUC_b = {_fmt(self.auc_b)}, "
            f"difference = {_fmt(self.difference)} ({self.confidence_level:.0%} CI "
            f"{_fmt(self.lower)} to {_fmt(self.upper)}), se {_fmt(self.se)}\n"
            f"  z = {_fmt(self.z, 3)}, p = {_fmt(self.p_value, 4)}, correlation {_fmt(self.correlation, 3)}"
            f"  [n={self.n}, positives={self.positives}]"
        )
        if self.reason:
            out += f"\n  undefined: {self.reason}"
        return out

    def __repr__(self) -> str:
        return f"<DeLongTest {self.__str__()}>"


def _level_placements(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row placements: v10 for positives, v01 for negatives (original order within class)."""
    from .tables import levels_and_codes

    levels, codes = levels_and_codes(s)
    L = levels.size
    pos = np.bincount(codes, weights=y, minlength=L)
    neg = np.bincount(codes, minlength=L) - pos
    P = pos.sum()
    Q = neg.sum()
    v10 = (np.cumsum(neg) - 0.5 * neg) / Q
    v01 = (P - np.cumsum(pos) + 0.5 * pos) / P
    return v10[codes[y]], v01[codes[~y]]


def delong_test(
    y_true: Any,
    score_a: Any,
    score_b: Any,
    *,
    confidence_level: float = 0.95,
) -> DeLongTest:
    """DeLong, DeLong & Clarke-Pearson (1988) test of two correlated AUCs.

    Both scores are measured on the same subjects. With structural components (placements)
    ``V10`` (positives) and ``V01`` (negatives) of each score, ``S10`` / ``S01`` their 2 x 2
    sample covariance matrices, ``var(AUC_a - AUC_b) = c' (S10 / m + S01 / n) c`` with
    ``c = (1, -1)``; ``z = difference / se`` and the two-sided p-value is from the normal
    distribution. The interval for the difference is on the plain scale.

    Returns a :class:`DeLongTest` (prints readably, ``to_frame()`` gives one tidy row). Undefined
    (NaN with ``reason``) without both outcomes, with fewer than 2 of either, or when the
    difference has zero estimated variance (e.g. identical rankings).

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> res = delong_test(y, [1, 2, 3, 4, 5, 6], [1, 3, 2, 5, 4, 6])
    >>> res.difference
    0.0
    """
    y, a = check_binary_inputs(y_true, score_a, metric="delong_test", names=("y_true", "score_a"))
    b = as_float_array(score_b, "score_b")
    if b.size != y.size:
        raise ValueError(f"y_true and score_b must have the same length; got {y.size} and {b.size}")
    _require_finite(b, "score_b", "delong_test")
    P = int(y.sum())
    Q = int(y.size - P)
    nan = math.nan

    def fail(reason: str, auc_a: float = nan, auc_b: float = nan) -> DeLongTest:
        return DeLongTest(
            auc_a,
            auc_b,
            auc_a - auc_b,
            nan,
            nan,
            nan,
            nan,
            nan,
            confidence_level,
            nan,
            y.size,
            P,
            Q,
            reason,
        )

    if P < 2 or Q < 2:
        return fail(f"the DeLong test needs at least 2 positives and 2 negatives (got {P} and {Q})")
    a10, a01 = _level_placements(y, a)
    b10, b01 = _level_placements(y, b)
    auc_a = float(np.mean(a10))
    auc_b = float(np.mean(b10))
    s10 = np.cov(np.vstack((a10, b10)), ddof=1)
    s01 = np.cov(np.vstack((a01, b01)), ddof=1)
    cov = s10 / P + s01 / Q
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    diff = auc_a - auc_b
    if not var > 0:
        return fail(
            "the difference has zero estimated variance (the two scores order the subjects the same way)",
            auc_a,
            auc_b,
        )
    se = math.sqrt(var)
    z = diff / se
    p = float(2.0 * ndtr(-abs(z)))
    zc = z_value(confidence_level)
    denom = math.sqrt(cov[0, 0] * cov[1, 1])
    corr = float(cov[0, 1] / denom) if denom > 0 else nan
    return DeLongTest(
        auc_a,
        auc_b,
        diff,
        se,
        z,
        p,
        diff - zc * se,
        diff + zc * se,
        confidence_level,
        corr,
        y.size,
        P,
        Q,
    )
