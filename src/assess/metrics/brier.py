"""Brier scores for binary outcomes and, with censoring, at time horizons.

* :func:`brier_score` - mean squared difference between outcome (0/1) and predicted probability
  (Brier 1950); equals scikit-learn's ``brier_score_loss``. Normal-theory SE = SD of the squared
  errors / sqrt(n).
* :func:`scaled_brier_score` - ``1 - Brier / Brier_null`` where the null model predicts the
  observed prevalence for everyone, so ``Brier_null = p(1 - p)`` (Steyerberg et al. 2010). SE by
  the delta method on the sample means of the squared errors and of the outcome.
* :func:`ipcw_brier_score` - Graf et al. (1999) Brier score at horizons t with inverse
  probability of censoring weights: subjects with an event by t weigh ``1/G(T_i)``, subjects still
  event-free after t weigh ``1/G(t)``, subjects censored before t weigh 0; ``G`` is the reverse
  Kaplan-Meier estimate of the censoring distribution (from ``train_time/train_event`` when given,
  else from the evaluation data). Matches scikit-survival's ``brier_score`` exactly, including its
  tie convention (at a time with both events and censorings, the subjects with the event are not
  at risk of being censored). Also reports the index of prediction accuracy
  ``IPA = 1 - BS / BS_KM`` (Kattan & Gerds 2018) with the marginal KM of the evaluation data as the
  null prediction.
* :func:`integrated_brier_score` - trapezoidal integral of the IPCW Brier score over the horizons
  divided by their range, as scikit-survival's ``integrated_brier_score``.

Mergeable state: :class:`BrierState` (sums of squared errors, their squares, outcomes and the cross
product) gives the Brier score, its SE and the scaled Brier score exactly from chunks. The IPCW
Brier score needs ``G`` from all rows first (a KM of the censoring, itself a mergeable count
table); given ``G`` its weighted sums are additive, but no state is provided here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from ._result import MetricResult, as_float_array, results_frame, undefined, z_value
from ._survival_core import KMTable, censoring_survival, km_table
from .survival import _check_time_event

__all__ = [
    "BrierState",
    "IPCWBrierResult",
    "brier_score",
    "integrated_brier_score",
    "ipcw_brier_score",
    "scaled_brier_score",
]


def _check_binary(y_true: Any, y_prob: Any, *, prob_name: str = "y_prob") -> tuple[np.ndarray, np.ndarray]:
    """Validate a 0/1 outcome and probabilities in [0, 1]; returns float arrays."""
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_prob, prob_name)
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"y_true and {prob_name} must have the same length, got {y.shape[0]} and {p.shape[0]}")
    if np.isnan(y).any():
        raise ValueError(f"y_true contains {int(np.isnan(y).sum())} missing value(s); drop or impute those rows first")
    if np.isnan(p).any():
        raise ValueError(f"{prob_name} contains {int(np.isnan(p).sum())} missing value(s); drop or impute those rows first")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must be binary (0/1 or False/True)")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{prob_name} must be probabilities in [0, 1]; found values in [{p.min():g}, {p.max():g}]")
    return y, p


# ----------------------------------------------------------------------------------------------
# binary Brier
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrierState:
    """Mergeable sufficient statistics for the Brier score and the scaled Brier score.

    ``finalize()`` gives the Brier score (``scaled=False``) or the scaled Brier score.
    """

    n: float = 0.0
    sum_sq: float = 0.0  # sum of (y - p)^2
    sum_sq2: float = 0.0  # sum of (y - p)^4
    sum_y: float = 0.0
    sum_sq_y: float = 0.0  # sum of y (y - p)^2
    scaled: bool = False
    confidence_level: float = 0.95

    def update(self, y_true: Any, y_prob: Any) -> Self:
        """Add a chunk of outcomes and predicted probabilities."""
        y, p = _check_binary(y_true, y_prob)
        sq = (y - p) ** 2
        return BrierState(
            self.n + y.size,
            self.sum_sq + float(sq.sum()),
            self.sum_sq2 + float((sq * sq).sum()),
            self.sum_y + float(y.sum()),
            self.sum_sq_y + float((sq * y).sum()),
            self.scaled,
            self.confidence_level,
        )

    def merge(self, other: BrierState) -> Self:
        """Combine with a state built on other rows."""
        return BrierState(
            self.n + other.n,
            self.sum_sq + other.sum_sq,
            self.sum_sq2 + other.sum_sq2,
            self.sum_y + other.sum_y,
            self.sum_sq_y + other.sum_sq_y,
            self.scaled,
            self.confidence_level,
        )

    def finalize(self) -> MetricResult:
        """Brier score (or scaled Brier score) with a normal-theory CI."""
        n = int(self.n)
        events = int(round(self.sum_y))
        name = "scaled_brier" if self.scaled else "brier"
        if n == 0:
            return undefined(name, "no observations", n=0, events=0)
        z = z_value(self.confidence_level)
        b = self.sum_sq / n
        var_sq = max(self.sum_sq2 / n - b * b, 0.0)
        if not self.scaled:
            se = math.sqrt(var_sq / n) if n > 1 else math.nan
            lo, hi = (max(b - z * se, 0.0), min(b + z * se, 1.0)) if n > 1 else (math.nan, math.nan)
            return MetricResult(name, b, se, lo, hi, self.confidence_level, n, events, method="mean squared error of predicted probabilities", ci_method="normal" if n > 1 else None)
        pbar = self.sum_y / n
        b0 = pbar * (1.0 - pbar)
        if b0 == 0.0:
            return undefined(name, "only one outcome class: the null (prevalence) model has Brier score 0", n=n, events=events)
        est = 1.0 - b / b0
        # delta method: influence of row i is -(e_i - b)/b0 + b (1 - 2 pbar)(y_i - pbar)/b0^2
        a = -1.0 / b0
        c = b * (1.0 - 2.0 * pbar) / b0**2
        cov_ey = self.sum_sq_y / n - b * pbar
        var_y = pbar * (1.0 - pbar)
        var_if = a * a * var_sq + c * c * var_y + 2.0 * a * c * cov_ey
        se = math.sqrt(max(var_if, 0.0) / n) if n > 1 else math.nan
        return MetricResult(
            name,
            est,
            se,
            est - z * se,
            est + z * se,
            self.confidence_level,
            n,
            events,
            method="1 - Brier / (prevalence * (1 - prevalence))",
            ci_method="delta-method normal",
            details={"brier": b, "brier_null": b0},
        )


def brier_score(y_true: Any, y_prob: Any, *, confidence_level: float = 0.95) -> MetricResult:
    """Brier score: mean of (y - p)^2 for a binary outcome (Brier 1950); lower is better.

    Equals scikit-learn ``brier_score_loss``. The CI is normal-theory (SD of squared errors / sqrt n).

    >>> brier_score([0, 1, 1], [0.1, 0.8, 0.6]).estimate   # (0.01 + 0.04 + 0.16) / 3
    0.07
    """
    return BrierState(confidence_level=confidence_level).update(y_true, y_prob).finalize()


def scaled_brier_score(y_true: Any, y_prob: Any, *, confidence_level: float = 0.95) -> MetricResult:
    """Scaled Brier score ``1 - Brier / Brier_null`` with Brier_null = prevalence (1 - prevalence)
    (Steyerberg et al. 2010); 1 is perfect, 0 is no better than predicting the base rate."""
    return BrierState(scaled=True, confidence_level=confidence_level).update(y_true, y_prob).finalize()


# ----------------------------------------------------------------------------------------------
# IPCW Brier at horizons
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IPCWBrierResult:
    """IPCW Brier scores at several horizons (Graf et al. 1999), with the IPA and, when two or more
    horizons are given, the integrated Brier score."""

    brier: list[MetricResult]
    ipa: list[MetricResult]
    integrated: MetricResult | None

    @property
    def horizons(self) -> np.ndarray:
        """The horizons, in the order given."""
        return np.array([r.horizon for r in self.brier], dtype=float)

    @property
    def estimates(self) -> np.ndarray:
        """The Brier score at each horizon."""
        return np.array([r.estimate for r in self.brier])

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: Brier and IPA per horizon, then the integrated Brier score."""
        rows = [*self.brier, *self.ipa]
        if self.integrated is not None:
            rows.append(self.integrated)
        return results_frame(rows)

    def __str__(self) -> str:
        f = self.to_frame()[["metric", "horizon", "estimate", "n", "events", "reason"]]
        return "IPCW Brier score (Graf et al. 1999)\n" + f.to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return f"<IPCWBrierResult\n{self}>"


def _predicted_survival_matrix(predicted_survival: Any, predicted_risk: Any, n: int, k: int) -> np.ndarray:
    if (predicted_survival is None) == (predicted_risk is None):
        raise ValueError("give exactly one of predicted_survival (P(T > t)) or predicted_risk (P(T <= t))")
    name = "predicted_survival" if predicted_survival is not None else "predicted_risk"
    arr = np.asarray(predicted_survival if predicted_survival is not None else predicted_risk, dtype=float)
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} rows but time has {n}")
        arr = np.broadcast_to(arr[:, None], (n, k))
    elif arr.ndim == 2:
        if arr.shape != (n, k):
            raise ValueError(f"{name} must have shape (n, n_horizons) = {(n, k)}, got {arr.shape}")
    else:
        raise ValueError(f"{name} must be 1- or 2-dimensional")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains missing values")
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(f"{name} must be probabilities in [0, 1]")
    return arr if predicted_survival is not None else 1.0 - arr


def ipcw_brier_score(
    time: Any,
    event: Any,
    horizons: Sequence[float] | float,
    *,
    predicted_survival: Any = None,
    predicted_risk: Any = None,
    train_time: Any = None,
    train_event: Any = None,
) -> IPCWBrierResult:
    """Brier score at each horizon for right-censored outcomes (Graf et al. 1999), with IPCW.

    Parameters
    ----------
    time, event:
        Follow-up and event indicator of the evaluation data.
    horizons:
        Time point(s) t; one Brier score each.
    predicted_survival / predicted_risk:
        P(T > t) or P(T <= t) (give one), shape (n,) for one horizon (or the same prediction at
        every horizon) or (n, n_horizons).
    train_time, train_event:
        Data to estimate the censoring distribution G on (scikit-survival's ``survival_train``);
        default: the evaluation data.

    A horizon beyond the last time at which G is estimable (G = 0, or after the last censoring-data
    time while G > 0) gives NaN with a reason instead of scikit-survival's error.
    """
    t, e = _check_time_event(time, event)
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    if h.ndim != 1 or h.size == 0 or not np.all(np.isfinite(h)):
        raise ValueError("horizons must be one or more finite times")
    if t.size == 0:
        raise ValueError("time is empty")
    surv = _predicted_survival_matrix(predicted_survival, predicted_risk, t.size, h.size)
    if (train_time is None) != (train_event is None):
        raise ValueError("give both train_time and train_event, or neither")
    if train_time is not None:
        tt, te = _check_time_event(train_time, train_event, time_name="train_time", event_name="train_event")
    else:
        tt, te = t, e
    if te.all():
        g_tab = KMTable(np.unique(tt), np.zeros(0), np.zeros(0), np.zeros(0), np.ones(np.unique(tt).size))
    else:
        g_tab = censoring_survival(tt, te)
    g_last_time = g_tab.times[-1]
    g_last = g_tab.survival[-1]
    g_at_t_i = g_tab.at(t)
    km_eval = km_table(t, e)
    n = t.size
    briers: list[MetricResult] = []
    ipas: list[MetricResult] = []
    method = "IPCW (Graf 1999), reverse-KM censoring weights"
    for j, hz in enumerate(h):
        case = (t <= hz) & e
        control = t > hz
        n_ev = int(case.sum())
        if hz > g_last_time and g_last > 0:
            reason = f"horizon {hz:g} is after the last time ({g_last_time:g}) at which the censoring distribution is estimated"
            briers.append(undefined("ipcw_brier", reason, n=n, events=n_ev, horizon=float(hz), method=method))
            ipas.append(undefined("ipa", reason, n=n, events=n_ev, horizon=float(hz), method=method))
            continue
        g_h = float(g_tab.at(hz))
        if g_h <= 0:
            reason = f"censoring survival G({hz:g}) = 0: nobody is expected to remain uncensored, IPCW undefined"
            briers.append(undefined("ipcw_brier", reason, n=n, events=n_ev, horizon=float(hz), method=method))
            ipas.append(undefined("ipa", reason, n=n, events=n_ev, horizon=float(hz), method=method))
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(case, np.where(g_at_t_i > 0, 1.0 / g_at_t_i, 0.0), 0.0) + np.where(control, 1.0 / g_h, 0.0)
        s = surv[:, j]
        contrib = w * np.where(case, s * s, (1.0 - s) ** 2)
        bs = float(contrib.mean())
        briers.append(MetricResult("ipcw_brier", bs, n=n, events=n_ev, horizon=float(hz), method=method, details={"G(horizon)": g_h}))
        s0 = float(km_eval.at(hz))
        null = float((w * np.where(case, s0 * s0, (1.0 - s0) ** 2)).mean())
        if null > 0:
            ipas.append(MetricResult("ipa", 1.0 - bs / null, n=n, events=n_ev, horizon=float(hz), method="1 - Brier / Brier(marginal KM)", details={"brier_null": null}))
        else:
            ipas.append(undefined("ipa", "the marginal KM null model has Brier score 0", n=n, events=n_ev, horizon=float(hz)))
    integrated = None
    if h.size >= 2:
        integrated = _integrate(briers, h, n)
    return IPCWBrierResult(briers, ipas, integrated)


def _integrate(briers: list[MetricResult], h: np.ndarray, n: int) -> MetricResult:
    order = np.argsort(h, kind="stable")
    hs = h[order]
    vals = np.array([briers[i].estimate for i in order])
    if np.unique(hs).size != hs.size:
        return undefined("integrated_brier", "horizons must be distinct", n=n)
    if np.isnan(vals).any():
        return undefined("integrated_brier", "the Brier score is undefined at some horizon(s)", n=n)
    ibs = float(np.trapezoid(vals, hs) / (hs[-1] - hs[0]))
    return MetricResult(
        "integrated_brier",
        ibs,
        n=n,
        method=f"trapezoidal over {hs.size} horizons in [{hs[0]:g}, {hs[-1]:g}], divided by the range",
        details={"start": float(hs[0]), "end": float(hs[-1])},
    )


def integrated_brier_score(
    time: Any,
    event: Any,
    horizons: Sequence[float],
    *,
    predicted_survival: Any = None,
    predicted_risk: Any = None,
    train_time: Any = None,
    train_event: Any = None,
) -> MetricResult:
    """Integrated IPCW Brier score: trapezoidal integral of the Brier score over ``horizons``
    divided by ``max - min`` (Graf et al. 1999; scikit-survival ``integrated_brier_score``).
    Needs at least two distinct horizons."""
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    if h.size < 2:
        raise ValueError("integrated_brier_score needs at least two horizons")
    res = ipcw_brier_score(time, event, h, predicted_survival=predicted_survival, predicted_risk=predicted_risk, train_time=train_time, train_event=train_event)
    assert res.integrated is not None
    return res.integrated
