"""The mergeable-state protocol every metric follows.

A metric is computed in three steps so that whole-data estimation, the bootstrap and a
distributed backend share one code path:

``state = Metric.empty(...)`` -> ``state.update(chunk...)`` (any number of times) ->
``state.merge(other_state)`` (states from different chunks/workers) -> ``state.finalize()``
returning a :class:`~assess.metrics._result.MetricResult`.

``update`` and ``merge`` return new states (or ``self``) and must be associative: merging the
states of any partition of the rows gives the same final result as one update with all rows.
"""

from __future__ import annotations

from typing import Protocol, Self, runtime_checkable

from ._result import MetricResult


@runtime_checkable
class MetricState(Protocol):
    """Accumulates sufficient statistics for one metric."""

    def update(self, *arrays, **kwargs) -> Self:  # pragma: no cover - protocol
        """Add a chunk of observations."""
        ...

    def merge(self, other: Self) -> Self:  # pragma: no cover - protocol
        """Combine with a state built from other observations."""
        ...

    def finalize(self) -> MetricResult:  # pragma: no cover - protocol
        """Compute the metric from the accumulated statistics."""
        ...
