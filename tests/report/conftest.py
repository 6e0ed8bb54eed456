"""Fixtures of the report tests: one realistic bundle per session."""

from __future__ import annotations

import pytest

from assess.report.bundle import ReportBundle

from ._bundles import build_bundle


@pytest.fixture(scope="session")
def bundle() -> ReportBundle:
    return build_bundle()
