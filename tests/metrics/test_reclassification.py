"""NRI and IDI: hand-computed worked example, per-person loop references, lifelines Kaplan-Meier
references for the survival forms, bootstrap reproducibility and hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from scipy import stats

from assess.metrics.reclassification import (
    _IPCWIDI,
    ReclassificationResult,
    _idi_binary_jackknife,
    _idi_binary_stat,
    _nri_binary_stat,
    integrated_discrimination_improvement,
    net_reclassification_index,
)

nri = net_reclassification_index
idi = integrated_discrimination_improvement


# --------------------------------------------------------------------------------------------
# reference implementations (deliberately naive: one person at a time)
# --------------------------------------------------------------------------------------------


def loop_nri(y, pb, pn, cutoffs=None):
    def cat(p):
        return sum(1 for c in cutoffs if p >= c)

    up = {0: 0, 1: 0}
    down = {0: 0, 1: 0}
    size = {0: 0, 1: 0}
    for yi, b, nw in zip(y, pb, pn, strict=True):
        yi = int(yi)
        size[yi] += 1
        if cutoffs is None:
            u, d = nw > b, nw < b
        else:
            u, d = cat(nw) > cat(b), cat(nw) < cat(b)
        up[yi] += u
        down[yi] += d
    ev = (up[1] - down[1]) / size[1]
    ne = (down[0] - up[0]) / size[0]
    # Pencina et al. (2008) null-hypothesis variance, as in Hmisc::improveProb
    v0 = (up[1] + down[1]) / size[1] ** 2 + (up[0] + down[0]) / size[0] ** 2
    return ev, ne, ev + ne, (ev + ne) / math.sqrt(v0)


def loop_idi(y, pb, pn):
    de, dn = [], []
    for yi, b, nw in zip(y, pb, pn, strict=True):
        (de if yi else dn).append(nw - b)
    ev = sum(de) / len(de)
    ne = -sum(dn) / len(dn)
    se = math.sqrt(stats.sem(de) ** 2 + stats.sem(dn) ** 2)
    return ev, ne, ev + ne, stats.sem(de), stats.sem(dn), se


def km_at(time, event, h):
    if len(time) == 0:
        return 1.0
    kmf = KaplanMeierFitter().fit(time, event)
    return float(kmf.survival_function_at_times(h).iloc[0])


def lifelines_survival_nri(time, event, h, pb, pn, cutoffs=None):
    if cutoffs is None:
        up, down = pn > pb, pn < pb
    else:
        cb = np.searchsorted(cutoffs, pb, side="right")
        cn = np.searchsorted(cutoffs, pn, side="right")
        up, down = cn > cb, cn < cb
    n = len(time)
    s = km_at(time, event, h)
    s_up = km_at(time[up], event[up], h)
    s_down = km_at(time[down], event[down], h)
    pu, pd_ = up.sum() / n, down.sum() / n
    ev = ((1 - s_up) * pu - (1 - s_down) * pd_) / (1 - s)
    ne = (s_down * pd_ - s_up * pu) / s
    return ev, ne, ev + ne


def loop_ipcw_idi(time, event, h, pb, pn):
    """IPCW IDI, one person at a time, censoring KM from lifelines (continuous times, no ties)."""
    kmf = KaplanMeierFitter().fit(time, 1 - event)
    num = den = 0.0
    num0 = den0 = 0.0
    for t, e, b, nw in zip(time, event, pb, pn, strict=True):
        if e and t <= h:
            g = float(kmf.survival_function_at_times(t - 1e-12).iloc[0])
            num += (nw - b) / g
            den += 1 / g
        elif t >= h:  # followed to the horizon without an event by then: a known non-event
            num0 += nw - b
            den0 += 1
    ev = num / den
    ne = -num0 / den0
    return ev, ne, ev + ne


def make_binary(rng, n, prevalence_shift=-1.0):
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    lp = prevalence_shift + x + 0.7 * z
    y = rng.random(n) < 1 / (1 + np.exp(-lp))
    pb = 1 / (1 + np.exp(-(prevalence_shift + x)))
    pn = 1 / (1 + np.exp(-lp))
    return y, pb, pn


def make_survival(rng, n, censor_scale=2.0, ties=False):
    y, pb, pn = make_binary(rng, n)
    lp = np.log(pn / (1 - pn))
    lat = rng.exponential(1 / np.exp(lp))
    cens = rng.exponential(censor_scale, size=n)
    t = np.minimum(lat, cens)
    e = (lat <= cens).astype(int)
    if ties:
        t = np.ceil(t * 20) / 20
    return t, e, pb, pn


# --------------------------------------------------------------------------------------------
# hand-computed worked example
# --------------------------------------------------------------------------------------------

# Cut-offs 0.1 and 0.2 give categories low [0, 0.1), mid [0.1, 0.2), high [0.2, 1].
# Each row: (outcome, base risk, new risk, how many people).
WORKED = [
    # 10 events
    (1, 0.05, 0.15, 2),  # low -> mid: up
    (1, 0.15, 0.25, 2),  # mid -> high: up
    (1, 0.25, 0.15, 1),  # high -> mid: down
    (1, 0.05, 0.08, 2),  # low -> low
    (1, 0.15, 0.12, 1),  # mid -> mid
    (1, 0.30, 0.40, 2),  # high -> high
    # 20 non-events
    (0, 0.15, 0.05, 3),  # mid -> low: down
    (0, 0.25, 0.15, 2),  # high -> mid: down
    (0, 0.05, 0.20, 2),  # low -> high (a risk equal to a cut-off is in the upper category): up
    (0, 0.02, 0.03, 10),  # low -> low
    (0, 0.12, 0.18, 3),  # mid -> mid
]


def worked_arrays():
    y, pb, pn = [], [], []
    for outcome, b, nw, k in WORKED:
        y += [outcome] * k
        pb += [b] * k
        pn += [nw] * k
    return np.array(y), np.array(pb), np.array(pn)


def test_worked_example_categorical_nri_by_hand():
    y, pb, pn = worked_arrays()
    res = nri(y, pb, pn, cutoffs=[0.1, 0.2])
    # events: 4 up, 1 down of 10 -> 0.3; non-events: 5 down, 2 up of 20 -> 0.15
    assert res.events.estimate == pytest.approx(0.3, abs=1e-15)
    assert res.non_events.estimate == pytest.approx(0.15, abs=1e-15)
    assert res.total.estimate == pytest.approx(0.45, abs=1e-15)
    # multinomial SEs: events (0.4 + 0.1 - 0.3^2) / 10 = 0.041; non-events (0.25 + 0.1 - 0.15^2) / 20
    assert res.events.se == pytest.approx(math.sqrt(0.041), rel=1e-12)
    assert res.non_events.se == pytest.approx(math.sqrt(0.3275 / 20), rel=1e-12)
    assert res.total.se == pytest.approx(math.sqrt(0.041 + 0.3275 / 20), rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert res.events.lower == pytest.approx(0.3 - z * math.sqrt(0.041), rel=1e-12)
    # Pencina's z: 0.45 / sqrt(0.5 / 10 + 0.35 / 20)
    assert res.details["z_pencina"] == pytest.approx(0.45 / math.sqrt(0.05 + 0.0175), rel=1e-12)
    assert res.details["p_value_pencina"] == pytest.approx(2 * stats.norm.sf(0.45 / math.sqrt(0.0675)), rel=1e-10)
    labels = ["[0, 0.1)", "[0.1, 0.2)", "[0.2, 1]"]
    expected = pd.DataFrame(
        [
            [2, 2, 0],  # events, base low
            [0, 1, 2],  # events, base mid
            [0, 1, 2],  # events, base high
            [10, 0, 2],  # non-events, base low
            [3, 3, 0],  # non-events, base mid
            [0, 2, 0],  # non-events, base high
        ],
        index=pd.MultiIndex.from_product(
            [["events", "non-events"], labels], names=["outcome", "base category"]
        ),
        columns=pd.Index(labels, name="new category"),
    )
    pd.testing.assert_frame_equal(res.table, expected, check_dtype=False)
    assert res.movement.loc["events"].tolist() == [4, 5, 1, 10]
    assert res.movement.loc["non-events"].tolist() == [2, 13, 5, 20]


def test_worked_example_idi_by_hand():
    y, pb, pn = worked_arrays()
    res = idi(y, pb, pn)
    d = pn - pb
    # events: 2(0.10) + 2(0.10) + (-0.10) + 2(0.03) + (-0.03) + 2(0.10) = 0.53 over 10
    assert res.events.estimate == pytest.approx(0.053, abs=1e-14)
    # non-events: 3(-0.10) + 2(-0.10) + 2(0.15) + 10(0.01) + 3(0.06) = 0.08 over 20 -> -0.004
    assert res.non_events.estimate == pytest.approx(-0.004, abs=1e-14)
    assert res.total.estimate == pytest.approx(0.049, abs=1e-14)
    assert res.events.se == pytest.approx(np.std(d[y == 1], ddof=1) / math.sqrt(10), rel=1e-12)
    slope_b = pb[y == 1].mean() - pb[y == 0].mean()
    assert res.details["discrimination_slope_base"] == pytest.approx(slope_b, rel=1e-12)
    assert res.details["relative_idi"] == pytest.approx(0.049 / slope_b, rel=1e-10)


# --------------------------------------------------------------------------------------------
# binary: against per-person loops
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cutoffs", [None, [0.2], [0.1, 0.3, 0.6]])
def test_nri_matches_loop(cutoffs):
    rng = np.random.default_rng(11)
    y, pb, pn = make_binary(rng, 700)
    # ties: rounding creates people with p_new == p_base and risks exactly at a cut-off
    pb = np.round(pb, 1)
    pn = np.round(pn, 1)
    res = nri(y, pb, pn, cutoffs=cutoffs)
    ev, ne, tot, z = loop_nri(y, pb, pn, cutoffs)
    assert res.events.estimate == pytest.approx(ev, abs=1e-14)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-14)
    assert res.total.estimate == pytest.approx(tot, abs=1e-14)
    assert res.details["z_pencina"] == pytest.approx(z, rel=1e-12)
    assert res.events.metric == "nri_events" and res.total.metric == "nri"


def test_idi_matches_loop_and_scipy_sem():
    rng = np.random.default_rng(12)
    y, pb, pn = make_binary(rng, 800)
    res = idi(y, pb, pn, confidence_level=0.9)
    ev, ne, tot, se_e, se_ne, se = loop_idi(y, pb, pn)
    assert res.events.estimate == pytest.approx(ev, abs=1e-14)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-14)
    assert res.total.estimate == pytest.approx(tot, abs=1e-14)
    assert res.events.se == pytest.approx(se_e, rel=1e-10)
    assert res.non_events.se == pytest.approx(se_ne, rel=1e-10)
    assert res.total.se == pytest.approx(se, rel=1e-10)
    z = stats.norm.ppf(0.95)
    assert res.total.upper == pytest.approx(tot + z * se, rel=1e-10)
    assert res.total.ci_method == "wald-pencina"
    # discrimination slopes: IDI = slope(new) - slope(base)
    det = res.details
    assert det["discrimination_slope_new"] - det["discrimination_slope_base"] == pytest.approx(tot, abs=1e-14)


# --------------------------------------------------------------------------------------------
# survival: against lifelines
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cutoffs", [None, [0.2, 0.5]])
@pytest.mark.parametrize("ties", [False, True])
def test_survival_nri_matches_lifelines_km(cutoffs, ties):
    rng = np.random.default_rng(13)
    t, e, pb, pn = make_survival(rng, 600, ties=ties)
    h = 0.8
    res = nri(None, pb, pn, cutoffs=cutoffs, time=t, event=e, horizon=h)
    ev, ne, tot = lifelines_survival_nri(t, e, h, pb, pn, None if cutoffs is None else np.array(cutoffs))
    assert res.events.estimate == pytest.approx(ev, abs=1e-12)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-12)
    assert res.total.estimate == pytest.approx(tot, abs=1e-12)
    assert res.total.horizon == h
    assert "Kaplan-Meier" in res.method
    assert res.total.events == int(np.sum((e == 1) & (t <= h)))


def test_survival_nri_horizon_beyond_follow_up_matches_lifelines():
    rng = np.random.default_rng(14)
    t, e, pb, pn = make_survival(rng, 300)
    h = float(t.max()) + 1.0  # KM stays flat after the last time (lifelines' convention)
    res = nri(None, pb, pn, time=t, event=e, horizon=h)
    ev, ne, _ = lifelines_survival_nri(t, e, h, pb, pn)
    assert res.events.estimate == pytest.approx(ev, abs=1e-12)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-12)


@pytest.mark.parametrize("cutoffs", [None, [0.25]])
def test_survival_without_censoring_equals_binary(cutoffs):
    """No censoring before the horizon: KM risks are proportions, so survival = binary forms."""
    rng = np.random.default_rng(15)
    t, e, pb, pn = make_survival(rng, 500, censor_scale=1e9)
    h = 0.7
    y = (e == 1) & (t <= h)
    s = nri(None, pb, pn, cutoffs=cutoffs, time=t, event=e, horizon=h)
    b = nri(y, pb, pn, cutoffs=cutoffs)
    for a, c in ((s.events, b.events), (s.non_events, b.non_events), (s.total, b.total)):
        assert a.estimate == pytest.approx(c.estimate, abs=1e-12)
    si = idi(None, pb, pn, time=t, event=e, horizon=h)
    bi = idi(y, pb, pn)
    for a, c in ((si.events, bi.events), (si.non_events, bi.non_events), (si.total, bi.total)):
        assert a.estimate == pytest.approx(c.estimate, abs=1e-12)


def test_survival_idi_matches_ipcw_loop_with_lifelines_censoring_km():
    rng = np.random.default_rng(16)
    t, e, pb, pn = make_survival(rng, 400)  # continuous times: no ties between events and censorings
    h = 0.9
    res = idi(None, pb, pn, time=t, event=e, horizon=h)
    ev, ne, tot = loop_ipcw_idi(t, e, h, pb, pn)
    assert res.events.estimate == pytest.approx(ev, abs=1e-12)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-12)
    assert res.total.estimate == pytest.approx(tot, abs=1e-12)
    assert math.isnan(res.total.se) and "Uno" in res.method


def test_survival_idi_follow_up_ending_at_the_horizon():
    """Bug fix (reported by H1): with follow-up ending exactly at the horizon (administrative
    censoring at h, as in the synthetic cohorts) nobody has time > h; people censored at h are
    known non-events. The IDI was NaN (total and non-events) while the events part was finite."""
    rng = np.random.default_rng(23)
    t, e, pb, pn = make_survival(rng, 600)
    h = 0.8
    t_end = np.where(t >= h, h, t)  # follow-up ends at h
    e_end = np.where(t > h, 0, e)
    res = idi(None, pb, pn, time=t_end, event=e_end, horizon=h)
    assert all(math.isfinite(r.estimate) for r in (res.events, res.non_events, res.total))
    # the same as following those people beyond the horizon
    ref = idi(None, pb, pn, time=t, event=e, horizon=h)
    for a, c in ((res.events, ref.events), (res.non_events, ref.non_events), (res.total, ref.total)):
        assert a.estimate == pytest.approx(c.estimate, abs=1e-12)
    # and with no censoring before h, the binary IDI on the outcome at h
    t2, e2, pb2, pn2 = make_survival(rng, 600, censor_scale=1e9)
    y2 = (e2 == 1) & (t2 <= h)
    s = idi(None, pb2, pn2, time=np.minimum(t2, h), event=np.where(t2 > h, 0, e2), horizon=h)
    b = idi(y2, pb2, pn2)
    assert s.total.estimate == pytest.approx(b.total.estimate, abs=1e-12)
    assert s.non_events.estimate == pytest.approx(b.non_events.estimate, abs=1e-12)
    assert s.details["discrimination_slope_new"] == pytest.approx(float(pn2[y2].mean() - pn2[~y2].mean()), abs=1e-12)


def test_survival_idi_ties_use_censoring_convention_of_core():
    """With tied times, G is the core's reverse KM (events first at a tied time)."""
    from assess.metrics._survival_core import censoring_survival

    rng = np.random.default_rng(17)
    t, e, pb, pn = make_survival(rng, 500, ties=True)
    h = 0.6
    g = censoring_survival(t, e.astype(bool))
    ev_rows = (e == 1) & (t <= h)
    w = 1 / g.before(t[ev_rows])
    d = pn - pb
    ev = np.sum(w * d[ev_rows]) / np.sum(w)
    ne = -d[(t >= h) & ~ev_rows].mean()
    res = idi(None, pb, pn, time=t, event=e, horizon=h)
    assert res.events.estimate == pytest.approx(ev, abs=1e-12)
    assert res.non_events.estimate == pytest.approx(ne, abs=1e-12)


# --------------------------------------------------------------------------------------------
# bootstrap
# --------------------------------------------------------------------------------------------


def test_vectorised_statistics_equal_recomputation_on_a_resample():
    """The count-table statistics evaluated on a resample's counts equal the loop on its rows."""
    rng = np.random.default_rng(18)
    y, pb, pn = make_binary(rng, 300)
    idx = rng.integers(0, 300, 300)
    counts = np.bincount(idx, minlength=300)
    # IDI: rows as cells
    got = _idi_binary_stat(counts[None, :], pn - pb, y)[0]
    ev, ne, tot, *_ = loop_idi(y[idx], pb[idx], pn[idx])
    np.testing.assert_allclose(got, [ev, ne, tot], atol=1e-14)
    # NRI: movement x outcome cells
    move = np.sign(pn - pb).astype(int) + 1
    cell_counts = np.bincount((move * 2 + y)[idx], minlength=6)
    got = _nri_binary_stat(cell_counts[None, :])[0]
    ev, ne, tot, _ = loop_nri(y[idx], pb[idx], pn[idx])
    np.testing.assert_allclose(got, [ev, ne, tot], atol=1e-14)
    # survival IDI on a resample
    t, e, pb, pn = make_survival(rng, 300)
    idx = rng.integers(0, 300, 300)
    counts = np.bincount(idx, minlength=300)
    got = _IPCWIDI(t, e.astype(bool), 0.8, pn - pb)(counts[None, :])[0]
    ref = idi(None, pb[idx], pn[idx], time=t[idx], event=e[idx], horizon=0.8)
    np.testing.assert_allclose(got, [ref.events.estimate, ref.non_events.estimate, ref.total.estimate], atol=1e-12)


def test_idi_closed_form_jackknife_equals_brute_force():
    rng = np.random.default_rng(19)
    y, pb, pn = make_binary(rng, 60)
    jk = _idi_binary_jackknife(pn - pb, y)
    for i in (0, 7, 33, 59):
        keep = np.arange(60) != i
        r = idi(y[keep], pb[keep], pn[keep])
        np.testing.assert_allclose(jk[i], [r.events.estimate, r.non_events.estimate, r.total.estimate], atol=1e-14)


@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_bootstrap_reproducible_and_replaces_wald(ci):
    rng = np.random.default_rng(20)
    y, pb, pn = make_binary(rng, 400)
    a = nri(y, pb, pn, cutoffs=[0.3], n_boot=200, seed=5, ci=ci)
    b = nri(y, pb, pn, cutoffs=[0.3], n_boot=200, seed=5, ci=ci, n_jobs=2)
    c = nri(y, pb, pn, cutoffs=[0.3], n_boot=200, seed=6, ci=ci)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.total.lower != c.total.lower
    assert a.total.ci_method == f"bootstrap-{ci}"
    assert a.bootstrap.n_boot == 200
    # the total's replicates are the sum of the components' replicates (same resamples)
    reps = a.bootstrap.replicates
    np.testing.assert_allclose(reps[:, 2], reps[:, 0] + reps[:, 1])
    ia = idi(y, pb, pn, n_boot=200, seed=5, ci=ci)
    ib = idi(y, pb, pn, n_boot=200, seed=5, ci=ci)
    pd.testing.assert_frame_equal(ia.to_frame(), ib.to_frame())
    assert ia.events.lower < ia.events.estimate < ia.events.upper


def test_bootstrap_se_close_to_analytic():
    rng = np.random.default_rng(21)
    y, pb, pn = make_binary(rng, 3000)
    for f, kw in ((nri, {"cutoffs": [0.2, 0.4]}), (nri, {}), (idi, {})):
        w = f(y, pb, pn, **kw)
        b = f(y, pb, pn, n_boot=400, seed=1, **kw)
        for comp in ("events", "non_events"):
            assert getattr(b, comp).se == pytest.approx(getattr(w, comp).se, rel=0.2)


def test_survival_bootstrap_reproducible():
    rng = np.random.default_rng(22)
    t, e, pb, pn = make_survival(rng, 400)
    a = nri(None, pb, pn, time=t, event=e, horizon=0.8, n_boot=100, seed=3)
    b = nri(None, pb, pn, time=t, event=e, horizon=0.8, n_boot=100, seed=3)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.total.ci_method == "bootstrap-percentile"
    assert a.total.lower < a.total.estimate < a.total.upper
    ia = idi(None, pb, pn, time=t, event=e, horizon=0.8, n_boot=100, seed=3)
    ib = idi(None, pb, pn, time=t, event=e, horizon=0.8, n_boot=100, seed=3)
    pd.testing.assert_frame_equal(ia.to_frame(), ib.to_frame())
    with pytest.raises(ValueError, match="binary outcomes only"):
        idi(None, pb, pn, time=t, event=e, horizon=0.8, n_boot=100, ci="bca")


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_properties_binary(data):
    n = data.draw(st.integers(4, 40))
    pb = np.array(data.draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))) / 20.0
    pn = np.array(data.draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))) / 20.0
    y = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    y[0], y[1] = True, False
    cutoffs = data.draw(st.sampled_from([None, [0.5], [0.2, 0.6]]))
    perm = np.random.default_rng(data.draw(st.integers(0, 10**6))).permutation(n)
    for f, kw in ((nri, {"cutoffs": cutoffs}), (idi, {})):
        r = f(y, pb, pn, **kw)
        # order invariance
        rp = f(y[perm], pb[perm], pn[perm], **kw)
        np.testing.assert_allclose(rp.to_frame()["estimate"], r.to_frame()["estimate"], atol=1e-12)
        # same model twice: every component is 0
        same = f(y, pb, pb, **kw)
        assert same.to_frame()["estimate"].abs().max() == 0
        # swapping base and new negates every component
        sw = f(y, pn, pb, **kw)
        np.testing.assert_allclose(sw.to_frame()["estimate"], -r.to_frame()["estimate"], atol=1e-12)
    # NRI bounds: each component in [-1, 1]
    r = nri(y, pb, pn, cutoffs=cutoffs)
    assert -1 <= r.events.estimate <= 1 and -1 <= r.non_events.estimate <= 1


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_properties_survival(seed):
    rng = np.random.default_rng(seed)
    t, e, pb, pn = make_survival(rng, 60, ties=True)
    perm = rng.permutation(60)
    h = 0.5
    for f in (nri, idi):
        r = f(None, pb, pn, time=t, event=e, horizon=h)
        rp = f(None, pb[perm], pn[perm], time=t[perm], event=e[perm], horizon=h)
        np.testing.assert_allclose(rp.to_frame()["estimate"], r.to_frame()["estimate"], atol=1e-12)
        same = f(None, pb, pb, time=t, event=e, horizon=h).to_frame()["estimate"]
        assert np.all((same == 0) | same.isna())
        sw = f(None, pn, pb, time=t, event=e, horizon=h)
        np.testing.assert_allclose(sw.to_frame()["estimate"], -r.to_frame()["estimate"], atol=1e-12)


# --------------------------------------------------------------------------------------------
# degenerate data and validation
# --------------------------------------------------------------------------------------------


def test_no_events_gives_nan_with_reason():
    y = np.zeros(10, dtype=bool)
    p = np.linspace(0.1, 0.9, 10)
    r = nri(y, p, p[::-1])
    assert math.isnan(r.events.estimate) and "no events" in r.events.reason
    assert not math.isnan(r.non_events.estimate)
    assert math.isnan(r.total.estimate) and r.total.reason
    r = idi(y, p, p[::-1], n_boot=20, seed=1)
    assert r.events.status == "undefined" and "no events" in r.events.reason
    assert r.non_events.status == "ok"
    t = np.full(10, 5.0)
    e = np.zeros(10)
    r = nri(None, p, p[::-1], time=t, event=e, horizon=2.0)
    assert math.isnan(r.events.estimate) and "no events" in r.events.reason


def test_str_and_frame():
    y, pb, pn = worked_arrays()
    r = nri(y, pb, pn, cutoffs=[0.1, 0.2])
    text = str(r)
    assert "events" in text and "non-events" in text and "not a proportion" in text
    f = r.to_frame()
    assert list(f["metric"]) == ["nri_events", "nri_non_events", "nri"]
    assert isinstance(r, ReclassificationResult) and "nri" in repr(r)
    assert "Integrated discrimination" in str(idi(y, pb, pn))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"p_new": [0.1, 0.2]}, ValueError, "p_new must have one value per person"),
        ({"p_base": [0.1, 1.2, 0.3, 0.4]}, ValueError, "p_base must be predicted probabilities"),
        ({"p_base": [0.1, np.nan, 0.3, 0.4]}, ValueError, "p_base contains 1 NaN"),
        ({"y_true": [0, 1, 2, 0]}, ValueError, "y_true must be boolean or coded 0/1"),
        ({"time": [1, 2, 3, 4]}, ValueError, "not both"),
        ({"y_true": None, "time": [1, 2, 3, 4], "event": [1, 0, 1, 0]}, ValueError, "missing horizon"),
        ({"y_true": None, "time": [1, 2, 3, 4], "event": [1, 0, 1, 0], "horizon": -1}, ValueError, "horizon must be a positive"),
        ({"cutoffs": [0.5, 0.2]}, ValueError, "strictly increasing"),
        ({"cutoffs": [0, 0.5]}, ValueError, "strictly between 0 and 1"),
        ({"n_boot": 1}, ValueError, "n_boot must be 0"),
        ({"ci": "normal"}, ValueError, "ci must be"),
    ],
)
def test_validation(kwargs, error, match):
    args = {"y_true": [0, 1, 1, 0], "p_base": [0.1, 0.2, 0.3, 0.4], "p_new": [0.2, 0.1, 0.4, 0.3]}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        nri(args.pop("y_true"), args.pop("p_base"), args.pop("p_new"), **args)
