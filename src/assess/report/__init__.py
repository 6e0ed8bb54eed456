"""Human-readable outputs: instrument cards and validation reports.

:func:`instrument_card` describes an instrument in markdown; :func:`render_html` /
:func:`write_html` lay out a validation run's :class:`ReportBundle` as a self-contained HTML page.
"""

from .bundle import BUNDLE_COLUMNS, ReportBundle, empty_frame
from .card import describe_response, instrument_card
from .html import render_html, write_html

__all__ = [
    "BUNDLE_COLUMNS",
    "ReportBundle",
    "describe_response",
    "empty_frame",
    "instrument_card",
    "render_html",
    "write_html",
]
