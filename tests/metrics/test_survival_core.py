"""The shared Kaplan-Meier core against lifelines and scikit-survival."""

from __future__ import annotations

import numpy as np
import pytest

from assess.metrics._survival_core import censoring_survival, km_table


def test_censoring_survival_known_answer_with_tied_event_and_censoring() -> None:
    t = np.array([1, 2, 2, 3, 4, 4, 5.0])
    e = np.array([1, 1, 0, 0, 1, 0, 1], dtype=bool)
    g = censoring_survival(t, e)
    np.testing.assert_allclose(g.survival, [1.0, 0.8, 0.6, 0.3, 0.3], rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_censoring_survival_matches_sksurv(seed: int) -> None:
    from sksurv.nonparametric import CensoringDistributionEstimator
    from sksurv.util import Surv

    rng = np.random.default_rng(seed)
    t = rng.integers(1, 15, size=400).astype(float)  # heavy ties
    e = rng.random(400) < 0.6
    est = CensoringDistributionEstimator().fit(Surv.from_arrays(e, t))
    grid = np.unique(t)
    np.testing.assert_allclose(censoring_survival(t, e).at(grid), est.predict_proba(grid), rtol=0, atol=1e-12)


def test_km_table_matches_lifelines() -> None:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(5)
    t = rng.integers(1, 30, size=500).astype(float)
    e = rng.random(500) < 0.5
    table = km_table(t, e)
    kmf = KaplanMeierFitter().fit(t, e)
    ref = kmf.survival_function_.iloc[:, 0]
    np.testing.assert_allclose(table.at(ref.index.values[1:]), ref.values[1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(table.before(table.times[1:]), table.survival[:-1], rtol=0, atol=0)
