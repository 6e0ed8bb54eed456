"""Decision curves: against a per-threshold numpy loop, the published treat-all formula,
lifelines Kaplan-Meier for the survival form, paired bootstrap and hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from assess.metrics.decision_curve import (
    TREAT_ALL,
    TREAT_NONE,
    DecisionCurveResult,
    _BinaryCurves,
    _joint_cells,
    decision_curve,
    default_thresholds,
)


def loop_net_benefit(y, p, thresholds):
    """Vickers and Elkin (2006), one threshold at a time: treat everyone with p >= pt."""
    n = len(y)
    out = []
    for pt in thresholds:
        treat = p >= pt
        tp = np.sum(treat & (y == 1))
        fp = np.sum(treat & (y == 0))
        out.append(tp / n - fp / n * pt / (1 - pt))
    return np.array(out)


def lifelines_net_benefit(time, event, h, p, thresholds):
    """Vickers et al. (2008): KM risk at the horizon among people above the threshold."""
    n = len(time)
    out = []
    for pt in thresholds:
        hi = p >= pt
        if not hi.any():
            out.append(0.0)
            continue
        kmf = KaplanMeierFitter().fit(time[hi], event[hi])
        s = float(kmf.survival_function_at_times(h).iloc[0])
        share = hi.sum() / n
        out.append((1 - s) * share - s * share * pt / (1 - pt))
    return np.array(out)


def make_data(rng, n):
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    lp = -1 + x + 0.7 * z
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    return y, 1 / (1 + np.exp(-(-1 + x))), 1 / (1 + np.exp(-lp))


def make_survival(rng, n, ties=False):
    _, pa, pb = make_data(rng, n)
    lp = np.log(pb / (1 - pb))
    lat = rng.exponential(1 / np.exp(lp))
    cens = rng.exponential(2.0, size=n)
    t = np.minimum(lat, cens)
    if ties:
        t = np.ceil(t * 20) / 20
    return t, (lat <= cens).astype(int), pa, pb


def test_matches_per_threshold_loop_with_ties_at_thresholds():
    rng = np.random.default_rng(1)
    y, pa, pb = make_data(rng, 900)
    pa = np.round(pa, 2)  # many risks exactly equal to a threshold: those people are treated
    res = decision_curve(y, {"A": pa, "B": pb})
    thr = default_thresholds()
    for name, p in (("A", pa), ("B", pb)):
        got = res.net_benefit(name)["net_benefit"].to_numpy()
        np.testing.assert_allclose(got, loop_net_benefit(y, p, thr), atol=1e-14)
    prev = y.mean()
    treat_all = prev - (1 - prev) * thr / (1 - thr)
    np.testing.assert_allclose(res.net_benefit(TREAT_ALL)["net_benefit"], treat_all, atol=1e-14)
    assert (res.net_benefit(TREAT_NONE)["net_benefit"] == 0).all()
    assert list(res.frame.columns[:5]) == ["model", "threshold", "net_benefit", "lower", "upper"]
    assert res.frame[["lower", "upper"]].isna().all().all()  # no bootstrap: no intervals
    # tp_rate / fp_rate are the two parts of the net benefit
    f = res.net_benefit("B")
    np.testing.assert_allclose(f["tp_rate"] - f["fp_rate"] * thr / (1 - thr), f["net_benefit"], atol=1e-15)


def test_single_array_and_custom_thresholds():
    rng = np.random.default_rng(2)
    y, pa, _ = make_data(rng, 300)
    thr = [0.0, 0.05, 0.3, 0.9]
    res = decision_curve(y, pa, thresholds=thr)
    assert res.models == ("model",)
    np.testing.assert_allclose(res.net_benefit("model")["net_benefit"], loop_net_benefit(y, pa, thr), atol=1e-14)
    # at threshold 0 the net benefit is the prevalence (everyone with p >= 0 is treated)
    assert res.net_benefit("model")["net_benefit"].iloc[0] == pytest.approx(y.mean())


@pytest.mark.parametrize("ties", [False, True])
def test_survival_matches_lifelines(ties):
    rng = np.random.default_rng(3)
    t, e, pa, pb = make_survival(rng, 500, ties=ties)
    h = 0.8
    thr = np.arange(1, 20) / 20
    res = decision_curve(None, {"A": pa, "B": pb}, thresholds=thr, time=t, event=e, horizon=h)
    for name, p in (("A", pa), ("B", pb)):
        np.testing.assert_allclose(
            res.net_benefit(name)["net_benefit"], lifelines_net_benefit(t, e, h, p, thr), atol=1e-12
        )
    s = float(KaplanMeierFitter().fit(t, e).survival_function_at_times(h).iloc[0])
    np.testing.assert_allclose(
        res.net_benefit(TREAT_ALL)["net_benefit"], (1 - s) - s * thr / (1 - thr), atol=1e-12
    )
    assert res.horizon == h and "Vickers et al. 2008" in res.method
    assert res.events == int(np.sum((e == 1) & (t <= h)))


def test_survival_without_censoring_equals_binary():
    rng = np.random.default_rng(4)
    _, pa, pb = make_data(rng, 400)
    t = rng.exponential(1.0, 400)
    e = np.ones(400, dtype=int)
    h = 0.7
    y = (t <= h).astype(int)
    s = decision_curve(None, {"A": pa, "B": pb}, time=t, event=e, horizon=h)
    b = decision_curve(y, {"A": pa, "B": pb})
    np.testing.assert_allclose(s.frame["net_benefit"], b.frame["net_benefit"], atol=1e-12)


# --------------------------------------------------------------------------------------------
# bootstrap
# --------------------------------------------------------------------------------------------


def test_vectorised_replicate_equals_loop_on_resampled_rows():
    rng = np.random.default_rng(5)
    y, pa, pb = make_data(rng, 400)
    thr = default_thresholds()
    bins = [np.searchsorted(thr, p, side="right") for p in (pa, pb)]
    attrs, counts = _joint_cells([*bins, y], [100, 100, 2])
    curves = _BinaryCurves(attrs[:, :-1], attrs[:, -1], thr)
    # one resample of people, expressed as cell counts
    idx = rng.integers(0, 400, 400)
    key = (bins[0] * 100 + bins[1]) * 2 + y
    cell_key = (attrs[:, 0] * 100 + attrs[:, 1]) * 2 + attrs[:, 2]
    rep_counts = np.array([np.sum(key[idx] == k) for k in cell_key])
    got = curves(rep_counts[None, :])[0].reshape(3, -1)
    np.testing.assert_allclose(got[0], loop_net_benefit(y[idx], pa[idx], thr), atol=1e-14)
    np.testing.assert_allclose(got[1], loop_net_benefit(y[idx], pb[idx], thr), atol=1e-14)
    prev = y[idx].mean()
    np.testing.assert_allclose(got[2], prev - (1 - prev) * thr / (1 - thr), atol=1e-14)


def test_closed_form_jackknife_equals_brute_force():
    rng = np.random.default_rng(6)
    y, pa, pb = make_data(rng, 80)
    thr = np.array([0.1, 0.2, 0.4])
    bins = [np.searchsorted(thr, p, side="right") for p in (pa, pb)]
    attrs, counts = _joint_cells([*bins, y], [4, 4, 2])
    curves = _BinaryCurves(attrs[:, :-1], attrs[:, -1], thr)
    jk = curves.jackknife(counts)
    for k in range(attrs.shape[0]):
        c = counts.copy()
        c[k] -= 1
        np.testing.assert_allclose(jk[k], curves(c[None, :])[0], atol=1e-14)


@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_bootstrap_reproducible_and_paired(ci):
    rng = np.random.default_rng(7)
    y, pa, pb = make_data(rng, 600)
    thr = np.arange(1, 10) / 10
    a = decision_curve(y, {"A": pa, "B": pb}, thresholds=thr, n_boot=200, seed=9, ci=ci)
    b = decision_curve(y, {"A": pa, "B": pb}, thresholds=thr, n_boot=200, seed=9, ci=ci, n_jobs=2)
    c = decision_curve(y, {"A": pa, "B": pb}, thresholds=thr, n_boot=200, seed=10, ci=ci)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not np.allclose(a.frame["lower"].iloc[:9], c.frame["lower"].iloc[:9])
    assert a.ci_method == f"bootstrap-{ci}"
    fa = a.net_benefit("A")
    assert np.all(fa["lower"] <= fa["net_benefit"] + 1e-12) and np.all(fa["net_benefit"] <= fa["upper"] + 1e-12)
    d = a.difference("B", "A")
    np.testing.assert_allclose(d["difference"], a.net_benefit("B")["net_benefit"] - fa["net_benefit"], atol=1e-15)
    if ci == "percentile":
        reps = a.bootstrap.replicates.reshape(200, 3, 9)
        dr = reps[:, 1] - reps[:, 0]
        np.testing.assert_allclose(d["lower"], np.quantile(dr, 0.025, axis=0), atol=1e-15)
        np.testing.assert_allclose(d["upper"], np.quantile(dr, 0.975, axis=0), atol=1e-15)
    # paired: the interval of a difference is narrower than the naive unpaired combination
    width = (d["upper"] - d["lower"]).to_numpy()
    wa = (fa["upper"] - fa["lower"]).to_numpy()
    assert np.median(width) < np.median(wa)
    # a model against itself: difference 0 with a zero-width interval
    same = a.difference("A", "A")
    assert (same[["difference", "lower", "upper"]].to_numpy() == 0).all()
    # against treat none: the model's own curve and interval
    none = a.difference("A", TREAT_NONE)
    np.testing.assert_allclose(none["difference"], fa["net_benefit"])
    if ci == "percentile":
        np.testing.assert_allclose(none["lower"], fa["lower"])


def test_survival_bootstrap_reproducible():
    rng = np.random.default_rng(8)
    t, e, pa, pb = make_survival(rng, 300, ties=True)
    thr = np.arange(1, 10) / 10
    kw = {"thresholds": thr, "time": t, "event": e, "horizon": 0.8, "n_boot": 60, "seed": 4}
    a = decision_curve(None, {"A": pa, "B": pb}, **kw)
    b = decision_curve(None, {"A": pa, "B": pb}, **kw)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    d = a.difference("B", "A")
    assert np.isfinite(d["lower"]).all()
    with pytest.raises(ValueError, match="binary outcomes only"):
        decision_curve(None, pa, **{**kw, "ci": "bca"})


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_properties(data):
    n = data.draw(st.integers(2, 40))
    p = np.array(data.draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))) / 20.0
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    thr = np.arange(1, 20) / 20
    res = decision_curve(y, {"m": p}, thresholds=thr)
    nb = res.net_benefit("m")["net_benefit"].to_numpy()
    np.testing.assert_allclose(nb, loop_net_benefit(y, p, thr), atol=1e-12)
    # treat none is 0; no model beats perfect prediction (NB <= prevalence)
    assert (res.net_benefit(TREAT_NONE)["net_benefit"] == 0).all()
    assert np.all(nb <= y.mean() + 1e-12)
    # order invariance
    perm = np.random.default_rng(data.draw(st.integers(0, 10**6))).permutation(n)
    rp = decision_curve(y[perm], {"m": p[perm]}, thresholds=thr)
    pd.testing.assert_frame_equal(rp.frame, res.frame)
    # a subset of thresholds gives the same values
    sub = decision_curve(y, {"m": p}, thresholds=thr[::3])
    np.testing.assert_allclose(sub.net_benefit("m")["net_benefit"], nb[::3], atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_survival_order_invariance(seed):
    rng = np.random.default_rng(seed)
    t, e, pa, pb = make_survival(rng, 50, ties=True)
    perm = rng.permutation(50)
    thr = np.arange(1, 10) / 10
    a = decision_curve(None, {"A": pa, "B": pb}, thresholds=thr, time=t, event=e, horizon=0.6)
    b = decision_curve(None, {"A": pa[perm], "B": pb[perm]}, thresholds=thr, time=t[perm], event=e[perm], horizon=0.6)
    np.testing.assert_allclose(a.frame["net_benefit"], b.frame["net_benefit"], atol=1e-12)
    assert (a.net_benefit(TREAT_NONE)["net_benefit"] == 0).all()


# --------------------------------------------------------------------------------------------
# output and validation
# --------------------------------------------------------------------------------------------


def test_str_repr_and_lookup_errors():
    rng = np.random.default_rng(9)
    y, pa, pb = make_data(rng, 200)
    res = decision_curve(y, {"RNR": pa, "RNR + strengths": pb}, n_boot=20, seed=1)
    text = str(res)
    assert "RNR + strengths" in text and "treat all" in text and "threshold" in text
    assert isinstance(res, DecisionCurveResult) and "thresholds=99" in repr(res)
    with pytest.raises(KeyError, match="unknown model"):
        res.difference("RNR", "nope")
    assert math.isclose(res.frame["threshold"].iloc[6], 0.07)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p": {"a": [0.1, 0.2]}}, "one value per person"),
        ({"p": {}}, "empty dict"),
        ({"p": {"treat all": [0.1, 0.2, 0.3, 0.4]}}, "reserved"),
        ({"p": [0.1, -0.2, 0.3, 0.4]}, "p must be predicted probabilities"),
        ({"thresholds": [0.2, 0.1]}, "strictly increasing"),
        ({"thresholds": [0.5, 1.0]}, r"in \[0, 1\)"),
        ({"y_true": [0, 1, 1, 5]}, "y_true must be boolean"),
        ({"time": [1, 2, 3, 4], "event": [1, 1, 0, 0], "horizon": 2}, "not both"),
        ({"n_boot": -3}, "n_boot"),
    ],
)
def test_validation(kwargs, match):
    args = {"y_true": [0, 1, 1, 0], "p": [0.1, 0.2, 0.3, 0.4]}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        decision_curve(args.pop("y_true"), args.pop("p"), **args)
