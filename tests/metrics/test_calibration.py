"""Calibration statistics against statsmodels / lifelines, known answers and properties."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter
from scipy.special import logit
from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess
from statsmodels.stats.proportion import proportion_confint

from assess.metrics.calibration import (
    CalibrationBinsState,
    calibration,
    calibration_curve,
    calibration_in_the_large,
    calibration_slope,
    integrated_calibration_index,
    loess,
    observed_expected_ratio,
    survival_calibration,
)

TIGHT = {"precision": 1e-14, "r_precision": 1e-16}
# the module, not the function of the same name that assess.metrics may re-export
calmod = importlib.import_module("assess.metrics.calibration")


def _binary(seed: int, n: int = 1500, miscal: float = 1.3, discrete: bool = False):
    rng = np.random.default_rng(seed)
    if discrete:
        p = rng.choice(np.linspace(0.04, 0.7, 15), n)
    else:
        p = rng.beta(2, 5, n)
    true = 1 / (1 + np.exp(-(0.2 + miscal * logit(p))))
    y = (rng.random(n) < true).astype(float)
    return y, p


@pytest.mark.parametrize("discrete", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_citl_and_slope_match_statsmodels(seed, discrete):
    y, p = _binary(seed, discrete=discrete)
    lp = logit(p)
    ref_citl = sm.GLM(y, np.ones(y.size), family=sm.families.Binomial(), offset=lp).fit(tol=1e-14)
    ref_slope = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit(tol=1e-14)
    citl = calibration_in_the_large(y, p)
    slope = calibration_slope(y, p)
    assert citl.estimate == pytest.approx(ref_citl.params[0], abs=1e-8)
    assert citl.se == pytest.approx(ref_citl.bse[0], abs=1e-8)
    assert citl.ci == pytest.approx(tuple(ref_citl.conf_int()[0]), abs=1e-8)
    assert slope.estimate == pytest.approx(ref_slope.params[1], abs=1e-8)
    assert slope.se == pytest.approx(ref_slope.bse[1], abs=1e-8)
    assert slope.ci == pytest.approx(tuple(ref_slope.conf_int()[1]), abs=1e-8)
    assert slope.details["intercept"] == pytest.approx(ref_slope.params[0], abs=1e-8)


def test_observed_expected_ratio():
    y, p = _binary(3)
    oe = observed_expected_ratio(y, p)
    o, e, n = y.sum(), p.sum(), y.size
    assert oe.estimate == pytest.approx(o / e)
    se = math.sqrt((1 - o / n) / o)
    assert oe.se == pytest.approx(se)
    assert oe.lower == pytest.approx(o / e * math.exp(-1.959963984540054 * se))
    assert oe.details["observed"] == o


@pytest.mark.parametrize("frac", [0.2, 0.5, 0.75])
@pytest.mark.parametrize("discrete", [False, True])
def test_loess_degree1_matches_statsmodels_lowess(frac, discrete):
    y, p = _binary(5, n=800, discrete=discrete)
    ref = sm_lowess(y, p, frac=frac, it=0, delta=0.0, return_sorted=False)
    np.testing.assert_allclose(loess(p, y, span=frac, degree=1), ref, atol=1e-10)


def _brute_local_quadratic(x, y, x0, span):
    n = x.size
    q = int(span * n + 1e-10)
    d = np.abs(x - x0)
    h = np.sort(d)[q - 1]
    w = np.clip(1 - (d / h) ** 3, 0, None) ** 3
    design = np.column_stack([np.ones(n), x - x0, (x - x0) ** 2])
    sw = np.sqrt(w)
    return np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0][0]


def test_loess_degree2_matches_weighted_least_squares():
    y, p = _binary(6, n=600)
    pts = np.quantile(p, [0.0, 0.1, 0.37, 0.5, 0.9, 1.0])
    mine = loess(p, y, span=0.75, degree=2, evaluate_at=pts)
    ref = [_brute_local_quadratic(p, y, x0, 0.75) for x0 in pts]
    np.testing.assert_allclose(mine, ref, atol=1e-10)
    # evaluation at the data equals evaluation at each point separately
    some = p[:5]
    np.testing.assert_allclose(loess(p, y)[:5], [_brute_local_quadratic(p, y, x0, 0.75) for x0 in some], atol=1e-10)


def test_loess_grid_mode_is_close_to_exact(monkeypatch):
    y, p = _binary(7, n=4000, miscal=1.0)
    exact = loess(p, y)
    monkeypatch.setattr(calmod, "_MAX_WORK", 1e5)  # force the grid + Hermite interpolation path
    monkeypatch.setattr(calmod, "_MAX_POINTS", 1000)  # and pooling of distinct values
    approx, method = calmod._loess_core(p, y, 0.75, 2, p)
    assert "grid" in method
    # deliberately coarse here (100 grid points, 1000 pooled cells); the defaults are finer
    assert np.max(np.abs(approx - exact)) < 5e-4
    assert abs(np.mean(np.abs(approx - p)) - np.mean(np.abs(exact - p))) < 2e-5


def test_ici_definition():
    y, p = _binary(8)
    smooth = loess(p, y)
    diff = np.abs(smooth - p)
    ici = integrated_calibration_index(y, p)
    assert ici.estimate == pytest.approx(diff.mean(), abs=1e-14)
    assert ici.details["e50"] == pytest.approx(np.median(diff))
    assert ici.details["e90"] == pytest.approx(np.quantile(diff, 0.9))
    assert ici.details["emax"] == pytest.approx(diff.max())
    res = calibration(y, p)
    assert res.ici.estimate == pytest.approx(ici.estimate, abs=1e-14)
    assert res.emax.estimate == pytest.approx(diff.max())


def test_perfectly_calibrated_known_answer():
    rng = np.random.default_rng(42)
    n = 20_000
    p = rng.beta(2, 5, n)
    y = (rng.random(n) < p).astype(float)
    res = calibration(y, p)
    assert res.calibration_slope.lower < 1 < res.calibration_slope.upper
    assert res.calibration_in_the_large.lower < 0 < res.calibration_in_the_large.upper
    assert res.observed_expected.lower < 1 < res.observed_expected.upper
    assert res.ici.estimate < 0.01
    assert res.e90.estimate < 0.02
    # a miscalibrated predictor (too extreme, too high) is detected
    bad = calibration(y, np.clip(p * 1.4, 0, 0.999))
    assert bad.calibration_slope.upper < 1 and bad.calibration_in_the_large.upper < 0
    assert bad.ici.estimate > 0.05


def test_binned_curve_and_wilson():
    y, p = _binary(9)
    curve = calibration_curve(y, p, bins=10)
    assert len(curve) == 10 and curve["n"].sum() == y.size
    lo, hi = proportion_confint(curve["events"], curve["n"], method="wilson")
    np.testing.assert_allclose(curve["observed_lower"], lo, atol=1e-12)
    np.testing.assert_allclose(curve["observed_upper"], hi, atol=1e-12)
    # fixed edges and uniform bins
    edges = [0, 0.1, 0.2, 0.4, 1.0]
    c2 = calibration_curve(y, p, bins=edges)
    assert c2["n"].sum() == y.size
    m = (p >= 0.1) & (p < 0.2)
    row = c2[c2["lower_edge"] == 0.1].iloc[0]
    assert row["n"] == m.sum() and row["mean_predicted"] == pytest.approx(p[m].mean())
    assert len(calibration_curve(y, p, bins=5, strategy="uniform")) <= 5
    # ties stay in one bin
    yd, pd_ = _binary(9, discrete=True)
    cd = calibration_curve(yd, pd_, bins=10)
    for _, r in cd.iterrows():
        assert r["n"] == np.sum((pd_ >= r["lower_edge"]) & ((pd_ < r["upper_edge"]) | (r["upper_edge"] == pd_.max())))


def test_bins_state_merge_equals_full():
    y, p = _binary(10)
    edges = np.linspace(0, 1, 11)
    full = CalibrationBinsState(edges).update(y, p)
    parts = np.array_split(np.arange(y.size), 3)
    merged = CalibrationBinsState(edges).update(y[parts[0]], p[parts[0]])
    for i in parts[1:]:
        merged = merged.merge(CalibrationBinsState(edges).update(y[i], p[i]))
    pd.testing.assert_frame_equal(merged.curve(), full.curve())
    assert merged.finalize().estimate == pytest.approx(observed_expected_ratio(y, p).estimate)
    with pytest.raises(ValueError, match="different bin edges"):
        merged.merge(CalibrationBinsState(np.linspace(0, 1, 5)))


def test_result_object_prints_and_tidies():
    y, p = _binary(11)
    res = calibration(y, p)
    text = str(res)
    assert "calibration_slope" in text and "Wilson" in text
    frame = res.to_frame()
    assert list(frame["metric"]) == ["observed_expected_ratio", "calibration_in_the_large", "calibration_slope", "ici", "e50", "e90", "emax"]
    assert set(res.smooth.columns) == {"predicted", "observed"}
    assert len(res.smooth) == min(1000, np.unique(p).size)


def test_edge_cases():
    # one class only
    res = calibration(np.zeros(20), np.linspace(0.1, 0.5, 20))
    assert res.calibration_slope.status == "undefined" and "one outcome class" in res.calibration_slope.reason
    assert res.calibration_in_the_large.status == "undefined"
    assert res.observed_expected.estimate == 0
    # single predicted value
    y = np.array([0, 1, 0, 1, 1, 0], float)
    one = calibration(y, np.full(6, 0.4))
    assert "equal" in one.calibration_slope.reason
    assert one.calibration_in_the_large.status == "ok"
    assert one.ici.estimate == pytest.approx(abs(0.5 - 0.4))
    # probabilities exactly 0 or 1
    p01 = np.array([0.0, 0.2, 0.5, 0.7, 1.0, 0.3])
    r01 = calibration(y, p01)
    assert "exactly 0 or 1" in r01.calibration_slope.reason and "clip" in r01.calibration_slope.reason
    assert r01.ici.status == "ok"
    assert calibration_slope(y, p01, clip=1e-6).status == "ok"
    # perfect separation
    sep = calibration_slope([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    assert sep.status == "undefined" and "converge" in sep.reason
    # n = 1
    r1 = calibration([1], [0.3])
    assert r1.ici.status == "undefined" and r1.calibration_slope.status == "undefined"
    with pytest.raises(ValueError, match="y_prob must be probabilities"):
        calibration([0, 1], [0.2, 1.2])
    with pytest.raises(ValueError, match="y_prob contains"):
        calibration([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match="y_true contains"):
        calibration([0, np.nan], [0.2, 0.3])
    with pytest.raises(ValueError, match="clip"):
        calibration_slope(y, p01, clip=0.7)
    with pytest.raises(ValueError, match="not y_true"):
        calibration([0, 1], [0.2, 0.3], time=[1, 2], event=[1, 0], horizon=1)
    with pytest.raises(ValueError, match="span"):
        loess([0, 1, 2], [0, 1, 0], span=0)


# ---------------------------------------------------------------------------------------------
# survival calibration
# ---------------------------------------------------------------------------------------------


def _surv_data(seed: int, n: int = 2000, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    lp = rng.normal(size=n)
    T = rng.exponential(1 / (0.3 * np.exp(lp)))
    C = rng.uniform(0, 6, n)
    t = np.minimum(T, C)
    e = T <= C
    h = 2.0
    risk = 1 - np.exp(-0.3 * h * np.exp(lp * scale))
    return t, e, risk, h


def test_survival_calibration_against_lifelines():
    t, e, risk, h = _surv_data(1)
    res = survival_calibration(t, e, risk, h, bins=5)
    # overall observed risk and per-bin KM
    k = KaplanMeierFitter().fit(t, e)
    assert res.observed_risk.estimate == pytest.approx(1 - k.survival_function_at_times(h).iloc[0], abs=1e-12)
    lo, hi = k.confidence_interval_.loc[k.confidence_interval_.index <= h].iloc[-1]
    assert res.observed_risk.ci == pytest.approx((1 - hi, 1 - lo), abs=1e-9)
    edges = np.quantile(risk, np.linspace(0, 1, 6))
    b = np.searchsorted(edges[1:-1], risk, side="right")
    for _, row in res.curve.iterrows():
        m = b == row["bin"]
        kb = KaplanMeierFitter().fit(t[m], e[m])
        assert row["observed"] == pytest.approx(1 - kb.survival_function_at_times(h).iloc[0], abs=1e-12)
        assert row["mean_predicted"] == pytest.approx(risk[m].mean())
        assert row["n"] == m.sum()
    # slope: Cox on cll(risk), follow-up censored at the horizon
    cll = np.log(-np.log1p(-risk))
    df = pd.DataFrame({"cll": cll, "T": np.minimum(t, h), "E": (e & (t <= h)).astype(int)})
    ref = CoxPHFitter().fit(df, "T", "E", fit_options=TIGHT)
    assert res.calibration_slope.estimate == pytest.approx(ref.params_["cll"], abs=1e-7)
    assert res.calibration_slope.se == pytest.approx(ref.standard_errors_["cll"], rel=1e-6)
    # ICI: Cox on the restricted cubic spline basis, predicted survival at the horizon
    basis = calmod._rcs_basis(cll, 3)
    dfb = pd.DataFrame(basis, columns=["b0", "b1"]).assign(T=df["T"], E=df["E"])
    refb = CoxPHFitter().fit(dfb, "T", "E", fit_options=TIGHT)
    obs = 1 - refb.predict_survival_function(dfb[["b0", "b1"]], times=[h]).to_numpy().ravel()
    assert res.ici.estimate == pytest.approx(np.mean(np.abs(obs - risk)), abs=1e-7)
    assert res.emax.estimate == pytest.approx(np.max(np.abs(obs - risk)), abs=1e-6)
    # O/E at the horizon
    assert res.observed_expected.estimate == pytest.approx(res.observed_risk.estimate / risk.mean())
    assert "Kaplan-Meier" in str(res)


def test_rcs_basis_matches_harrell_formula():
    x = np.linspace(-3, 3, 101)
    basis = calmod._rcs_basis(x, 4)
    k = np.quantile(x, [0.05, 0.35, 0.65, 0.95])
    norm = (k[3] - k[0]) ** 2

    def term(j):
        return (np.maximum(x - k[j], 0) ** 3 - np.maximum(x - k[2], 0) ** 3 * (k[3] - k[j]) / (k[3] - k[2]) + np.maximum(x - k[3], 0) ** 3 * (k[2] - k[j]) / (k[3] - k[2])) / norm

    np.testing.assert_allclose(basis, np.column_stack([x, term(0), term(1)]))
    # linear beyond the outer knots
    assert np.allclose(np.diff(basis[-5:, 1], 2), 0, atol=1e-12)


def test_survival_calibration_known_answers():
    t, e, risk, h = _surv_data(4, n=6000)
    good = calibration(y_prob=risk, time=t, event=e, horizon=h)
    assert good.calibration_slope.lower < 1 < good.calibration_slope.upper
    assert good.observed_expected.lower < 1 < good.observed_expected.upper
    assert good.ici.estimate < 0.02
    t2, e2, risk2, _ = _surv_data(4, n=6000, scale=1.6)  # predictions too extreme
    bad = survival_calibration(t2, e2, risk2, h, clip=1e-9)  # scale 1.6 pushes some risks to 1.0
    assert bad.calibration_slope.upper < 1
    assert bad.ici.estimate > good.ici.estimate


def test_survival_calibration_edge_cases():
    t, e, risk, h = _surv_data(3, n=200)
    none = survival_calibration(t, np.zeros(t.size), risk, h)
    assert none.calibration_slope.reason == "no events by the horizon"
    assert none.observed_risk.estimate == 0
    beyond = survival_calibration(t, e, risk, 100.0)
    assert beyond.observed_risk.status == "undefined" and "beyond" in beyond.observed_risk.reason
    same = survival_calibration(t, e, np.full(t.size, 0.3), h)
    assert "equal" in same.calibration_slope.reason
    zero_one = survival_calibration(t, e, np.r_[0.0, risk[1:]], h)
    assert "exactly 0 or 1" in zero_one.calibration_slope.reason
    assert survival_calibration(t, e, np.r_[0.0, risk[1:]], h, clip=1e-6).calibration_slope.status == "ok"
    with pytest.raises(ValueError, match="predicted_risk must be probabilities"):
        survival_calibration(t, e, risk * 3, h)
    with pytest.raises(ValueError, match="horizon"):
        survival_calibration(t, e, risk, -1)
    with pytest.raises(ValueError, match="needs time, event and horizon"):
        calibration(y_prob=risk, time=t, horizon=h)


@settings(max_examples=30, deadline=None)
@given(st.integers(20, 120), st.integers(0, 10_000))
def test_calibration_properties(n, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, n)
    y = (rng.random(n) < p).astype(float)
    res = calibration(y, p, bins=4)
    perm = rng.permutation(n)
    res2 = calibration(y[perm], p[perm], bins=4)
    for a, b in zip(res.metrics, res2.metrics, strict=True):
        if a.status == "ok":
            assert b.estimate == pytest.approx(a.estimate, rel=1e-7, abs=1e-10)
        else:
            assert b.status == "undefined"
    assert 0 <= res.ici.estimate <= res.emax.estimate + 1e-12
    assert res.e50.estimate <= res.e90.estimate + 1e-12 <= res.emax.estimate + 2e-12
    assert res.observed_expected.estimate >= 0
    assert np.all((res.curve["observed_lower"] <= res.curve["observed"] + 1e-12) & (res.curve["observed"] <= res.curve["observed_upper"] + 1e-12))
