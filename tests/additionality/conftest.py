import functools

import pytest

import assess


@functools.cache
def _cohort(scenario: str, n: int, seed: int):
    return assess.simulate(scenario, n=n, seed=seed)


@pytest.fixture(scope="session")
def cohort():
    """Cached synthetic cohorts (copy before mutating)."""
    return _cohort
