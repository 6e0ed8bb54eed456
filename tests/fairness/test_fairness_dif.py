"""Logistic-regression DIF and its regression engines against statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.multitest import multipletests

from assess.fairness._glm import fit_cumulative_logit, fit_logistic
from assess.fairness.dif import adjust_pvalues, logistic_dif


def _simulate_binary(n=3000, n_items=10, seed=1, dif_item=3, uniform=0.8, nonuniform=0.0, impact=0.0):
    """Rasch-like items from a latent trait; item ``dif_item`` is harder/easier for group B
    (uniform) or discriminates differently (non-uniform)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B"], n)
    theta = rng.normal(size=n) + impact * (g == "B")
    b = np.linspace(-1.5, 1.5, n_items)
    eta = theta[:, None] - b[None, :]
    isb = (g == "B").astype(float)
    eta[:, dif_item] += uniform * isb + nonuniform * isb * theta
    x = (rng.random((n, n_items)) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame(x, columns=[f"item{j}" for j in range(n_items)]), g


def _simulate_ordinal(n=3000, n_items=8, seed=2, dif_item=2, shift=0.9):
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B"], n)
    theta = rng.normal(size=n)
    lat = theta[:, None] + rng.logistic(size=(n, n_items))
    lat[:, dif_item] += shift * (g == "B")
    x = np.digitize(lat, [-1.0, 0.0, 1.0])
    return pd.DataFrame(x, columns=[f"q{j}" for j in range(n_items)]), g


# ----------------------------------------------------------------------------- engines


def test_fit_logistic_matches_statsmodels():
    rng = np.random.default_rng(0)
    x = sm.add_constant(rng.normal(size=(800, 3)))
    y = (rng.random(800) < 1 / (1 + np.exp(-(x @ [0.2, 0.5, -1.0, 0.3])))).astype(float)
    ours = fit_logistic(x, y)
    ref = sm.Logit(y, x).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), ref.bse, atol=1e-8)
    assert ours.loglik == pytest.approx(ref.llf, abs=1e-6)
    assert ours.converged


def test_fit_logistic_frequency_weights_equal_expanded_rows():
    rng = np.random.default_rng(1)
    xs = rng.integers(0, 5, 300).astype(float)
    y = (rng.random(300) < 1 / (1 + np.exp(-(xs - 2)))).astype(float)
    cells, counts = np.unique(np.column_stack([xs, y]), axis=0, return_counts=True)
    collapsed = fit_logistic(sm.add_constant(cells[:, 0]), cells[:, 1], counts)
    full = fit_logistic(sm.add_constant(xs), y)
    ref = sm.GLM(cells[:, 1], sm.add_constant(cells[:, 0]), family=sm.families.Binomial(), freq_weights=counts).fit(tol=1e-12)
    np.testing.assert_allclose(collapsed.params, full.params, atol=1e-10)
    np.testing.assert_allclose(collapsed.params, ref.params, atol=1e-8)
    assert collapsed.loglik == pytest.approx(full.loglik, abs=1e-8)
    assert collapsed.loglik == pytest.approx(ref.llf, abs=1e-6)


def test_fit_logistic_reports_separation():
    x = sm.add_constant(np.arange(10.0))
    y = (np.arange(10) >= 5).astype(float)
    assert not fit_logistic(x, y).converged


def _ordered_model(y, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=0, maxiter=5000, gtol=1e-10)
    k = x.shape[1]
    th = m.params[k:]
    theta = np.r_[th[0], th[0] + np.cumsum(np.exp(th[1:]))]
    return m, theta


def test_fit_cumulative_logit_matches_statsmodels_ordered_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, 2))
    y = np.digitize(x @ [0.5, -1.0] + rng.logistic(size=1500), [-1.0, 0.5, 2.0])
    ours = fit_cumulative_logit(x, y, 4)
    ref, theta = _ordered_model(y, x)
    np.testing.assert_allclose(ours.params[3:], ref.params[:2], atol=1e-6)
    np.testing.assert_allclose(ours.params[:3], theta, atol=1e-6)
    assert ours.loglik == pytest.approx(ref.llf, abs=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov))[3:], ref.bse[:2], atol=1e-5)


def test_fit_cumulative_logit_with_weights_equals_expanded():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, 500).astype(float)
    y = np.digitize(0.6 * x + rng.logistic(size=500), [1.0, 2.5, 4.0])
    cells, counts = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
    a = fit_cumulative_logit(cells[:, :1], cells[:, 1].astype(int), 4, counts)
    b = fit_cumulative_logit(x[:, None], y, 4)
    np.testing.assert_allclose(a.params, b.params, atol=1e-9)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)


def test_cumulative_logit_needs_every_category():
    with pytest.raises(ValueError, match="every response category"):
        fit_cumulative_logit(np.zeros((3, 1)), np.array([0, 0, 2]), 3)


# ----------------------------------------------------------------------------- multiplicity


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=25))
def test_adjust_pvalues_match_statsmodels(p):
    p = np.array(p)
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        np.testing.assert_allclose(adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], atol=1e-12)


def test_adjust_pvalues_keeps_nan():
    out = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.04])


# ----------------------------------------------------------------------------- DIF


def test_lr_statistics_match_statsmodels_binary():
    items, g = _simulate_binary(n=1200, n_items=6, seed=5)
    res = logistic_dif(items, g, purify=False)
    total = items.sum(axis=1).to_numpy(float)
    isa = (g == "A").astype(float)  # reference is the larger group
    ref_is_b = res.reference == "B"
    dummy = isa if ref_is_b else 1 - isa
    for j, col in enumerate(items.columns):
        y = items[col].to_numpy(float)
        x0 = sm.add_constant(total)
        x1 = np.column_stack([x0, dummy])
        x2 = np.column_stack([x1, dummy * total])
        ll = [sm.Logit(y, x).fit(disp=0, tol=1e-12).llf for x in (x0, x1, x2)]
        row = res.table.iloc[j]
        assert row["chi2_uniform"] == pytest.approx(2 * (ll[1] - ll[0]), abs=1e-6)
        assert row["chi2_nonuniform"] == pytest.approx(2 * (ll[2] - ll[1]), abs=1e-6)
        assert row["chi2_total"] == pytest.approx(2 * (ll[2] - ll[0]), abs=1e-6)
        assert row["p_total"] == pytest.approx(chi2.sf(2 * (ll[2] - ll[0]), 2), abs=1e-9)
        null = sm.Logit(y, np.ones_like(y)).fit(disp=0).llf
        n = y.size

        def r2(llm, null=null, n=n):
            return (1 - np.exp(2 * (null - llm) / n)) / (1 - np.exp(2 * null / n))

        assert row["delta_r2_total"] == pytest.approx(r2(ll[2]) - r2(ll[0]), abs=1e-9)


def test_lr_statistics_match_statsmodels_ordinal():
    items, g = _simulate_ordinal(n=800, n_items=4, seed=6)
    res = logistic_dif(items, g, purify=False)
    total = items.sum(axis=1).to_numpy(float)
    dummy = (g != res.reference).astype(float)
    col = "q2"
    y = items[col].to_numpy()
    xc = (total - total.mean())[:, None]
    lls = []
    for x in (xc, np.column_stack([xc, dummy]), np.column_stack([xc, dummy, dummy * xc[:, 0]])):
        m, _ = _ordered_model(y, x)
        lls.append(m.llf)
    row = res.table.set_index("item").loc[col]
    assert row["model"] == "cumulative logit"
    assert row["chi2_uniform"] == pytest.approx(2 * (lls[1] - lls[0]), abs=1e-6)
    assert row["chi2_total"] == pytest.approx(2 * (lls[2] - lls[0]), abs=1e-6)


def test_biased_binary_item_flagged_unbiased_not():
    items, g = _simulate_binary(n=3000, n_items=10, seed=1, dif_item=3, uniform=0.8)
    res = logistic_dif(items, g)
    assert res.flagged == ["item3"]
    row = res.table.set_index("item").loc["item3"]
    assert row["p_uniform_adj"] < 1e-6
    # group B finds the item easier at the same total: positive log odds ratio for B (or negative for A)
    col = [c for c in res.table.columns if c.startswith("log_odds_ratio[")][0]
    focal = col[len("log_odds_ratio[") : -1]
    assert (row[col] > 0) == (focal == "B")
    assert "item3" in str(res)


def test_nonuniform_dif_detected_by_interaction_test():
    items, g = _simulate_binary(n=4000, n_items=10, seed=3, dif_item=5, uniform=0.0, nonuniform=1.2)
    res = logistic_dif(items, g)
    assert res.flagged == ["item5"]
    row = res.table.set_index("item").loc["item5"]
    assert row["p_nonuniform_adj"] < 1e-4


def test_biased_ordinal_item_flagged_both_ways():
    items, g = _simulate_ordinal(n=3000, n_items=8, seed=2, dif_item=2)
    cum = logistic_dif(items, g, adjust="bh")
    assert cum.flagged == ["q2"]
    assert (cum.table["model"] == "cumulative logit").all()
    dich = logistic_dif(items, g, ordinal="dichotomise", threshold=2)
    assert dich.flagged == ["q2"]
    assert dich.table["model"].str.contains("dichotomised at >= 2").all()


def test_no_dif_no_flags():
    items, g = _simulate_binary(n=3000, n_items=12, seed=9, uniform=0.0)
    assert logistic_dif(items, g).flagged == []


def test_impact_without_dif_has_negligible_effect_sizes():
    # groups differ in the latent mean (impact) but no item is biased: the sum score is an
    # imperfect matching criterion, so large samples can make tiny DIF significant; requiring at
    # least moderate effect size (Jodoin and Gierl 2001) removes such flags
    items, g = _simulate_binary(n=3000, n_items=12, seed=9, uniform=0.0, impact=0.5)
    res = logistic_dif(items, g, min_effect=0.035)
    assert res.flagged == []
    assert (res.table["effect"] == "A (negligible)").all()


def test_three_groups_degrees_of_freedom_and_reference():
    rng = np.random.default_rng(4)
    items, _ = _simulate_binary(n=1500, n_items=6, seed=4, uniform=0.0)
    g = rng.choice(["x", "y", "z"], 1500)
    res = logistic_dif(items, g, reference="y")
    assert res.reference == "y"
    assert (res.table["df_uniform"] == 2).all() and (res.table["df_total"] == 4).all()
    assert {"log_odds_ratio[x]", "log_odds_ratio[z]"} <= set(res.table.columns)


def test_rest_score_and_min_effect():
    items, g = _simulate_binary(n=3000, n_items=10, seed=1)
    rest = logistic_dif(items, g, matching="rest", purify=False)
    assert rest.settings["matching"] == "rest"
    strict = logistic_dif(items, g, min_effect=0.5)
    assert strict.flagged == []


def test_dif_input_errors():
    items, g = _simulate_binary(n=200, n_items=4, seed=1)
    bad = items.astype(float)
    bad.iloc[0, 0] = 0.5
    with pytest.raises(ValueError, match="non-negative integers"):
        logistic_dif(bad, g)
    miss = items.astype(float)
    miss.iloc[[1, 2], 1] = np.nan
    with pytest.raises(ValueError, match="2 rows have missing"):
        logistic_dif(miss, g)
    assert logistic_dif(miss, g, missing="drop").settings["dropped"] == 2
    with pytest.raises(ValueError, match="at least two groups"):
        logistic_dif(items, np.repeat("A", 200))
    with pytest.raises(ValueError, match="two items"):
        logistic_dif(items[["item0"]], g)
    with_group = items.assign(grp=g)
    assert logistic_dif(with_group, "grp").table.shape[0] == 4
