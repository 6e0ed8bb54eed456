"""Cumulative/dynamic AUC against scikit-survival and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sksurv.metrics import cumulative_dynamic_auc as sk_cdauc
from sksurv.util import Surv

from assess.metrics.concordance import CensoringKM
from assess.metrics.time_dependent import TimeDependentAUC, cumulative_dynamic_auc


def _horizons(t, qs):
    h = np.unique(np.quantile(t, qs))
    return h[(h >= t.min()) & (h < t.max())]


@pytest.mark.parametrize("levels, time_levels", [(4, 12), (10, 50), (None, None), (None, 30)])
def test_matches_sksurv(rng, make_survival, levels, time_levels):
    checked = 0
    for _ in range(5):
        n = int(rng.integers(50, 400))
        t, e, s = make_survival(
            rng, n, levels=levels, time_levels=time_levels, censor_rate=rng.uniform(0.2, 0.7)
        )
        y = Surv.from_arrays(e, t)
        for qs in ([0.5], [0.2, 0.4, 0.6, 0.8]):
            h = _horizons(t, qs)
            try:
                ref, ref_mean = sk_cdauc(y, y, s, h)
            except ValueError:
                continue
            res = cumulative_dynamic_auc(t, e, s, h)
            if np.isnan(ref).any():  # sksurv gives nan without cases; we give a reason
                continue
            np.testing.assert_allclose(res.estimates, ref, atol=1e-9, rtol=0)
            assert res.mean_auc.estimate == pytest.approx(ref_mean, abs=1e-9)
            checked += 1
    assert checked >= 4


def test_matches_sksurv_with_training_data(rng, make_survival):
    train = make_survival(rng, 900, levels=8, time_levels=40)
    test = make_survival(rng, 300, levels=8, time_levels=40)
    h = _horizons(test[0], [0.25, 0.5, 0.75])
    ref, ref_mean = sk_cdauc(
        Surv.from_arrays(train[1], train[0]), Surv.from_arrays(test[1], test[0]), test[2], h
    )
    res = cumulative_dynamic_auc(*test, h, train_time=train[0], train_event=train[1])
    np.testing.assert_allclose(res.estimates, ref, atol=1e-9, rtol=0)
    assert res.mean_auc.estimate == pytest.approx(ref_mean, abs=1e-9)


def test_brute_force_definition(rng, make_survival):
    t, e, s = make_survival(rng, 60, levels=5, time_levels=15)
    km = CensoringKM.fit(t, e)
    for h in _horizons(t, [0.3, 0.7]):
        num = den = 0.0
        for i in range(t.size):
            if not (e[i] and t[i] <= h):
                continue
            w = 1.0 / km.at(np.array([t[i]]))[0]
            for j in range(t.size):
                if t[j] > h:
                    den += w
                    num += w * ((s[i] > s[j]) + 0.5 * (s[i] == s[j]))
        res = cumulative_dynamic_auc(t, e, s, [h])
        assert res[0].estimate == pytest.approx(num / den, abs=1e-12)
        assert res.mean_auc.estimate == res[0].estimate  # a single horizon: the mean is that AUC


def test_undefined_horizons_and_output(rng, make_survival):
    t, e, s = make_survival(rng, 200)
    res = cumulative_dynamic_auc(t, e, s, [t.max() + 1, float(np.median(t)), 0.0])
    assert isinstance(res, TimeDependentAUC) and len(res) == 3
    assert list(res.horizons) == sorted(res.horizons)  # sorted, as scikit-survival
    assert math.isnan(res[0].estimate) and "no cases" in res[0].reason
    assert not math.isnan(res[1].estimate)
    assert math.isnan(res[2].estimate) and "no controls" in res[2].reason
    assert math.isnan(res.mean_auc.estimate) and res.mean_auc.reason
    frame = res.to_frame()
    assert list(frame["metric"]) == ["cumulative_dynamic_auc"] * 3 + ["mean_cumulative_dynamic_auc"]
    assert frame.loc[1, "horizon"] == res[1].horizon
    assert "cumulative/dynamic AUC" in str(res)


def test_bad_inputs(rng, make_survival):
    t, e, s = make_survival(rng, 50)
    with pytest.raises(ValueError, match="times contains 1 NaN"):
        cumulative_dynamic_auc(t, e, s, [1.0, np.nan])
    with pytest.raises(ValueError, match="at least one horizon"):
        cumulative_dynamic_auc(t, e, s, [])
    with pytest.raises(ValueError, match="score contains"):
        cumulative_dynamic_auc(t, e, np.where(s > 3, np.nan, s), [1.0])


def test_bootstrap_intervals(rng, make_survival):
    t, e, s = make_survival(rng, 300, levels=6, time_levels=30)
    h = _horizons(t, [0.3, 0.6])
    a = cumulative_dynamic_auc(t, e, s, h, ci="bootstrap", n_boot=100, seed=2)
    b = cumulative_dynamic_auc(t, e, s, h, ci="bootstrap", n_boot=100, seed=2, n_jobs=2)
    for ra, rb in zip([*a, a.mean_auc], [*b, b.mean_auc], strict=True):
        assert ra.ci_method == "bootstrap-percentile"
        assert (ra.lower, ra.upper) == (rb.lower, rb.upper)
        assert ra.lower <= ra.estimate <= ra.upper


@pytest.mark.parametrize("trial", range(6))
def test_case_weight_statistic_equals_resampled_rows(trial):
    from assess.metrics.concordance import dense_rank
    from assess.metrics.time_dependent import _compute, _weighted_statistic

    rng = np.random.default_rng(300 + trial)
    n = int(rng.integers(10, 300))
    t = rng.exponential(10, n)
    if trial % 2:
        t = np.ceil(t / 3)
    e = rng.random(n) < rng.uniform(0.15, 0.95)
    s = rng.integers(0, [2, 7, 30][trial % 3], n).astype(float)
    h = np.unique(np.quantile(t, rng.uniform(0.05, 1.0, 1 + trial % 3)))
    if trial == 2:
        h = np.unique(np.r_[h, t.min() - 1, t.max() + 1])  # no cases / no controls
    km = None
    if trial == 3:
        km = CensoringKM.fit(rng.exponential(8, 300), rng.random(300) < 0.5)
    srank, lv = dense_rank(s)
    stat, order = _weighted_statistic(t, e, srank, lv.size, h, km)
    idx = [rng.integers(0, n, n) for _ in range(10)] + [np.arange(n)]
    counts = np.array([np.bincount(i, minlength=n) for i in idx], dtype=np.float32)
    got = stat(counts[:, order])
    ref = []
    for i in idx:
        rb, lb = dense_rank(s[i])
        kmb = km if km is not None else CensoringKM.fit(t[i], e[i])
        a, _, _, m, _ = _compute(t[i], e[i], rb, lb.size, h, kmb)
        ref.append(np.append(a, m))
    ref = np.array(ref)
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("strata", "how"), [(None, "percentile"), ("event", "bca")])
def test_bootstrap_on_case_weights_equals_row_bootstrap(
    rng, make_survival, monkeypatch, strata, how
):
    import assess.metrics.time_dependent as td

    t, e, s = make_survival(rng, 300, levels=9, time_levels=40)
    h = _horizons(t, [0.3, 0.6])
    kw = dict(ci="bootstrap", n_boot=100, seed=4, strata=strata, bootstrap_method=how)
    fast = cumulative_dynamic_auc(t, e, s, h, **kw)
    monkeypatch.setattr(td, "WEIGHTED_MAX_LEVELS", 0)  # forces the row bootstrap
    slow = cumulative_dynamic_auc(t, e, s, h, **kw, n_jobs=2)
    for a, b in zip([*fast, fast.mean_auc], [*slow, slow.mean_auc], strict=True):
        for field in ("estimate", "se", "lower", "upper"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), abs=1e-12)
