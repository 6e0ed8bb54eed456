"""Fixtures for the scoring tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def builtin():
    """The three built-in instruments, compiled once."""
    from assess.scoring import load_instrument

    return {
        name: load_instrument(name)
        for name in ("rnr-general", "desistance-strengths", "rnr-desistance-integrated")
    }
