"""assess: offender risk-assessment instruments as data.

Declarative instrument specs (YAML, validated by pydantic), compiled vectorised scoring,
synthetic cohorts with known ground truth, and a validation harness (discrimination,
calibration, survival, fairness, additionality/dilution).

The top-level names are imported lazily so that ``import assess`` stays fast::

    >>> import assess
    >>> inst = assess.load_instrument("rnr-general")          # doctest: +SKIP
    >>> result = inst.score(frame)                             # doctest: +SKIP
    >>> cohort = assess.simulate("baseline", n=1000, seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

_LAZY = {
    "load_instrument": "assess.scoring",
    "Instrument": "assess.scoring",
    "ScoreResult": "assess.scoring",
    "load_spec": "assess.spec",
    "InstrumentSpec": "assess.spec",
    "SpecError": "assess.spec",
    "simulate": "assess.synthetic",
    "load_scenario": "assess.synthetic",
    "metrics": "assess.metrics",
    "compare": "assess.additionality",
    "ComparisonResult": "assess.additionality",
    "fairness_report": "assess.fairness",
    "load_dataset": "assess.datasets",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assess' has no attribute {name!r}")
    mod = import_module(module)
    value = mod if name == "metrics" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
