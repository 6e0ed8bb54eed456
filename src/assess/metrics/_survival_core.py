"""Kaplan-Meier building blocks shared by the survival metrics.

Everything is O(n log n) (one sort) and vectorised. Conventions follow R's ``survival`` and
lifelines: at a tied time, events are counted before censorings, so a subject censored at ``t`` is
still at risk for the events at ``t``.

The censoring distribution ``G`` used for inverse-probability-of-censoring weights (IPCW) is the
"reverse" Kaplan-Meier estimate, with censoring as the event (Uno et al. 2011). Following
scikit-survival's ``CensoringDistributionEstimator``, events at a tied time happen first, so a
subject with an event at ``t`` is not at risk of censoring at ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KMTable:
    """Kaplan-Meier estimate as a step function on the distinct observed times.

    ``survival[j]`` is S(t) for ``times[j] <= t < times[j+1]``; S(t) = 1 before ``times[0]``.
    """

    times: np.ndarray  # distinct observed times, ascending
    at_risk: np.ndarray  # number (or weight) at risk just before each time
    events: np.ndarray  # events at each time
    censored: np.ndarray  # censorings at each time
    survival: np.ndarray  # S(t) just after each time

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """S(t), right-continuous: the survival just after ``t``."""
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.survival[np.clip(idx, 0, None)], 1.0)

    def before(self, t: np.ndarray | float) -> np.ndarray:
        """S(t-), the left limit: the survival just before ``t``."""
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="left") - 1
        return np.where(idx >= 0, self.survival[np.clip(idx, 0, None)], 1.0)


def km_table(time: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None) -> KMTable:
    """Kaplan-Meier table of ``time`` and boolean ``event`` (optionally weighted).

    Sorting once gives the distinct times; counts come from ``np.bincount``, and the number at
    risk at each distinct time is a reverse cumulative sum, so the whole table is O(n log n).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    w = np.ones_like(time) if weights is None else np.asarray(weights, dtype=float)
    times, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=w * event, minlength=times.size)
    c = np.bincount(inverse, weights=w * (~event), minlength=times.size)
    total = d + c
    at_risk = np.cumsum(total[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - d / at_risk, 1.0)
    survival = np.cumprod(factor)
    return KMTable(times=times, at_risk=at_risk, events=d, censored=c, survival=survival)


def censoring_survival(time: np.ndarray, event: np.ndarray) -> KMTable:
    """Reverse Kaplan-Meier estimate of the censoring survival function G(t) = P(C > t).

    The censoring risk set at ``t`` excludes the events at ``t`` (events come first), which is
    scikit-survival's convention; ``events`` in the returned table are the censorings and
    ``censored`` the reoffending events.
    """
    rev = km_table(time, ~np.asarray(event).astype(bool))
    at_risk = rev.at_risk - rev.censored
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - rev.events / at_risk, 1.0)
    return KMTable(
        times=rev.times, at_risk=at_risk, events=rev.events, censored=rev.censored, survival=np.cumprod(factor)
    )
