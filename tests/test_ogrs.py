"""Tests of the published MoJ instruments OGRS3, OGP and OVP (``instruments/ogrs3.yaml``,
``instruments/ogp.yaml``, ``instruments/ovp.yaml``).

The specs transcribe the Ministry of Justice's HMPPS risk-actuarial API
(github.com/ministryofjustice/hmpps-arns-risk-actuarial-api, MIT licence, Crown copyright).
Checked here:

* every embedded test vector passes (MoJ unit-test cases, boundaries, refusals);
* the MoJ's own unit-test cases, given as *dates* as in the MoJ tests, converted to the specs'
  whole-year ages with the MoJ's age arithmetic (``java.time.Period.between(...).years``, written
  out below) and scored as one frame through ``Instrument.score``, give the MoJ's expected
  percentages and bands, and the MoJ's rejected requests give no number;
* an independent reference written here from the MoJ rules, with Python's ``decimal`` module
  standing in for ``java.math.BigDecimal`` (exact binary value of the double, ROUND_HALF_UP),
  agrees *exactly* with the engine on large random cohorts (percentages, bands, point totals);
* the exact half-up percentage of OGRS3 (the Dekker-product steps in the spec) equals
  BigDecimal rounding for every 5-decimal probability 0.00000-1.00000, exhaustively;
* the MoJ's helper-level unit tests (probability at a given linear score, Copas rate, age/sex
  parameter) through the spec's own expressions;
* hypothesis properties: probabilities in (0, 1), 2-year >= 1-year, monotone in the number of
  sanctions (OGRS3), in the OGRS3 percentage (OGP) and in violent sanctions (OVP).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.scoring import load_instrument
from assess.spec.expressions import parse_expression

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENTS = ROOT / "instruments"
NAMES = ("ogrs3", "ogp", "ovp")


@pytest.fixture(scope="module")
def ogrs3():
    return load_instrument(INSTRUMENTS / "ogrs3.yaml")


@pytest.fixture(scope="module")
def ogp():
    return load_instrument(INSTRUMENTS / "ogp.yaml")


@pytest.fixture(scope="module")
def ovp():
    return load_instrument(INSTRUMENTS / "ovp.yaml")


# --------------------------------------------------------------------------- MoJ arithmetic


def completed_years(born: date, on: date) -> int:
    """Whole years from ``born`` to ``on`` as the MoJ computes ages
    (``Period.between(born, on).years``); the MoJ rejects ``on <= born``."""
    if on <= born:
        raise ValueError("date cannot be on or before date of birth")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def half_up(x: float, digits: int = 0) -> Decimal:
    """``BigDecimal(x).setScale(digits, HALF_UP)``: the exact binary value, rounded half up."""
    return Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def moj_percent(p: float) -> int:
    """``p.asPercentage().sanitisePercentage()``: exact p x 100 rounded half up, 0 -> 1, >99 -> 99."""
    v = int((Decimal(p) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 1 if v <= 0 else 99 if v > 99 else v


def moj_sigmoid(x: float) -> float:
    e = math.exp(x)
    return e / (1 + e)


# OGRS3 tables (MoJ OGRS3TransformationHelper / offence-code-mapping.csv), keyed as in the spec
OGRS3_AGE_SEX = {
    "male": [(12, 0.0), (14, 0.08392), (16, 0.07578), (18, -0.0616), (21, -0.6251), (25, -1.0515),
             (30, -1.1667), (35, -1.326), (40, -1.368), (50, -1.4997), (math.inf, -2.0253)],
    "female": [(12, 0.785), (14, 0.61385), (16, 0.66952), (18, -0.9592), (21, -0.8975), (25, -1.0285),
               (30, -1.0528), (35, -1.1291), (40, -1.4219), (50, -1.5247), (math.inf, -2.4498)],
}  # fmt: skip
OFFENCE = {
    "violence": 0.0, "robbery": -0.6348, "public_order": 0.1819, "sexual_not_child": 0.0328,
    "sexual_child": -0.6534, "soliciting_prostitution": 0.7606, "burglary_domestic": -0.1239,
    "burglary_other": 0.2406, "theft_non_motor": 0.6612, "handling_stolen_goods": 0.3519,
    "fraud_forgery": 0.1599, "absconding_bail": 0.7334, "taking_vehicle": 0.3801,
    "theft_from_vehicle": 0.4272, "other_motoring": 0.2622, "drink_driving": -0.1214,
    "criminal_damage": 0.205, "drug_import_export_production": -0.7956,
    "drug_possession_supply": 0.0772, "other": -0.0607,
}  # fmt: skip


def ogrs3_band(pct: int) -> str:
    return "Low" if pct <= 49 else "Medium" if pct <= 74 else "High" if pct <= 89 else "Very high"


def ogrs3_reference(sex, age_followup, total, age_first, age_conviction, offence):
    """OGRS3 percentages as the MoJ service computes them, or None where it gives no score."""
    if (total < 1 or offence not in OFFENCE or age_conviction < 10 or age_first > age_conviction
            or age_followup < 10):  # fmt: skip
        return None
    copas = float(half_up(math.log((1 + (total - 1)) / (10 + age_conviction - age_first)), 5))
    age_sex = next(v for upper, v in OGRS3_AGE_SEX[sex] if age_followup < upper)
    status = 0.12614 if total == 1 else 0.46306
    score = sum([age_sex, status, copas * 1.25112, OFFENCE[offence]])
    p1 = float(half_up(moj_sigmoid(1.40256 + score), 5))
    p2 = float(half_up(moj_sigmoid(2.1217 + score), 5))
    return moj_percent(p1), moj_percent(p2), ogrs3_band(moj_percent(p2))


def ogp_reference(ogrs3_2y, nfa, unemployed, activities, drugs, motivation, problem_solving,
                  awareness, understanding, attitudes):  # fmt: skip
    """OGP total and percentages as the MoJ service computes them."""
    total = (int(half_up(ogrs3_2y * 0.6)) + 5 * nfa + 5 * unemployed + (0, 3, 5)[activities]
             + int(half_up((drugs + motivation) * 3.75))
             + int(half_up((problem_solving + awareness + understanding) * 5.0 / 6.0))
             + (0, 3, 5)[attitudes])  # fmt: skip
    p1 = moj_percent(moj_sigmoid(0.0616 * total - 3.6832))
    p2 = moj_percent(moj_sigmoid(0.0616 * total - 3.0795))
    band = "Low" if p2 <= 33 else "Medium" if p2 <= 66 else "High" if p2 <= 84 else "Very high"
    return total, p1, p2, band


def ovp_reference(sex, age, total, violent, recognises, nfa, unemployed, alcohol, excessive,
                  psychiatric, temper, attitudes):  # fmt: skip
    """OVP total and percentages as the MoJ service computes them, or None where it gives none."""
    non_violent = total - violent
    if total < 1 or non_violent < 0 or age < 18:
        return None
    violent_pts = {0: 0, 1: 4, 2: 7, 3: 9, 4: 11}.get(violent, min(violent + 7, 25))
    nv_pts = (
        0
        if non_violent <= 2
        else 2
        if non_violent <= 4
        else 3
        if non_violent <= 10
        else (4 if non_violent <= 20 else 5)
    )
    age_pts = next((p for upper, p in ((20, 20), (22, 17), (24, 14), (26, 12), (31, 10), (36, 8),
                                       (41, 6), (46, 4), (51, 2)) if age < upper), 0)  # fmt: skip
    static = 5 + violent_pts + nv_pts + age_pts + (5 if sex == "male" else 0)
    dynamic = ((0 if recognises else 4) + 4 * nfa + 4 * unemployed
               + math.ceil((alcohol + excessive) * 2.5) + 4 * psychiatric + 3 * temper + 3 * attitudes)  # fmt: skip
    t = static + dynamic
    p1 = moj_percent(moj_sigmoid(0.0722 * t - 4.5215))
    p2 = moj_percent(moj_sigmoid(0.0722 * t - 3.8773))
    band = "Low" if p2 <= 29 else "Medium" if p2 <= 59 else "High" if p2 <= 79 else "Very high"
    return t, p1, p2, band


# --------------------------------------------------------------------------- embedded vectors


@pytest.mark.parametrize("name", NAMES)
def test_spec_metadata_and_vectors(name):
    ins = load_instrument(INSTRUMENTS / f"{name}.yaml")
    spec = ins.spec
    assert spec.id == name and spec.status == "published"
    assert "MIT" in spec.licence and "Crown copyright" in spec.licence
    assert "hmpps-arns-risk-actuarial-api" in (spec.source or "")
    assert spec.citations
    results = ins.run_test_vectors()
    assert len(results) >= 10
    failed = [(r.name, r.mismatches) for r in results if not r.passed]
    assert not failed, failed


# --------------------------------------------------------------------------- MoJ cases, from dates

# (name, sex, born, convicted, follow-up starts, total sanctions, age at first sanction,
#  offence category, MoJ 1-year %, MoJ 2-year %, MoJ band) -- OGRS3RiskProducerServiceTest
OGRS3_MOJ = [
    ("ACT-62 scenario 1", "male", date(1965, 12, 7), date(2025, 5, 13), date(2026, 12, 6), 2, 47,
     "soliciting_prostitution", 8, 16, "Low"),
    ("ACT-62 scenario 2", "male", date(1991, 7, 17), date(2021, 8, 5), date(2021, 12, 12), 2, 21,
     "fraud_forgery", 11, 20, "Low"),
    ("conviction age under 10", "male", date(2000, 1, 1), date(2009, 1, 1), date(2026, 12, 6), 2, 9,
     "soliciting_prostitution", None, None, None),
    ("first sanction after conviction", "male", date(1990, 1, 1), date(2009, 1, 1), date(2026, 12, 6), 2,
     40, "soliciting_prostitution", None, None, None),
    ("needs exact offence", "male", date(1965, 12, 7), date(2025, 5, 13), date(2026, 12, 6), 2, 47,
     "needs_exact_offence", None, None, None),
    ("offence not mapped", "male", date(1965, 12, 7), date(2025, 5, 13), date(2026, 12, 6), 2, 47,
     "02700", None, None, None),
]  # fmt: skip


def _ogrs3_frame(cases) -> pd.DataFrame:
    rows = []
    for _, sex, born, convicted, followup, total, first, offence, *_ in cases:
        rows.append({
            "sex": sex,
            "age_at_start_of_followup": completed_years(born, followup),
            "total_sanctions": total,
            "age_at_first_sanction": first,
            "age_at_current_conviction": completed_years(born, convicted),
            "offence_category": offence,
        })  # fmt: skip
    return pd.DataFrame(rows, index=[c[0] for c in cases])


def test_moj_age_arithmetic():
    # MoJ OGRS3TransformationHelperTest: exact birthday, months rounded down
    today = date(2025, 1, 1)
    assert completed_years(date(2015, 1, 1), today) == 10
    assert completed_years(date(2014, 10, 1), today) == 10
    assert completed_years(date(2010, 1, 2), today) == 14
    assert completed_years(date(2000, 2, 29), date(2001, 2, 28)) == 0  # Period.between: P11M30D
    with pytest.raises(ValueError):
        completed_years(date(2002, 12, 13), date(2000, 12, 13))


def test_ogrs3_moj_cases_through_score(ogrs3):
    frame = _ogrs3_frame(OGRS3_MOJ)
    out = ogrs3.score(frame).frame
    assert list(out.index) == list(frame.index)  # rows kept, in order
    for name, *_, p1, p2, band in OGRS3_MOJ:
        row = out.loc[name]
        if p1 is None:
            assert row["status"] == "invalid" and row["reason"]
            for col in (
                "ogrs3_1y_percent",
                "ogrs3_2y_percent",
                "ogrs3_p_1y",
                "ogrs3_p_2y",
                "ogrs3_lp",
            ):
                assert np.isnan(row[col]), (name, col)
            assert pd.isna(row["ogrs3_band"])
        else:
            assert row["status"] == "ok", row["reason"]
            assert (row["ogrs3_1y_percent"], row["ogrs3_2y_percent"], row["ogrs3_band"]) == (
                p1,
                p2,
                band,
            )


def test_ogrs3_refusal_reasons(ogrs3):
    out = ogrs3.score(_ogrs3_frame(OGRS3_MOJ)).frame
    assert (
        out.loc["conviction age under 10", "reason"] == "age at the current conviction is under 10"
    )
    assert out.loc["first sanction after conviction", "reason"] == (
        "age at first sanction is after the age at the current conviction"
    )
    assert "exact offence" in out.loc["needs exact offence", "reason"]
    assert "offence_category" in out.loc["offence not mapped", "reason"]
    # every numeric output of a refused row is missing (counts of missing items are not outputs)
    numeric = out.select_dtypes("number")
    numeric = numeric[[c for c in numeric.columns if not c.endswith("_missing")]]
    assert numeric.loc["first sanction after conviction"].isna().all()


def test_ogrs3_conviction_before_birth_is_not_scored(ogrs3):
    # MoJ: "dateOfCurrentConviction cannot be on or before date of birth" (an error, no score)
    with pytest.raises(ValueError):
        completed_years(date(2002, 12, 13), date(2000, 12, 13))
    row = pd.DataFrame([{"sex": "male", "age_at_start_of_followup": 12, "total_sanctions": 10,
                         "age_at_first_sanction": 30, "age_at_current_conviction": -2,
                         "offence_category": "other"}])  # fmt: skip
    out = ogrs3.score(row).frame.iloc[0]
    assert out["status"] == "invalid" and np.isnan(out["ogrs3_2y_percent"])


# OGPRiskProducerServiceCompanionTest / OGPRiskProducerServiceTest: inputs and (total, 1y, 2y, band)
OGP_MOJ = [
    ((81, 0, 1, 1, 0, 0, 1, 1, 0, 1), (62, 53, 68, "High")),
    ((67, 0, 1, 1, 0, 0, 1, 1, 0, 1), (53, 40, 55, "Medium")),
    ((37, 0, 1, 1, 2, 0, 1, 1, 0, 1), (43, 26, 39, "Medium")),
    ((17, 0, 1, 1, 2, 0, 1, 1, 0, 1), (31, 15, 24, "Low")),
]
OGP_ITEMS = ["ogrs3_2y_percent", "no_fixed_abode", "unemployed", "regular_offending_activities",
             "current_drug_misuse", "motivation_to_tackle_drug_misuse", "problem_solving_skills",
             "awareness_of_consequences", "understands_other_peoples_views", "pro_criminal_attitudes"]  # fmt: skip


def test_ogp_moj_cases_through_score(ogp):
    frame = pd.DataFrame([dict(zip(OGP_ITEMS, inputs, strict=True)) for inputs, _ in OGP_MOJ])
    out = ogp.score(frame).frame
    got = list(
        zip(
            out["ogp_total"],
            out["ogp_1y_percent"],
            out["ogp_2y_percent"],
            out["ogp_band"],
            strict=True,
        )
    )
    assert got == [expected for _, expected in OGP_MOJ]
    assert (out["status"] == "ok").all()
    for inputs, expected in OGP_MOJ:
        assert ogp_reference(*inputs) == expected


def test_ogrs3_feeds_ogp(ogrs3, ogp):
    """OGP takes the OGRS3 2-year percentage, as the MoJ service passes it on."""
    ogrs3_out = ogrs3.score(_ogrs3_frame(OGRS3_MOJ[:2])).frame
    needs = pd.DataFrame(
        {k: [v, v] for k, v in zip(OGP_ITEMS[1:], OGP_MOJ[0][0][1:], strict=True)},
        index=ogrs3_out.index,
    )
    needs["ogrs3_2y_percent"] = ogrs3_out["ogrs3_2y_percent"].astype(int)
    out = ogp.score(needs).frame
    for name in needs.index:
        expected = ogp_reference(int(needs.loc[name, "ogrs3_2y_percent"]), *OGP_MOJ[0][0][1:])
        assert (
            tuple(out.loc[name, ["ogp_total", "ogp_1y_percent", "ogp_2y_percent", "ogp_band"]])
            == expected
        )


# OVPRiskProducerServiceTest (validOVPRiskScoreRequest with the test's changes)
OVP_ITEMS = ["sex", "age_at_start_of_followup", "total_sanctions", "violent_sanctions",
             "recognises_impact_of_offending", "no_fixed_abode", "unemployed", "current_alcohol_problems",
             "excessive_alcohol_use", "current_psychiatric_treatment", "temper_control", "pro_criminal_attitudes"]  # fmt: skip


def _ovp_moj_cases():
    born, followup = date(1964, 10, 15), date(2027, 12, 12)
    base = dict(sex="male", age_at_start_of_followup=completed_years(born, followup), total_sanctions=30,
                violent_sanctions=10, recognises_impact_of_offending=1, no_fixed_abode=1, unemployed=1,
                current_alcohol_problems=0, excessive_alcohol_use=0, current_psychiatric_treatment=0,
                temper_control=0, pro_criminal_attitudes=0)  # fmt: skip
    return [
        ("LOW risk", {**base, "total_sanctions": 1, "violent_sanctions": 0, "recognises_impact_of_offending": 0},
         (5, 9, "Low")),
        ("MEDIUM risk", base, (15, 26, "Low")),
        ("HIGH risk", {**base, "total_sanctions": 55, "violent_sanctions": 40, "temper_control": 2,
                       "current_alcohol_problems": 1, "excessive_alcohol_use": 1}, (42, 58, "Medium")),
    ]  # fmt: skip


def test_ovp_moj_cases_through_score(ovp):
    cases = _ovp_moj_cases()
    frame = pd.DataFrame([c[1] for c in cases], index=[c[0] for c in cases])
    out = ovp.score(frame).frame
    for name, inputs, expected in cases:
        assert tuple(out.loc[name, ["ovp_1y_percent", "ovp_2y_percent", "ovp_band"]]) == expected
        assert ovp_reference(*[inputs[k] for k in OVP_ITEMS])[1:] == expected
    # MoJ: follow-up before the date of birth is an error; refused / invalid rows get no number
    bad = pd.DataFrame([{**cases[1][1], "age_at_start_of_followup": 17},
                        {**cases[1][1], "violent_sanctions": 31},
                        {**cases[1][1], "total_sanctions": 0, "violent_sanctions": 0}])  # fmt: skip
    out = ovp.score(bad).frame
    assert (out["status"] == "invalid").all()
    assert out[["ovp_total", "ovp_1y_percent", "ovp_2y_percent", "ovp_p_2y"]].isna().all().all()
    assert out["ovp_band"].isna().all()


# --------------------------------------------------------------------------- MoJ helper-level tests


def _evaluate_derived(ins, env: dict, upto: str) -> np.ndarray:
    """Evaluate a spec's derived variables in order, starting from ``env``, up to ``upto``."""
    values = {k: np.asarray(v, dtype=np.float64) for k, v in env.items()}
    for d in ins.spec.derived:
        if d.id in values:
            continue
        expr = parse_expression(d.expression)
        if set(expr.names) <= set(values):
            values[d.id] = expr.evaluate(values)
        if d.id == upto:
            return values[d.id]
    raise KeyError(upto)


def test_moj_probability_unit_tests(ogrs3):
    # OGRS3TransformationHelperTest: getOgrs3OneYear / getOgrs3TwoYear at given linear scores
    score = {"ogrs3_linear_score": [0.0, -2.776835807, 1.0]}
    np.testing.assert_array_equal(
        _evaluate_derived(ogrs3, score, "ogrs3_1y_rounded"), [0.80259, 0.20193, 0.91702]
    )
    np.testing.assert_array_equal(
        _evaluate_derived(ogrs3, score, "ogrs3_2y_rounded")[:2], [0.89299, 0.34183]
    )


def test_moj_copas_and_age_sex_unit_tests(ogrs3):
    env = {
        "total_sanctions": [10, 4, 1],
        "age_at_current_conviction": [50, 30, 11],
        "age_at_first_sanction": [30, 20, 10],
    }
    np.testing.assert_array_equal(
        _evaluate_derived(ogrs3, env, "copas_rate")[:2], [-1.09861, -1.60944]
    )
    env = {"sex": [0, 1, 0, 0], "age_at_start_of_followup": [11, 11, 50, 10]}
    np.testing.assert_array_equal(
        _evaluate_derived(ogrs3, env, "age_sex_parameter"), [0.0, 0.785, -2.0253, 0.0]
    )


def test_exact_half_up_percentage_exhaustive(ogrs3):
    """The spec's percentage steps equal BigDecimal's half-up rounding of p x 100 for every
    5-decimal probability (where the MoJ rounds them), including every ...500 tie."""
    k = np.arange(0, 100001)
    p = np.array([float(Decimal(int(i)).scaleb(-5)) for i in k])
    got = _evaluate_derived(ogrs3, {"ogrs3_1y_rounded": p}, "ogrs3_1y_percent")
    expected = np.array([moj_percent(float(x)) for x in p])
    np.testing.assert_array_equal(got, expected)
    # the ties do matter: naive rounding of the floating-point product disagrees somewhere
    naive = np.clip(np.floor(p * 100 + 0.5), 1, 99)
    assert (naive != expected).sum() > 0


# --------------------------------------------------------------------------- random cohorts vs reference


def _random_ogrs3_frame(rng, n):
    age_conv = rng.integers(8, 80, n)
    return pd.DataFrame({
        "sex": rng.choice(["male", "female"], n),
        "age_at_start_of_followup": age_conv + rng.integers(-1, 4, n),
        "total_sanctions": rng.integers(0, 80, n),
        "age_at_first_sanction": np.maximum(age_conv - rng.integers(-3, 40, n), 8),
        "age_at_current_conviction": age_conv,
        "offence_category": rng.choice([*OFFENCE, "needs_exact_offence"], n),
    })  # fmt: skip


def test_ogrs3_random_cohort_matches_reference(ogrs3):
    rng = np.random.default_rng(20240607)
    frame = _random_ogrs3_frame(rng, 6000)
    out = ogrs3.score(frame).frame
    for i, row in enumerate(frame.itertuples(index=False)):
        ref = ogrs3_reference(*row)
        got = out.iloc[i]
        if ref is None:
            assert got["status"] == "invalid" and np.isnan(got["ogrs3_2y_percent"]), row
        else:
            assert got["status"] == "ok", (row, got["reason"])
            assert (got["ogrs3_1y_percent"], got["ogrs3_2y_percent"], got["ogrs3_band"]) == ref, row


def test_ogp_random_cohort_matches_reference(ogp):
    rng = np.random.default_rng(11)
    n = 4000
    frame = pd.DataFrame({
        "ogrs3_2y_percent": rng.integers(1, 100, n), "no_fixed_abode": rng.integers(0, 2, n),
        "unemployed": rng.integers(0, 2, n), **{c: rng.integers(0, 3, n) for c in OGP_ITEMS[3:]},
    })  # fmt: skip
    out = ogp.score(frame).frame
    got = list(
        zip(
            out["ogp_total"],
            out["ogp_1y_percent"],
            out["ogp_2y_percent"],
            out["ogp_band"],
            strict=True,
        )
    )
    assert got == [ogp_reference(*r) for r in frame[OGP_ITEMS].itertuples(index=False)]


def test_ovp_random_cohort_matches_reference(ovp):
    rng = np.random.default_rng(7)
    n = 4000
    total = rng.integers(0, 70, n)
    frame = pd.DataFrame({
        "sex": rng.choice(["male", "female"], n), "age_at_start_of_followup": rng.integers(16, 80, n),
        "total_sanctions": total, "violent_sanctions": np.maximum(total - rng.integers(-2, 40, n), 0),
        **{c: rng.integers(0, 2, n) for c in ("recognises_impact_of_offending", "no_fixed_abode", "unemployed",
                                              "current_psychiatric_treatment")},
        **{c: rng.integers(0, 3, n) for c in ("current_alcohol_problems", "excessive_alcohol_use",
                                              "temper_control", "pro_criminal_attitudes")},
    })[OVP_ITEMS]  # fmt: skip
    out = ovp.score(frame).frame
    for i, row in enumerate(frame.itertuples(index=False)):
        ref = ovp_reference(*row)
        got = out.iloc[i]
        if ref is None:
            assert got["status"] == "invalid" and np.isnan(got["ovp_total"]), row
        else:
            assert (
                got["ovp_total"],
                got["ovp_1y_percent"],
                got["ovp_2y_percent"],
                got["ovp_band"],
            ) == ref, row


# --------------------------------------------------------------------------- properties

_settings = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ogrs3_rows = st.fixed_dictionaries({
    "sex": st.sampled_from(["male", "female"]),
    "age_at_current_conviction": st.integers(10, 90),
    "career": st.integers(0, 60),
    "followup_gap": st.integers(0, 5),
    "total_sanctions": st.integers(1, 150),
    "offence_category": st.sampled_from(list(OFFENCE)),
})  # fmt: skip


def _ogrs3_rows_frame(rows):
    return pd.DataFrame([{
        "sex": r["sex"], "age_at_start_of_followup": r["age_at_current_conviction"] + r["followup_gap"],
        "total_sanctions": r["total_sanctions"],
        "age_at_first_sanction": max(r["age_at_current_conviction"] - r["career"], 0),
        "age_at_current_conviction": r["age_at_current_conviction"], "offence_category": r["offence_category"],
    } for r in rows])  # fmt: skip


@_settings
@given(st.lists(ogrs3_rows, min_size=1, max_size=30))
def test_ogrs3_properties(ogrs3, rows):
    frame = _ogrs3_rows_frame(rows)
    out = ogrs3.score(frame).frame
    assert (out["status"] == "ok").all()
    p1, p2 = out["ogrs3_p_1y"].to_numpy(), out["ogrs3_p_2y"].to_numpy()
    assert ((p1 > 0) & (p1 < 1) & (p2 > 0) & (p2 < 1)).all()
    assert (p2 >= p1).all() and (out["ogrs3_2y_percent"] >= out["ogrs3_1y_percent"]).all()
    assert (
        out["ogrs3_1y_percent"].between(1, 99).all()
        and out["ogrs3_2y_percent"].between(1, 99).all()
    )
    # one more sanction, everything else equal: never a lower score (Copas rate and first/repeat)
    more = frame.assign(total_sanctions=frame["total_sanctions"] + 1)
    out_more = ogrs3.score(more).frame
    assert (out_more["ogrs3_lp"].to_numpy() > out["ogrs3_lp"].to_numpy()).all()
    assert (out_more["ogrs3_2y_percent"].to_numpy() >= out["ogrs3_2y_percent"].to_numpy()).all()
    # reordering rows changes nothing but the order
    shuffled = ogrs3.score(frame.iloc[::-1]).frame.iloc[::-1]
    pd.testing.assert_frame_equal(shuffled, out)


@_settings
@given(
    st.lists(
        st.tuples(st.integers(1, 98), *[st.integers(0, 1)] * 2, *[st.integers(0, 2)] * 7),
        min_size=1,
        max_size=30,
    )
)
def test_ogp_properties(ogp, rows):
    frame = pd.DataFrame(rows, columns=OGP_ITEMS)
    out = ogp.score(frame).frame
    p1, p2 = out["ogp_p_1y"].to_numpy(), out["ogp_p_2y"].to_numpy()
    assert ((p1 > 0) & (p1 < 1) & (p2 >= p1) & (p2 < 1)).all()
    higher = ogp.score(frame.assign(ogrs3_2y_percent=frame["ogrs3_2y_percent"] + 1)).frame
    assert (higher["ogp_total"].to_numpy() >= out["ogp_total"].to_numpy()).all()
    assert (higher["ogp_2y_percent"].to_numpy() >= out["ogp_2y_percent"].to_numpy()).all()


@_settings
@given(st.lists(st.tuples(st.sampled_from(["male", "female"]), st.integers(18, 90), st.integers(1, 80),
                          st.integers(0, 80), *[st.integers(0, 1)] * 4, *[st.integers(0, 2)] * 4),
                min_size=1, max_size=30))  # fmt: skip
def test_ovp_properties(ovp, rows):
    frame = pd.DataFrame(rows, columns=["sex", "age_at_start_of_followup", "total_sanctions", "violent_sanctions",
                                        "recognises_impact_of_offending", "no_fixed_abode", "unemployed",
                                        "current_psychiatric_treatment", "current_alcohol_problems",
                                        "excessive_alcohol_use", "temper_control", "pro_criminal_attitudes"])  # fmt: skip
    frame["violent_sanctions"] = np.minimum(frame["violent_sanctions"], frame["total_sanctions"])
    out = ovp.score(frame).frame
    assert (out["status"] == "ok").all()
    p1, p2 = out["ovp_p_1y"].to_numpy(), out["ovp_p_2y"].to_numpy()
    assert ((p1 > 0) & (p1 < 1) & (p2 >= p1) & (p2 < 1)).all()
    # one more violent sanction (and so one more in total): never a lower score
    more = ovp.score(frame.assign(violent_sanctions=frame["violent_sanctions"] + 1,
                                  total_sanctions=frame["total_sanctions"] + 1)).frame  # fmt: skip
    assert (more["ovp_total"].to_numpy() >= out["ovp_total"].to_numpy()).all()


# --------------------------------------------------------------------------- command line


def test_cli_lint_and_score_reproduce_moj_cases(tmp_path):
    """``assess lint`` passes the three specs; ``assess score`` reproduces the MoJ OGRS3 cases."""
    from click.testing import CliRunner

    from assess.cli.main import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["lint", *(str(INSTRUMENTS / f"{n}.yaml") for n in NAMES)])
    assert res.exit_code == 0, res.output
    out_file = tmp_path / "scored.csv"
    cases = ROOT / "tests" / "data" / "ogrs" / "moj_ogrs3_cases.csv"
    keep = [
        "--keep",
        "case",
        "--keep",
        "moj_1y_percent",
        "--keep",
        "moj_2y_percent",
        "--keep",
        "moj_band",
    ]
    res = runner.invoke(
        cli,
        ["score", str(INSTRUMENTS / "ogrs3.yaml"), "-i", str(cases), "-o", str(out_file), *keep],
    )
    assert res.exit_code == 0, res.output
    out = pd.read_csv(out_file)
    scored = out["moj_band"].notna()
    pd.testing.assert_series_equal(
        out.loc[scored, "ogrs3_1y_percent"],
        out.loc[scored, "moj_1y_percent"],
        check_names=False,
        check_dtype=False,
    )
    pd.testing.assert_series_equal(
        out.loc[scored, "ogrs3_2y_percent"],
        out.loc[scored, "moj_2y_percent"],
        check_names=False,
        check_dtype=False,
    )
    assert (out.loc[scored, "ogrs3_band"] == out.loc[scored, "moj_band"]).all()
    assert (out.loc[~scored, "status"] == "invalid").all() and out.loc[
        ~scored, "ogrs3_2y_percent"
    ].isna().all()
