"""NRI / IDI / decision curves inside compare(), and item contribution / short forms."""

import math

import numpy as np
import pandas as pd
import pytest

from assess.additionality import compare, item_contribution, item_weights, short_form
from assess.additionality.api import _margin_for
from assess.additionality.paired import paired_auc, paired_harrell_c
from assess.additionality.resample import RowBootstrap
from assess.metrics.decision_curve import decision_curve
from assess.metrics.reclassification import (
    integrated_discrimination_improvement,
    net_reclassification_index,
)

A, B = "rnr-general", "rnr-desistance-integrated"


def _row(res, criterion):
    return res.criteria.set_index("criterion").loc[criterion]


def _horizon_arrays(res, df):
    """Outcome at the horizon, known rows and the two instruments' model probabilities at 2 years."""
    from assess import load_instrument

    fa = load_instrument(A).score(df).frame
    fb = load_instrument(B).score(df).frame
    ok = (fa.risk_total.notna() & fb.net_score.notna()).to_numpy()
    t, e = df.time.to_numpy()[ok], df.event.to_numpy()[ok].astype(bool)
    h = res.settings["horizon"]
    known = (e & (t <= h)) | (t >= h)
    y = (e & (t <= h))[known]
    pa = fa.reoffending_p_2y.to_numpy()[ok][known]
    pb = fb.reoffending_integrated_p_2y.to_numpy()[ok][known]
    return y, pa, pb


# ------------------------------------------------------------------------------ compare(): NRI / IDI / DC


def test_reclassification_rows_equal_metric_functions(cohort):
    df = cohort("strengths-additive", 2000, 5)
    res = compare(A, B, df, n_boot=0)
    y, pa, pb = _horizon_arrays(res, df)
    cont = net_reclassification_index(y, pa, pb)
    cat = net_reclassification_index(y, pa, pb, cutoffs=[0.25, 0.5, 0.75])  # the instruments' 2-year band cut-offs
    idi = integrated_discrimination_improvement(y, pa, pb)
    for name, r in (("nri", cont.total), ("nri_events", cont.events), ("nri_non_events", cont.non_events),
                    ("nri_bands", cat.total), ("nri_bands_events", cat.events), ("nri_bands_non_events", cat.non_events),
                    ("idi", idi.total), ("idi_events", idi.events), ("idi_non_events", idi.non_events)):
        row = _row(res, name)
        assert row.difference == pytest.approx(r.estimate, abs=1e-12)
        assert row.lower == pytest.approx(r.lower, abs=1e-12) and row.upper == pytest.approx(r.upper, abs=1e-12)
    assert _row(res, "idi").base_value == pytest.approx(idi.details["discrimination_slope_base"], abs=1e-12)
    assert res.settings["nri_cutoffs"] == [0.25, 0.5, 0.75]
    assert "band set" in _row(res, "nri_bands").method


def test_decision_curve_estimates_equal_metric_and_bootstrap_is_the_row_bootstrap(cohort):
    df = cohort("strengths-additive", 600, 6)
    nb, seed = 40, 11
    res = compare(A, B, df, n_boot=nb, seed=seed)
    y, pa, pb = _horizon_arrays(res, df)
    thr = np.array(res.settings["decision_thresholds"])
    ref = decision_curve(y, {"base": pa, "integrated": pb}, thresholds=thr).frame
    dc = res.decision_curve
    for model in ("base", "integrated", "treat all", "treat none"):
        got = dc[dc.model == model].net_benefit.to_numpy()
        want = ref[ref.model == model].net_benefit.to_numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # the binned bootstrap equals recomputing the net benefit on each replicate's drawn rows
    from assess.additionality._inputs import prepare

    prep = prepare(A, B, df, time=None, event=None, outcome=None, horizon=None, base_score=None, integrated_score=None)
    h = prep.horizon
    known = (prep.event & (prep.time <= h)) | (prep.time >= h)
    yk = np.zeros(prep.n, bool)
    yk[known] = y
    pfa, pfb = np.zeros(prep.n), np.zeros(prep.n)
    pfa[known], pfb[known] = pa, pb
    reps = []
    for _, idx in RowBootstrap(prep.n, nb, seed).blocks():
        for rows in idx:
            rows = rows[known[rows]]
            yy, m = yk[rows], rows.size
            out = []
            for p in (pfa[rows], pfb[rows]):
                act = p[:, None] >= thr[None, :]
                out.append(((act & yy[:, None]).sum(0) - (act & ~yy[:, None]).sum(0) * thr / (1 - thr)) / m)
            reps.append(out)
    reps = np.array(reps)  # (nb, 2, T)
    lo, hi = np.quantile(reps, [0.025, 0.975], axis=0)
    for i, model in enumerate(("base", "integrated")):
        sub = dc[dc.model == model]
        np.testing.assert_allclose(sub.lower.to_numpy(), lo[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(sub.upper.to_numpy(), hi[i], rtol=0, atol=1e-12)
    # the net_benefit criterion: mean difference over the stated range, percentile interval of its replicates
    lo_r, hi_r = res.settings["net_benefit_range"]
    sel = (thr >= lo_r) & (thr <= hi_r)
    d = reps[:, 1, sel].mean(1) - reps[:, 0, sel].mean(1)
    row = _row(res, "net_benefit")
    assert row.lower == pytest.approx(np.quantile(d, 0.025), abs=1e-12)
    assert row.upper == pytest.approx(np.quantile(d, 0.975), abs=1e-12)
    assert {"net_benefit@0.25", "net_benefit@0.5", "net_benefit@0.75"} <= set(res.criteria.criterion)


def test_reclassification_verdicts_need_a_margin_for_non_inferior(cohort):
    assert _margin_for({"nri": 0.02}, "nri_bands_events") is None
    assert _margin_for({"nri_bands": 0.02}, "nri_bands_events") == 0.02
    assert _margin_for({"net_benefit": 0.01}, "net_benefit@0.25") == 0.01
    df = cohort("strengths-redundant", 1000, 1)
    res = compare(A, B, df, n_boot=50, seed=2, margins={"idi": 1.0})
    crit = res.criteria.set_index("criterion")
    for name in ("nri", "nri_events", "idi_events", "net_benefit"):
        assert crit.loc[name, "verdict"] != "non-inferior"  # no margin: never non-inferior
    idi = crit.loc["idi"]
    if idi.lower <= 0 <= idi.upper:
        assert idi.verdict == "non-inferior"  # the margin given makes it decidable


def test_binary_outcome_mode_has_reclassification(cohort):
    df = cohort("strengths-additive", 1500, 7).copy()
    df["reoffended"] = ((df.event == 1) & (df.time <= 1.0)).astype(int)
    res = compare(A, B, df, outcome="reoffended", n_boot=20, seed=1, nri_cutoffs=[0.3], decision_thresholds=[0.1, 0.3, 0.5])
    names = set(res.criteria.criterion)
    assert {"nri", "nri_bands", "idi", "net_benefit", "net_benefit@0.3"} <= names
    assert res.decision_curve.threshold.nunique() == 3
    assert np.isfinite(_row(res, "idi").difference)
    with pytest.raises(ValueError, match="decision_thresholds"):
        compare(A, B, df, outcome="reoffended", n_boot=0, decision_thresholds=[0.0, 0.5])
    with pytest.raises(ValueError, match="net_benefit_range"):
        compare(A, B, df, outcome="reoffended", n_boot=0, net_benefit_range=(0.6, 0.2))


def test_timings_reported(cohort):
    res = compare(A, B, cohort("strengths-additive", 800, 1), n_boot=20, seed=1)
    assert {"decision curves", "bootstrap draws (shared)", "nri and idi (analytic)"} <= set(res.timings)
    assert "timings" not in res.to_dict()


# ------------------------------------------------------------------------------ item contribution


def test_item_weights_expand_net_score():
    w = item_weights(B)
    assert w["prior_convictions"] == 1.0 and w["supportive_family"] == -0.5
    assert len(w) == 43
    assert set(item_weights(A)) == {k for k, v in w.items() if v == 1.0}


def test_drop_one_equals_paired_functions(cohort):
    df = cohort("strengths-noise", 1500, 3)
    res = item_contribution(B, df, items=["prior_convictions", "hope_for_future"])
    from assess import load_instrument

    f = load_instrument(B).score(df).frame
    pts = f[[c for c in f.columns if c.endswith("_points")]]
    w = item_weights(B)
    pcols = [f"{i}_points" for i in w]
    ok = (f.net_score.notna() & pts[pcols].notna().all(axis=1) & df.time.notna()).to_numpy()
    t, e = df.time.to_numpy()[ok], df.event.to_numpy()[ok].astype(bool)
    full = f.net_score.to_numpy()[ok]
    h = res.settings["horizon"]
    known = (e & (t <= h)) | (t >= h)
    for item in ("prior_convictions", "hope_for_future"):
        red = full - w[item] * f[f"{item}_points"].to_numpy()[ok]
        ref_c = paired_harrell_c(t, e, full, red)
        ref_a = paired_auc((e & (t <= h))[known], full[known], red[known])
        got = res.frame.set_index(["item", "criterion"])
        for crit, ref in (("harrell_c", ref_c), ("auc", ref_a)):
            row = got.loc[(item, crit)]
            assert row.difference == pytest.approx(ref.difference, abs=1e-12)
            assert row.lower == pytest.approx(ref.lower, abs=1e-12) and row.upper == pytest.approx(ref.upper, abs=1e-12)
            assert row.full_value == pytest.approx(ref.base_value, abs=1e-12)


def test_known_answers_on_strengths_noise(cohort):
    df = cohort("strengths-noise", 8000, 4)
    add = item_contribution(B, df, mode="add", criterion="harrell_c")
    assert len(add.frame) == 18 and (add.frame.role == "strength").all()
    # pure-noise strength items: about no effect when added to the risk score
    assert add.frame.difference.abs().max() < 0.003
    assert abs(add.frame.difference.mean()) < 0.001
    # the same with base= given explicitly (risk_total = net score without its strength items)
    add2 = item_contribution(B, df, mode="add", base="risk_total", criterion="harrell_c")
    np.testing.assert_allclose(add2.frame.difference, add.frame.difference, atol=1e-12)
    drop = item_contribution(B, df, mode="drop", criterion="harrell_c").frame
    worst = drop.sort_values("difference").iloc[0]
    assert worst.role == "risk" and worst.verdict == "dilutes"  # dropping a strong risk item hurts
    assert not (drop[drop.role == "strength"].verdict == "dilutes").any()  # dropping noise never hurts


def test_short_form_drops_noise_first_and_validates(cohort):
    df = cohort("strengths-noise", 3000, 5)
    val = cohort("strengths-noise", 2000, 6)
    sf = short_form(B, df, max_steps=6, validation=val)
    assert len(sf.dropped) == 6
    roles = dict(zip(item_weights(B), ["strength" if v < 0 else "risk" for v in item_weights(B).values()], strict=True))
    assert all(roles[i] == "strength" for i in sf.dropped)
    assert len(sf.items) == 43 - 6
    assert sf.path.step.tolist() == list(range(7))
    assert (sf.path.lower.iloc[1:] > -0.01).all()
    v = sf.validation.iloc[0]
    assert v.n_items == 37 and np.isfinite(v.difference)
    assert "optimistic" in str(short_form(B, df, max_steps=1))


def test_short_form_stops_at_the_margin(cohort):
    df = cohort("baseline", 1500, 2)
    sf = short_form(A, df, margin=0.002)
    last = sf.path.iloc[-1]
    accepted = sf.path.iloc[1:-1] if "(stop)" in str(last.verdict) else sf.path.iloc[1:]
    assert (accepted.lower > -0.002).all()
    if "(stop)" in str(last.verdict):
        assert not last.lower > -0.002
    assert len(sf.items) + len(sf.dropped) == 25


def test_item_contribution_row_order_invariant(cohort):
    df = cohort("strengths-noise", 1200, 8)
    perm = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a = item_contribution(B, df, mode="add").frame
    b = item_contribution(B, perm, mode="add").frame
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)


def test_item_contribution_validation(cohort):
    df = cohort("strengths-noise", 500, 9)
    with pytest.raises(ValueError, match="mode"):
        item_contribution(B, df, mode="swap")
    with pytest.raises(ValueError, match="not scored items"):
        item_contribution(B, df, items=["no_such_item"])
    with pytest.raises(ValueError, match="no strength items"):
        item_contribution(A, df, mode="add")
    with pytest.raises(ValueError, match="not a plain sum|not an item or a scale"):
        item_contribution(B, df, score="reoffending_integrated_p_2y")
    assert math.isfinite(item_contribution(A, df).frame.difference.iloc[0])
