"""compare(): known answers on the synthetic scenarios and the result contract."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from assess.additionality import compare
from assess.additionality.result import CRITERIA_COLUMNS, DECISION_CURVE_COLUMNS, TIDY_COLUMNS
from assess.metrics import delong_test, harrell_c
from assess.report.bundle import BUNDLE_COLUMNS

A, B = "rnr-general", "rnr-desistance-integrated"


def _row(res, criterion):
    return res.criteria.set_index("criterion").loc[criterion]


def test_strengths_additive_is_additive(cohort):
    res = compare(A, B, cohort("strengths-additive", 3000, 1), n_boot=50, seed=1)
    assert res.verdict == "additive"
    assert _row(res, "harrell_c").verdict == "additive"
    assert _row(res, "lr_cox").verdict == "additive"
    assert _row(res, "overall").verdict == "additive"


def test_strengths_redundant_is_non_inferior(cohort):
    # n = 1000: at larger n the integrated score gains a little from the extra indicators of the
    # risk latent (measurement error; see synthetic_data/strengths-redundant.yaml) and reads additive
    res = compare(A, B, cohort("strengths-redundant", 1000, 1), n_boot=0)
    assert res.verdict == "non-inferior"
    c = _row(res, "harrell_c")
    assert c.lower < 0 < c.upper and c.lower > -0.01


def test_strengths_noise_dilutes(cohort):
    res = compare(A, B, cohort("strengths-noise", 2000, 1), n_boot=0)
    assert res.verdict == "dilutes"
    assert _row(res, "harrell_c").upper < 0
    # the strength block carries nothing: the nested test does not find it
    assert _row(res, "lr_cox").verdict == "inconclusive"


def test_contract_columns_and_outputs(cohort):
    df = cohort("strengths-additive", 1500, 2)
    res = compare(A, B, df, groups=["sex"], n_boot=20, seed=3, comparison="strengths-integration")
    assert tuple(res.criteria.columns) == CRITERIA_COLUMNS == BUNDLE_COLUMNS["additionality"]
    assert res.criteria["criterion"].iloc[-1] == "overall"
    assert (res.criteria["comparison"] == "strengths-integration").all()
    assert set(res.criteria["verdict"]) <= {"additive", "non-inferior", "dilutes", "inconclusive"}
    assert {"lr_cox", "lr_logistic", "harrell_c", "auc", "brier", "ici", "calibration_slope", "gap_harrell_c[sex]"} <= set(
        res.criteria["criterion"]
    )
    assert tuple(res.to_frame().columns) == TIDY_COLUMNS
    assert set(res.to_frame()["instrument"]) == {A, B, "difference"}
    assert tuple(res.decision_curve.columns) == DECISION_CURVE_COLUMNS
    d = res.to_dict()
    json.dumps(d)
    assert d["verdict"] == res.verdict
    assert d["base"]["spec_hash"] and d["integrated"]["spec_hash"]
    assert d["settings"]["margin"] == 0.01 and d["settings"]["seed"] == 3 and d["settings"]["n_boot"] == 20
    text = str(res)
    assert "Overall verdict" in text and "harrell_c" in text


def test_numbers_equal_metrics_engine(cohort):
    df = cohort("strengths-additive", 1500, 3)
    res = compare(A, B, df, n_boot=0)
    fa = __import__("assess").load_instrument(A).score(df).frame
    fb = __import__("assess").load_instrument(B).score(df).frame
    ok = fa.risk_total.notna() & fb.net_score.notna()
    t, e = df.time[ok].to_numpy(), df.event[ok].to_numpy()
    c = _row(res, "harrell_c")
    assert c.base_value == pytest.approx(harrell_c(t, e, fa.risk_total[ok]).estimate, abs=1e-12)
    assert c.integrated_value == pytest.approx(harrell_c(t, e, fb.net_score[ok]).estimate, abs=1e-12)
    # AUC at the horizon: people censored before 2 years without an event are excluded
    known = (e.astype(bool) & (t <= 2)) | (t >= 2)
    y = e.astype(bool) & (t <= 2)
    ref = delong_test(y[known], fb.net_score[ok].to_numpy()[known], fa.risk_total[ok].to_numpy()[known])
    auc = _row(res, "auc")
    assert auc.difference == pytest.approx(ref.difference, abs=1e-12)
    assert auc.lower == pytest.approx(ref.lower, abs=1e-12)
    assert f"{int((~known).sum())} censored before the horizon" in auc.method


def test_bootstrap_reproducible_for_a_seed(cohort):
    df = cohort("strengths-additive", 1200, 4)
    r1 = compare(A, B, df, groups=["sex"], n_boot=30, seed=11)
    r2 = compare(A, B, df, groups=["sex"], n_boot=30, seed=11)
    r3 = compare(A, B, df, groups=["sex"], n_boot=30, seed=12)
    pd.testing.assert_frame_equal(r1.criteria, r2.criteria)
    ici1, ici3 = _row(r1, "ici"), _row(r3, "ici")
    assert ici1.difference == ici3.difference and ici1.lower != ici3.lower


def test_swapping_instruments_negates_and_mirrors(cohort):
    df = cohort("strengths-noise", 2000, 1)
    fwd = compare(A, B, df, groups=["sex"], n_boot=30, seed=5)
    rev = compare(B, A, df, groups=["sex"], n_boot=30, seed=5)
    assert fwd.verdict == "dilutes" and rev.verdict == "additive"
    for crit in ("harrell_c", "auc", "brier", "ici", "calibration_slope", "gap_harrell_c[sex]"):
        f, r = _row(fwd, crit), _row(rev, crit)
        assert r.difference == pytest.approx(-f.difference, abs=1e-12), crit
        assert (r.lower, r.upper) == pytest.approx((-f.upper, -f.lower), abs=1e-9), crit
    # the integrated instrument as base has no strengths block of its counterpart to test
    assert "undefined" in _row(rev, "lr_cox").method


def test_row_order_invariance(cohort):
    df = cohort("strengths-additive", 1200, 6)
    perm = df.sample(frac=1.0, random_state=3)
    r1, r2 = compare(A, B, df, n_boot=0), compare(A, B, perm, n_boot=0)
    cols = ["base_value", "integrated_value", "difference", "lower", "upper", "p_value"]
    np.testing.assert_allclose(r1.criteria[cols].to_numpy(float), r2.criteria[cols].to_numpy(float), rtol=1e-9, atol=1e-9)
    assert list(r1.criteria.verdict) == list(r2.criteria.verdict)


def test_binary_outcome_mode_and_recalibration(cohort):
    df = cohort("strengths-additive", 1500, 7).copy()
    df["reoffended"] = ((df.event == 1) & (df.time <= 1.0)).astype(int)
    res = compare(A, B, df.drop(columns=["time", "event"]), outcome="reoffended", n_boot=20, seed=1)
    crit = set(res.criteria.criterion)
    assert "harrell_c" not in crit and "lr_cox" not in crit and "auc" in crit
    assert res.settings["primary_criterion"] == "auc"
    # no horizon in binary mode: probabilities are recalibrated in-sample and the slope is not judged
    assert "recalibration" in res.settings["probabilities"]
    assert _row(res, "calibration_slope").verdict == "inconclusive"
    assert _row(res, "calibration_slope").base_value == pytest.approx(1.0, abs=1e-6)
    # with a horizon matching the models, the instruments' own model probabilities are used
    res2 = compare(A, B, df.drop(columns=["time", "event"]), outcome="reoffended", horizon=1.0, n_boot=0)
    assert "reoffending_p_1y" in res2.settings["probabilities"]


def test_default_strength_block_and_items(cohort):
    df = cohort("strengths-additive", 1500, 8)
    res = compare(A, B, df, n_boot=0)
    assert res.settings["strengths"] == ["strength_total"]
    res_items = compare(A, B, df, n_boot=0, strength_items=True)
    assert len(res_items.settings["strengths"]) == 18
    assert "18 df" in _row(res_items, "lr_cox").method


def test_input_validation(cohort):
    df = cohort("strengths-additive", 300, 9)
    with pytest.raises(ValueError, match="outcome="):
        compare(A, B, df.drop(columns=["time"]))
    with pytest.raises(ValueError, match="not both"):
        compare(A, B, df, outcome="event", time="time")
    bad = df.copy()
    bad["event"] = bad["event"].astype(int)
    bad.loc[bad.index[0], "event"] = 2
    with pytest.raises(ValueError, match="coded 0/1"):
        compare(A, B, bad, n_boot=0)
    with pytest.raises(ValueError, match="groups"):
        compare(A, B, df, groups=["nope"], n_boot=0)
    with pytest.raises(ValueError, match="n_boot"):
        compare(A, B, df, n_boot=1)


def test_excluded_people_are_counted(cohort):
    df = cohort("strengths-additive", 800, 10).copy()
    df.loc[df.index[:7], "time"] = np.nan
    res = compare(A, B, df, n_boot=0)
    assert any("7 people with no follow-up time" in n for n in res.notes)
    assert res.settings["n_rows"] == 800
    assert not math.isnan(_row(res, "harrell_c").difference)
