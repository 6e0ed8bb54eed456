"""Rule-list models in the spec language: validation, located errors, schema, dumps and cards.

Scoring semantics are tested in ``tests/scoring/test_rule_list_scoring.py``.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assess.report.card import instrument_card
from assess.spec import SpecError
from assess.spec.loader import load_spec_text, spec_hash
from assess.spec.models import InstrumentSpec, RuleListModel
from assess.spec.schema import instrument_json_schema


def _spec(models, bands=(), items=None, **kw) -> dict:
    items = items or [
        {
            "id": "age",
            "label": "Age",
            "domain": "d",
            "role": "context",
            "kind": "static",
            "response": {"type": "number", "min": 0, "max": 120},
        },
        {
            "id": "priors",
            "label": "Prior convictions",
            "domain": "d",
            "role": "risk",
            "kind": "static",
            "response": {"type": "count"},
        },
    ]
    return {
        "id": "rule-demo",
        "version": "1.0.0",
        "name": "Rule demo",
        "status": "draft",
        "description": "test",
        "licence": "MIT",
        "domains": [{"id": "d", "label": "D"}],
        "items": items,
        "models": list(models),
        "bands": list(bands),
        **kw,
    }


RULES = {
    "type": "rule_list",
    "id": "flag",
    "rules": [
        {"if": "age < 21", "then": 1},
        {"if": "priors > 3", "then": 1},
    ],
    "else": 0,
}


def _problems(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        InstrumentSpec.model_validate(data)
    return str(info.value)


def test_rule_list_validates_and_lists_its_outputs():
    spec = InstrumentSpec.model_validate(_spec([RULES]))
    m = spec.models[0]
    assert isinstance(m, RuleListModel)
    assert [r.if_ for r in m.rules] == ["age < 21", "priors > 3"]
    assert m.values == [1.0, 1.0, 0.0] and not m.labelled and m.labels == []
    assert spec.output_columns()[-5:] == ["flag", "flag_rule", "n_missing", "status", "reason"]


def test_labelled_rule_list_keeps_labels_in_order_of_first_appearance():
    model = {**RULES, "rules": [{"if": "age < 21", "then": "Yes"}, {"if": "priors > 3", "then": "Maybe"}], "else": "No"}
    m = InstrumentSpec.model_validate(_spec([model])).models[0]
    assert m.labelled and m.labels == ["Yes", "Maybe", "No"]
    model["rules"][1]["then"] = "Yes"
    assert InstrumentSpec.model_validate(_spec([model])).models[0].labels == ["Yes", "No"]


def test_dump_uses_the_yaml_keys_and_validates_back():
    spec = InstrumentSpec.model_validate(_spec([RULES]))
    dumped = spec.model_dump(mode="json")["models"][0]
    assert dumped["rules"][0] == {"if": "age < 21", "then": 1.0}
    assert dumped["else"] == 0.0
    again = InstrumentSpec.model_validate(spec.model_dump(mode="json"))
    assert spec_hash(again) == spec_hash(spec)


def test_conditions_may_use_items_scales_and_derived_variables():
    data = _spec(
        [{**RULES, "rules": [{"if": "young and total > 2", "then": 1}]}],
        scales=[{"id": "total", "label": "Total", "components": ["priors"]}],
        derived=[{"id": "young", "expression": "age < 25"}],
    )
    InstrumentSpec.model_validate(data)


def test_unknown_name_in_a_condition_is_located():
    data = _spec([{**RULES, "rules": [RULES["rules"][0], {"if": "prior > 3", "then": 1}]}])
    msg = _problems(data)
    assert "models[0].rules[1].if" in msg and "unknown name 'prior'" in msg
    assert "did you mean 'priors'" in msg


def test_model_outputs_are_not_available_to_conditions():
    other = {"type": "additive", "id": "points", "terms": [{"ref": "priors", "coefficient": 1}]}
    data = _spec([other, {**RULES, "rules": [{"if": "points > 3", "then": 1}]}])
    assert "unknown name 'points'" in _problems(data)


def test_uncoded_categorical_items_cannot_be_used_but_coded_ones_can():
    sex = {
        "id": "sex",
        "label": "Sex",
        "domain": "d",
        "role": "context",
        "kind": "static",
        "response": {"type": "categorical", "categories": [{"value": "Male"}, {"value": "Female"}]},
    }
    model = {**RULES, "rules": [{"if": "sex == 1", "then": 1}]}
    assert "unknown name 'sex'" in _problems(_spec([model], items=[sex]))
    for c, code in zip(sex["response"]["categories"], (1, 0), strict=True):
        c["code"] = code
    InstrumentSpec.model_validate(_spec([model], items=[sex]))


def test_mixed_numbers_and_labels_are_refused_at_the_odd_value():
    data = _spec([{**RULES, "rules": [{"if": "age < 21", "then": 1}, {"if": "priors > 3", "then": "High"}]}])
    msg = _problems(data)
    assert "models[0].rules[1].then" in msg and "'High' is a label but rule 1 gives 1" in msg


@pytest.mark.parametrize(
    "change, words",
    [
        ({"rules": []}, "at least 1"),
        ({"else": ""}, "must not be empty"),
        ({"rules": [{"if": "age < 21", "then": ""}]}, "must not be empty"),
        ({"rules": [{"if": "", "then": 1}]}, "if"),
        ({"rules": [{"if": "age < 21", "then": 1, "than": 2}]}, "than"),
    ],
)
def test_malformed_rule_lists_are_refused(change, words):
    assert words in _problems(_spec([{**RULES, **change}]))


def test_missing_else_is_refused():
    model = {k: v for k, v in RULES.items() if k != "else"}
    assert "else" in _problems(_spec([model]))


def test_bands_apply_to_numeric_rule_lists_only():
    band = {"id": "b", "on": "flag", "cuts": [{"label": "no", "upper": 0.5}, {"label": "yes"}]}
    InstrumentSpec.model_validate(_spec([RULES], bands=[band]))
    labelled = {**RULES, "rules": [{"if": "age < 21", "then": "Y"}], "else": "N"}
    assert "gives labels, not numbers" in _problems(_spec([labelled], bands=[band]))
    assert "unknown column 'flag_rule'" in _problems(_spec([RULES], bands=[{**band, "on": "flag_rule"}]))


def test_output_name_clash_is_refused():
    data = _spec([RULES], derived=[{"id": "flag_rule", "expression": "age"}])
    assert "two outputs would both be named 'flag_rule'" in _problems(data)


def test_yaml_rule_list_with_located_error():
    text = """\
id: rule-demo
version: 1.0.0
name: Rule demo
status: draft
description: test
licence: MIT
domains: [{id: d, label: D}]
items:
  - {id: age, label: Age, domain: d, role: context, kind: static, response: {type: number}}
models:
  - type: rule_list
    id: flag
    rules:
      - if: "age < 21"
        then: 1
      - if: "agge > 60"
        then: 1
    else: 0
"""
    with pytest.raises(SpecError) as info:
        load_spec_text(text)
    (issue,) = info.value.issues
    assert issue.line == 16 and issue.path == "models[0].rules[1].if"
    assert "did you mean 'age'" in issue.message


def test_json_schema_describes_rule_lists():
    defs = instrument_json_schema()["$defs"]
    props = defs["RuleListModel"]["properties"]
    assert set(props) >= {"type", "id", "rules", "else"}
    assert "else" in defs["RuleListModel"]["required"]
    rule = defs["Rule"]["properties"]
    assert set(rule) == {"if", "then"}
    assert "first rule whose condition holds decides" in rule["if"]["description"]
    assert "Functions:" in rule["if"]["description"]


def test_card_lists_the_rules_in_order():
    spec = InstrumentSpec.model_validate(_spec([{**RULES, "label": "Two-year prediction"}]))
    card = instrument_card(spec)
    assert "`flag` Two-year prediction (rule list" in card
    assert "  1. if `age < 21` then 1" in card
    assert "  2. else if `priors > 3` then 1" in card
    assert "  3. else 0" in card
    labelled = {**RULES, "rules": [{"if": "age < 21", "then": "Yes"}], "else": "No"}
    card = instrument_card(InstrumentSpec.model_validate(_spec([labelled])))
    assert '1. if `age < 21` then "Yes"' in card and '2. else "No"' in card
