"""Compiled, vectorised scoring of instrument specs.

>>> from assess.scoring import load_instrument                 # doctest: +SKIP
>>> inst = load_instrument("rnr-general")                      # doctest: +SKIP
>>> result = inst.score(frame, keep=["person_id"])            # doctest: +SKIP
>>> result.frame.status.value_counts()                         # doctest: +SKIP

* :class:`Instrument` / :func:`load_instrument` - compile once, score DataFrames
  (semantics in :mod:`assess.scoring.engine`, input rules in :mod:`assess.scoring.inputs`);
* :class:`ScoreResult` - the score frame, problems table and spec identity;
* :class:`InstrumentTransformer`, :class:`InstrumentClassifier` - scikit-learn wrappers
  (imported lazily from :mod:`assess.scoring.sklearn`);
* :func:`score_reference` - a plain per-row scorer used as an independent check.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .engine import InputColumn, Instrument, load_instrument, round_score
from .inputs import MissingColumnsError, ScoringInputError
from .result import Mismatch, ScoreResult, TestVectorResult

_LAZY = {
    "InstrumentTransformer": "assess.scoring.sklearn",
    "InstrumentClassifier": "assess.scoring.sklearn",
    "score_reference": "assess.scoring.reference",
}

__all__ = [
    "InputColumn",
    "Instrument",
    "InstrumentClassifier",
    "InstrumentTransformer",
    "Mismatch",
    "MissingColumnsError",
    "ScoreResult",
    "ScoringInputError",
    "TestVectorResult",
    "load_instrument",
    "round_score",
    "score_reference",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assess.scoring' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
