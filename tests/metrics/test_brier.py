"""Brier scores against scikit-learn and scikit-survival, known answers and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss
from sksurv.metrics import brier_score as sk_brier
from sksurv.metrics import integrated_brier_score as sk_ibs
from sksurv.util import Surv

from assess.metrics.brier import (
    BrierState,
    brier_score,
    integrated_brier_score,
    ipcw_brier_score,
    scaled_brier_score,
)


def _binary(seed: int, n: int = 1000):
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 4, n)
    y = (rng.random(n) < p).astype(int)
    return y, p


@pytest.mark.parametrize("seed", range(4))
def test_brier_matches_sklearn(seed):
    y, p = _binary(seed)
    res = brier_score(y, p)
    assert res.estimate == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    sq = (y - p) ** 2
    assert res.se == pytest.approx(sq.std() / math.sqrt(y.size), rel=1e-10)
    assert res.lower < res.estimate < res.upper
    assert res.events == y.sum() and res.n == y.size


def test_brier_known_answer():
    assert brier_score([0, 1, 1], [0.1, 0.8, 0.6]).estimate == pytest.approx(0.07)
    assert brier_score([1, 0], [1.0, 0.0]).estimate == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_scaled_brier(seed):
    y, p = _binary(seed)
    res = scaled_brier_score(y, p)
    prev = y.mean()
    assert res.estimate == pytest.approx(1 - brier_score_loss(y, p) / (prev * (1 - prev)), abs=1e-12)
    # predicting the prevalence for everyone scores exactly 0
    assert scaled_brier_score(y, np.full(y.size, prev)).estimate == pytest.approx(0.0, abs=1e-12)
    # delta-method SE close to a bootstrap SE
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(300):
        i = rng.integers(0, y.size, y.size)
        boots.append(scaled_brier_score(y[i], p[i]).estimate)
    assert res.se == pytest.approx(np.std(boots), rel=0.2)


def test_brier_state_merge_equals_full():
    y, p = _binary(9)
    full = brier_score(y, p)
    parts = np.array_split(np.arange(y.size), 3)
    st_ = [BrierState().update(y[i], p[i]) for i in parts]
    merged = st_[0].merge(st_[1]).merge(st_[2]).finalize()
    assert merged.estimate == pytest.approx(full.estimate, abs=1e-15)
    assert merged.se == pytest.approx(full.se, rel=1e-12)
    sc = BrierState(scaled=True).update(y[:400], p[:400]).merge(BrierState(scaled=True).update(y[400:], p[400:])).finalize()
    assert sc.estimate == pytest.approx(scaled_brier_score(y, p).estimate, abs=1e-14)


def _surv(seed: int, n: int):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 50, n).astype(float)  # many ties between events and censorings
    e = rng.random(n) < 0.6
    return t, e


@pytest.mark.parametrize("seed", range(3))
def test_ipcw_brier_matches_sksurv(seed):
    t, e = _surv(seed, 300)
    tt, te = _surv(seed + 100, 500)
    hz = np.array([5.0, 12.0, 20.0, 33.0, 45.0])
    rng = np.random.default_rng(seed)
    surv = rng.uniform(0.2, 1.0, (t.size, hz.size))
    y_test, y_train = Surv.from_arrays(e, t), Surv.from_arrays(te, tt)
    _, ref = sk_brier(y_train, y_test, surv, hz)
    res = ipcw_brier_score(t, e, hz, predicted_survival=surv, train_time=tt, train_event=te)
    np.testing.assert_allclose(res.estimates, ref, atol=1e-12)
    assert res.integrated.estimate == pytest.approx(sk_ibs(y_train, y_test, surv, hz), abs=1e-12)
    # censoring distribution from the evaluation data itself; risk instead of survival
    _, ref_self = sk_brier(y_test, y_test, surv, hz)
    res_self = ipcw_brier_score(t, e, hz, predicted_risk=1 - surv)
    np.testing.assert_allclose(res_self.estimates, ref_self, atol=1e-12)
    ibs = integrated_brier_score(t, e, hz, predicted_survival=surv)
    assert ibs.estimate == pytest.approx(sk_ibs(y_test, y_test, surv, hz), abs=1e-12)


def test_ipcw_single_horizon_and_ipa():
    t, e = _surv(4, 400)
    rng = np.random.default_rng(4)
    s = rng.uniform(0.3, 0.9, t.size)
    res = ipcw_brier_score(t, e, 20.0, predicted_survival=s)
    _, ref = sk_brier(Surv.from_arrays(e, t), Surv.from_arrays(e, t), s, 20.0)
    assert res.brier[0].estimate == pytest.approx(ref[0], abs=1e-12)
    assert res.integrated is None
    # IPA: 1 - BS / BS(marginal KM prediction)
    from lifelines import KaplanMeierFitter

    s_km = KaplanMeierFitter().fit(t, e).survival_function_at_times(20.0).iloc[0]
    _, ref_null = sk_brier(Surv.from_arrays(e, t), Surv.from_arrays(e, t), np.full(t.size, s_km), 20.0)
    assert res.ipa[0].estimate == pytest.approx(1 - ref[0] / ref_null[0], abs=1e-12)
    assert "ipcw_brier" in str(res)
    assert set(res.to_frame()["metric"]) == {"ipcw_brier", "ipa"}


def test_ipcw_known_answer_no_censoring():
    # without censoring the IPCW Brier score is the plain Brier score of the event indicator
    rng = np.random.default_rng(0)
    t = rng.exponential(size=200)
    e = np.ones(200, bool)
    risk = rng.uniform(size=200)
    res = ipcw_brier_score(t, e, 0.7, predicted_risk=risk)
    assert res.brier[0].estimate == pytest.approx(brier_score_loss((t <= 0.7).astype(int), risk), abs=1e-12)


def test_edge_cases():
    y, p = _binary(1, 50)
    with pytest.raises(ValueError, match="y_prob must be probabilities"):
        brier_score(y, p + 1)
    with pytest.raises(ValueError, match="y_prob contains"):
        brier_score(y, np.r_[p[:-1], np.nan])
    with pytest.raises(ValueError, match="y_true must be binary"):
        brier_score(np.r_[y[:-1], 2], p)
    with pytest.raises(ValueError, match="same length"):
        brier_score(y[:-1], p)
    one_class = scaled_brier_score(np.zeros(10), np.full(10, 0.2))
    assert one_class.status == "undefined" and "one outcome class" in one_class.reason
    assert math.isnan(brier_score([1], [0.3]).se)
    assert brier_score([], []).status == "undefined"
    t, e = _surv(2, 100)
    s = np.full(t.size, 0.5)
    res = ipcw_brier_score(t, e, [10.0, 1000.0], predicted_survival=s)
    assert res.brier[1].status == "undefined" and "censoring" in res.brier[1].reason
    assert res.integrated.status == "undefined"
    late = ipcw_brier_score([1.0, 2, 3, 4], [0, 1, 0, 1], 10.0, predicted_survival=[0.5] * 4)
    assert late.brier[0].status == "undefined" and "after the last time" in late.brier[0].reason
    with pytest.raises(ValueError, match="exactly one"):
        ipcw_brier_score(t, e, 10.0)
    with pytest.raises(ValueError, match="shape"):
        ipcw_brier_score(t, e, [10.0, 20.0], predicted_survival=np.ones((t.size, 3)))
    with pytest.raises(ValueError, match="at least two horizons"):
        integrated_brier_score(t, e, [10.0], predicted_survival=s)
    with pytest.raises(ValueError, match="both train_time and train_event"):
        ipcw_brier_score(t, e, 10.0, predicted_survival=s, train_time=t)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=1, max_size=80), st.randoms(use_true_random=False))
def test_brier_properties(rows, rnd):
    y = np.array([r[0] for r in rows], dtype=float)
    p = np.array([r[1] for r in rows])
    b = brier_score(y, p).estimate
    assert 0.0 <= b <= 1.0
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    assert brier_score(y[perm], p[perm]).estimate == pytest.approx(b, abs=1e-15)
    sb = scaled_brier_score(y, p)
    assert sb.status == "undefined" or sb.estimate <= 1.0
