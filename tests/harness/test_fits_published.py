"""Suite fits (Cox, logistic), the published-vs-computed table and thinned survival curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess.harness import SuiteError, load_suite_text
from assess.harness.fits import design_matrix, fit_logistic_mle
from assess.harness.published import _equals, _group_mask
from assess.harness.runner import thin_steps
from assess.report.bundle import empty_frame

SUITE = """
suite_version: 1
name: fits-test
title: fits
instruments: [rnr-general]
cohort: {{scenario: baseline, n: 400, seed: 3}}
outcome: {{time: time, event: event, horizons: [1]}}
groups: [sex]
metrics: [harrell_c]
bootstrap: {{n_boot: 0}}
fits:
{fits}
"""


def _loaded(fits: str):
    return load_suite_text(SUITE.format(fits=fits), file="fits.yaml")


def test_logistic_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(500), rng.normal(size=500), rng.integers(0, 2, 500)])
    y = (rng.random(500) < 1 / (1 + np.exp(-(x @ [-0.3, 0.8, -0.5])))).astype(float)
    ours = fit_logistic_mle(x, y)
    ref = sm.Logit(y, x).fit(disp=0)
    np.testing.assert_allclose(ours["coef"], ref.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["se"], ref.bse, rtol=1e-7)
    assert ours["loglik"] == pytest.approx(ref.llf, abs=1e-8)
    assert ours["converged"]


def test_logistic_separation_is_not_converged():
    x = np.column_stack([np.ones(20), np.r_[np.zeros(10), np.ones(10)]])
    y = np.r_[np.zeros(10), np.ones(10)]
    assert not fit_logistic_mle(x, y)["converged"]


def test_factor_terms_follow_r_naming():
    loaded = _loaded("  - {type: logistic, covariates: [{column: c, reference: b, name: f_}, n]}")
    frame = pd.DataFrame({"c": ["a", "b", "c", "b", None], "n": [1.0, 2, 3, 4, 5]})
    x = design_matrix(loaded, 0, loaded.suite.fits[0], frame)
    assert list(x.columns) == ["f_a", "f_c", "n"]
    np.testing.assert_array_equal(x["f_a"].to_numpy()[:4], [1, 0, 0, 0])
    assert np.isnan(x["f_a"].iloc[4])


def test_fit_errors_are_located():
    loaded = _loaded("  - {type: logistic, covariates: [{column: c, reference: zz}]}")
    with pytest.raises(SuiteError, match=r"no level 'zz'"):
        design_matrix(loaded, 0, loaded.suite.fits[0], pd.DataFrame({"c": ["a", "b"]}))
    with pytest.raises(SuiteError, match=r"no column 'c'"):
        design_matrix(loaded, 0, loaded.suite.fits[0], pd.DataFrame({"d": ["a", "b"]}))
    with pytest.raises(SuiteError, match=r"outcome / outcome_flagged only apply"):
        _loaded("  - {type: cox, covariates: [a], outcome: y}")
    with pytest.raises(SuiteError, match=r"two fits are named"):
        _loaded("  - {type: cox, covariates: [a]}\n  - {type: cox, covariates: [a]}")
    with pytest.raises(SuiteError, match=r"not an instrument of this suite"):
        _loaded("  - {type: logistic, covariates: [a], outcome_flagged: nope}")


def test_cox_fit_in_a_run_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    from assess.harness import run_suite

    loaded = _loaded("  - {type: cox, covariates: [prior_convictions, prior_custody]}")
    run = run_suite(loaded)
    res = run.bundle.results.set_index("metric")
    res = res[res["instrument"] == "cox:prior_convictions+prior_custody"]
    from assess.harness.runner import _score

    data, _ = _score(loaded, run.cohort)  # the fit uses the people every instrument scored
    df = data.frame[["time", "event", "prior_convictions", "prior_custody"]].astype(float).dropna()
    assert res.loc["cox_loglik", "n"] == len(df)
    ref = lifelines.CoxPHFitter().fit(df, "time", "event")
    for v in ("prior_convictions", "prior_custody"):
        assert res.loc[f"cox_coef:{v}", "estimate"] == pytest.approx(ref.params_[v], abs=1e-6)
        assert res.loc[f"cox_se:{v}", "estimate"] == pytest.approx(ref.standard_errors_[v], rel=1e-5)
        assert res.loc[f"cox_hazard_ratio_se:{v}", "estimate"] == pytest.approx(
            np.exp(ref.params_[v]) * ref.standard_errors_[v], rel=1e-5)
    assert res.loc["cox_loglik", "estimate"] == pytest.approx(ref.log_likelihood_, abs=1e-6)
    assert res.loc["harrell_c", "estimate"] == pytest.approx(ref.concordance_index_, abs=1e-9)


def test_published_table_lists_unmatched_figures():
    from assess.datasets._registry import published_frame
    from assess.harness import run_suite
    from assess.harness.published import published_table

    loaded = _loaded("  - {type: cox, covariates: [prior_convictions]}")
    run = run_suite(loaded)
    frame = run.cohort.frame
    pub = published_frame([
        dict(instrument="(cohort)", metric="n", published=len(frame), decimals=0, source="s"),
        dict(instrument="(cohort)", metric="events", group="sex=female", published=int(frame.loc[frame.sex == "female", "event"].sum()),
             decimals=0, source="s"),
        dict(instrument="cox:prior_convictions", metric="harrell_c", published=0.5, tolerance=1.0, source="s"),
        dict(instrument="rnr-general", metric="no_such_metric", published=1.0, decimals=2, source="s"),
        dict(instrument="(cohort)", metric="n", group="sex=female", published=0, decimals=0, source="s"),
    ])
    from assess.harness.runner import _score

    data, _ = _score(loaded, run.cohort)
    t = published_table(pub, run.bundle.results, loaded, frame, data)
    assert list(t["status"]) == ["reproduced", "reproduced", "reproduced", "not computed", "differs"]
    assert "not computed by this suite" in t.loc[3, "note"]
    assert np.isnan(t.loc[3, "computed"])
    empty = published_table(None, run.bundle.results, loaded, frame, data)
    assert len(empty) == 0 and set(empty_frame("published").columns) <= set(empty.columns)


def test_group_mask_and_equals():
    f = pd.DataFrame({"a": [1, 2, 1], "b": ["x", "y", "y"]})
    np.testing.assert_array_equal(_group_mask(f, "a=1 & b=y"), [False, False, True])
    np.testing.assert_array_equal(_equals(pd.Series([1.0, 2.0]), "1"), [True, False])
    assert isinstance(_group_mask(f, "zz=1"), str)


def test_thin_steps_keeps_horizon_values_and_caps_points():
    rng = np.random.default_rng(0)
    n = 5000
    steps = pd.DataFrame({"group": np.repeat(["A", "B"], n), "time": np.tile(np.sort(rng.random(n) * 2), 2),
                          "survival": np.tile(np.linspace(1, 0.2, n), 2)})
    thin = thin_steps(steps, [1.0, 1.5], max_points=200)
    assert len(thin) <= 2 * (200 + 4)
    for g in ("A", "B"):
        full, part = steps[steps.group == g], thin[thin.group == g]
        for h in (1.0, 1.5):
            # the survival in force at h is the same on the thinned curve
            assert full.loc[full.time <= h, "survival"].iloc[-1] == part.loc[part.time <= h, "survival"].iloc[-1]
        assert part["time"].iloc[0] == full["time"].iloc[0] and part["time"].iloc[-1] == full["time"].iloc[-1]
        assert part["time"].is_monotonic_increasing
    small = steps.iloc[:100]
    assert thin_steps(small, [1.0]) is small
