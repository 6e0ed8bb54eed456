"""Result objects shared by every metric.

A metric returns a :class:`MetricResult`: one number with its uncertainty, the sample it came
from and the method that produced it. Results print readably and turn into tidy one-row
DataFrames (:meth:`MetricResult.to_frame`); several results concatenate with :func:`results_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

#: Columns of the tidy frame produced by :meth:`MetricResult.to_frame`, in order.
TIDY_COLUMNS = (
    "metric",
    "estimate",
    "se",
    "lower",
    "upper",
    "confidence_level",
    "n",
    "events",
    "horizon",
    "method",
    "ci_method",
    "status",
    "reason",
)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    try:
        if math.isnan(x):
            return "nan"
    except TypeError:
        return str(x)
    return f"{x:.{digits}f}"


@dataclass(frozen=True)
class MetricResult:
    """One estimated quantity with its uncertainty.

    Attributes
    ----------
    metric:
        Name a researcher would use, e.g. ``"auc"``, ``"harrell_c"``, ``"calibration_slope"``.
    estimate:
        Point estimate; ``nan`` when the metric is undefined on the data (see ``reason``).
    se:
        Standard error, ``nan`` where none is defined.
    lower, upper:
        Confidence limits at ``confidence_level``; ``nan`` where no interval was computed.
    n, events:
        Number of observations used and number of events (positives) among them.
    horizon:
        Time horizon for time-dependent metrics, else ``None``.
    method:
        How the estimate was computed (e.g. ``"Sun-Xu fast DeLong"``).
    ci_method:
        How the interval was computed (e.g. ``"delong-logit"``, ``"bootstrap-bca"``).
    reason:
        Why the estimate is ``nan`` (``None`` when it is defined).
    details:
        Extra named values (e.g. ``{"comparable_pairs": 1234}``); kept out of the tidy frame's
        fixed columns but available as ``result.details``.
    """

    metric: str
    estimate: float
    se: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    confidence_level: float = 0.95
    n: int = 0
    events: int | None = None
    horizon: float | None = None
    method: str = ""
    ci_method: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``"ok"`` when the estimate is a number, ``"undefined"`` otherwise."""
        return "ok" if not _isnan(self.estimate) else "undefined"

    @property
    def ci(self) -> tuple[float, float]:
        """The confidence interval as ``(lower, upper)``."""
        return (self.lower, self.upper)

    def with_ci(self, lower: float, upper: float, ci_method: str, confidence_level: float | None = None) -> MetricResult:
        """Return a copy carrying a (new) confidence interval."""
        return replace(
            self,
            lower=float(lower),
            upper=float(upper),
            ci_method=ci_method,
            confidence_level=self.confidence_level if confidence_level is None else confidence_level,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the tidy columns (details excluded)."""
        return {
            "metric": self.metric,
            "estimate": self.estimate,
            "se": self.se,
            "lower": self.lower,
            "upper": self.upper,
            "confidence_level": self.confidence_level,
            "n": self.n,
            "events": self.events,
            "horizon": self.horizon,
            "method": self.method,
            "ci_method": self.ci_method,
            "status": self.status,
            "reason": self.reason,
        }

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy DataFrame with the columns of :data:`TIDY_COLUMNS`."""
        return pd.DataFrame([self.to_dict()], columns=list(TIDY_COLUMNS))

    def __float__(self) -> float:
        return float(self.estimate)

    def __str__(self) -> str:
        head = f"{self.metric} = {_fmt(self.estimate)}"
        if not _isnan(self.lower) and not _isnan(self.upper):
            head += f"  ({self.confidence_level:.0%} CI {_fmt(self.lower)} to {_fmt(self.upper)}"
            head += f", {self.ci_method})" if self.ci_method else ")"
        if not _isnan(self.se):
            head += f"  se {_fmt(self.se)}"
        tail = f"n={self.n}"
        if self.events is not None:
            tail += f", events={self.events}"
        if self.horizon is not None:
            tail += f", horizon={self.horizon:g}"
        if self.method:
            tail += f"; {self.method}"
        out = f"{head}\n  [{tail}]"
        if self.reason:
            out += f"\n  undefined: {self.reason}"
        return out

    def __repr__(self) -> str:
        return f"<MetricResult {self.__str__()}>"


def _isnan(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def undefined(metric: str, reason: str, *, n: int = 0, events: int | None = None, method: str = "", horizon: float | None = None) -> MetricResult:
    """A result whose estimate is NaN, with the reason stated (never a silent NaN)."""
    return MetricResult(
        metric=metric,
        estimate=math.nan,
        n=int(n),
        events=None if events is None else int(events),
        method=method,
        horizon=horizon,
        reason=reason,
    )


def results_frame(results: Iterable[MetricResult], **constant_columns: Any) -> pd.DataFrame:
    """Concatenate results into one tidy frame; ``constant_columns`` are added to every row
    (e.g. ``instrument="rnr-general"``)."""
    rows = [r.to_dict() for r in results]
    frame = pd.DataFrame(rows, columns=list(TIDY_COLUMNS))
    for key, value in constant_columns.items():
        frame.insert(0, key, value)
    return frame


def z_value(confidence_level: float) -> float:
    """Two-sided standard-normal quantile for a confidence level, e.g. 1.959964 for 0.95."""
    from scipy.stats import norm

    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    return float(norm.ppf(0.5 + confidence_level / 2.0))


def as_float_array(values: Any, name: str) -> np.ndarray:
    """Convert to a 1-d float array, naming the argument in the error if that fails."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    try:
        return arr.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None
