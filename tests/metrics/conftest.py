"""Shared data generators for the discrimination-metric tests."""

from __future__ import annotations

import numpy as np
import pytest


def survival_data(
    rng: np.random.Generator,
    n: int,
    *,
    levels: int | None = 8,
    time_levels: int | None = 30,
    censor_rate: float = 0.5,
    effect: float = 0.3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-censored data where a higher score means earlier events.

    ``levels``: number of integer score values (None = continuous); ``time_levels``: times are
    rounded to that many distinct values (None = continuous), giving heavy ties in both.
    """
    if levels is None:
        score = rng.normal(size=n)
    else:
        score = rng.integers(0, levels, n).astype(float)
    lat = rng.exponential(1.0, n) * np.exp(-effect * (score - score.mean()))
    cens = rng.exponential(1.0, n) * (1.0 - censor_rate) / max(censor_rate, 1e-9)
    time = np.minimum(lat, cens)
    event = lat <= cens
    if time_levels is not None:
        scale = np.quantile(time, 0.98) / time_levels
        time = np.ceil(time / scale)
    return time, event, score


def binary_data(
    rng: np.random.Generator,
    n: int,
    *,
    levels: int | None = 10,
    prevalence: float = 0.3,
    effect: float = 0.8,
) -> tuple[np.ndarray, np.ndarray]:
    """Binary outcome with a (tied, integer) score; higher score = more positives."""
    y = rng.random(n) < prevalence
    if levels is None:
        s = rng.normal(size=n) + effect * y
    else:
        s = np.clip(
            np.round(rng.normal(levels / 2, levels / 4, n) + effect * levels / 4 * y), 0, levels - 1
        )
    return y, s


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def make_survival():
    """The :func:`survival_data` generator (tests are not a package, so share it as a fixture)."""
    return survival_data


@pytest.fixture
def make_binary():
    """The :func:`binary_data` generator."""
    return binary_data
