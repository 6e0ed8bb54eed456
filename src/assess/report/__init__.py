"""Human-readable outputs: instrument cards and validation reports.

:func:`instrument_card` describes an instrument in markdown; :func:`render_html` /
:func:`write_html` lay out a validation run's :class:`ReportBundle` as a self-contained HTML page.

Names are imported lazily, so that importing one sub-module (say ``assess.report.bundle`` from
the harness) does not load matplotlib for the HTML figures or the spec language for the cards.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "BUNDLE_COLUMNS": "assess.report.bundle",
    "ReportBundle": "assess.report.bundle",
    "empty_frame": "assess.report.bundle",
    "describe_response": "assess.report.card",
    "instrument_card": "assess.report.card",
    "render_html": "assess.report.html",
    "write_html": "assess.report.html",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assess.report' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
