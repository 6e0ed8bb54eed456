"""Kaplan-Meier and log-rank tests against lifelines, known answers and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test as ll_logrank_test
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from assess.metrics.survival import KaplanMeierState, kaplan_meier, logrank_test

ROSSI = "/work/shared/data/rossi/rossi_lifelines.csv"


def _data(seed: int, n: int = 400, ties: bool = True):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 60, n).astype(float) if ties else rng.exponential(10, n)
    e = rng.random(n) < 0.6
    g = rng.choice(["low", "medium", "high"], n)
    return t, e, g


def _lifelines_curve(t, e):
    k = KaplanMeierFitter().fit(t, e)
    sf = k.survival_function_.iloc[:, 0]
    ci = k.confidence_interval_
    keep = sf.index.isin(np.unique(t))  # lifelines adds a row at time 0
    return k, sf[keep].to_numpy(), ci[keep].to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [True, False])
def test_km_matches_lifelines(seed, ties):
    t, e, _ = _data(seed, ties=ties)
    km = kaplan_meier(t, e)
    k, s_ref, ci_ref = _lifelines_curve(t, e)
    tab = km.table
    np.testing.assert_allclose(tab["survival"], s_ref, atol=1e-12)
    ok = (tab["survival"] > 0).to_numpy()
    np.testing.assert_allclose(tab["lower"][ok], ci_ref[ok, 0], atol=1e-9)
    np.testing.assert_allclose(tab["upper"][ok], ci_ref[ok, 1], atol=1e-9)
    med = km.median()
    assert med.estimate == k.median_survival_time_
    ref_ci = median_survival_times(k.confidence_interval_).to_numpy().ravel()
    assert (med.lower, med.upper) == pytest.approx(tuple(ref_ci), nan_ok=True)


def test_km_grouped_matches_lifelines_per_group():
    t, e, g = _data(7)
    km = kaplan_meier(t, e, g, times=[10, 30])
    assert km.groups == ["high", "low", "medium"]
    for lab in km.groups:
        m = g == lab
        k, s_ref, ci_ref = _lifelines_curve(t[m], e[m])
        sub = km.table[km.table["group"] == lab]
        np.testing.assert_allclose(sub["survival"], s_ref, atol=1e-12)
        np.testing.assert_allclose(sub["lower"], ci_ref[:, 0], atol=1e-9)
        np.testing.assert_allclose(sub["upper"], ci_ref[:, 1], atol=1e-9)
        assert km.median(lab).estimate == k.median_survival_time_
        s30 = k.survival_function_at_times(30).iloc[0]
        assert km.summary.loc[km.summary["group"] == lab, "survival_at_30"].iloc[0] == pytest.approx(s30, abs=1e-12)


def test_km_known_answer_small_example():
    # S(3) = 5/6, S(5) = 5/6 * 3/4, S(7) = S(5) * 1/3; Greenwood sum at 7 = 1/30 + 1/12 + 2/3
    km = kaplan_meier([3, 3, 5, 7, 7, 9], [1, 0, 1, 1, 1, 0])
    tab = km.table.set_index("time")
    assert tab.loc[3, "survival"] == pytest.approx(5 / 6)
    assert tab.loc[5, "survival"] == pytest.approx(0.625)
    assert tab.loc[7, "survival"] == pytest.approx(0.625 / 3)
    assert tab.loc[7, "std_error"] == pytest.approx(0.625 / 3 * math.sqrt(1 / 30 + 1 / 12 + 2 / 3))
    assert list(tab["at_risk"]) == [6, 4, 3, 1]
    assert km.median().estimate == 7
    # log and plain intervals from the same Greenwood variance
    z = 1.959963984540054
    s, v = 0.625, 1 / 30 + 1 / 12
    plain = kaplan_meier([3, 3, 5, 7, 7, 9], [1, 0, 1, 1, 1, 0], ci="plain").table.set_index("time")
    assert plain.loc[5, "lower"] == pytest.approx(s - z * s * math.sqrt(v))
    logci = kaplan_meier([3, 3, 5, 7, 7, 9], [1, 0, 1, 1, 1, 0], ci="log").table.set_index("time")
    assert logci.loc[5, "lower"] == pytest.approx(s * math.exp(-z * math.sqrt(v)))


def test_km_survival_at_and_risk_at():
    t, e, _ = _data(3)
    km = kaplan_meier(t, e)
    k = KaplanMeierFitter().fit(t, e)
    at = km.survival_at([0.5, 12.5, 40])
    np.testing.assert_allclose(at["survival"], k.survival_function_at_times([0.5, 12.5, 40]).to_numpy(), atol=1e-12)
    assert at["at_risk"].iloc[0] == len(t)
    assert at["at_risk"].iloc[1] == int(np.sum(t >= 12.5))
    risk = km.risk_at(40)
    assert risk["risk"].iloc[0] == pytest.approx(1 - at["survival"].iloc[2])
    assert risk["lower"].iloc[0] == pytest.approx(1 - at["upper"].iloc[2])
    # beyond follow-up with S > 0 the KM estimate is undefined
    t2, e2 = np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0])
    assert np.isnan(kaplan_meier(t2, e2).survival_at(10)["survival"].iloc[0])


def test_km_rossi_by_financial_aid():
    df = pd.read_csv(ROSSI)
    km = kaplan_meier(df.week, df.arrest, df.fin, times=[52])
    for f in (0, 1):
        m = df.fin == f
        k = KaplanMeierFitter().fit(df.week[m], df.arrest[m])
        row = km.summary[km.summary["group"] == f].iloc[0]
        assert row["survival_at_52"] == pytest.approx(k.survival_function_at_times(52).iloc[0], abs=1e-12)
        assert row["n"] == m.sum() and row["events"] == df.arrest[m].sum()
    assert "median" in str(km)


def test_km_state_merge_equals_full():
    t, e, g = _data(11)
    full = kaplan_meier(t, e, g)
    parts = np.array_split(np.arange(t.size), 4)
    states = [KaplanMeierState().update(t[i], e[i], g[i]) for i in parts]
    merged = states[0].merge(states[1]).merge(states[2].merge(states[3])).finalize()
    pd.testing.assert_frame_equal(merged.table.reset_index(drop=True), full.table.reset_index(drop=True))
    ungrouped = KaplanMeierState().update(t[:100], e[:100]).update(t[100:], e[100:]).finalize()
    np.testing.assert_allclose(ungrouped.table["survival"], kaplan_meier(t, e).table["survival"])


@pytest.mark.parametrize("weightings", [None, "wilcoxon", "tarone-ware"])
def test_logrank_matches_lifelines(weightings):
    t, e, g = _data(5)
    res = logrank_test(t, e, g, weightings=weightings)
    ref = multivariate_logrank_test(t, g, e, weightings=weightings)
    assert res.statistic == pytest.approx(ref.test_statistic, rel=1e-10)
    assert res.p_value == pytest.approx(ref.p_value, rel=1e-8)
    assert res.df == 2
    assert res.table["observed"].sum() == e.sum()
    assert res.table["expected"].sum() == pytest.approx(e.sum())


def test_logrank_two_groups_rossi():
    df = pd.read_csv(ROSSI)
    res = logrank_test(df.week, df.arrest, df.fin)
    m = df.fin == 1
    ref = ll_logrank_test(df.week[m], df.week[~m], df.arrest[m], df.arrest[~m])
    assert res.statistic == pytest.approx(ref.test_statistic, rel=1e-10)
    assert res.p_value == pytest.approx(ref.p_value, rel=1e-8)
    assert "log-rank" in str(res)
    assert res.to_frame().shape == (1, 5)


def test_edge_cases():
    # no events: S = 1, median not reached, log-rank undefined
    km = kaplan_meier([1, 2, 3], [0, 0, 0])
    assert np.all(km.table["survival"] == 1)
    assert km.median().status == "undefined" and "not reached" in km.median().reason
    lr = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert math.isnan(lr.statistic) and lr.reason
    assert logrank_test([1, 2], [1, 1], ["a", "a"]).reason  # one group
    # single observation
    one = kaplan_meier([5.0], [1])
    assert one.table["survival"].iloc[0] == 0 and math.isnan(one.table["lower"].iloc[0])
    # everyone dies: S = 0 at the end, its CI is NaN (no spread estimable)
    allev = kaplan_meier([1, 2, 3], [1, 1, 1])
    assert allev.table["survival"].iloc[-1] == 0
    with pytest.raises(ValueError, match="time contains"):
        kaplan_meier([1, np.nan], [1, 0])
    with pytest.raises(ValueError, match="event must be"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier([-1, 2], [1, 0])
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError, match="group contains missing"):
        kaplan_meier([1, 2], [1, 0], [None, "a"])
    with pytest.raises(ValueError, match="ci must be"):
        kaplan_meier([1, 2], [1, 0], ci="arcsine")
    with pytest.raises(ValueError, match="empty"):
        kaplan_meier([], [])


def test_categorical_group_keeps_order():
    t, e, g = _data(2, n=200)
    cat = pd.Categorical(g, categories=["low", "medium", "high"], ordered=True)
    km = kaplan_meier(t, e, cat)
    assert km.groups == ["low", "medium", "high"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 30), st.booleans(), st.sampled_from("ab")), min_size=2, max_size=60),
    st.randoms(use_true_random=False),
)
def test_km_properties(rows, rnd):
    t = np.array([r[0] for r in rows], dtype=float)
    e = np.array([r[1] for r in rows])
    g = np.array([r[2] for r in rows])
    km = kaplan_meier(t, e, g)
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    km2 = kaplan_meier(t[perm], e[perm], g[perm])
    pd.testing.assert_frame_equal(km.table, km2.table)
    for lab in km.groups:
        s = km.table.loc[km.table["group"] == lab, "survival"].to_numpy()
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 1e-15)
    ok = km.table["lower"].notna()
    assert np.all(km.table["lower"][ok] <= km.table["survival"][ok] + 1e-12)
    assert np.all(km.table["upper"][ok] >= km.table["survival"][ok] - 1e-12)
    if len(set(g)) == 2 and e.any():
        lr = logrank_test(t, e, g)
        lr2 = logrank_test(t[perm], e[perm], g[perm])
        assert lr.statistic == pytest.approx(lr2.statistic, rel=1e-9, abs=1e-12)
        assert lr.statistic >= -1e-12
