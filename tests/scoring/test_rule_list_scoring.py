"""Scoring rule-list models (first matching rule decides), coded categorical items, count items
without bands, and refusals: hand-worked answers, plus the vectorised engine against the per-row
reference scorer on hypothesis-generated rule lists and refusals (tiny block sizes included)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_helpers import assert_same_frames, binary, categorical, count, frame, make_spec, number

import assess.scoring.engine as engine
from assess.scoring import Instrument
from assess.scoring.reference import score_reference


def _sex(role="context"):
    it = categorical("sex", {"Male": 0, "Female": 0}, role=role)
    for cat, code in zip(it["response"]["categories"], (1, 0), strict=True):
        cat["code"] = code
    return it


def _corels_like(labelled: bool = False):
    """The shape of the CORELS Broward rule list (ages 18-20 etc.) on small hand data."""
    yes, no = ("yes", "no") if labelled else (1, 0)
    items = [number("age", min=0, max=120, role="context"), count("priors", None, role="context"), _sex()]
    rules = [
        {"if": "age >= 23 and age <= 25 and priors >= 2 and priors <= 3", "then": yes},
        {"if": "age >= 18 and age <= 20", "then": yes},
        {"if": "sex == 1 and age >= 21 and age <= 22", "then": yes},
        {"if": "priors > 3", "then": yes},
    ]
    model = {"type": "rule_list", "id": "pred", "rules": rules, "else": no}
    return make_spec(items, models=[model])


CASES = [
    # age, priors, sex -> value, rule
    (24, 2, "Female", 1, 1),
    (24, 1, "Female", 0, 5),
    (19, 0, "Female", 1, 2),
    (22, 0, "Male", 1, 3),
    (22, 0, "Female", 0, 5),
    (40, 4, "Female", 1, 4),
    (40, 3, "Male", 0, 5),
    (26, 3, "Male", 0, 5),
]


def test_first_matching_rule_decides():
    inst = Instrument(_corels_like())
    data = frame(
        age=[c[0] for c in CASES], priors=[c[1] for c in CASES], sex=[c[2] for c in CASES]
    )
    f = inst.score(data).frame
    assert f["pred"].tolist() == [float(c[3]) for c in CASES]
    assert f["pred_rule"].tolist() == [float(c[4]) for c in CASES]
    assert (f["status"] == "ok").all() and (f["reason"] == "").all()
    assert list(f.columns) == ["pred", "pred_rule", "n_missing", "status", "reason"]


def test_labelled_rule_list_gives_a_categorical_column():
    inst = Instrument(_corels_like(labelled=True))
    data = frame(age=[24, 24, None], priors=[2, 1, 0], sex=["Male", "Male", "Male"])
    f = inst.score(data).frame
    assert isinstance(f["pred"].dtype, pd.CategoricalDtype)
    assert list(f["pred"].cat.categories) == ["yes", "no"]
    assert f["pred"].iloc[:2].tolist() == ["yes", "no"] and pd.isna(f["pred"].iloc[2])
    assert "pred" not in inst.numeric_output_columns and "pred_rule" in inst.numeric_output_columns
    assert_same_frames(f, score_reference(inst.spec, data))


def test_a_missing_condition_is_never_a_silent_fall_through():
    inst = Instrument(_corels_like())
    data = frame(
        age=[None, 24, 19, 40, 40, 22],
        priors=[0, None, None, None, 1, 0],
        sex=["Male", "Male", "Male", "Male", None, "Other"],
    )
    f = inst.score(data).frame
    reasons = f["reason"].tolist()
    # age missing, priors 0: rule 1 is false whatever the age (Kleene 'and'); rule 2 needs age
    assert reasons[0] == "model 'pred': rule 2 needs age, which is missing"
    # age 24 makes rule 1 depend on priors, which is missing
    assert reasons[1] == "model 'pred': rule 1 needs priors, which is missing"
    # age 19: rule 1 is false whatever priors is (Kleene 'and'), rule 2 holds
    assert f["pred"].iloc[2] == 1 and reasons[2] == ""
    # age 40: rules 1-3 are false, rule 4 needs priors
    assert reasons[3] == "model 'pred': rule 4 needs priors, which is missing"
    # sex missing but age 40: rule 3 is false anyway; priors 1: else
    assert f["pred"].iloc[4] == 0 and f["pred_rule"].iloc[4] == 5
    # an unknown category is an invalid value, then treated as missing
    assert reasons[5].startswith("item 'sex': invalid value 'Other'")
    assert reasons[5].endswith("; model 'pred': rule 3 needs sex, which is missing")
    assert f["status"].tolist() == ["invalid", "invalid", "ok", "invalid", "ok", "invalid"]
    assert f.loc[[0, 1, 3, 5], ["pred", "pred_rule"]].isna().all().all()
    assert_same_frames(f, score_reference(inst.spec, data))


def test_rule_message_names_every_missing_input_and_domain_errors():
    items = [number("a", role="context"), number("b", role="context")]
    model = {
        "type": "rule_list",
        "id": "m",
        "rules": [{"if": "a + b > 1", "then": 2}, {"if": "ln(a) > 0", "then": 3}],
        "else": 0,
    }
    inst = Instrument(make_spec(items, models=[model]))
    f = inst.score(frame(a=[None, 0.0, 5.0], b=[None, 0.5, 0.0])).frame
    assert f["reason"].tolist() == [
        "model 'm': rule 1 needs a and b, which are missing",
        "model 'm': rule 2 is undefined (out-of-domain inputs)",
        "",
    ]
    assert f["m"].iloc[2] == 2


def test_bands_on_a_rule_list_and_test_vectors():
    spec = _corels_like().model_dump(mode="json")
    spec["bands"] = [
        {"id": "prediction", "on": "pred", "cuts": [{"label": "No", "upper": 0.5}, {"label": "Yes"}]}
    ]
    spec["test_vectors"] = [
        {"name": "rule 3", "inputs": {"age": 21, "priors": 0, "sex": "Male"}, "expect": {"pred": 1, "pred_rule": 3, "band": "Yes"}},
        {"name": "else", "inputs": {"age": 50, "priors": 0, "sex": "Male"}, "expect": {"pred": 0, "pred_rule": 5, "band": "No"}},
        {"name": "missing", "inputs": {"age": 50, "sex": "Male"}, "expect": {"pred": None, "band": None, "status": "invalid"}},
    ]
    results = Instrument(spec).run_test_vectors()
    assert all(r.passed for r in results), [str(r) for r in results]


def test_count_items_without_bands_score_their_value():
    spec = make_spec(
        [count("decile", None, min=1, max=10)],
        scales=[{"id": "score", "label": "score", "components": ["decile"]}],
        bands=[
            {
                "id": "level",
                "on": "score",
                "upper_inclusive": True,
                "cuts": [{"label": "Low", "upper": 4}, {"label": "Medium", "upper": 7}, {"label": "High"}],
            }
        ],
    )
    inst = Instrument(spec)
    data = frame(decile=[1, 4, 5, 7, 8, 10, 0, 11, 4.5, None])
    f = inst.score(data).frame
    assert f["decile_points"].tolist()[:6] == [1, 4, 5, 7, 8, 10]
    assert f["band"].tolist()[:6] == ["Low", "Low", "Medium", "Medium", "High", "High"]
    assert f["status"].tolist()[6:] == ["invalid"] * 4
    assert_same_frames(f, score_reference(spec, data))
    assert inst.template(50, seed=1)["decile"].between(1, 10).all()


def test_coded_categorical_items_in_derived_variables_and_model_terms():
    spec = make_spec(
        [_sex(), binary("b")],
        derived=[{"id": "male_b", "expression": "sex * b"}],
        models=[{"type": "additive", "id": "pts", "terms": [{"ref": "sex", "coefficient": 2}]}],
    )
    data = frame(sex=["Male", "Female", None], b=[1, 1, 1])
    f = Instrument(spec).score(data).frame
    assert f["male_b"].tolist()[:2] == [1, 0] and np.isnan(f["male_b"].iloc[2])
    assert f["pts"].tolist()[:2] == [2, 0]
    assert_same_frames(f, score_reference(spec, data))


# --------------------------------------------------------------------------- engine = reference

CONDITIONS = [
    "{a} > 1",
    "{a} <= {b}",
    "{a} > 1 and {b} < 2",
    "{a} > 1 or {b} < 2",
    "not ({a} == 0)",
    "is_missing({a})",
    "coalesce({a}, 0) >= 1",
    "ln({a}) > 0",
    "{a} - {b}",
    "true",
    "false",
]


@st.composite
def rule_list_specs(draw):
    items = [
        number("x", min=0, max=10, role="context"),
        count("n", [{"upper": 2, "points": 0}, {"lower": 2, "points": 1}], max=20),
        binary("b"),
        _sex(),
        count("raw", None, max=5),
    ]
    names = ["x", "n", "b", "sex", "raw", "total", "dv"]
    scales = [{"id": "total", "label": "total", "components": ["n", "b", "raw"], "missing": {"max_missing": draw(st.integers(0, 2))}}]
    derived = [{"id": "dv", "expression": draw(st.sampled_from(["x / n", "x + sex", "if b then n else x"]))}]

    def condition():
        template = draw(st.sampled_from(CONDITIONS))
        return template.format(a=draw(st.sampled_from(names)), b=draw(st.sampled_from(names)))

    labelled = draw(st.booleans())
    values = st.sampled_from(["lo", "mid", "hi"]) if labelled else st.sampled_from([0, 1, 2.5, -1])
    models = []
    for m in range(draw(st.integers(1, 2))):
        rules = [{"if": condition(), "then": draw(values)} for _ in range(draw(st.integers(1, 4)))]
        models.append({"type": "rule_list", "id": f"r{m}", "rules": rules, "else": draw(values)})
    bands = []
    if not labelled and draw(st.booleans()):
        bands.append({"id": "bd", "on": "r0", "cuts": [{"label": "low", "upper": 0.5}, {"label": "high"}]})
    refusals = [
        {"when": condition(), "reason": f"refusal {k}"} for k in range(draw(st.integers(0, 2)))
    ]
    return make_spec(items, scales=scales, derived=derived, models=models, bands=bands, refusals=refusals)


POOLS = {
    "x": [0, 0.5, 1, 3, 10, None, np.nan, -1, "x", 11],
    "n": [0, 1, 2, 5, 20, None, 1.5, -3],
    "b": [0, 1, True, None, 2, "1"],
    "sex": ["Male", "Female", None, "other", 1],
    "raw": [0, 1, 2, 5, None, 6, 0.5],
}


@st.composite
def rule_cohorts(draw):
    n = draw(st.integers(0, 30))
    cols = {k: draw(st.lists(st.sampled_from(v), min_size=n, max_size=n)) for k, v in POOLS.items()}
    data = frame(**cols) if n else pd.DataFrame({k: pd.Series([], dtype=object) for k in POOLS})
    return data


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_engine_equals_reference_on_random_rule_lists_and_refusals(data):
    spec = data.draw(rule_list_specs())
    cohort = data.draw(rule_cohorts())
    block = data.draw(st.sampled_from([1, 4, 1 << 15]))
    inst = Instrument(spec)
    old = engine.BLOCK_ROWS
    engine.BLOCK_ROWS = block
    try:
        result = inst.score(cohort)
    finally:
        engine.BLOCK_ROWS = old
    assert_same_frames(result.frame, score_reference(spec, cohort))
    assert (
        result.problems.groupby("position")["message"]
        .agg("; ".join)
        .reindex(range(len(cohort)), fill_value="")
        .tolist()
        == result.frame["reason"].tolist()
    )
    # a refused row has no number anywhere
    refused = result.frame["reason"].str.startswith("refusal ")
    numeric = [c for c in inst.numeric_output_columns if not c.endswith("_missing") and c != "n_missing"]
    if refused.any() and numeric:
        assert result.frame.loc[refused, numeric].isna().all().all()


@pytest.mark.parametrize("labelled", [False, True])
def test_rule_list_scoring_is_order_invariant(labelled):
    inst = Instrument(_corels_like(labelled))
    rng = np.random.default_rng(11)
    n = 500
    data = pd.DataFrame(
        {
            "age": rng.integers(16, 60, n).astype(float),
            "priors": rng.integers(0, 8, n),
            "sex": rng.choice(["Male", "Female"], n),
        }
    )
    data.loc[rng.random(n) < 0.05, "age"] = np.nan
    f = inst.score(data).frame
    perm = rng.permutation(n)
    g = inst.score(data.iloc[perm]).frame
    pd.testing.assert_frame_equal(f.iloc[perm], g)
