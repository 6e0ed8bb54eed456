"""Human-readable outputs: instrument cards (:func:`assess.report.card.instrument_card`)."""

from .card import describe_response, instrument_card

__all__ = ["describe_response", "instrument_card"]
