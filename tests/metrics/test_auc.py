"""AUC and DeLong inference: against scikit-learn, brute-force DeLong and known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from assess.metrics.auc import auc, delong_test
from assess.metrics.tables import ScoreOutcomeTable


def brute_placements(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """DeLong structural components by explicit pairwise comparison (O(n^2))."""
    pos = s[y]
    neg = s[~y]
    kern = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return kern.mean(axis=1), kern.mean(axis=0), float(kern.mean())


def brute_delong_var(y: np.ndarray, s: np.ndarray) -> float:
    v10, v01, _ = brute_placements(y, s)
    return v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size


# --------------------------------------------------------------------------------- estimates


@pytest.mark.parametrize("levels", [2, 5, 40, None])
@pytest.mark.parametrize("method", ["auto", "sort", "table"])
def test_auc_matches_sklearn(rng, levels, method, make_binary):
    for _ in range(5):
        y, s = make_binary(rng, int(rng.integers(20, 400)), levels=levels)
        if y.all() or not y.any():
            continue
        r = auc(y, s, method=method)
        assert r.estimate == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert r.n == y.size and r.events == int(y.sum())


def test_known_answer():
    r = auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert r.estimate == 0.75
    # one tie between a positive and a negative counts 1/2
    assert auc([0, 1, 1], [1.0, 1.0, 2.0]).estimate == 0.75


@pytest.mark.parametrize("levels", [3, 12, None])
def test_delong_variance_matches_brute_force(rng, levels, make_binary):
    for _ in range(5):
        y, s = make_binary(rng, int(rng.integers(10, 120)), levels=levels)
        if y.sum() < 2 or (~y).sum() < 2:
            continue
        for method in ("sort", "table"):
            r = auc(y, s, method=method)
            assert r.se**2 == pytest.approx(brute_delong_var(y, s), rel=1e-12, abs=1e-15)


def test_table_equals_sort_path(rng, make_binary):
    for _ in range(10):
        y, s = make_binary(rng, int(rng.integers(5, 300)), levels=int(rng.integers(1, 30)))
        a = auc(y, s, method="sort")
        b = auc(y, s, method="table")
        if math.isnan(a.estimate):
            assert math.isnan(b.estimate)
            continue
        assert a.estimate == b.estimate  # both from the exact Mann-Whitney count
        assert a.se == pytest.approx(b.se, rel=1e-12, abs=1e-15)
        assert a.lower == pytest.approx(b.lower, rel=1e-12)


def test_logit_and_plain_intervals(make_binary):
    rng = np.random.default_rng(3)
    y, s = make_binary(rng, 300, levels=None)
    r = auc(y, s)
    z = norm.ppf(0.975)
    p, se = r.estimate, r.se
    lg = math.log(p / (1 - p))
    half = z * se / (p * (1 - p))
    assert r.lower == pytest.approx(1 / (1 + math.exp(-(lg - half))), rel=1e-12)
    assert r.upper == pytest.approx(1 / (1 + math.exp(-(lg + half))), rel=1e-12)
    assert r.ci_method == "delong-logit"
    plain = auc(y, s, ci_scale="plain", confidence_level=0.9)
    zp = norm.ppf(0.95)
    assert plain.lower == pytest.approx(p - zp * se, rel=1e-12)
    assert plain.upper == pytest.approx(p + zp * se, rel=1e-12)
    assert plain.ci_method == "delong-plain"


def test_result_prints_and_frames(rng, make_binary):
    y, s = make_binary(rng, 200)
    r = auc(y, s)
    assert "auc =" in str(r) and "delong-logit" in str(r)
    frame = r.to_frame()
    assert frame.loc[0, "metric"] == "auc" and frame.loc[0, "status"] == "ok"


# --------------------------------------------------------------------------------- edge cases


def test_one_class_is_undefined_with_reason():
    r = auc([1, 1, 1], [0.2, 0.5, 0.9])
    assert math.isnan(r.estimate) and "positives" in r.reason
    r = auc([0, 0], [0.2, 0.5])
    assert math.isnan(r.estimate) and "negatives" in r.reason
    r = auc([], [])
    assert math.isnan(r.estimate) and r.reason == "no observations"
    assert math.isnan(auc([1], [0.3]).estimate)


def test_single_score_level_gives_half_with_degenerate_interval():
    r = auc([0, 1, 0, 1, 1], [2, 2, 2, 2, 2])
    assert r.estimate == 0.5 and r.se == 0.0
    assert r.lower == r.upper == 0.5 and "degenerate" in r.details["ci_note"]


def test_perfect_separation():
    r = auc([0, 0, 1, 1], [1, 2, 3, 4])
    assert r.estimate == 1.0 and r.se == 0.0
    assert r.lower == r.upper == 1.0


def test_small_classes_have_no_delong_se():
    r = auc([0, 1, 1, 1], [1, 2, 3, 0])
    assert not math.isnan(r.estimate) and math.isnan(r.se)
    assert "at least 2" in r.details["ci_note"]


@pytest.mark.parametrize(
    "y, s, match",
    [
        (
            [0, 1, 1],
            [0.1, np.nan, np.nan],
            r"y_score contains 2 NaN value\(s\) \(first at positions \[1, 2\]\)",
        ),
        ([0, 1, 1], [0.1, 0.2], "same length"),
        ([0, 1, 2], [0.1, 0.2, 0.3], "0/1"),
        ([0, np.nan, 1], [0.1, 0.2, 0.3], "y_true contains 1 NaN"),
        ([0, 1, 1], [0.1, np.inf, 0.3], "y_score contains 1 NaN/infinite"),
    ],
)
def test_bad_inputs_raise(y, s, match):
    with pytest.raises(ValueError, match=match):
        auc(y, s)


def test_bad_options_raise(rng, make_binary):
    y, s = make_binary(rng, 50)
    with pytest.raises(ValueError, match="ci must be"):
        auc(y, s, ci="wald")
    with pytest.raises(ValueError, match="ci_scale"):
        auc(y, s, ci_scale="probit")
    with pytest.raises(ValueError, match="method"):
        auc(y, s, method="fast")


# --------------------------------------------------------------------------------- properties


labels_scores = st.integers(min_value=2, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(min_value=-5, max_value=5), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(labels_scores, st.randoms(use_true_random=False))
def test_properties(data, rnd):
    y = np.array(data[0])
    s = np.array(data[1], dtype=float)
    r = auc(y, s, method="sort")
    if y.all() or not y.any():
        assert math.isnan(r.estimate)
        return
    assert 0.0 <= r.estimate <= 1.0
    # order invariance
    perm = np.array(rnd.sample(range(y.size), y.size))
    assert auc(y[perm], s[perm], method="sort").estimate == r.estimate
    # reversing the score
    assert auc(y, -s).estimate == pytest.approx(1.0 - r.estimate, abs=1e-15)
    # strictly increasing transformation
    assert auc(y, np.exp(s / 3.0), method="sort").estimate == r.estimate
    # table path == sort path
    t = auc(y, s, method="table")
    assert t.estimate == r.estimate
    if not math.isnan(r.se):
        assert t.se == pytest.approx(r.se, rel=1e-12, abs=1e-15)


# --------------------------------------------------------------------------------- DeLong test


def brute_delong_test(y, a, b):
    a10, a01, auc_a = brute_placements(y, a)
    b10, b01, auc_b = brute_placements(y, b)
    s10 = np.cov(np.vstack((a10, b10)))
    s01 = np.cov(np.vstack((a01, b01)))
    cov = s10 / a10.size + s01 / a01.size
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    return auc_a - auc_b, math.sqrt(var)


def test_delong_test_matches_brute_force(rng, make_binary):
    for levels in (4, None):
        y, a = make_binary(rng, 150, levels=levels)
        b = a + rng.normal(0, 1.5, a.size)
        if levels:
            b = np.round(b)
        res = delong_test(y, a, b)
        diff, se = brute_delong_test(y, a, b)
        assert res.difference == pytest.approx(diff, abs=1e-12)
        assert res.se == pytest.approx(se, rel=1e-10)
        assert res.z == pytest.approx(diff / se, rel=1e-10)
        assert res.p_value == pytest.approx(2 * norm.sf(abs(diff / se)), rel=1e-9)
        assert res.auc_a == pytest.approx(roc_auc_score(y, a), abs=1e-12)
        assert res.auc_b == pytest.approx(roc_auc_score(y, b), abs=1e-12)
        z = norm.ppf(0.975)
        assert res.lower == pytest.approx(diff - z * se, rel=1e-9)


def test_delong_test_symmetry_and_output(rng, make_binary):
    y, a = make_binary(rng, 200, levels=None)
    b = a + rng.normal(0, 1, a.size)
    ab = delong_test(y, a, b)
    ba = delong_test(y, b, a)
    assert ab.difference == pytest.approx(-ba.difference)
    assert ab.p_value == pytest.approx(ba.p_value)
    assert "DeLong test" in str(ab)
    frame = ab.to_frame()
    assert frame.loc[0, "p_value"] == ab.p_value and frame.loc[0, "status"] == "ok"


def test_delong_test_degenerate():
    y = [0, 0, 1, 1, 1]
    s = [1, 2, 3, 4, 5]
    res = delong_test(y, s, [10, 20, 30, 40, 50])
    assert math.isnan(res.p_value) and "zero estimated variance" in res.reason
    res = delong_test([0, 1, 1], [1, 2, 3], [3, 2, 1])
    assert math.isnan(res.p_value) and "at least 2" in res.reason
    with pytest.raises(ValueError, match="score_b"):
        delong_test([0, 1], [1, 2], [1, np.nan])


# --------------------------------------------------------------------------------- tables & bootstrap


def test_table_protocol_merge_equals_whole(rng, make_binary):
    y, s = make_binary(rng, 500, levels=12)
    whole = ScoreOutcomeTable.from_arrays(y, s)
    state = ScoreOutcomeTable.empty()
    for chunk in np.array_split(np.arange(500), 7):
        state = state.update(y[chunk], s[chunk])
    left = ScoreOutcomeTable.from_arrays(y[:200], s[:200])
    right = ScoreOutcomeTable.from_arrays(y[200:], s[200:])
    for t in (state, left.merge(right), right.merge(left)):
        np.testing.assert_array_equal(t.levels, whole.levels)
        np.testing.assert_array_equal(t.positives, whole.positives)
        np.testing.assert_array_equal(t.negatives, whole.negatives)
    assert state.finalize().estimate == auc(y, s).estimate


def test_table_jackknife_is_exact(rng, make_binary):
    y, s = make_binary(rng, 60, levels=6)
    table = ScoreOutcomeTable.from_arrays(y, s)
    jk = table.auc_jackknife()
    L = table.levels.size
    for i in range(y.size):
        loo = roc_auc_score(np.delete(y, i), np.delete(s, i))
        cell = int(np.searchsorted(table.levels, s[i])) + (L if y[i] else 0)
        assert jk[cell] == pytest.approx(loo, abs=1e-12)


def test_bootstrap_interval_route(rng, make_binary):
    y, s = make_binary(rng, 400, levels=10)
    a = auc(y, s, ci="bootstrap", n_boot=300, seed=7)
    b = auc(y, s, ci="bootstrap", n_boot=300, seed=7)
    assert a.lower == b.lower and a.upper == b.upper
    assert a.ci_method == "bootstrap-bca" and a.details["n_boot"] == 300
    assert a.lower < a.estimate < a.upper
    # bootstrap SE close to the DeLong SE
    assert a.se == pytest.approx(auc(y, s).se, rel=0.25)
    srt = auc(y, s + 0.0, ci="bootstrap", n_boot=300, seed=7, method="sort")
    assert srt.se == pytest.approx(a.se, rel=0.25)
    pct = auc(y, s, ci="bootstrap", n_boot=300, seed=7, bootstrap_method="percentile", strata=None)
    assert pct.ci_method == "bootstrap-percentile"
