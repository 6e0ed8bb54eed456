"""Instrument specifications: models, safe loading with located errors, registry, JSON Schema.

>>> from assess.spec import load_spec, list_instruments   # doctest: +SKIP
>>> spec = load_spec("demo-risk")                          # doctest: +SKIP
"""

from .errors import SpecError, SpecIssue, UnknownInstrumentError
from .expressions import ExpressionError, parse_expression
from .loader import MAX_FILE_BYTES, load_spec, load_spec_text, spec_hash
from .models import *  # noqa: F403
from .models import __all__ as _models_all
from .registry import (
    ENV_VAR,
    InstrumentInfo,
    builtin_instrument_dir,
    file_name_problem,
    find_instrument,
    instrument_dirs,
    list_instruments,
    parse_ref,
    registry_issues,
    semver_key,
)
from .schema import SCHEMA_ID, instrument_json_schema

__all__ = [
    *_models_all,
    "ENV_VAR",
    "ExpressionError",
    "InstrumentInfo",
    "MAX_FILE_BYTES",
    "SCHEMA_ID",
    "SpecError",
    "SpecIssue",
    "UnknownInstrumentError",
    "builtin_instrument_dir",
    "file_name_problem",
    "find_instrument",
    "instrument_dirs",
    "instrument_json_schema",
    "list_instruments",
    "load_spec",
    "load_spec_text",
    "parse_expression",
    "parse_ref",
    "registry_issues",
    "semver_key",
    "spec_hash",
]
