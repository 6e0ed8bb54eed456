"""Suite loading: valid suites load; bad suites give located errors with suggestions."""

from __future__ import annotations

import re
import textwrap

import pytest

from assess.harness import SuiteError, load_suite, load_suite_text

GOOD = """\
name: t
title: T
instruments: [rnr-general, rnr-desistance-integrated]
cohort: {scenario: baseline, n: 500, seed: 1}
outcome: {time: time, event: event, horizons: [1, 2]}
groups: {columns: [sex]}
metrics: [auc, harrell_c, fairness]
comparisons:
  - {name: c1, base: rnr-general, integrated: rnr-desistance-integrated}
checks:
  - {metric: harrell_c, instrument: rnr-general, lower_ci_at_least: 0.6}
"""


def _error(text: str) -> SuiteError:
    with pytest.raises(SuiteError) as info:
        load_suite_text(textwrap.dedent(text), file="suite.yaml")
    return info.value


def _edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_builtin_and_test_suites_load(suites_dir):
    loaded = load_suite("academic-insight")
    assert loaded.suite.cohort.n == 100_000 and loaded.suite.bootstrap.n_boot == 1000
    assert set(loaded.instruments) == {"rnr-general", "rnr-desistance-integrated"}
    ri = loaded.instruments["rnr-general"]
    assert ri.score == "risk_total" and ri.band == "risk_band"
    assert ri.probability == {1.0: "reoffending_p_1y", 2.0: "reoffending_p_2y"}
    # risk_band is upper-inclusive (High = more than 20): flagged means score > 20
    assert 20 < ri.cutoff < 20.000001
    assert loaded.instruments["rnr-desistance-integrated"].cutoff == 16.0  # net_band High: >= 16
    for p in suites_dir.glob("*.yaml"):
        load_suite(p)


def test_good_text_loads():
    loaded = load_suite_text(GOOD, file="suite.yaml")
    assert loaded.metric_kinds == ("auc", "harrell_c", "fairness")
    assert "fpr" in loaded.metric_names


def test_broken_yaml_is_located():
    err = _error(_edit("title: T", "title: [T"))
    assert re.match(r"suite\.yaml:\d+:\d+: ", str(err))


def test_unknown_instrument_suggests():
    err = _error(_edit("[rnr-general, rnr", "[rnr-generl, rnr"))
    msg = str(err)
    assert msg.startswith("suite.yaml:3:")
    assert "instruments[0]" in msg and "did you mean 'rnr-general'" in msg


def test_unknown_metric_in_check_suggests():
    err = _error(_edit("{metric: harrell_c,", "{metric: harel_c,"))
    msg = str(err)
    assert "suite.yaml:11:" in msg and "checks[0].metric" in msg
    assert "unknown metric 'harel_c'; did you mean 'harrell_c'?" in msg


def test_unknown_metric_kind_suggests():
    err = _error(_edit("[auc, harrell_c, fairness]", "[auc, harrell_c, fairnes]"))
    msg = str(err)
    assert "metrics[2]" in msg and "did you mean 'fairness'" in msg and "suite.yaml:7:" in msg


def test_metric_not_computed_names_kind():
    err = _error(_edit("{metric: harrell_c, instrument: rnr-general, lower", "{metric: uno_c, instrument: rnr-general, lower"))
    assert "add 'uno_c' to 'metrics'" in str(err)


@pytest.mark.parametrize(
    ("check", "needle"),
    [
        ("max_ratio_at_most: 0.8", "can never pass"),
        ("estimate_between: [0.9, 0.6]", "lower bound is above the upper bound"),
        ("estimate_between: [0.6]", "needs at least 2 entries"),
        ("lower_ci_at_least: 0.6, estimate_at_most: 0.9", "exactly one threshold"),
        ("lower_ci_at_least: high", "expected a number, got 'high'"),
        ("lower_ci_at_least: .nan", "finite number"),
    ],
)
def test_bad_thresholds(check, needle):
    err = _error(_edit("lower_ci_at_least: 0.6", check))
    assert needle in str(err)
    assert "checks[0]" in str(err) and "suite.yaml:11:" in str(err)


def test_verdict_needs_comparison_and_known_verdict():
    err = _error(_edit("{metric: harrell_c, instrument: rnr-general, lower_ci_at_least: 0.6}", "{comparison: c1, verdict_not: dilute}"))
    assert "did you mean 'dilutes'" in str(err)
    err = _error(_edit("{metric: harrell_c, instrument: rnr-general, lower_ci_at_least: 0.6}", "{comparison: c2, verdict_not: dilutes}"))
    assert "unknown comparison 'c2'; expected one of 'c1'" in str(err)


def test_unknown_field_suggests():
    err = _error(_edit("horizons: [1, 2]", "horizon: [1, 2]"))
    msg = str(err)
    assert "outcome" in msg and "unknown field 'horizon'; did you mean 'horizons'?" in msg


def test_comparison_references_checked():
    err = _error(_edit("integrated: rnr-desistance-integrated}", "integrated: rnr-desistance}"))
    assert "comparisons[0].integrated" in str(err) and "did you mean 'rnr-desistance-integrated'" in str(err)


def test_survival_metric_with_binary_outcome():
    err = _error(_edit("outcome: {time: time, event: event, horizons: [1, 2]}", "outcome: {binary: event}"))
    assert "metrics[1]" in str(err) and "needs follow-up times" in str(err)


def test_cohort_needs_one_source():
    err = _error(_edit("cohort: {scenario: baseline, n: 500, seed: 1}", "cohort: {seed: 1}"))
    assert "exactly one of 'scenario', 'file' or 'dataset'" in str(err)


def test_check_horizon_must_be_an_outcome_horizon():
    err = _error(_edit("lower_ci_at_least: 0.6}", "lower_ci_at_least: 0.6, horizon: 3}"))
    assert "horizon 3 is not one of the outcome horizons" in str(err)


def test_unknown_suite_name():
    with pytest.raises(SuiteError, match="did you mean 'academic-insight'"):
        load_suite("academic-insigt")
