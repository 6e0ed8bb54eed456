"""Instrument-level API: built-in test vectors, template, input columns, spec hash, results."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import binary, categorical, make_spec, ordinal, scale

from assess.scoring import Instrument, load_instrument
from assess.scoring.compiler import compile_spec

NAMES = ["rnr-general", "desistance-strengths", "rnr-desistance-integrated"]


@pytest.mark.parametrize("name", NAMES)
def test_builtin_test_vectors_pass(builtin, name):
    results = builtin[name].run_test_vectors()
    assert results, "built-in instruments carry test vectors"
    failed = [str(r) for r in results if not r.passed]
    assert not failed, failed


def test_failing_test_vector_is_reported():
    spec = make_spec(
        [ordinal("a")],
        scales=[scale("s", ["a"])],
        test_vectors=[
            {"name": "right", "inputs": {"a": 2}, "expect": {"s": 2, "status": "ok"}},
            {
                "name": "wrong",
                "inputs": {"a": 2},
                "expect": {"s": 1, "status": "ok", "a_points": None},
            },
            {"name": "missing", "inputs": {}, "expect": {"s": None, "status": "invalid"}},
        ],
    )
    results = Instrument(spec).run_test_vectors()
    assert [r.passed for r in results] == [True, False, True]
    assert [(m.column, m.expected, m.actual) for m in results[1].mismatches] == [
        ("s", 1, 2.0),
        ("a_points", None, 2.0),
    ]
    assert str(results[1]).startswith("FAIL wrong: s: expected 1, got 2.0")


@pytest.mark.parametrize("name", NAMES)
def test_template_is_valid_and_reproducible(builtin, name):
    inst = builtin[name]
    t = inst.template(200, seed=5)
    assert list(t.columns) == [it.id for it in inst.spec.items] and len(t) == 200
    pd.testing.assert_frame_equal(t, inst.template(200, seed=5))
    assert not t.equals(inst.template(200, seed=6))
    result = inst.score(t, strict=True)  # every value is valid
    assert (result.frame["status"] == "ok").all()


def test_input_columns():
    spec = make_spec(
        [
            ordinal("a"),
            binary("b"),
            categorical("lang", {"en": 0, "cy": 0}, role="context"),
            {
                "id": "age",
                "label": "Age",
                "domain": "d",
                "role": "context",
                "kind": "static",
                "response": {"type": "number", "min": 10},
            },
        ],
        derived=[{"id": "older", "expression": "age - 18"}],
    )
    cols = {c.name: c for c in Instrument(spec).input_columns()}
    assert list(cols) == ["a", "b", "lang", "age"]
    assert cols["a"].type == "ordinal" and cols["a"].scored and cols["a"].required
    assert not cols["lang"].scored and not cols["lang"].required
    assert cols["age"].required  # read by a derived expression
    assert cols["b"].allowed == "0 or 1" and cols["lang"].allowed == "one of 'en', 'cy'"


def test_spec_hash_and_identity(builtin):
    inst = builtin["rnr-general"]
    payload = json.dumps(
        inst.spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert inst.spec_hash == hashlib.sha256(payload.encode("utf-8")).hexdigest()
    assert inst.id == "rnr-general" and inst.version == inst.spec.version
    assert load_instrument("rnr-general") == inst
    assert pickle.loads(pickle.dumps(inst)).spec_hash == inst.spec_hash
    assert "rnr-general" in repr(inst)


def test_result_summary_and_printing(builtin):
    inst = builtin["rnr-general"]
    data = inst.template(50, seed=1).astype(object)
    data.iloc[0, 0] = "bad"
    data.iloc[1, :4] = None
    result = inst.score(data)
    summary = result.summary()
    assert list(summary.columns) == ["section", "name", "statistic", "value"]
    status = summary[summary.section == "status"].set_index("name")["value"]
    assert status.sum() == 50 and status["invalid"] >= 1
    band = summary[summary.section == f"band {inst.spec.bands[0].id}"]
    assert band["value"].sum() == 50
    total = summary[(summary.section == "scale") & (summary.statistic == "mean")]
    scale_means = {s.id: result.frame[s.id].mean() for s in inst.spec.scales}
    assert dict(zip(total["name"], total["value"], strict=True)) == pytest.approx(scale_means)
    text = str(result)
    assert "rows=50" in text and "problems:" in text
    assert repr(result).startswith("ScoreResult(instrument='rnr-general'")
    assert result.status_counts().sum() == 50
    problems = result.problems
    assert list(problems.columns) == ["row", "position", "item", "value", "message", "status"]
    assert problems["value"].iloc[0] == "bad" and problems["position"].is_monotonic_increasing


def test_compiled_tables_fold_reverse_and_protective():
    spec = make_spec(
        [
            ordinal("r", values=(1, 2, 3), points=(0, 1, 3), reverse=True),
            ordinal("p", values=(0, 1, 2), points=(1, 2, 3), role="strength", protective_only=True),
        ]
    )
    c = compile_spec(spec)
    np.testing.assert_array_equal(c.items[0].points_table, [3.0, 2.0, 0.0, np.nan])
    np.testing.assert_array_equal(c.items[1].points_table, [0.0, 2.0, 3.0, 0.0])
    assert c.dense.contiguous and not c.dense.zero_lo


def test_template_redraws_rows_a_refusal_rejects(builtin):
    """rnr-general refuses a first conviction after the assessment; the template redraws such rows
    (with the same generator), so every row scores in strict mode."""
    inst = builtin["rnr-general"]
    first = np.random.default_rng(5)
    raw = inst._template_rows(first, 400)
    assert (raw["age_at_first_conviction"] > raw["age_at_assessment"]).any()  # the plain draw hits it
    t = inst.template(400, seed=5)
    assert not (t["age_at_first_conviction"] > t["age_at_assessment"]).any()
    assert (inst.score(t, strict=True).frame["status"] == "ok").all()


def test_template_warns_when_rows_stay_refused():
    """OGRS3's whole-years rule rejects nearly every drawn age; the rows are kept and a warning says
    how many are refused and why (never a silent invalid template)."""
    inst = load_instrument("ogrs3")
    with pytest.warns(UserWarning, match=r"rows of instrument 'ogrs3' are still refused.*whole completed years"):
        t = inst.template(30, seed=0)
    assert len(t) == 30
