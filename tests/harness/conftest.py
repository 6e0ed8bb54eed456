from __future__ import annotations

from pathlib import Path

import pytest

SUITES = Path(__file__).parent / "suites"


@pytest.fixture(scope="session")
def suites_dir() -> Path:
    return SUITES


@pytest.fixture(scope="session")
def tiny_run():
    """One run of the tiny suite with every metric kind, shared by the tests that read it."""
    from assess.harness import run_suite

    return run_suite(SUITES / "tiny-all.yaml")
