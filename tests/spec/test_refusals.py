"""Refusals: rows for which an instrument gives no score at all, with the instrument's reason.

Covers validation (names, located errors, schema, hashes, cards) and scoring semantics (every
output missing, status ``invalid``, the reason text, missing conditions do not refuse, strict
mode, the problems table, test vectors), checked against hand-worked answers; the engine is
compared with the reference scorer on random refusals in
``tests/scoring/test_rule_list_scoring.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from assess.report.card import instrument_card
from assess.scoring import Instrument
from assess.scoring.inputs import ScoringInputError
from assess.scoring.reference import score_reference
from assess.spec import SpecError
from assess.spec.loader import load_spec_text, spec_hash
from assess.spec.models import InstrumentSpec

AGE_FIRST = "first sanction recorded after the current age"
TOO_YOUNG = "younger than the instrument's minimum age of 10"


def _item(id, response, role="risk", **kw):
    return {"id": id, "label": id, "domain": "d", "role": role, "kind": "static", "response": response, **kw}


def _data(refusals, **kw) -> dict:
    return {
        "id": "refusal-demo",
        "version": "1.0.0",
        "name": "Refusal demo",
        "status": "draft",
        "description": "test",
        "licence": "MIT",
        "domains": [{"id": "d", "label": "D"}],
        "items": [
            _item("age", {"type": "number", "min": 0, "max": 120}, role="context"),
            _item("age_first", {"type": "number", "min": 0, "max": 120}, role="context"),
            _item("priors", {"type": "count", "max": 99}),
            _item("peers", {"type": "ordinal", "levels": [{"value": v, "label": str(v), "points": v} for v in (0, 1, 2)]}),
        ],
        "scales": [
            {"id": "total", "label": "Total", "components": ["priors", "peers"], "missing": {"max_missing": 1}}
        ],
        "derived": [{"id": "career", "expression": "age - age_first"}],
        "models": [
            {
                "type": "logistic",
                "id": "reoffend",
                "terms": [{"ref": "total", "coefficient": 0.3}, {"ref": "career", "coefficient": -0.05}],
                "horizons": [{"label": "2y", "time": 2, "intercept": -1}],
            }
        ],
        "bands": [
            {"id": "risk", "on": "total", "upper_inclusive": True, "cuts": [{"label": "Low", "upper": 2}, {"label": "High"}]}
        ],
        "refusals": refusals,
        **kw,
    }


REFUSALS = [
    {"when": "age_first > age", "reason": AGE_FIRST},
    {"when": "age < 10", "reason": TOO_YOUNG},
]


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return Instrument(InstrumentSpec.model_validate(_data(REFUSALS)))


def _frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({k: pd.Series(list(v), dtype=object) for k, v in cols.items()}, index=pd.RangeIndex(n))


# --------------------------------------------------------------------------- validation


def test_refusals_validate_and_change_no_output_column(inst):
    assert [r.reason for r in inst.spec.refusals] == [AGE_FIRST, TOO_YOUNG]
    without = InstrumentSpec.model_validate(_data([]))
    assert inst.spec.output_columns() == without.output_columns()


def test_condition_names_are_checked_and_located():
    with pytest.raises(ValidationError) as info:
        InstrumentSpec.model_validate(_data([{"when": "age_frst > age", "reason": "x"}]))
    msg = str(info.value)
    assert "refusals[0].when" in msg and "unknown name 'age_frst'" in msg and "did you mean 'age_first'" in msg


def test_conditions_may_use_scales_and_derived_but_not_model_outputs():
    InstrumentSpec.model_validate(_data([{"when": "total > 3 or career < 0", "reason": "x"}]))
    with pytest.raises(ValidationError, match="unknown name 'reoffend_p_2y'"):
        InstrumentSpec.model_validate(_data([{"when": "reoffend_p_2y > 0.5", "reason": "x"}]))


@pytest.mark.parametrize(
    "refusal, words",
    [
        ({"when": "age < 10"}, "reason"),
        ({"reason": "x"}, "when"),
        ({"when": "age < 10", "reason": ""}, "reason"),
        ({"when": "age <", "reason": "x"}, "expected a value"),
        ({"when": "age < 10", "reason": "x", "because": "y"}, "because"),
    ],
)
def test_malformed_refusals_are_refused(refusal, words):
    with pytest.raises(ValidationError) as info:
        InstrumentSpec.model_validate(_data([refusal]))
    assert words in str(info.value)


def test_yaml_error_points_at_the_condition_line():
    text = """\
id: refusal-demo
version: 1.0.0
name: Refusal demo
status: draft
description: test
licence: MIT
domains: [{id: d, label: D}]
items:
  - {id: age, label: Age, domain: d, role: context, kind: static, response: {type: number}}
refusals:
  - when: "age < 10"
    reason: too young
  - when: "agee > 100"
    reason: too old
"""
    with pytest.raises(SpecError) as info:
        load_spec_text(text)
    (issue,) = info.value.issues
    assert (issue.line, issue.path) == (13, "refusals[1].when")


def test_specs_without_refusals_keep_their_hash_and_dump():
    spec = InstrumentSpec.model_validate(_data([]))
    assert "refusals" not in spec.model_dump(mode="json")
    with_refusals = InstrumentSpec.model_validate(_data(REFUSALS))
    assert with_refusals.model_dump(mode="json")["refusals"][0] == {"when": "age_first > age", "reason": AGE_FIRST, "description": None}
    assert spec_hash(with_refusals) != spec_hash(spec)
    assert spec_hash(InstrumentSpec.model_validate(with_refusals.model_dump(mode="json"))) == spec_hash(with_refusals)


def test_schema_and_card_describe_refusals(inst):
    from assess.spec.schema import instrument_json_schema

    defs = instrument_json_schema()["$defs"]
    assert set(defs["Refusal"]["required"]) == {"when", "reason"}
    assert "no score at all" in defs["Refusal"]["properties"]["when"]["description"]
    card = instrument_card(inst.spec)
    assert "## Refusals" in card
    assert f"- when `age_first > age`: {AGE_FIRST}" in card


# --------------------------------------------------------------------------- scoring


def test_a_refused_row_gets_no_score_and_the_reason(inst):
    data = _frame(age=[30, 25, 8, 30], age_first=[18, 27, 7, 18], priors=[2, 2, 2, 1], peers=[1, 1, 1, 2])
    f = inst.score(data).frame
    ok, refused, young = f.iloc[0], f.iloc[1], f.iloc[2]
    assert ok["status"] == "ok" and ok["total"] == 3 and ok["risk"] == "High"
    assert refused["status"] == "invalid" and refused["reason"] == AGE_FIRST
    assert young["reason"] == TOO_YOUNG
    numeric = ["priors_points", "peers_points", "total", "career", "reoffend_lp", "reoffend_p_2y"]
    assert f.loc[[1, 2], numeric].isna().all().all()
    assert f.loc[[1, 2], "risk"].isna().all() and f.loc[[1, 2], "band"].isna().all()
    # counts of missing items are facts about the data and stay
    assert f["n_missing"].tolist() == [0, 0, 0, 0] and f["total_missing"].tolist() == [0, 0, 0, 0]
    assert f["status"].tolist() == ["ok", "invalid", "invalid", "ok"]


def test_a_missing_condition_does_not_refuse(inst):
    data = _frame(age=[30, None, 30], age_first=[None, 18, np.nan], priors=[2, 2, 2], peers=[1, 1, 1])
    f = inst.score(data).frame
    # total is scored; the model needs career, which is undefined: the usual missing-data reason
    assert f["total"].tolist() == [3, 3, 3]
    assert f["reason"].tolist() == ["derived 'career' is undefined (missing or out-of-domain inputs)"] * 3


def test_several_refusals_are_joined_in_spec_order(inst):
    f = inst.score(_frame(age=[8], age_first=[9], priors=[0], peers=[0])).frame
    assert f["reason"].iloc[0] == f"{AGE_FIRST}; {TOO_YOUNG}"


def test_refusal_replaces_pipeline_reasons_but_keeps_invalid_values(inst):
    # row 0: a prorated total would be noted, row 1: an invalid peers value is reported
    data = _frame(age=[20, 20], age_first=[30, 30], priors=[None, 1], peers=[1, 7])
    result = inst.score(data)
    f = result.frame
    assert f["reason"].iloc[0] == AGE_FIRST
    assert f["reason"].iloc[1] == f"{AGE_FIRST}; item 'peers': invalid value 7; expected one of the levels 0, 1, 2"
    assert f["status"].tolist() == ["invalid", "invalid"]
    probs = result.problems
    assert probs["item"].tolist() == ["refusals[0]", "refusals[0]", "peers"]
    assert probs["status"].tolist() == ["invalid"] * 3
    # the frame's reasons are exactly the problems, row by row
    joined = probs.groupby("position")["message"].agg("; ".join).tolist()
    assert joined == f["reason"].tolist()
    assert result.status_counts().to_dict() == {"ok": 0, "prorated": 0, "invalid": 2}


def test_refusal_in_strict_mode_is_an_error_naming_row_and_reason(inst):
    data = _frame(age=[30, 25, 30], age_first=[18, 27, 18], priors=[1, 1, 1], peers=[0, 0, 5])
    data.index = pd.Index(["p1", "p2", "p3"])
    with pytest.raises(ScoringInputError) as info:
        inst.score(data, strict=True)
    msg = str(info.value)
    assert msg.startswith("1 invalid value and 1 refusal (no score) in 2 rows")
    assert f"row 'p2': refused: {AGE_FIRST}" in msg
    assert info.value.problems["row"].tolist() == ["p2", "p3"]
    # only a refusal
    with pytest.raises(ScoringInputError, match=r"^1 refusal \(no score\) in 1 row"):
        inst.score(data.iloc[:2], strict=True)
    inst.score(data.iloc[:1], strict=True)  # nothing to refuse: no error


def test_refusals_on_scales_and_derived_variables():
    spec = InstrumentSpec.model_validate(
        _data([{"when": "total >= 4", "reason": "too high to score"}, {"when": "career > 50", "reason": "long"}])
    )
    f = Instrument(spec).score(_frame(age=[80, 30], age_first=[20, 20], priors=[2, 3], peers=[1, 2])).frame
    assert f["reason"].tolist() == ["long", "too high to score"]
    assert f["total"].isna().all()


def test_constant_condition_refuses_every_row():
    spec = InstrumentSpec.model_validate(_data([{"when": "true", "reason": "withdrawn"}]))
    f = Instrument(spec).score(_frame(age=[30, 40], age_first=[18, 18], priors=[1, 1], peers=[0, 0])).frame
    assert f["reason"].tolist() == ["withdrawn", "withdrawn"]
    assert f["status"].tolist() == ["invalid", "invalid"]


def test_engine_equals_reference_across_blocks(inst, monkeypatch):
    import assess.scoring.engine as engine

    rng = np.random.default_rng(5)
    n = 400
    data = pd.DataFrame(
        {
            "age": rng.choice([5.0, 9.0, 15.0, 30.0, 60.0, np.nan], n),
            "age_first": rng.choice([8.0, 14.0, 20.0, 70.0, np.nan], n),
            "priors": rng.choice(np.array([0, 1, 5, None, -1], dtype=object), n),
            "peers": rng.choice(np.array([0, 1, 2, None, 9], dtype=object), n),
        }
    )
    monkeypatch.setattr(engine, "BLOCK_ROWS", 37)
    result = inst.score(data)
    expected = score_reference(inst.spec, data)
    pd.testing.assert_frame_equal(result.frame, expected, check_dtype=False, rtol=1e-12)
    assert {"ok", "prorated", "invalid"} == set(result.frame["status"])
    assert (result.frame["reason"] == AGE_FIRST).any()


def test_test_vectors_can_expect_a_refusal(inst):
    data = _data(
        REFUSALS,
        test_vectors=[
            {
                "name": "first sanction after the current age",
                "inputs": {"age": 25, "age_first": 27, "priors": 1, "peers": 1},
                "expect": {"status": "invalid", "reason": AGE_FIRST, "total": None, "reoffend_p_2y": None, "band": None},
            }
        ],
    )
    (res,) = Instrument(InstrumentSpec.model_validate(data)).run_test_vectors()
    assert res.passed, str(res)
