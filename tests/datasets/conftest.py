"""Shared fixtures: the real data directory (tests skip with a reason when it is absent)."""

from __future__ import annotations

import pytest

from assess.datasets import DatasetError, load_dataset
from assess.datasets._registry import data_directories

NEEDS = "needs the real datasets in ../shared/data (or $ASSESS_DATA_PATH); see shared/data/MANIFEST.md"


def _data_dir():
    for d in data_directories():
        if (d / "MANIFEST.md").is_file() or (d / "rossi").is_dir():
            return d
    return None


@pytest.fixture(scope="session")
def data_dir():
    d = _data_dir()
    if d is None:
        pytest.skip(NEEDS)
    return d


@pytest.fixture(scope="session")
def load(data_dir):
    cache: dict[str, object] = {}

    def _load(name: str):
        if name not in cache:
            try:
                cache[name] = load_dataset(name, data_dir)
            except DatasetError as exc:  # file absent in this checkout of the data
                if "not found" in str(exc):
                    pytest.skip(f"{NEEDS}: {exc}")
                raise
        return cache[name]

    return _load
