"""Cox regression against lifelines / statsmodels and the published Rossi results."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test
from lifelines.utils import concordance_index

from assess.metrics.cox import _harrell_counts, band_dummies, cox, per_sd

ROSSI = "/work/shared/data/rossi/rossi_lifelines.csv"
COLS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
TIGHT = {"precision": 1e-14, "r_precision": 1e-16}  # lifelines defaults stop at ~1e-8


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(ROSSI)


@pytest.fixture(scope="module")
def rossi_fit(rossi):
    return cox(rossi.week, rossi.arrest, rossi[COLS])


@pytest.fixture(scope="module")
def rossi_lifelines(rossi):
    return CoxPHFitter().fit(rossi, "week", "arrest", fit_options=TIGHT)


def test_rossi_published_values(rossi_fit):
    """Fox & Weisberg, 'Cox Proportional-Hazards Regression for Survival Data in R' (Efron ties)."""
    coef = dict(fin=-0.37942, age=-0.05744, race=0.31390, wexp=-0.14980, mar=-0.43370, paro=-0.08487, prio=0.09150)
    se = dict(fin=0.19138, age=0.02200, race=0.30799, wexp=0.21222, mar=0.38187, paro=0.19576, prio=0.02865)
    for j, name in enumerate(COLS):
        assert rossi_fit.coef[j] == pytest.approx(coef[name], abs=5e-6)
        assert rossi_fit.se[j] == pytest.approx(se[name], abs=5e-6)
    assert rossi_fit.lr_statistic == pytest.approx(33.27, abs=0.005)
    assert rossi_fit.df == 7
    assert rossi_fit.converged and rossi_fit.reason is None


def test_rossi_matches_lifelines(rossi_fit, rossi_lifelines):
    ref = rossi_lifelines
    np.testing.assert_allclose(rossi_fit.coef, ref.params_.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(rossi_fit.se, ref.standard_errors_.to_numpy(), atol=1e-9)
    assert rossi_fit.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-8)
    assert rossi_fit.lr_statistic == pytest.approx(ref.log_likelihood_ratio_test().test_statistic, abs=1e-7)
    assert rossi_fit.concordance.estimate == pytest.approx(ref.concordance_index_, abs=1e-12)
    summ = rossi_fit.summary
    np.testing.assert_allclose(summ["p"], ref.summary["p"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(summ["exp(coef) lower 95%"], ref.summary["exp(coef) lower 95%"].to_numpy(), rtol=1e-8)
    # Breslow baseline hazard and predicted survival
    h_ref = ref.baseline_cumulative_hazard_.iloc[:, 0]
    np.testing.assert_allclose(rossi_fit.baseline_cumulative_hazard(h_ref.index.to_numpy()), h_ref.to_numpy(), rtol=1e-8)
    x = pd.read_csv(ROSSI)[COLS].iloc[:20]
    s_ref = ref.predict_survival_function(x, times=[30]).to_numpy().ravel()
    np.testing.assert_allclose(1 - rossi_fit.predict_risk(x, 30), s_ref, rtol=1e-8)


@pytest.mark.parametrize("transform", ["km", "identity", "log"])
def test_ph_test_matches_lifelines(rossi, rossi_fit, rossi_lifelines, transform):
    ref = proportional_hazard_test(rossi_lifelines, rossi, time_transform=transform)
    mine = rossi_fit.proportional_hazards_test(transform).table
    np.testing.assert_allclose(mine["statistic"].to_numpy()[:-1], ref.test_statistic, rtol=1e-7)
    np.testing.assert_allclose(mine["p_value"].to_numpy()[:-1], ref.p_value, rtol=1e-6, atol=1e-12)


def test_ph_rank_matches_lifelines_without_ties():
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(size=(n, 2))
    t = rng.exponential(1 / np.exp(x @ [0.5, -0.3])) * (1 + 0.3 * (x[:, 0] > 0))
    e = rng.random(n) < 0.8
    df = pd.DataFrame(x, columns=["a", "b"]).assign(T=t, E=e.astype(int))
    ref = CoxPHFitter().fit(df, "T", "E", fit_options=TIGHT)
    fit = cox(t, e, df[["a", "b"]])
    mine = fit.proportional_hazards_test("rank").table
    np.testing.assert_allclose(mine["statistic"].to_numpy()[:-1], proportional_hazard_test(ref, df, time_transform="rank").test_statistic, rtol=1e-7)
    # global statistic: R survival < 3.0 formula from lifelines' own residuals
    r = ref.compute_residuals(df, "schoenfeld").to_numpy()
    ev_t = np.sort(t[e])
    g = np.argsort(np.argsort(ev_t)) + 1.0
    gc = g - g.mean()
    v = ref.variance_matrix_.to_numpy()
    test = gc @ r
    glob = test @ v @ test * e.sum() / (gc @ gc)
    assert mine["statistic"].iloc[-1] == pytest.approx(glob, rel=1e-6)


def test_ph_known_answer_fox_weisberg(rossi):
    """R survival 2.x cox.zph (transform 'km', left-continuous) for arrest ~ fin + age + prio,
    as printed in Fox & Weisberg's appendix: rho / chisq / GLOBAL."""
    fit = cox(rossi.week, rossi.arrest, rossi[["fin", "age", "prio"]])
    tab = fit.proportional_hazards_test("km-left").table.set_index("covariate")
    assert tab.loc["fin", "rho"] == pytest.approx(-0.00657, abs=5e-6)
    assert tab.loc["age", "rho"] == pytest.approx(-0.20976, abs=5e-6)
    assert tab.loc["prio", "rho"] == pytest.approx(-0.08004, abs=5e-6)
    assert tab.loc["fin", "statistic"] == pytest.approx(0.00507, abs=5e-6)
    assert tab.loc["age", "statistic"] == pytest.approx(6.54147, abs=5e-6)
    assert tab.loc["prio", "statistic"] == pytest.approx(0.77288, abs=5e-6)
    assert tab.loc["GLOBAL", "statistic"] == pytest.approx(7.13046, abs=5e-6)
    assert tab.loc["GLOBAL", "df"] == 3


def test_breslow_ties_match_statsmodels(rossi):
    from statsmodels.duration.hazard_regression import PHReg

    for ties in ("breslow", "efron"):
        ref = PHReg(rossi.week.to_numpy(), rossi[COLS].to_numpy(float), status=rossi.arrest.to_numpy(), ties=ties).fit(tol=1e-12)
        fit = cox(rossi.week, rossi.arrest, rossi[COLS], ties=ties)
        np.testing.assert_allclose(fit.coef, ref.params, atol=1e-7)
        np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-6)
        assert fit.log_likelihood == pytest.approx(ref.llf, abs=1e-7)


def test_score_and_wald_tests(rossi_fit, rossi_lifelines):
    # lifelines reports the LR test; the score and Wald tests are checked against their definitions
    b = rossi_fit.coef
    assert rossi_fit.wald_statistic == pytest.approx(float(b @ np.linalg.solve(rossi_fit.variance, b)))
    assert 30 < rossi_fit.score_statistic < 37
    assert 0 < rossi_fit.score_p_value < 1e-3


def test_single_score_and_helpers(rossi):
    rng = np.random.default_rng(0)
    score = rossi.prio + rng.integers(0, 3, len(rossi))
    sd_frame = per_sd(pd.Series(score, name="score"))
    fit = cox(rossi.week, rossi.arrest, sd_frame)
    df = sd_frame.assign(week=rossi.week, arrest=rossi.arrest)
    ref = CoxPHFitter().fit(df, "week", "arrest", fit_options=TIGHT)
    assert fit.names == ["score (per SD)"]
    # lifelines stops with a gradient of ~1e-6 here whatever the options; statsmodels goes further
    assert fit.coef[0] == pytest.approx(ref.params_.iloc[0], abs=1e-7)
    from statsmodels.duration.hazard_regression import PHReg

    sm_fit = PHReg(rossi.week.to_numpy(), sd_frame.to_numpy(), status=rossi.arrest.to_numpy(), ties="efron").fit(tol=1e-12)
    assert fit.coef[0] == pytest.approx(sm_fit.params[0], abs=1e-10)
    assert fit.se[0] == pytest.approx(sm_fit.bse[0], rel=1e-8)
    assert fit.hazard_ratios()[0].estimate == pytest.approx(math.exp(ref.params_.iloc[0]))
    band = pd.cut(score, [-1, 2, 5, 100], labels=["low", "medium", "high"])
    dummies = band_dummies(pd.Series(band, name="band"))
    assert list(dummies.columns) == ["band[medium]", "band[high]"]
    fit_b = cox(rossi.week, rossi.arrest, dummies)
    ref_b = CoxPHFitter().fit(dummies.assign(week=rossi.week, arrest=rossi.arrest), "week", "arrest", fit_options=TIGHT)
    np.testing.assert_allclose(fit_b.coef, ref_b.params_.to_numpy(), atol=1e-7)
    fit_ref_high = cox(rossi.week, rossi.arrest, band_dummies(band, reference="high", name="band"))
    assert fit_ref_high.names == ["band[low]", "band[medium]"]
    tidy = fit_b.to_frame()
    assert list(tidy["term"]) == ["band[medium]", "band[high]"] and {"hazard_ratio", "lower", "upper", "p_value"} <= set(tidy.columns)
    assert "exp(coef)" in str(fit_b)


@pytest.mark.parametrize("levels", [5, 40, 10**9])
def test_concordance_matches_lifelines(levels):
    rng = np.random.default_rng(levels % 97)
    n = 700
    t = rng.integers(1, 25, n).astype(float)
    e = rng.random(n) < 0.5
    x = rng.integers(0, levels, n).astype(float)
    c, tied, comp = _harrell_counts(t, e, x)
    assert (c + 0.5 * tied) / comp == pytest.approx(concordance_index(t, -x, e), abs=1e-12)


def test_edge_cases():
    t = np.array([1.0, 2, 3, 4, 5, 6])
    e = np.array([1, 0, 1, 0, 1, 0])
    no_ev = cox(t, np.zeros(6), np.arange(6.0))
    assert no_ev.reason and "no events" in no_ev.reason and np.isnan(no_ev.coef).all()
    assert no_ev.concordance.status == "undefined" and no_ev.hazard_ratios()[0].status == "undefined"
    const = cox(t, e, np.ones(6))
    assert "single value" in const.reason
    assert "undefined" in str(const)
    one = cox([3.0], [1], [1.0])
    assert one.reason
    # monotone likelihood: every event in the exposed group, all exposed fail first
    sep = cox(t, [1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0])
    assert sep.reason and not sep.converged
    with pytest.raises(ValueError, match="missing or infinite"):
        cox(t, e, [1, 2, np.nan, 4, 5, 6])
    with pytest.raises(ValueError, match="rows"):
        cox(t, e, np.ones(5))
    with pytest.raises(ValueError, match="ties"):
        cox(t, e, np.arange(6.0), ties="exact")
    with pytest.raises(TypeError, match="non-numeric"):
        cox(t, e, pd.DataFrame({"band": list("aabbcc")}))
    with pytest.raises(ValueError, match="no spread"):
        per_sd(np.ones(4))
    with pytest.raises(ValueError, match="single level"):
        band_dummies(["a", "a"])
    with pytest.raises(ValueError, match="reference level"):
        band_dummies(["a", "b"], reference="c")


def test_large_n_one_score_is_fast_and_correct():
    import time

    rng = np.random.default_rng(1)
    n = 200_000
    x = rng.integers(0, 40, n).astype(float)
    T = rng.exponential(1 / np.exp(0.04 * x))
    C = rng.exponential(2, n)
    t = np.ceil(np.minimum(T, C) * 365)
    e = T <= C
    t0 = time.perf_counter()
    fit = cox(t, e, x)
    elapsed = time.perf_counter() - t0
    assert fit.coef[0] == pytest.approx(0.04, abs=4 * fit.se[0])
    assert elapsed < 5.0


@settings(max_examples=25, deadline=None)
@given(st.integers(10, 60), st.integers(0, 10_000))
def test_cox_order_invariance(n, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 10, n).astype(float)
    e = rng.random(n) < 0.7
    x = rng.normal(size=(n, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(t, e, x)
        perm = rng.permutation(n)
        fit2 = cox(t[perm], e[perm], x[perm])
    if fit.reason:
        assert fit2.reason
        return
    np.testing.assert_allclose(fit.coef, fit2.coef, rtol=1e-7, atol=1e-9)
    assert fit.log_likelihood == pytest.approx(fit2.log_likelihood, rel=1e-10)
    assert fit.log_likelihood >= fit.log_likelihood_null - 1e-9
    assert 0 <= fit.concordance.estimate <= 1
    assert fit.concordance.estimate == pytest.approx(fit2.concordance.estimate, abs=1e-12)
