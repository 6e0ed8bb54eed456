"""Known-answer tests of the scoring engine on small hand-computed specs."""

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

from assess.scoring import round_score

NAN = float("nan")


def col(result, name):
    return result.frame[name].tolist()


# --------------------------------------------------------------------------- items


def test_binary_points_and_reverse():
    inst = make_instrument(
        [binary("a", present=2, absent=0), binary("b", present=2, absent=0, reverse=True)]
    )
    r = inst.score(frame(a=[0, 1, True, None], b=[0, 1, False, 1.0]))
    assert col(r, "a_points")[:3] == [0.0, 2.0, 2.0] and math.isnan(col(r, "a_points")[3])
    assert col(r, "b_points") == [2.0, 0.0, 2.0, 0.0]  # reversed: max + min - points
    assert col(r, "n_missing") == [0, 0, 0, 1]
    assert col(r, "status") == ["ok", "ok", "ok", "ok"]  # a missing item outside any scale/model


def test_ordinal_points_reverse_and_gaps():
    inst = make_instrument(
        [
            ordinal("a", values=(1, 2, 3), points=(0, 1, 3)),
            ordinal("b", values=(1, 2, 3), points=(0, 1, 3), reverse=True),
            ordinal("c", values=(0, 5, 10), points=(0, 1, 2)),  # gaps between levels
        ]
    )
    r = inst.score(frame(a=[1, 2, 3.0], b=[1, 2, 3], c=[0, 5.0, 10]))
    assert col(r, "a_points") == [0.0, 1.0, 3.0]
    assert col(r, "b_points") == [3.0, 2.0, 0.0]
    assert col(r, "c_points") == [0.0, 1.0, 2.0]
    bad = inst.score(frame(a=[0, 1.5, 4], b=[1, 1, 1], c=[3, 5, 11]))
    assert col(bad, "status") == ["invalid"] * 3
    assert "item 'a': invalid value 0; expected one of the levels 1, 2, 3" in bad.frame.reason[0]
    assert "item 'c': invalid value 3; expected one of the levels 0, 5, 10" in bad.frame.reason[0]
    assert "invalid value 1.5" in bad.frame.reason[1]
    assert math.isnan(col(bad, "a_points")[1])


def test_protective_only_items():
    inst = make_instrument(
        [
            binary("friend", role="strength", protective_only=True),
            ordinal(
                "mentor", values=(0, 1, 2), points=(1, 2, 3), role="strength", protective_only=True
            ),
            ordinal("home", role="strength"),
        ],
        scales=[scale("strengths", ["friend", "mentor", "home"])],
    )
    r = inst.score(frame(friend=[None, 1, 0], mentor=[None, 0, 2], home=[2, 2, 2]))
    # missing or absent -> 0 points, never missing; other levels keep their points
    assert col(r, "friend_points") == [0.0, 1.0, 0.0]
    assert col(r, "mentor_points") == [0.0, 0.0, 3.0]
    assert col(r, "strengths") == [2.0, 3.0, 5.0]
    assert col(r, "strengths_missing") == [0, 0, 0]
    assert col(r, "n_missing") == [0, 0, 0]
    assert col(r, "status") == ["ok", "ok", "ok"]


def test_count_bands_and_range():
    bands = [
        {"lower": 0, "upper": 1, "points": 0},
        {"lower": 1, "upper": 3, "points": 1},
        {"lower": 3, "points": 2},
    ]
    inst = make_instrument([count("priors", bands, min=0, max=20)])
    r = inst.score(frame(priors=[0, 2, 3, 20, 2.0]))
    assert col(r, "priors_points") == [0.0, 1.0, 2.0, 2.0, 1.0]
    bad = inst.score(frame(priors=[21, -1, 2.5, np.inf, True]))
    assert col(bad, "status") == ["invalid"] * 5
    assert (
        bad.frame.reason[1]
        == "item 'priors': invalid value -1; expected a whole number from 0 to 20"
    )
    assert "2.5" in bad.frame.reason[2] and "inf" in bad.frame.reason[3]
    assert (
        bad.frame.reason[4]
        == "item 'priors': invalid value True (true/false, not a number); expected a whole number from 0 to 20"
    )


def test_number_bands_and_raw_points():
    bands = [
        {"upper": 18, "points": 2},
        {"lower": 18, "upper": 25, "points": 1},
        {"lower": 25, "points": 0},
    ]
    inst = make_instrument(
        [number("age_first", min=10, max=100, bands=bands), number("dose", min=0)]
    )
    r = inst.score(frame(age_first=[17.9, 18, 24.99, 25, 100], dose=[0.5, 0, 3, 1e6, 2]))
    assert col(r, "age_first_points") == [2.0, 1.0, 1.0, 0.0, 0.0]
    assert col(r, "dose_points") == [
        0.5,
        0.0,
        3.0,
        1e6,
        2.0,
    ]  # a number item without bands scores its value
    bad = inst.score(frame(age_first=[9.9, 100.5, -np.inf, "18", 20], dose=[-0.1, 1, 1, 1, np.nan]))
    assert col(bad, "status") == ["invalid"] * 4 + ["ok"]
    assert (
        "item 'age_first': invalid value 9.9; expected a number from 10 to 100"
        in bad.frame.reason[0]
    )
    assert (
        "item 'dose': invalid value -0.1; expected a finite number of at least 0"
        in bad.frame.reason[0]
    )
    assert "'18' (text, not a number)" in bad.frame.reason[3]


def test_categorical_exact_match_with_suggestion():
    inst = make_instrument([categorical("housing", {"stable": 0, "unstable": 2})])
    r = inst.score(frame(housing=["stable", "unstable", "Stable", " stable", 1, None]))
    assert col(r, "housing_points")[:2] == [0.0, 2.0]
    assert col(r, "status") == ["ok", "ok", "invalid", "invalid", "invalid", "ok"]
    assert (
        r.frame.reason[2]
        == "item 'housing': invalid value 'Stable'; expected one of 'stable', 'unstable' (did you mean 'stable'?)"
    )
    assert "' stable'" in r.frame.reason[3]
    assert "1 (a number, not text)" in r.frame.reason[4]


def test_categorical_column_dtype_is_respected():
    inst = make_instrument([categorical("housing", {"stable": 0, "unstable": 2})])
    cat = pd.Categorical(["unstable", None, "other"], categories=["stable", "unstable", "other"])
    r = inst.score(pd.DataFrame({"housing": cat}))
    assert col(r, "status") == ["ok", "ok", "invalid"]
    assert col(r, "housing_points")[0] == 2.0 and math.isnan(col(r, "housing_points")[1])
    s = inst.score(pd.DataFrame({"housing": pd.array(["stable", None], dtype="string")}))
    assert col(s, "housing_points")[0] == 0.0 and col(s, "n_missing") == [0, 1]


# --------------------------------------------------------------------------- scales


def six_items(rounding="half_up", policy="prorate", max_missing=2):
    return make_instrument(
        [ordinal(f"i{k}", values=(0, 1, 2, 3)) for k in range(6)],
        scales=[
            scale(
                "total",
                [f"i{k}" for k in range(6)],
                max_missing=max_missing,
                policy=policy,
                rounding=rounding,
            )
        ],
    )


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # answered sums 1, 3, 5 with 2 of 6 missing -> 1.5, 4.5, 7.5
        ("half_up", [2.0, 5.0, 8.0]),
        ("nearest_even", [2.0, 4.0, 8.0]),
        ("down", [1.0, 4.0, 7.0]),
        ("up", [2.0, 5.0, 8.0]),
        ("none", [1.5, 4.5, 7.5]),
    ],
)
def test_prorating_with_each_rounding_rule(rounding, expected):
    inst = six_items(rounding)
    data = frame(
        i0=[1, 3, 3],
        i1=[0, 0, 2],
        i2=[0, 0, 0],
        i3=[0, 0, 0],
        i4=[None, None, None],
        i5=[None, None, None],
    )
    r = inst.score(data)
    assert col(r, "total") == expected
    assert col(r, "total_missing") == [2, 2, 2]
    assert col(r, "status") == ["prorated"] * 3
    assert col(r, "reason") == ["scale 'total': 2 of 6 items missing, score prorated"] * 3


def test_prorating_thirds_and_complete_rows():
    inst = six_items("half_up")
    r = inst.score(frame(i0=[1, 3], i1=[0, 3], i2=[0, 3], i3=[0, 3], i4=[0, 3], i5=[None, 3]))
    assert col(r, "total") == [1.0, 18.0]  # 1 * 6/5 = 1.2 -> 1; complete row unchanged
    assert col(r, "status") == ["prorated", "ok"]
    assert col(r, "reason") == ["scale 'total': 1 of 6 items missing, score prorated", ""]


def test_zero_policy_and_too_many_missing():
    inst = six_items(policy="zero", max_missing=2)
    r = inst.score(
        frame(i0=[3, 3], i1=[3, None], i2=[None, None], i3=[None, None], i4=[3, 3], i5=[3, 3])
    )
    assert col(r, "total")[0] == 12.0
    assert col(r, "status") == ["prorated", "invalid"]
    assert r.frame.reason[0] == "scale 'total': 2 of 6 items missing, counted as 0 points"
    assert math.isnan(col(r, "total")[1])
    assert r.frame.reason[1] == "scale 'total': 3 of 6 items missing (at most 2 allowed)"
    assert col(r, "total_missing") == [2, 3]


def test_mean_and_max_scales_use_answered_items():
    inst = make_instrument(
        [ordinal("a"), ordinal("b"), ordinal("c")],
        scales=[
            scale("avg", ["a", "b", "c"], method="mean", max_missing=1),
            scale(
                "worst",
                [{"ref": "a", "weight": 1}, {"ref": "b", "weight": 2}, "c"],
                method="max",
                max_missing=2,
            ),
        ],
    )
    r = inst.score(frame(a=[2, None, None], b=[1, 1, None], c=[0, 2, None]))
    assert col(r, "avg")[:2] == [1.0, 1.5] and math.isnan(col(r, "avg")[2])
    assert col(r, "worst")[:2] == [2.0, 2.0] and math.isnan(col(r, "worst")[2])
    assert col(r, "status") == ["ok", "prorated", "invalid"]
    assert r.frame.reason[1] == (
        "scale 'avg': 1 of 3 items missing, score from the answered items; "
        "scale 'worst': 1 of 3 items missing, score from the answered items"
    )
    assert (
        r.frame.reason[2]
        == "scale 'avg': 3 of 3 items missing (at most 1 allowed); scale 'worst': 3 of 3 items missing (at most 2 allowed)"
    )


def test_weighted_sum_prorates_by_absolute_weight():
    inst = make_instrument(
        [ordinal("a"), ordinal("b"), ordinal("c")],
        scales=[
            scale(
                "net",
                [{"ref": "a", "weight": 2}, {"ref": "b", "weight": -1}, "c"],
                max_missing=1,
                rounding="none",
            )
        ],
    )
    r = inst.score(frame(a=[2, 2], b=[1, None], c=[0, 1]))
    assert col(r, "net")[0] == 3.0
    assert col(r, "net")[1] == pytest.approx((4 + 1) * 4 / 3)  # answered |w| = 3 of 4


def test_lookup_table():
    lookup = [{"raw_min": 0, "raw_max": 3, "scaled": 1}, {"raw_min": 4, "raw_max": 6, "scaled": 2}]
    inst = make_instrument(
        [ordinal("a", values=(0, 1, 2, 3, 4)), ordinal("b", values=(0, 1, 2, 3, 4))],
        scales=[scale("s", ["a", "b"], lookup=lookup)],
    )
    r = inst.score(frame(a=[0, 2, 3, 4], b=[3, 2, 3, 4]))
    assert col(r, "s")[:3] == [1.0, 2.0, 2.0] and math.isnan(col(r, "s")[3])
    assert r.frame.reason[3] == "scale 's': score 8 is outside its lookup table"
    assert col(r, "status") == ["ok", "ok", "ok", "invalid"]


def test_nested_scales_and_invalid_component_scale():
    inst = make_instrument(
        [ordinal("a"), ordinal("b"), ordinal("c")],
        scales=[
            scale("ab", ["a", "b"], max_missing=0),
            scale("total", ["ab", {"ref": "c", "weight": 0.5}], max_missing=1, rounding="none"),
        ],
    )
    r = inst.score(frame(a=[2, None, 1], b=[1, 1, 1], c=[2, 2, None]))
    assert col(r, "total")[0] == 4.0
    assert math.isnan(col(r, "total")[1])
    assert (
        r.frame.reason[1]
        == "scale 'ab': 1 of 2 items missing (at most 0 allowed); scale 'total': needs scale 'ab', which has no score"
    )
    assert col(r, "total_missing") == [0, 0, 1]  # component scales never count as missing
    assert col(r, "total")[2] == pytest.approx(2 * 1.5 / 1)  # ab = 2; answered abs weight 1 of 1.5


def test_round_score_is_robust_to_float_noise():
    x = np.array(
        [2.4999999999999996, 2.5000000000000004, -2.5, 0.49999999999999994, 3.0000000000000004, 1.2]
    )
    assert round_score(x, "half_up").tolist() == [3.0, 3.0, -3.0, 1.0, 3.0, 1.0]
    assert round_score(x, "up").tolist() == [3.0, 3.0, -2.0, 1.0, 3.0, 2.0]
    assert round_score(x, "down").tolist() == [2.0, 2.0, -3.0, 0.0, 3.0, 1.0]
    assert round_score(x, "nearest_even").tolist() == [2.0, 2.0, -2.0, 0.0, 3.0, 1.0]
    assert not np.signbit(round_score(np.array([-0.2]), "half_up")).any()


# --------------------------------------------------------------------------- derived, models, bands


def model_instrument():
    bands = [{"upper": 18, "points": 1}, {"lower": 18, "points": 0}]
    return make_instrument(
        [ordinal("a"), ordinal("b"), number("age", min=10, max=90, bands=bands)],
        scales=[scale("total", ["a", "b"])],
        derived=[
            {"id": "years_over", "expression": "age - 18"},
            {"id": "log_age", "expression": "ln(age - 30)"},
        ],
        models=[
            {
                "type": "additive",
                "id": "points",
                "intercept": 1,
                "terms": [{"ref": "total", "coefficient": 2}],
            },
            {
                "type": "logistic",
                "id": "reoffend",
                "terms": [
                    {"ref": "total", "coefficient": 0.5},
                    {"ref": "years_over", "coefficient": -0.1},
                ],
                "horizons": [
                    {"label": "1y", "time": 1, "intercept": -2},
                    {"label": "2y", "time": 2, "intercept": -1},
                ],
            },
            {
                "type": "survival",
                "id": "cox",
                "centre": 1.0,
                "terms": [{"ref": "total", "coefficient": 0.25}, {"ref": "a", "coefficient": 0.5}],
                "horizons": [{"label": "3y", "time": 3, "baseline_survival": 0.9}],
            },
        ],
        bands=[
            {
                "id": "total_band",
                "on": "total",
                "cuts": [
                    {"label": "low", "upper": 2},
                    {"label": "mid", "upper": 4},
                    {"label": "high"},
                ],
            },
            {
                "id": "p_band",
                "on": "reoffend_p_1y",
                "upper_inclusive": True,
                "cuts": [{"label": "under half", "upper": 0.5}, {"label": "half or more"}],
            },
            {
                "id": "age_band",
                "on": "log_age",
                "cuts": [{"label": "young", "upper": 1}, {"label": "older"}],
            },
        ],
        primary_band="p_band",
    )


def test_derived_models_and_bands_known_answers():
    inst = model_instrument()
    r = inst.score(frame(a=[2, 0, 1], b=[2, 1, 1], age=[18, 40, 28]))
    f = r.frame
    assert f["total"].tolist() == [4.0, 1.0, 2.0]
    assert f["years_over"].tolist() == [0.0, 22.0, 10.0]
    assert f["points"].tolist() == [9.0, 3.0, 5.0]
    # logistic: lp = 0.5 * total - 0.1 * years_over; p = expit(intercept + lp)
    assert f["reoffend_lp"].tolist() == pytest.approx([2.0, -1.7, 0.0])
    assert f["reoffend_p_1y"].tolist() == pytest.approx(
        [0.5, 1 / (1 + math.exp(3.7)), 1 / (1 + math.exp(2))], rel=1e-14
    )
    assert f["reoffend_p_2y"][0] == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-14)
    # survival: lp = 0.25 * total + 0.5 * a_points; p = 1 - S0 ** exp(lp - centre)
    assert f["cox_lp"].tolist() == pytest.approx([2.0, 0.25, 1.0])
    assert f["cox_p_3y"].tolist() == pytest.approx(
        [1 - 0.9 ** math.exp(1.0), 1 - 0.9 ** math.exp(-0.75), 0.1], rel=1e-13
    )
    # bands: total 4 -> 'high' (4 is not < 4), 1 -> low, 2 -> mid; p = 0.5 -> 'under half' (inclusive)
    assert f["total_band"].tolist() == ["high", "low", "mid"]
    assert f["p_band"].tolist()[0] == "under half"
    assert f["band"].tolist() == f["p_band"].tolist()
    assert f["total_band"].cat.ordered and list(f["total_band"].cat.categories) == [
        "low",
        "mid",
        "high",
    ]
    # log_age undefined for age <= 30 -> no band, and the band set needs it -> invalid
    assert pd.isna(f["age_band"][0]) and f["age_band"][1] == "older"
    assert f["status"].tolist() == ["invalid", "ok", "invalid"]
    assert f["reason"][0] == "derived 'log_age' is undefined (missing or out-of-domain inputs)"


def test_missing_inputs_invalidate_models_with_reasons():
    inst = model_instrument()
    r = inst.score(frame(a=[None, 1], b=[1, 1], age=[40, None]))
    f = r.frame
    assert math.isnan(f["total"][0]) and math.isnan(f["points"][0]) and math.isnan(f["cox_p_3y"][0])
    assert f["reason"][0] == (
        "scale 'total': 1 of 2 items missing (at most 0 allowed); "
        "model 'cox': item 'a' has no valid response"
    )
    # age missing: years_over undefined -> logistic model undefined (one reason per derived variable)
    assert math.isnan(f["years_over"][1]) and math.isnan(f["reoffend_p_1y"][1])
    assert f["points"][1] == 5.0 and not math.isnan(f["cox_p_3y"][1])
    assert f["reason"][1] == (
        "derived 'years_over' is undefined (missing or out-of-domain inputs); "
        "derived 'log_age' is undefined (missing or out-of-domain inputs)"
    )
    assert pd.isna(f["p_band"][1])


def test_upper_inclusive_band_boundaries():
    bands = [
        {
            "id": "b",
            "on": "s",
            "upper_inclusive": True,
            "cuts": [{"label": "L", "upper": 2}, {"label": "M", "upper": 4}, {"label": "H"}],
        }
    ]
    inst = make_instrument(
        [ordinal("a", values=(0, 1, 2, 3, 4, 5))], scales=[scale("s", ["a"])], bands=bands
    )
    r = inst.score(frame(a=[0, 2, 3, 4, 5, None]))
    assert r.frame["b"].tolist()[:5] == ["L", "L", "M", "M", "H"]
    assert pd.isna(r.frame["b"][5])


def test_output_columns_keep_and_index():
    inst = model_instrument()
    data = frame(a=[2, 0], b=[2, 1], age=[18, 40])
    data["person_id"] = ["p1", "p2"]
    data.index = pd.Index(["x", "y"], name="case")
    r = inst.score(data, keep=["person_id"])
    assert list(r.frame.columns) == ["person_id", *inst.spec.output_columns()]
    assert r.frame.index.equals(data.index)
    assert r.frame["person_id"].tolist() == ["p1", "p2"]
    assert r.frame["n_missing"].dtype == np.int64 and r.frame["total_missing"].dtype == np.int64
    assert r.instrument_id == "test-instrument" and r.version == "1.0.0" and len(r.spec_hash) == 64
    assert inst.score(data, keep="person_id").frame.columns[0] == "person_id"


def test_empty_frame():
    inst = model_instrument()
    r = inst.score(frame(a=[], b=[], age=[]))
    assert len(r.frame) == 0 and list(r.frame.columns) == inst.spec.output_columns()
    assert len(r.problems) == 0


def test_model_term_on_unscored_item_and_band_on_item():
    inst = make_instrument(
        [ordinal("a"), number("age", min=10, max=90, role="context")],
        models=[
            {
                "type": "additive",
                "id": "m",
                "terms": [{"ref": "age", "coefficient": 0.5}, {"ref": "a", "coefficient": 1}],
            }
        ],
        bands=[
            {
                "id": "age_band",
                "on": "age",
                "cuts": [{"label": "young", "upper": 25}, {"label": "older"}],
            }
        ],
    )
    assert "age" in inst.compiled.required_items  # read by a model term and a band set
    r = inst.score(frame(a=[2, 1], age=[20, None]))
    assert r.frame["m"][0] == 12.0 and math.isnan(r.frame["m"][1])  # raw value, not points
    assert r.frame["age_band"].tolist()[0] == "young" and pd.isna(r.frame["age_band"][1])
    assert r.frame["reason"][1] == (
        "model 'm': item 'age' has no valid response; band set 'age_band': item 'age' has no valid response"
    )
