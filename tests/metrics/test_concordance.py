"""Harrell's and Uno's C: against lifelines, scikit-survival, R survival and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines.datasets import load_lung
from lifelines.utils import concordance_index
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw
from sksurv.util import Surv

from assess.metrics.concordance import harrell_c, pair_counts, uno_c
from assess.metrics.tables import SurvivalTable


def brute_pairs(t, e, s, w=None):
    """Weighted comparable-pair sums by explicit double loop (the definition)."""
    w = np.ones(t.size) if w is None else w
    num = den = 0.0
    conc = disc = tie = 0
    for i in range(t.size):
        if not e[i]:
            continue
        for j in range(t.size):
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                den += w[i] * w[j]
                if s[i] > s[j]:
                    num += w[i] * w[j]
                    conc += 1
                elif s[i] == s[j]:
                    num += 0.5 * w[i] * w[j]
                    tie += 1
                else:
                    disc += 1
    return num, den, conc, disc, tie


# --------------------------------------------------------------------------------- Harrell


@pytest.mark.parametrize(
    "levels, time_levels", [(3, 5), (8, 30), (None, 40), (25, None), (None, None)]
)
@pytest.mark.parametrize("censor_rate", [0.2, 0.7])
def test_harrell_matches_lifelines_and_sksurv(rng, make_survival, levels, time_levels, censor_rate):
    for _ in range(3):
        n = int(rng.integers(30, 400))
        t, e, s = make_survival(
            rng, n, levels=levels, time_levels=time_levels, censor_rate=censor_rate
        )
        if not e.any():
            continue
        ref = concordance_index(t, -s, e)
        sk = concordance_index_censored(e, t, s)
        for method in ("auto", "sort", "table"):
            r = harrell_c(t, e, s, method=method)
            assert r.estimate == pytest.approx(ref, abs=1e-12)
            assert r.estimate == pytest.approx(sk[0], abs=1e-12)
            d = r.details
            assert (d["concordant"], d["discordant"], d["tied_score"], d["tied_time"]) == tuple(
                sk[1:]
            )


def test_pair_counts_match_brute_force(rng, make_survival):
    for _ in range(40):
        n = int(rng.integers(1, 40))
        t, e, s = make_survival(
            rng, n, levels=int(rng.integers(1, 6)), time_levels=int(rng.integers(1, 8))
        )
        pc = pair_counts(t, e, s)
        _, den, conc, disc, tie = brute_pairs(t, e, s)
        assert (pc.concordant, pc.discordant, pc.tied_score, pc.pairs) == (conc, disc, tie, den)
        # per-row counts: every pair is counted once for each member
        assert pc.row_concordant.sum() == 2 * conc
        assert pc.row_discordant.sum() == 2 * disc
        assert pc.row_tied.sum() == 2 * tie
        assert pc.early_pairs.sum() == den


def test_ij_se_is_the_derivative_of_weighted_c(rng, make_survival):
    """var = sum_k (dC/dw_k)^2 at unit case weights (R survival's infinitesimal jackknife)."""
    t, e, s = make_survival(rng, 35, levels=4, time_levels=10)
    h = 1e-6
    grads = []
    for k in range(t.size):
        w = np.ones(t.size)
        w[k] += h
        up = brute_pairs(t, e, s, w)
        w[k] -= 2 * h
        dn = brute_pairs(t, e, s, w)
        grads.append((up[0] / up[1] - dn[0] / dn[1]) / (2 * h))
    se_numeric = math.sqrt(np.sum(np.square(grads)))
    for method in ("sort", "table"):
        assert harrell_c(t, e, s, method=method).se == pytest.approx(se_numeric, rel=1e-6)


def test_known_answers_from_r_survival():
    """Values printed by R's survival package (tests/concordance.Rout.save, coxph on lung)."""
    lung = load_lung()
    keep = lung["ph.ecog"].notna()
    t = lung.loc[keep, "time"].to_numpy(float)
    e = lung.loc[keep, "status"].to_numpy() == 1
    r = harrell_c(t, e, lung.loc[keep, "ph.ecog"].to_numpy(float))
    # concordance(Surv(time, status) ~ ph.ecog, lung, reverse=TRUE)$count[1:3]
    assert (r.details["concordant"], r.details["discordant"], r.details["tied_score"]) == (
        8392,
        4258,
        7137,
    )
    # summary(coxph(Surv(time, status) ~ sex, lung)): Concordance= 0.579 (se = 0.021);
    # the coefficient of sex is negative, so the risk score is -sex
    r = harrell_c(
        lung["time"].to_numpy(float), lung["status"].to_numpy() == 1, -lung["sex"].to_numpy(float)
    )
    assert round(r.estimate, 3) == 0.579
    assert round(r.se, 3) == 0.021
    # aml, Maintained arm, x = c(1,6,2,7,3,7,3,8,4,4,5): R counts concordant 24, discordant 14,
    # tied 2 with x read as "longer survival"; as a risk score the roles swap
    t = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], float)
    e = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0], bool)
    x = np.array([1, 6, 2, 7, 3, 7, 3, 8, 4, 4, 5], float)
    r = harrell_c(t, e, x)
    assert (r.details["concordant"], r.details["discordant"], r.details["tied_score"]) == (
        14,
        24,
        2,
    )


def test_ij_interval_coverage_by_simulation(make_survival):
    """The IJ interval covers the population C about 95% of the time (and matches the bootstrap SE)."""
    rng = np.random.default_rng(11)
    big = make_survival(rng, 400_000, levels=10, time_levels=None, censor_rate=0.5, effect=0.4)
    truth = harrell_c(*big, ci=None).estimate
    hits = 0
    reps = 300
    ses = []
    for _ in range(reps):
        r = harrell_c(
            *make_survival(rng, 250, levels=10, time_levels=None, censor_rate=0.5, effect=0.4)
        )
        hits += r.lower <= truth <= r.upper
        ses.append(r.se)
    assert 0.92 <= hits / reps <= 0.98
    sample = make_survival(rng, 250, levels=10, time_levels=None, censor_rate=0.5, effect=0.4)
    boot = harrell_c(*sample, ci="bootstrap", n_boot=400, seed=3, method="sort")
    assert boot.se == pytest.approx(harrell_c(*sample).se, rel=0.2)


def test_interval_scales(rng, make_survival):
    t, e, s = make_survival(rng, 300)
    lg = harrell_c(t, e, s)
    pl = harrell_c(t, e, s, ci_scale="plain")
    z = 1.959963984540054
    assert pl.lower == pytest.approx(lg.estimate - z * lg.se, rel=1e-12)
    assert lg.ci_method == "ij-logit" and pl.ci_method == "ij-plain"
    assert lg.lower < lg.estimate < lg.upper
    none = harrell_c(t, e, s, ci=None)
    assert math.isnan(none.lower) and none.se == lg.se


# --------------------------------------------------------------------------------- edge cases


def test_degenerate_data_give_nan_with_reason():
    r = harrell_c([1, 2, 3], [0, 0, 0], [1, 2, 3])
    assert math.isnan(r.estimate) and "no events" in r.reason
    assert math.isnan(harrell_c([1.0], [1], [2.0]).estimate)
    assert harrell_c([], [], []).reason == "no observations"
    r = harrell_c([2, 2, 2], [1, 1, 1], [1, 2, 3])
    assert math.isnan(r.estimate) and "tied in time" in r.reason
    # one score level: every comparable pair is tied
    r = harrell_c([1, 2, 3, 4], [1, 0, 1, 1], [5, 5, 5, 5])
    assert r.estimate == 0.5 and r.se == 0.0 and r.lower == r.upper == 0.5


@pytest.mark.parametrize(
    "t, e, s, match",
    [
        (
            [1, 2, 3],
            [1, 0, 1],
            [0.1, np.nan, 0.2],
            r"score contains 1 NaN value\(s\) \(first at positions \[1\]\)",
        ),
        ([1, np.nan, 3], [1, 0, 1], [0.1, 0.3, 0.2], "time contains 1 NaN"),
        (
            [1, -2, 3],
            [1, 0, 1],
            [0.1, 0.3, 0.2],
            r"time must be non-negative; found 1 negative value\(s\) \(first at positions \[1\]\)",
        ),
        ([1, 2, 3], [1, 0], [0.1, 0.3, 0.2], "same length"),
        ([1, 2, 3], [1, 0, 3], [0.1, 0.3, 0.2], "event must be boolean or coded 0/1"),
        ([1, 2, 3], [1, 0, 1], [[0.1, 0.3, 0.2]], "one-dimensional"),
    ],
)
def test_bad_inputs_raise(t, e, s, match):
    with pytest.raises(ValueError, match=match):
        harrell_c(t, e, s)
    with pytest.raises(ValueError, match=match):
        uno_c(t, e, s, ci=None)


# --------------------------------------------------------------------------------- properties


surv = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 6), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(-3, 3), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(surv, st.randoms(use_true_random=False))
def test_harrell_properties(data, rnd):
    t, e, s = (np.array(data[0], float), np.array(data[1], bool), np.array(data[2], float))
    r = harrell_c(t, e, s, method="sort")
    tab = harrell_c(t, e, s, method="table")
    if math.isnan(r.estimate):
        assert math.isnan(tab.estimate) and r.reason
        return
    assert 0.0 <= r.estimate <= 1.0
    assert tab.estimate == r.estimate
    assert tab.se == pytest.approx(r.se, rel=1e-9, abs=1e-14)
    perm = np.array(rnd.sample(range(t.size), t.size))
    assert harrell_c(t[perm], e[perm], s[perm]).estimate == r.estimate
    assert harrell_c(t, e, -s).estimate == pytest.approx(1.0 - r.estimate, abs=1e-15)
    assert harrell_c(t * 2.5 + 1, e, np.exp(s)).estimate == r.estimate
    assert harrell_c(t, e, s).estimate == pytest.approx(concordance_index(t, -s, e), abs=1e-12)


def test_table_protocol_merge_equals_whole(rng, make_survival):
    t, e, s = make_survival(rng, 600, levels=9, time_levels=50)
    whole = SurvivalTable.from_arrays(t, e, s)
    state = SurvivalTable.empty()
    for chunk in np.array_split(rng.permutation(600), 5):
        state = state.update(t[chunk], e[chunk], s[chunk])
    np.testing.assert_array_equal(state.times, whole.times)
    np.testing.assert_array_equal(state.events, whole.events)
    np.testing.assert_array_equal(state.censored, whole.censored)
    a = state.finalize()
    b = harrell_c(t, e, s, method="sort")
    assert a.estimate == b.estimate and a.se == pytest.approx(b.se, rel=1e-12)


def test_bootstrap_route(rng, make_survival):
    t, e, s = make_survival(rng, 500, levels=8, time_levels=40)
    a = harrell_c(t, e, s, ci="bootstrap", n_boot=200, seed=1)
    b = harrell_c(t, e, s, ci="bootstrap", n_boot=200, seed=1, n_jobs=2)
    assert (a.lower, a.upper, a.se) == (b.lower, b.upper, b.se)
    assert a.ci_method == "bootstrap-bca" and "table" in a.method
    srt = harrell_c(t, e, s, ci="bootstrap", n_boot=200, seed=1, method="sort", strata="event")
    assert srt.ci_method == "bootstrap-bca" and srt.lower < srt.estimate < srt.upper
    assert srt.se == pytest.approx(a.se, rel=0.3)


def test_table_jackknife_equals_row_jackknife(rng, make_survival):
    t, e, s = make_survival(rng, 80, levels=4, time_levels=12)
    table = SurvivalTable.from_arrays(t, e, s)
    _, info = table._harrell(with_rows=True)
    jk = info["jackknife"]
    bins = table._event_bins()[0]
    E, L = int(bins.max()) + 1, table.levels.size
    assert jk.size == 2 * E * L + 1
    for i in range(t.size):
        loo = harrell_c(np.delete(t, i), np.delete(e, i), np.delete(s, i), ci=None).estimate
        b = bins[int(np.searchsorted(table.times, t[i]))]
        li = int(np.searchsorted(table.levels, s[i]))
        cell = 2 * E * L if b < 0 else (0 if e[i] else E * L) + b * L + li
        assert jk[cell] == pytest.approx(loo, abs=1e-12)
    # bootstrapping the collapsed cells: the cell counts add up to n
    cells, status = table.concordance_cells()
    assert cells.sum() == t.size and status.sum() == cells.size // 2


# --------------------------------------------------------------------------------- Uno


def _sk_uno(train, test, s, tau):
    try:
        return concordance_index_ipcw(train, test, s, tau=tau)[0]
    except ValueError:
        return None


@pytest.mark.parametrize("levels, time_levels", [(4, 10), (10, 60), (None, None), (30, 25)])
def test_uno_matches_sksurv(rng, make_survival, levels, time_levels):
    checked = 0
    for _ in range(6):
        n = int(rng.integers(40, 400))
        t, e, s = make_survival(
            rng, n, levels=levels, time_levels=time_levels, censor_rate=rng.uniform(0.2, 0.8)
        )
        if not e.any():
            continue
        y = Surv.from_arrays(e, t)
        for tau in (None, float(np.quantile(t, 0.6)), float(np.quantile(t, 0.9))):
            ref = _sk_uno(y, y, s, tau)
            for method in ("sort", "table"):
                r = uno_c(t, e, s, tau=tau, ci=None, method=method)
                if ref is None:
                    assert math.isnan(r.estimate) and r.reason
                else:
                    assert r.estimate == pytest.approx(ref, abs=1e-9)
                    checked += 1
    assert checked > 10


def test_uno_with_separate_training_data(rng, make_survival):
    train = make_survival(rng, 800, levels=8, time_levels=40)
    test = make_survival(rng, 300, levels=8, time_levels=40)
    ytr = Surv.from_arrays(train[1], train[0])
    yte = Surv.from_arrays(test[1], test[0])
    tau = float(np.quantile(test[0], 0.8))
    ref = concordance_index_ipcw(ytr, yte, test[2], tau=tau)[0]
    for method in ("sort", "table"):
        r = uno_c(*test, tau=tau, train_time=train[0], train_event=train[1], ci=None, method=method)
        assert r.estimate == pytest.approx(ref, abs=1e-9)
    # test times beyond the training follow-up: the censoring survival is unknown there
    r = uno_c(test[0] + 1000, test[1], test[2], train_time=train[0], train_event=train[1], ci=None)
    assert math.isnan(r.estimate) and "beyond the follow-up" in r.reason
    with pytest.raises(ValueError, match="both train_time and train_event"):
        uno_c(*test, train_time=train[0], ci=None)


def test_uno_without_censoring_equals_harrell(rng, make_survival):
    t, e, s = make_survival(rng, 300, censor_rate=0.0)
    assert e.all()
    assert uno_c(t, e, s, ci=None).estimate == pytest.approx(harrell_c(t, e, s).estimate, abs=1e-12)


def test_uno_degenerate_and_bootstrap(rng, make_survival):
    r = uno_c([1, 2, 3], [0, 0, 0], [1, 2, 3])
    assert math.isnan(r.estimate) and "no events" in r.reason
    t, e, s = make_survival(rng, 400, levels=6, time_levels=30)
    r = uno_c(t, e, s, tau=float(t.min()), ci=None)
    assert math.isnan(r.estimate) and "tau" in r.reason
    b1 = uno_c(t, e, s, tau=float(np.quantile(t, 0.8)), n_boot=150, seed=5)
    b2 = uno_c(t, e, s, tau=float(np.quantile(t, 0.8)), n_boot=150, seed=5, n_jobs=2)
    assert b1.ci_method == "bootstrap-percentile" and (b1.lower, b1.upper) == (b2.lower, b2.upper)
    b3 = uno_c(t, e, s, tau=float(np.quantile(t, 0.8)), n_boot=150, seed=5, method="sort")
    assert b3.se == pytest.approx(b1.se, rel=0.35)


def test_empty_and_eventless_tables():
    assert SurvivalTable.empty().finalize().reason == "no observations"
    r = SurvivalTable.from_arrays([1, 2, 3], [0, 0, 0], [1, 2, 2]).finalize()
    assert math.isnan(r.estimate) and "no events" in r.reason
    r = SurvivalTable.empty().update([1, 2, 3], [1, 0, 1], [1, 2, 2]).finalize()
    assert r.estimate == harrell_c([1, 2, 3], [1, 0, 1], [1, 2, 2], method="sort").estimate


# --------------------------------------------------------------------------------------------
# bootstrap on case weights (same replicates as the row bootstrap)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(6))
def test_uno_on_case_weights_equals_uno_on_resampled_rows(trial):
    from assess.metrics.concordance import CensoringKM, _uno_compute, _uno_weighted_statistic

    rng = np.random.default_rng(100 + trial)
    n = int(rng.integers(20, 300))
    t = rng.exponential(10, n)
    if trial % 2:
        t = np.ceil(t / 4)  # heavy ties in time
    e = rng.random(n) < rng.uniform(0.2, 0.95)
    s = rng.integers(0, [2, 6, 40][trial % 3], n).astype(float)
    tau = None if trial % 3 == 0 else float(np.quantile(t, 0.7))
    km = CensoringKM.fit(rng.exponential(12, 400), rng.random(400) < 0.5) if trial == 4 else None
    for block in (1, 3, 32):  # block size must not change the numbers
        stat, order = _uno_weighted_statistic(t, e, s, tau, km, block)
        idx = [rng.integers(0, n, n) for _ in range(10)] + [np.arange(n)]
        counts = np.array([np.bincount(i, minlength=n) for i in idx], dtype=np.float32)
        got = stat(counts[:, order])
        ref = np.array([_uno_compute(t[i], e[i], s[i], tau, km, "sort").estimate for i in idx])
        assert np.array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_uno_case_weights_flag_zero_censoring_survival():
    """A replicate whose censoring survival drops to 0 at a used event time is undefined."""
    from assess.metrics.concordance import _uno_compute, _uno_weighted_statistic

    t = np.array([1.0, 2, 3, 4, 4])
    e = np.array([1, 0, 1, 1, 0], dtype=bool)
    s = np.array([3.0, 1, 2, 0, 1])
    stat, order = _uno_weighted_statistic(t, e, s, None, None)
    counts = np.array([[1, 1, 1, 1, 1], [1, 0, 1, 1, 2], [2, 1, 0, 2, 0]], dtype=np.float32)
    got = stat(counts[:, order])
    rows = [np.repeat(np.arange(5), c.astype(int)) for c in counts]
    ref = [_uno_compute(t[i], e[i], s[i], None, None, "sort").estimate for i in rows]
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, atol=1e-12)


@pytest.mark.parametrize(
    ("strata", "how"), [(None, "percentile"), ("event", "bca"), ("groups", "percentile")]
)
def test_uno_bootstrap_on_case_weights_equals_row_bootstrap(
    rng, make_survival, monkeypatch, strata, how
):
    import assess.metrics.concordance as conc

    t, e, s = make_survival(rng, 400, levels=12, time_levels=None)
    t = np.round(t, 2)
    if strata == "groups":
        strata = rng.integers(0, 3, t.size)
    tau = float(np.quantile(t, 0.8))
    kw = dict(tau=tau, n_boot=120, seed=9, strata=strata, bootstrap_method=how, method="sort")
    fast = uno_c(t, e, s, **kw)
    monkeypatch.setattr(conc, "WEIGHTED_MAX_MATRIX_CELLS", 0)  # too large: row bootstrap
    assert uno_c(t, e, s, **kw).lower == pytest.approx(fast.lower, abs=1e-12)
    monkeypatch.setattr(conc, "WEIGHTED_MAX_LEVELS", 0)  # forces the row bootstrap
    slow = uno_c(t, e, s, **kw, n_jobs=2)
    for field in ("estimate", "se", "lower", "upper"):
        assert getattr(fast, field) == pytest.approx(getattr(slow, field), abs=1e-12)
    assert fast.details["resampling"] == slow.details["resampling"]
    if how == "bca":
        assert fast.details["bca_acceleration"] == pytest.approx(
            slow.details["bca_acceleration"], abs=1e-12
        )


@settings(max_examples=60, deadline=None)
@given(surv, st.data())
def test_uno_case_weights_equal_repeated_rows(data, draw):
    """Property: integer case weights (zeros allowed) == the data set with rows repeated."""
    from assess.metrics.concordance import _uno_compute, _uno_weighted_statistic

    t, e, s = (np.array(data[0], float), np.array(data[1], bool), np.array(data[2], float))
    n = t.size
    w = np.array(draw.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    tau = draw.draw(st.sampled_from([None, 3.0]))
    weighted = _uno_weighted_statistic(t, e, s, tau, None, block=draw.draw(st.sampled_from([1, 4])))
    stat, order = weighted
    got = stat(w[order][None, :].astype(np.float32))[0]
    rows = np.repeat(np.arange(n), w)
    ref = _uno_compute(t[rows], e[rows], s[rows], tau, None, "sort").estimate
    if math.isnan(ref):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12)
        assert 0.0 <= got <= 1.0


# --------------------------------------------------------------------------------------------
# Harrell's C bootstrap on case weights
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(6))
def test_harrell_on_case_weights_equals_harrell_on_resampled_rows(trial):
    from assess.metrics.concordance import _harrell_point, _harrell_weighted_statistic

    rng = np.random.default_rng(300 + trial)
    n = int(rng.integers(20, 300))
    t = rng.exponential(10, n)
    if trial % 2:
        t = np.ceil(t / 4)  # heavy ties in time
    e = rng.random(n) < rng.uniform(0.2, 0.95)
    s = rng.integers(0, [2, 6, 40][trial % 3], n).astype(float)
    for block in (1, 3, 32):  # block size must not change the numbers
        stat, order = _harrell_weighted_statistic(t, e, s, block)
        idx = [rng.integers(0, n, n) for _ in range(10)] + [np.arange(n)]
        counts = np.array([np.bincount(i, minlength=n) for i in idx], dtype=np.float32)
        got = stat(counts[:, order])
        ref = np.array([_harrell_point(t[i], e[i], s[i]) for i in idx])
        assert np.array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
        # and against lifelines on the full data (the last weight vector is all ones)
        assert got[-1] == pytest.approx(concordance_index(t, -s, e), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(surv, st.data())
def test_harrell_case_weights_equal_repeated_rows(data, draw):
    """Property: integer case weights (zeros allowed) == the data set with rows repeated."""
    from assess.metrics.concordance import _harrell_point, _harrell_weighted_statistic

    t, e, s = (np.array(data[0], float), np.array(data[1], bool), np.array(data[2], float))
    n = t.size
    w = np.array(draw.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    stat, order = _harrell_weighted_statistic(t, e, s, block=draw.draw(st.sampled_from([1, 4])))
    got = stat(w[order][None, :].astype(np.float32))[0]
    rows = np.repeat(np.arange(n), w)
    ref = _harrell_point(t[rows], e[rows], s[rows])
    if math.isnan(ref):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12)
        assert 0.0 <= got <= 1.0


@pytest.mark.parametrize(
    ("strata", "how"), [(None, "percentile"), ("event", "bca"), ("groups", "bca")]
)
def test_harrell_bootstrap_on_case_weights_equals_row_bootstrap(
    rng, make_survival, monkeypatch, strata, how
):
    """The case-weight bootstrap draws the row bootstrap's replicates: same interval, same BCa."""
    import assess.metrics.concordance as conc

    t, e, s = make_survival(rng, 400, levels=12, time_levels=None)
    t = np.round(t, 2)
    if strata == "groups":
        strata = rng.integers(0, 3, t.size)
    kw = dict(ci="bootstrap", n_boot=150, seed=11, strata=strata, bootstrap_method=how, method="sort")
    fast = harrell_c(t, e, s, **kw)
    monkeypatch.setattr(conc, "WEIGHTED_MAX_LEVELS", 0)  # forces the row bootstrap
    slow = harrell_c(t, e, s, **kw, n_jobs=2)
    for field in ("estimate", "se", "lower", "upper"):
        assert getattr(fast, field) == pytest.approx(getattr(slow, field), abs=1e-12)
    assert fast.details["resampling"] == slow.details["resampling"]
    if how == "bca":
        assert fast.details["bca_acceleration"] == pytest.approx(
            slow.details["bca_acceleration"], abs=1e-12
        )


def test_harrell_jackknife_handles_pair_totals_beyond_int32():
    """From about 65 000 rows the pair total exceeds int32 while the per-row counts are int32;
    NumPy 2 raised OverflowError when mixing them (BCa on the sort path at n = 100 000)."""
    from assess.metrics.concordance import harrell_jackknife

    pairs = 3_764_521_485
    row_conc = np.array([40_000, 0], dtype=np.int32)
    row_tied = np.array([100, 0], dtype=np.int32)
    row_pairs = np.array([60_000, 1], dtype=np.int32)
    conc, tied = 2_500_000_000, 1_000_000
    got = harrell_jackknife(conc, tied, pairs, row_conc, row_tied, row_pairs)
    want = [
        (conc + 0.5 * tied - 40_000 - 50) / (pairs - 60_000),
        (conc + 0.5 * tied) / (pairs - 1),
    ]
    np.testing.assert_allclose(got, want, rtol=1e-15)
