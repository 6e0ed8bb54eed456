"""Scenario files: the shipped ones load and compile; bad files and impossible settings are
rejected with messages naming the file, line and field path."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from assess.spec import SpecError
from assess.synthetic import (
    Scenario,
    ScenarioError,
    UnknownScenarioError,
    builtin_scenario_dir,
    compile_scenario,
    list_scenarios,
    load_scenario,
    load_scenario_text,
)

SHIPPED = [
    "baseline",
    "strengths-additive",
    "strengths-redundant",
    "strengths-noise",
    "dif",
    "base-rates",
    "heavy-censoring",
]


def test_shipped_scenarios_are_listed():
    assert set(SHIPPED) <= set(list_scenarios())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_compiles_and_is_documented(name):
    s = load_scenario(name)
    assert s.id == name
    assert s.instruments == ["rnr-desistance-integrated"]
    c = compile_scenario(s)
    ids = {it.id for it in c.items}
    # the integrated instrument covers both source instruments' items (same ids)
    from assess.spec import load_spec

    for inst in ("rnr-general", "desistance-strengths"):
        assert {it.id for it in load_spec(inst).items} <= ids
    text = (builtin_scenario_dir() / f"{name}.yaml").read_text()
    comments = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert len(comments) >= 5, "each shipped scenario documents how its knobs map to the truth"


def test_scenario_truths_differ_as_documented():
    base = load_scenario("baseline")
    assert base.outcome.effects.latents == {"risk": 0.8, "strengths": 0.0}
    assert base.dif == []
    assert load_scenario("strengths-additive").outcome.effects.latents["strengths"] < 0
    assert load_scenario("strengths-redundant").correlations[0].r == -1.0
    assert load_scenario("strengths-noise").correlations[0].r == 0.0
    assert len(load_scenario("dif").dif) >= 1
    rates = load_scenario("base-rates")
    assert rates.latents["risk"].by_group and rates.dif == []
    heavy = load_scenario("heavy-censoring")
    assert heavy.outcome.competing is not None and heavy.outcome.loss_to_follow_up is not None


def test_load_by_path_and_object(tmp_path):
    p = builtin_scenario_dir() / "baseline.yaml"
    s = load_scenario(p)
    assert s.id == "baseline"
    assert load_scenario(s) is s
    assert load_scenario(str(p)).id == "baseline"


def test_unknown_scenario_suggests_a_close_name():
    with pytest.raises(UnknownScenarioError, match="did you mean 'baseline'"):
        load_scenario("baselin")
    with pytest.raises(LookupError):
        load_scenario("no-such-scenario")


def test_environment_variable_adds_folders(tmp_path, monkeypatch):
    (tmp_path / "my-scenario.yaml").write_text(
        "extends: baseline\nname: Mine\ndescription: A user scenario.\npopulation: {size: 25}\n"
    )
    monkeypatch.setenv("ASSESS_SCENARIO_PATH", str(tmp_path))
    assert "my-scenario" in list_scenarios()
    s = load_scenario("my-scenario")
    assert s.id == "my-scenario" and s.population.size == 25
    assert s.extends == "baseline"


# --------------------------------------------------------------------------- located errors


def _write(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def _issues(path: Path, *, compile_: bool = False) -> list:
    with pytest.raises(ScenarioError) as info:
        s = load_scenario(path)
        if compile_:
            compile_scenario(s)
    assert isinstance(info.value, SpecError)  # the CLI catches SpecError
    return info.value.issues


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


HEAD = """
extends: baseline
name: Bad
description: A scenario with a mistake.
"""


def test_negative_weibull_scale(tmp_path):
    p = _write(tmp_path, HEAD + "outcome:\n  baseline: {scale: -2.0, shape: 0.8}\n")
    (issue,) = _issues(p)
    assert issue.file.endswith("bad.yaml")
    assert issue.line == _line_of(p, "scale: -2.0")
    assert issue.path == "outcome.baseline.scale"
    assert "greater than 0" in issue.message
    assert re.match(
        r".*bad\.yaml:\d+:\d+: outcome\.baseline\.scale: must be greater than 0", str(issue)
    )


def test_group_proportions_must_sum_to_one(tmp_path):
    p = _write(tmp_path, HEAD + "population:\n  groups:\n    sex: {male: 0.5, female: 0.4}\n")
    issues = _issues(p)
    assert any(
        i.path == "population.groups.sex"
        and "sum to 1, got 0.9" in i.message
        and i.line == _line_of(p, "sex:")
        for i in issues
    ), issues


def test_item_not_in_the_instrument(tmp_path):
    p = _write(tmp_path, HEAD + "items:\n  models:\n    prior_convictionz: {mean: 3}\n")
    (issue,) = _issues(p, compile_=True)
    assert issue.path == "items.models.prior_convictionz"
    assert issue.line == _line_of(p, "prior_convictionz")
    assert (
        "not in the instruments" in issue.message
        and "did you mean 'prior_convictions'" in issue.message
    )


def test_level_that_does_not_exist(tmp_path):
    p = _write(
        tmp_path,
        HEAD + 'items:\n  models:\n    literacy_support: {proportions: {"0": 0.5, "2": 0.5}}\n',
    )
    (issue,) = _issues(p, compile_=True)
    assert issue.path == "items.models.literacy_support.proportions.2"
    assert issue.line == _line_of(p, "literacy_support")
    assert "has no level '2'" in issue.message

    p2 = _write(
        tmp_path,
        HEAD
        + "items:\n  models:\n    preferred_language: {proportions: {english: 0.9, klingon: 0.1}}\n",
        "bad2.yaml",
    )
    (issue,) = _issues(p2, compile_=True)
    assert "no category 'klingon'" in issue.message


def test_unknown_group_and_level_in_dif(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "dif:\n"
        + "  - {item: prior_custody, group: race, level: black, shift: 0.5}\n"
        + "  - {item: prior_custody, group: ethnicity, level: blak, shift: 0.5}\n",
    )
    issues = _issues(p)
    by_path = {i.path: i for i in issues}
    assert "unknown group 'race'" in by_path["dif[0].group"].message
    assert by_path["dif[0].group"].line == _line_of(p, "group: race")
    assert "no level 'blak'" in by_path["dif[1].level"].message
    assert "did you mean 'black'" in by_path["dif[1].level"].message


def test_dif_on_unknown_item_and_categorical_without_category(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "dif:\n"
        + "  - {item: not_an_item, group: sex, level: female, shift: 0.5}\n"
        + "  - {item: preferred_language, group: sex, level: female, shift: 0.5}\n",
    )
    issues = {i.path: i.message for i in _issues(p, compile_=True)}
    assert "not in the instruments" in issues["dif[0].item"]
    assert "name the 'category'" in issues["dif[1]"]


def test_many_problems_reported_together(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "latents:\n  risk: {sd: 0}\n"
        + "correlations:\n  - {between: [risk, strenghts], r: -0.5}\n"
        + "outcome:\n  follow_up: -1\n  horizons: []\n",
    )
    issues = _issues(p)
    paths = {i.path for i in issues}
    assert "latents.risk.sd" in paths
    assert "outcome.follow_up" in paths
    assert "outcome.horizons" in paths
    assert all(i.line is not None for i in issues)


def test_cross_reference_problems(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "correlations:\n  - {between: [risk, strenghts], r: -0.5}\n"
        + "outcome:\n  effects:\n    latents: {risk: 0.8, capital: 0.1}\n    groups: {sex: {femme: 0.2}}\n",
    )
    issues = {i.path: i for i in _issues(p)}
    assert "did you mean 'strengths'" in issues["correlations[0].between[1]"].message
    assert "unknown latent 'capital'" in issues["outcome.effects.latents.capital"].message
    assert "no level 'femme'" in issues["outcome.effects.groups.sex.femme"].message
    assert issues["outcome.effects.latents.capital"].line == _line_of(p, "capital")


def test_impossible_correlations(tmp_path):
    body = """
    scenario_version: 1
    name: Bad
    description: Three latents cannot all correlate -0.9.
    instruments: [rnr-desistance-integrated]
    latents: {risk: {}, strengths: {}, third: {}}
    correlations:
      - {between: [risk, strengths], r: -0.9}
      - {between: [risk, third], r: -0.9}
      - {between: [strengths, third], r: -0.9}
    outcome:
      baseline: {scale: 5, shape: 1}
      follow_up: 2
      horizons: [{label: 2y, time: 2}]
    """
    p = _write(tmp_path, body)
    (issue,) = _issues(p)
    assert issue.path == "correlations" and "not positive semi-definite" in issue.message


def test_unknown_field_gets_a_suggestion(tmp_path):
    p = _write(tmp_path, HEAD + "outcome:\n  follow_upp: 3\n")
    (issue,) = _issues(p)
    assert issue.path == "outcome.follow_upp"
    assert "did you mean 'follow_up'" in issue.message
    assert issue.line == _line_of(p, "follow_upp")


def test_type_specific_item_problems(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "items:\n  models:\n"
        + "    impulsivity: {thresholds: [0.0]}\n"
        + "    prior_custody: {thresholds: [0.0]}\n"
        + "    hostility: {thresholds: [1.0, 0.0]}\n"
        + "    prior_convictions: {mean: -1}\n"
        + "    age_at_first_conviction: {min: 5}\n",
    )
    issues = {i.path: i for i in _issues(p, compile_=True)}
    assert "needs 2 thresholds, got 1" in issues["items.models.impulsivity.thresholds"].message
    assert (
        "does not apply to binary items" in issues["items.models.prior_custody.thresholds"].message
    )
    assert "must increase" in issues["items.models.hostility.thresholds"].message
    assert "positive 'mean'" in issues["items.models.prior_convictions.mean"].message
    assert "below the smallest value" in issues["items.models.age_at_first_conviction.min"].message
    assert issues["items.models.hostility.thresholds"].line == _line_of(p, "hostility")


def test_time_unit_must_match_the_instruments(tmp_path):
    p = _write(tmp_path, HEAD + "outcome:\n  time_unit: months\n")
    (issue,) = _issues(p, compile_=True)
    assert issue.path == "outcome.time_unit" and "uses years" in issue.message


def test_loss_to_follow_up_needs_exactly_one_setting(tmp_path):
    p = _write(tmp_path, HEAD + "outcome:\n  loss_to_follow_up: {rate: 0.1, proportion: 0.2}\n")
    (issue,) = _issues(p)
    assert issue.path == "outcome.loss_to_follow_up" and "exactly one" in issue.message


def test_joint_table_checks(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "population:\n  groups:\n    sex: [male, female]\n  joint:\n"
        + "    - {levels: {sex: male, ethnicity: white}, proportion: 0.5}\n"
        + "    - {levels: {sex: female, ethnicity: purple}, proportion: 0.4}\n",
    )
    issues = {i.path: i.message for i in _issues(p)}
    assert "no level 'purple'" in issues["population.joint[1].levels.ethnicity"]
    assert "sum to 1" in issues["population.joint"]


def test_extends_problems_are_located_in_the_right_file(tmp_path):
    parent = _write(
        tmp_path,
        HEAD.replace("extends: baseline\n", "extends: baseline\n")
        + "dif:\n  - {item: prior_custody, group: sex, level: woman, shift: 0.5}\n",
        "parent.yaml",
    )
    child = _write(
        tmp_path,
        "extends: parent\nname: Child\ndescription: Inherits a bad DIF entry.\n",
        "child.yaml",
    )
    (issue,) = _issues(child)
    assert issue.path == "dif[0].level" and issue.file.endswith("parent.yaml")
    assert issue.line == _line_of(parent, "woman")
    child2 = _write(
        tmp_path,
        "extends: parent\nname: Child\ndescription: d\noutcome:\n  baseline: {scale: 0, shape: 1}\n",
        "child2.yaml",
    )
    (issue,) = _issues(child2)
    assert issue.path == "outcome.baseline.scale" and issue.file.endswith("child2.yaml")
    # an unknown or circular base
    bad = _write(tmp_path, "extends: nowhere\nname: X\ndescription: Y\n", "orphan.yaml")
    (issue,) = _issues(bad)
    assert issue.path == "extends" and "unknown scenario 'nowhere'" in issue.message
    _write(tmp_path, "extends: loop-b\nname: A\ndescription: A\n", "loop-a.yaml")
    b = _write(tmp_path, "extends: loop-a\nname: B\ndescription: B\n", "loop-b.yaml")
    (issue,) = _issues(b)
    assert "cycle" in issue.message


def test_broken_yaml_and_empty_file(tmp_path):
    p = _write(tmp_path, "name: [unclosed\n", "broken.yaml")
    (issue,) = _issues(p)
    assert issue.line is not None
    e = _write(tmp_path, "# only a comment\n", "empty.yaml")
    (issue,) = _issues(e)
    assert "empty" in issue.message and "scenario" in issue.message
    lst = _write(tmp_path, "- a\n- b\n", "list.yaml")
    (issue,) = _issues(lst)
    assert "scenario's fields" in issue.message


def test_not_a_yaml_file(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("id: x")
    with pytest.raises(ScenarioError, match="ending in .yaml"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "missing.yaml")


def test_load_scenario_text_and_unlocated_issues_for_objects():
    s = load_scenario_text(
        "extends: baseline\nname: T\ndescription: d\nid: from-text\npopulation: {size: 7}\n",
        file="t.yaml",
    )
    assert isinstance(s, Scenario) and s.population.size == 7
    # a scenario built in code has no file: compile-time problems are still reported
    bad = Scenario.model_validate(
        {
            "id": "in-code",
            "name": "n",
            "description": "d",
            "instruments": ["rnr-general"],
            "latents": {"risk": {}},
            "items": {"models": {"nope": {}}},
            "outcome": {
                "baseline": {"scale": 5, "shape": 1},
                "follow_up": 2,
                "horizons": [{"label": "2y", "time": 2}],
            },
        }
    )
    with pytest.raises(ScenarioError) as info:
        compile_scenario(bad)
    messages = [i.message for i in info.value.issues]
    assert any("'nope' is not in the instruments" in m for m in messages)
    assert any("has no response model" in m for m in messages)
    assert all(i.line is None for i in info.value.issues)
