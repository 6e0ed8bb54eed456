"""Building blocks against independent references: DeLong, IJ variance, LR tests, calibration."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.additionality import (
    criterion_verdict,
    nested_cox_test,
    nested_logistic_test,
    paired_auc,
    paired_brier,
    paired_harrell_c,
)
from assess.additionality.paired import concordance_influence
from assess.additionality.resample import (
    calibration_slope_cells_batch,
    ici_cells,
    ici_cells_batch,
)
from assess.additionality.verdict import mirror_verdict
from assess.metrics import calibration_slope, delong_test, harrell_c, integrated_calibration_index


def _survival(n, seed, levels=12):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, levels, n).astype(float)
    b = a + rng.integers(-2, 3, n)
    t = rng.exponential(1.0 / np.exp(0.15 * a), n).round(2)
    c = rng.uniform(0.2, 3.0, n)
    e = t <= c
    return np.minimum(t, c.round(2)), e, a, b


def test_paired_auc_equals_delong_test():
    rng = np.random.default_rng(1)
    y = rng.random(800) < 0.3
    a = rng.normal(size=800) + y
    b = a + rng.normal(scale=0.8, size=800)
    d = paired_auc(y, a, b)
    ref = delong_test(y, b, a)
    assert d.difference == pytest.approx(ref.difference, abs=1e-12)
    assert (d.lower, d.upper, d.p_value) == pytest.approx((ref.lower, ref.upper, ref.p_value), abs=1e-12)
    from sklearn.metrics import roc_auc_score

    assert d.base_value == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert d.integrated_value == pytest.approx(roc_auc_score(y, b), abs=1e-12)


def test_ij_single_score_matches_harrell_c_and_lifelines():
    from lifelines.utils import concordance_index

    t, e, a, _ = _survival(600, 2)
    c, infl, _ = concordance_influence(t, e, a)
    ref = harrell_c(t, e, a)
    assert c == pytest.approx(ref.estimate, abs=1e-12)
    assert c == pytest.approx(concordance_index(t, -a, e), abs=1e-12)
    assert math.sqrt(float(infl @ infl)) == pytest.approx(ref.se, rel=1e-10)
    assert float(infl.sum()) == pytest.approx(0.0, abs=1e-12)


def _weighted_c(t, e, s, w):
    """Brute-force O(n^2) weighted Harrell C (independent of the package's pair counting)."""
    ti, tj = t[:, None], t[None, :]
    comp = e[:, None] & ((ti < tj) | ((ti == tj) & ~e[None, :]))
    conc = (s[:, None] > s[None, :]) + 0.5 * (s[:, None] == s[None, :])
    ww = w[:, None] * w[None, :]
    return float(np.sum(ww * comp * conc) / np.sum(ww * comp))


def test_paired_ij_variance_equals_numerical_derivative():
    t, e, a, b = _survival(120, 3, levels=6)
    d = paired_harrell_c(t, e, a, b)
    n = t.size
    eps = 1e-6
    grad = np.empty(n)
    for k in range(n):
        w = np.ones(n)
        w[k] += eps
        up = _weighted_c(t, e, b, w) - _weighted_c(t, e, a, w)
        w[k] -= 2 * eps
        down = _weighted_c(t, e, b, w) - _weighted_c(t, e, a, w)
        grad[k] = (up - down) / (2 * eps)
    assert d.se == pytest.approx(math.sqrt(float(grad @ grad)), rel=1e-5)
    assert d.difference == pytest.approx(_weighted_c(t, e, b, np.ones(n)) - _weighted_c(t, e, a, np.ones(n)), abs=1e-12)


def test_paired_ij_identical_scores_have_zero_variance():
    t, e, a, _ = _survival(200, 4)
    d = paired_harrell_c(t, e, a, a * 2 + 1)
    assert d.difference == 0.0 and d.se == 0.0 and math.isnan(d.lower)
    assert d.reason


def test_paired_brier_against_direct_formula():
    rng = np.random.default_rng(5)
    y = rng.random(500) < 0.4
    pa, pb = rng.uniform(0.1, 0.9, 500), rng.uniform(0.1, 0.9, 500)
    d = paired_brier(y, pa, pb)
    diff = (y - pb) ** 2 - (y - pa) ** 2
    assert d.difference == pytest.approx(diff.mean(), abs=1e-14)
    assert d.se == pytest.approx(diff.std(ddof=1) / math.sqrt(500), rel=1e-12)
    from sklearn.metrics import brier_score_loss

    assert d.base_value == pytest.approx(brier_score_loss(y, pa), abs=1e-14)


def test_nested_logistic_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(6)
    n = 3000
    a = rng.integers(0, 30, n).astype(float)
    s = rng.integers(0, 20, (n, 2)).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + 0.08 * a - 0.05 * s[:, 0])))).astype(float)
    res = nested_logistic_test(y, a, pd.DataFrame(s, columns=["s1", "s2"]))
    m0 = sm.Logit(y, sm.add_constant(a)).fit(disp=0, tol=1e-12, maxiter=100)
    m1 = sm.Logit(y, sm.add_constant(np.column_stack([a, s]))).fit(disp=0, tol=1e-12, maxiter=100)
    assert res.loglik_base == pytest.approx(m0.llf, abs=1e-6)
    assert res.loglik_full == pytest.approx(m1.llf, abs=1e-6)
    assert res.statistic == pytest.approx(2 * (m1.llf - m0.llf), abs=1e-6)
    assert res.df == 2 and res.terms == ("s1", "s2")
    assert res.coefficients["s1"] == pytest.approx(m1.params[2], abs=1e-6)


def test_nested_cox_matches_lifelines():
    from lifelines import CoxPHFitter

    t, e, a, b = _survival(1500, 7)
    s = (b - a)[:, None]
    res = nested_cox_test(t, e, a, s)
    df = pd.DataFrame({"t": t, "e": e.astype(int), "a": a, "s": s[:, 0]})
    f0 = CoxPHFitter().fit(df[["t", "e", "a"]], "t", "e")
    f1 = CoxPHFitter().fit(df, "t", "e")
    assert res.loglik_base == pytest.approx(f0.log_likelihood_, abs=1e-6)
    assert res.loglik_full == pytest.approx(f1.log_likelihood_, abs=1e-6)
    assert res.statistic == pytest.approx(2 * (f1.log_likelihood_ - f0.log_likelihood_), abs=1e-6)


def test_cell_calibration_statistics_equal_metrics_on_resampled_rows():
    rng = np.random.default_rng(8)
    u = np.unique(rng.uniform(0.05, 0.9, 150).round(3))
    n = 3000
    idx = rng.integers(0, u.size, n)
    y = rng.random(n) < u[idx] ** 1.3
    draws = rng.integers(0, n, (6, n))
    cnt = np.stack([np.bincount(idx[d], minlength=u.size) for d in draws]).astype(float)
    sy = np.stack([np.bincount(idx[d], weights=y[d], minlength=u.size) for d in draws])
    ici = ici_cells_batch(u, cnt, sy)
    slope = calibration_slope_cells_batch(u, cnt, sy)
    for r, d in enumerate(draws):
        assert ici[r] == pytest.approx(integrated_calibration_index(y[d], u[idx[d]]).estimate, abs=1e-10)
        assert ici[r] == pytest.approx(ici_cells(u, cnt[r], sy[r]), abs=1e-12)
        assert slope[r] == pytest.approx(calibration_slope(y[d], u[idx[d]]).estimate, abs=1e-8)


def test_verdict_rule():
    assert criterion_verdict(0.001, 0.01) == "additive"
    assert criterion_verdict(-0.01, -0.001, margin=0.05) == "dilutes"
    assert criterion_verdict(-0.005, 0.004, margin=0.01) == "non-inferior"
    assert criterion_verdict(-0.02, 0.004, margin=0.01) == "inconclusive"
    assert criterion_verdict(-0.005, 0.004) == "inconclusive"
    assert criterion_verdict(float("nan"), 0.1) == "inconclusive"
    assert criterion_verdict(-0.01, -0.001, higher_is_better=False) == "additive"


@settings(max_examples=40, deadline=None)
@given(
    lo=st.floats(-1, 1, allow_nan=False),
    width=st.floats(0, 1, allow_nan=False),
    higher=st.booleans(),
)
def test_verdict_mirrors_when_swapped(lo, width, higher):
    hi = lo + width
    v = criterion_verdict(lo, hi, higher_is_better=higher)
    assert criterion_verdict(-hi, -lo, higher_is_better=higher) == mirror_verdict(v)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 200))
def test_swapping_negates_paired_differences(seed, n):
    t, e, a, b = _survival(n, seed, levels=8)
    if e.sum() < 2:
        return
    fwd, rev = paired_harrell_c(t, e, a, b), paired_harrell_c(t, e, b, a)
    assert rev.difference == pytest.approx(-fwd.difference, abs=1e-12)
    if not math.isnan(fwd.lower):
        assert (rev.lower, rev.upper) == pytest.approx((-fwd.upper, -fwd.lower), abs=1e-12)
        # additive <-> dilutes (non-inferiority is one-sided, so it need not mirror)
        assert criterion_verdict(rev.lower, rev.upper) == mirror_verdict(criterion_verdict(fwd.lower, fwd.upper))
    y = e
    if 2 <= y.sum() <= n - 2:
        fa, ra = paired_auc(y, a, b), paired_auc(y, b, a)
        assert ra.difference == pytest.approx(-fa.difference, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_paired_c_row_order_invariant(seed):
    t, e, a, b = _survival(150, seed, levels=8)
    perm = np.random.default_rng(seed + 1).permutation(t.size)
    d1 = paired_harrell_c(t, e, a, b)
    d2 = paired_harrell_c(t[perm], e[perm], a[perm], b[perm])
    assert d2.difference == pytest.approx(d1.difference, abs=1e-12)
    if not math.isnan(d1.se):
        assert d2.se == pytest.approx(d1.se, rel=1e-10)
