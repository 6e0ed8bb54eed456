"""Boundary validation: strict vs lenient mode on a corpus of bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import (
    binary,
    categorical,
    count,
    frame,
    make_instrument,
    number,
    ordinal,
    scale,
)

from assess.scoring import MissingColumnsError, ScoringInputError

BANDS = [{"lower": 0, "upper": 2, "points": 0}, {"lower": 2, "points": 1}]


@pytest.fixture(scope="module")
def inst():
    return make_instrument(
        [
            ordinal("attitudes"),
            binary("custody"),
            count("priors", BANDS, min=0, max=50),
            number("age", min=10, max=100),
            categorical("housing", {"stable": 0, "unstable": 1}),
            item_context(),
        ],
        scales=[
            scale("total", ["attitudes", "custody", "priors", "age", "housing"], max_missing=5)
        ],
    )


def item_context():
    return {
        "id": "language",
        "label": "Preferred language",
        "domain": "d",
        "role": "context",
        "kind": "static",
        "response": {"type": "categorical", "categories": [{"value": "en"}, {"value": "cy"}]},
    }


GOOD = {
    "attitudes": 1,
    "custody": 0,
    "priors": 3,
    "age": 30.5,
    "housing": "stable",
    "language": "en",
}

# (column, bad value, text expected in the message)
CORPUS = [
    (
        "housing",
        "Unstable",
        "invalid value 'Unstable'; expected one of 'stable', 'unstable' (did you mean 'unstable'?)",
    ),
    ("housing", "flat", "invalid value 'flat'"),
    ("attitudes", 1.5, "invalid value 1.5; expected one of the levels 0, 1, 2"),
    ("attitudes", "2", "invalid value '2' (text, not a number)"),
    ("attitudes", 3, "invalid value 3; expected one of the levels 0, 1, 2"),
    ("attitudes", True, "invalid value True (true/false, not a number)"),
    ("priors", -1, "invalid value -1; expected a whole number from 0 to 50"),
    ("priors", 2.5, "invalid value 2.5"),
    ("priors", False, "invalid value False (true/false, not a number)"),
    ("priors", 51, "invalid value 51"),
    ("age", np.inf, "invalid value inf; expected a number from 10 to 100"),
    ("age", -np.inf, "invalid value -inf"),
    ("age", "", "invalid value '' (text, not a number)"),
    ("age", "NA", "invalid value 'NA' (text, not a number)"),
    ("custody", 2, "invalid value 2; expected 0 or 1"),
    ("custody", "yes", "invalid value 'yes'"),
    ("custody", [1], "invalid value [1] (list)"),
    ("language", "fr", "item 'language': invalid value 'fr'"),  # unscored items are validated too
]


@pytest.mark.parametrize(("column", "value", "text"), CORPUS)
def test_lenient_keeps_row_and_explains(inst, column, value, text):
    rows = {k: [v, v, v] for k, v in GOOD.items()}
    rows[column][1] = value
    data = frame(**rows)
    data.index = pd.Index([10, 20, 30])
    r = inst.score(data)
    assert len(r.frame) == 3 and r.frame.index.equals(data.index)
    assert r.frame["status"].tolist()[0] == "ok" and r.frame["status"][20] == "invalid"
    assert text in r.frame["reason"][20]
    assert r.frame["reason"][20].startswith(f"item '{column}': ")
    prob = r.problems[r.problems["status"] == "invalid"]
    first = prob.iloc[0]
    assert first["row"] == 20 and first["position"] == 1 and first["item"] == column
    assert first["value"] == value or (isinstance(value, float) and first["value"] == value)
    if column != "language":
        assert math.isnan(r.frame.loc[20, f"{column}_points"])  # treated as missing


@pytest.mark.parametrize(("column", "value", "text"), CORPUS)
def test_strict_raises_with_row_item_value(inst, column, value, text):
    rows = {k: [v, v] for k, v in GOOD.items()}
    rows[column][1] = value
    data = frame(**rows)
    data.index = pd.Index(["alice", "bob"])
    with pytest.raises(ScoringInputError) as err:
        inst.score(data, strict=True)
    msg = str(err.value)
    assert "row 'bob'" in msg and f"item '{column}'" in msg and text in msg
    assert "strict=False" in msg
    problems = err.value.problems
    assert problems["row"].tolist() == ["bob"] and problems["item"].tolist() == [column]


def test_strict_lists_every_problem_and_summarises(inst):
    n = 30
    rows = {k: [v] * n for k, v in GOOD.items()}
    rows["attitudes"] = [1.5] * n
    rows["housing"] = ["x"] * n
    with pytest.raises(ScoringInputError) as err:
        inst.score(frame(**rows), strict=True)
    assert len(err.value.problems) == 2 * n
    msg = str(err.value)
    assert msg.startswith("60 invalid values in 30 rows")
    assert "and 40 more" in msg and msg.count("\n  row ") == 20


def test_strict_accepts_missing_values(inst):
    rows = {k: [v, None, np.nan, pd.NA] for k, v in GOOD.items()}
    r = inst.score(frame(**rows), strict=True)
    # everything missing is allowed by max_missing=5, but nothing is left to prorate from
    assert r.frame["status"].tolist() == ["ok", "invalid", "invalid", "invalid"]
    assert r.frame["reason"].tolist()[1:] == ["scale 'total': no answered items"] * 3
    assert r.frame["n_missing"].tolist() == [0, 5, 5, 5]


def test_missing_columns_listed_with_suggestions(inst):
    data = frame(**{k: [v] for k, v in GOOD.items()}).rename(
        columns={"priors": "prior", "attitudes": "Attitudes"}
    )
    data = data.drop(columns=["language", "age"])
    for strict in (False, True):
        with pytest.raises(MissingColumnsError) as err:
            inst.score(data, strict=strict)
        msg = str(err.value)
        assert "'attitudes' (did you mean 'Attitudes'?)" in msg
        assert "'priors' (did you mean 'prior'?)" in msg and "'age'" in msg
        assert "language" not in msg  # unscored context column is optional
        assert sorted(err.value.missing) == ["age", "attitudes", "priors"]
    assert isinstance(err.value, ValueError) and isinstance(err.value, KeyError)


def test_keep_and_duplicate_columns(inst):
    data = frame(**{k: [v] for k, v in GOOD.items()})
    with pytest.raises(MissingColumnsError, match="keep= names columns the data lack: 'person'"):
        inst.score(data, keep=["person"])
    dup = pd.concat([data, data[["priors"]]], axis=1)
    with pytest.raises(ScoringInputError, match="more than one column named 'priors'"):
        inst.score(dup)
    data["total"] = 1
    with pytest.raises(ScoringInputError, match="clash"):
        inst.score(data, keep=["total"])
    with pytest.raises(TypeError, match="DataFrame"):
        inst.score(data.to_numpy())


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([0, 1, 2, 1]),
        pd.Series([0.0, 1.0, 2.0, np.nan]),
        pd.Series([0, 1, 2, None], dtype="Int64"),
        pd.Series([0.0, 1.0, 2.0, None], dtype="Float64"),
        pd.Series([0, 1, 2, 1], dtype=np.int8),
        pd.Series([0, 1, 2, 1], dtype=np.uint64),
        pd.Series([0, 1, 2, None], dtype="int64[pyarrow]"),
        pd.Series([0, 1.0, np.int64(2), None], dtype=object),
        pd.Series(pd.Categorical([0, 1, 2, None])),
    ],
    ids=["int64", "float", "Int64", "Float64", "int8", "uint64", "arrow", "object", "categorical"],
)
def test_numeric_dtypes_are_read_without_coercion(series):
    inst = make_instrument([ordinal("a")])
    r = inst.score(pd.DataFrame({"a": series}))
    pts = r.frame["a_points"].tolist()
    assert pts[:3] == [0.0, 1.0, 2.0]
    assert r.frame["status"].tolist() == ["ok"] * 4


def test_text_and_boolean_columns():
    inst = make_instrument([ordinal("a"), binary("b")])
    r = inst.score(
        pd.DataFrame({"a": pd.array(["1", None], dtype="string"), "b": np.array([True, False])})
    )
    assert r.frame["status"].tolist() == ["invalid", "ok"]
    assert r.frame["b_points"].tolist() == [1.0, 0.0]
    assert (
        r.frame["reason"][0]
        == "item 'a': invalid value '1' (text, not a number); expected one of the levels 0, 1, 2"
    )
    r2 = inst.score(
        pd.DataFrame({"a": np.array([True, False]), "b": pd.array([True, None], dtype="boolean")})
    )
    assert r2.frame["status"].tolist() == ["invalid", "invalid"]
    assert math.isnan(r2.frame["b_points"][1]) and r2.frame["b_points"][0] == 1.0


def test_values_are_not_logged(inst, caplog):
    rows = {k: [v] for k, v in GOOD.items()}
    rows["attitudes"] = ["SECRET-VALUE"]
    with caplog.at_level("DEBUG"):
        inst.score(frame(**rows))
    assert "SECRET-VALUE" not in caplog.text
