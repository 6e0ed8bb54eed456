"""Running suites: the bundle is complete, checks behave, numbers match the metrics engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assess.harness import SuiteError, load_suite_text, run_suite
from assess.report.bundle import BUNDLE_COLUMNS


def test_bundle_is_complete(tiny_run):
    b = tiny_run.bundle
    b.check_columns()
    assert b.passed, b.checks[~b.checks.passed][["check", "message"]].to_string()
    for name in ("results", "roc", "calibration_curves", "survival_curves", "fairness_gaps", "additionality"):
        assert len(getattr(b, name)), name
    res = b.results
    assert set(BUNDLE_COLUMNS["results"]) <= set(res.columns)
    kinds = {"auc", "harrell_c", "uno_c", "time_auc", "observed_expected_ratio", "calibration_slope",
             "brier", "ipcw_brier", "km_survival", "cox_hr_per_sd", "cox_hr_band", "fpr", "c_index"}
    assert kinds <= set(res["metric"])
    assert set(res["status"]) <= {"ok", "undefined", "suppressed"}
    bad = res[res["status"] != "ok"]
    assert bad["reason"].notna().all(), "every non-ok number carries a reason"
    assert set(b.additionality.loc[b.additionality.criterion == "overall", "verdict"]) <= {
        "additive", "non-inferior", "dilutes", "inconclusive"}
    if len(b.decision_curves):  # filled by assess.additionality.compare when it computes them
        assert {"base", "integrated"} <= set(b.decision_curves["model"])
    assert any("censored before" in n for n in b.notes)


def test_overall_numbers_equal_the_metrics_engine(tiny_run):
    """The harness must report exactly what assess.metrics computes on the same rows."""
    from assess import metrics as M

    b, data = tiny_run.bundle, tiny_run.cohort.frame
    inst = tiny_run.loaded.instruments["rnr-general"].instrument
    sf = inst.score(data).frame
    other = tiny_run.loaded.instruments["rnr-desistance-integrated"].instrument.score(data).frame
    keep = sf["risk_total"].notna() & other["net_score"].notna()
    t, e, s = data.time[keep].to_numpy(), data.event[keep].to_numpy(), sf.risk_total[keep].to_numpy()
    res = b.results[(b.results.instrument == "rnr-general") & b.results.comparison.isna() & (b.results.group == "overall")]

    def row(metric, horizon=None):
        r = res[res.metric == metric]
        r = r[r.horizon.isna()] if horizon is None else r[r.horizon == horizon]
        assert len(r) == 1, (metric, horizon)
        return r.iloc[0]

    hc = M.harrell_c(t, e, s)
    assert row("harrell_c").estimate == hc.estimate and row("harrell_c").lower == hc.lower
    assert row("harrell_c").n == keep.sum()
    y = e & (t <= 2)
    known = y | (t >= 2)
    a = M.auc(y[known], s[known])
    assert row("auc", 2.0).estimate == a.estimate and row("auc", 2.0).n == known.sum()
    cal = M.survival_calibration(t, e, sf.reoffending_p_2y[keep].to_numpy(), 2.0)
    assert row("calibration_slope", 2.0).estimate == cal.calibration_slope.estimate
    km = M.kaplan_meier(t, e, group=sf.risk_band[keep].astype(str).to_numpy()).survival_at([1.0])
    low = km[km.group == "Low"].survival.iloc[0]
    kmrow = res[(res.metric == "km_survival")]
    kmrow = b.results[(b.results.instrument == "rnr-general") & (b.results.metric == "km_survival")
                      & (b.results.group == "band=Low") & (b.results.horizon == 1.0)]
    assert kmrow.estimate.iloc[0] == low


def test_roc_points_match_sklearn(tiny_run):
    from sklearn.metrics import auc as sk_auc
    from sklearn.metrics import roc_auc_score, roc_curve

    b = tiny_run.bundle
    data = tiny_run.cohort.frame
    sf = tiny_run.loaded.instruments["rnr-general"].instrument.score(data).frame
    other = tiny_run.loaded.instruments["rnr-desistance-integrated"].instrument.score(data).frame
    keep = (sf["risk_total"].notna() & other["net_score"].notna()).to_numpy()
    t, e, s = data.time.to_numpy()[keep], data.event.to_numpy()[keep], sf.risk_total.to_numpy()[keep]
    y = e & (t <= 2)
    known = y | (t >= 2)
    roc = b.roc[(b.roc.instrument == "rnr-general") & (b.roc.group == "overall")]
    fpr, tpr, _ = roc_curve(y[known], s[known], drop_intermediate=False)
    np.testing.assert_allclose(roc.fpr.to_numpy(), fpr, atol=1e-12)
    np.testing.assert_allclose(roc.tpr.to_numpy(), tpr, atol=1e-12)
    assert sk_auc(roc.fpr, roc.tpr) == pytest.approx(roc_auc_score(y[known], s[known]), abs=1e-12)


def test_fairness_rows_match_report(tiny_run):
    rep = tiny_run.fairness["rnr-general"]
    bg = rep.by_group
    want = bg[(bg.grouping == "sex") & (bg.group == "female") & (bg.metric == "fpr")].iloc[0]
    res = tiny_run.bundle.results
    got = res[(res.instrument == "rnr-general") & (res.metric == "fpr") & (res.group == "sex=female")].iloc[0]
    assert got.estimate == want.estimate and got.lower == want.lower and got.upper == want.upper
    overall = res[(res.instrument == "rnr-general") & (res.metric == "fpr") & (res.group == "overall")]
    assert len(overall) == 1  # the whole-sample row is reported once, not once per grouping


def test_failing_suite_every_kind_fails(suites_dir):
    run = run_suite(suites_dir / "failing.yaml")
    checks = run.bundle.checks.set_index("check")
    assert not run.passed
    assert not checks["passed"].any(), checks[checks.passed].index.tolist()
    kinds = set(checks["kind"])
    assert kinds == {"lower_ci", "estimate", "upper_ci", "verdict", "max_ratio", "max_gap"}
    assert "undefined" in checks.loc["fail-undefined", "message"]
    assert checks.loc["fail-verdict-not", "observed"] == "additive"
    ratio = checks.loc["fail-max-ratio", "observed"]
    assert ratio > 1.0
    fair = run.fairness["rnr-general"].by_group
    fpr = fair[(fair.grouping == "sex") & (fair.metric == "fpr") & (fair.group != "(all)")].estimate
    assert ratio == pytest.approx(fpr.max() / fpr.min(), rel=1e-9)


def _suite(extra: str = "", **replace: str) -> str:
    text = """\
name: t
title: T
instruments: [rnr-general]
cohort: {scenario: baseline, n: 400, seed: 2}
outcome: {time: time, event: event, horizons: [2]}
groups: {columns: [sex]}
metrics: [harrell_c, auc]
bootstrap: {n_boot: 0}
checks:
  - {metric: harrell_c, lower_ci_at_least: 0.5}
"""
    for old, new in replace.items():
        text = text.replace(old.replace("_", " ") if old not in text else old, new)
    return text + extra


def test_missing_column_is_located():
    loaded = load_suite_text(_suite().replace("groups: {columns: [sex]}", "groups: {columns: [gender]}"), file="s.yaml")
    with pytest.raises(SuiteError) as info:
        run_suite(loaded)
    msg = str(info.value)
    assert msg.startswith("s.yaml:6:") and "groups.columns[0]" in msg and "no column 'gender'" in msg


def test_unknown_group_in_check_is_located():
    text = _suite() + "  - {metric: harrell_c, group: sex=femal, estimate_at_least: 0.5}\n"
    text = text.replace("metrics: [harrell_c, auc]", "metrics: [harrell_c, auc, fairness]")
    text = text.replace("  - {metric: harrell_c, group: sex=femal", "  - {metric: c_index, group: sex=femal")
    with pytest.raises(SuiteError) as info:
        run_suite(load_suite_text(text, file="s.yaml"))
    assert "checks[1].group" in str(info.value) and "did you mean 'sex=female'" in str(info.value)


def test_ambiguous_horizon_is_an_error():
    text = _suite().replace("horizons: [2]", "horizons: [1, 2]") + "  - {metric: auc, estimate_at_least: 0.5}\n"
    with pytest.raises(SuiteError, match="give 'horizon'"):
        run_suite(load_suite_text(text, file="s.yaml"))


def test_file_cohort_with_column_mapping_and_hash(tmp_path):
    from assess.io import file_sha256
    from assess.synthetic import simulate

    df = simulate("baseline", n=400, seed=2).rename(columns={"time": "years_free", "event": "reoffended"})
    path = tmp_path / "cohort.csv"
    df.to_csv(path, index=False)
    text = _suite().replace("cohort: {scenario: baseline, n: 400, seed: 2}",
                            f"cohort: {{file: {path.name}, columns: {{time: years_free, event: reoffended}}, sha256: {file_sha256(path)}}}")
    loaded = load_suite_text(text, file="s.yaml", base_dir=tmp_path)
    run = run_suite(loaded)
    ref = run_suite(load_suite_text(_suite(), file="s.yaml"))
    a = run.bundle.results.set_index("metric").estimate
    b = ref.bundle.results.set_index("metric").estimate
    assert a["harrell_c"] == pytest.approx(b["harrell_c"], abs=1e-12)
    assert run.bundle.provenance["data_sha256"] == file_sha256(path)
    bad = text.replace(file_sha256(path), "a" * 64)
    with pytest.raises(SuiteError, match="SHA-256"):
        run_suite(load_suite_text(bad, file="s.yaml", base_dir=tmp_path))


def test_strict_scoring_names_the_row(tmp_path):
    from assess.synthetic import simulate

    df = simulate("baseline", n=300, seed=2)
    df.loc[7, "prior_custody"] = 5  # not a valid binary answer
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    text = _suite().replace("cohort: {scenario: baseline, n: 400, seed: 2}", f"cohort: {{file: {path.name}}}")
    with pytest.raises(SuiteError) as info:
        run_suite(load_suite_text(text, file="s.yaml", base_dir=tmp_path))
    assert "instruments[0]" in str(info.value) and "row 7" in str(info.value)


def test_missing_outcome_is_not_dropped(tmp_path):
    from assess.synthetic import simulate

    df = simulate("baseline", n=300, seed=2)
    df["event"] = df["event"].astype(float)
    df.loc[[3, 9], "event"] = math.nan
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    text = _suite().replace("cohort: {scenario: baseline, n: 400, seed: 2}", f"cohort: {{file: {path.name}}}")
    with pytest.raises(SuiteError, match=r"outcome\.event.*rows 3, 9"):
        run_suite(load_suite_text(text, file="s.yaml", base_dir=tmp_path))


def test_binary_outcome_suite():
    text = """\
name: b
title: B
instruments: [{source: rnr-general, probability: reoffending_p_2y}]
cohort: {scenario: baseline, n: 600, seed: 4}
outcome: {binary: event}
groups: {columns: [sex], min_group_size: 20, min_events: 5}
metrics: [auc, calibration, brier, fairness]
bootstrap: {n_boot: 10, seed: 1}
checks:
  - {metric: calibration_in_the_large, estimate_between: [-3, 3]}
"""
    run = run_suite(load_suite_text(text, file="b.yaml"))
    res = run.bundle.results
    assert res.loc[res.metric == "auc", "horizon"].isna().all()
    assert run.passed
    assert len(run.bundle.survival_curves) == 0 and list(run.bundle.survival_curves.columns) == list(BUNDLE_COLUMNS["survival_curves"])


def test_published_figures_are_matched():
    from types import SimpleNamespace

    from assess.harness.published import published_table

    results = pd.DataFrame({"instrument": ["x", "x"], "comparison": [None, None], "metric": ["auc", "auc"],
                            "group": ["overall", "overall"], "horizon": [2.0, None], "estimate": [0.7, 0.66],
                            "status": ["ok", "ok"], "reason": [None, None], "method": ["m", "m"]})
    pub = pd.DataFrame({"instrument": ["x", "x"], "metric": ["auc", "harrell_c"], "group": ["overall", "overall"],
                        "horizon": [2.0, None], "published": [0.71, 0.7], "source": ["T1", "T2"],
                        "tolerance": [0.005, 0.005]})
    loaded = SimpleNamespace(instruments={}, suite=SimpleNamespace(outcome=SimpleNamespace(binary=None, event="e", time="t")))
    frame = pd.DataFrame({"t": [1.0], "e": [1]})
    data = SimpleNamespace(frame=frame, scores={})
    out = published_table(pub, results, loaded, frame, data)
    assert out.loc[0, "computed"] == 0.7 and out.loc[0, "difference"] == pytest.approx(-0.01)
    assert out.loc[0, "status"] == "differs"
    assert math.isnan(out.loc[1, "computed"]) and "not computed" in out.loc[1, "note"]
    assert out.loc[1, "status"] == "not computed"
