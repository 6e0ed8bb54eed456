"""simulate(): reproducibility, independence, columns and dtypes, responses within the declared
levels, and zero invalid rows through the scoring engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.io import read_table
from assess.scoring import load_instrument
from assess.synthetic import (
    compile_scenario,
    list_scenarios,
    load_scenario_text,
    simulate,
    write_cohort,
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
INSTRUMENTS = ["rnr-general", "desistance-strengths", "rnr-desistance-integrated"]


@pytest.fixture(scope="module")
def compiled():
    return {name: compile_scenario(name) for name in SHIPPED}


def test_same_seed_same_frame_and_different_seeds_independent(compiled):
    c = compiled["heavy-censoring"]
    a = simulate(c, n=4000, seed=11)
    b = simulate("heavy-censoring", n=4000, seed=11)
    pd.testing.assert_frame_equal(a, b)
    d = simulate(c, n=4000, seed=12)
    assert not a["truth_risk"].equals(d["truth_risk"])
    # independent draws: correlation between seeds ~ N(0, 1/n); 4.5 SE bound
    bound = 4.5 / np.sqrt(4000)
    for col in ("truth_risk", "truth_strengths", "time"):
        assert abs(np.corrcoef(a[col], d[col])[0, 1]) < bound
    assert abs(np.corrcoef(a["hostility"].fillna(0), d["hostility"].fillna(0))[0, 1]) < bound


def test_default_n_and_argument_checks(tmp_path):
    s = load_scenario_text(
        "extends: baseline\nid: tiny\nname: t\ndescription: d\npopulation: {size: 37}\n"
    )
    assert len(simulate(s)) == 37
    for bad in (0, -5, 2.5, "10", True):
        with pytest.raises(ValueError, match="n must be"):
            simulate(s, n=bad)
    for bad in (-1, 1.5, None):
        with pytest.raises(ValueError, match="seed must be"):
            simulate(s, n=10, seed=bad)


def test_columns_and_dtypes(compiled):
    c = compiled["heavy-censoring"]
    df = simulate(c, n=3000, seed=3)
    item_ids = [it.id for it in c.items]
    groups = list(c.scenario.population.groups)
    assert list(df.columns[: 1 + len(groups) + len(item_ids)]) == ["person_id", *groups, *item_ids]
    assert df["person_id"].tolist() == list(range(1, 3001))
    assert df.index.equals(pd.RangeIndex(3000))
    for it in c.items:
        kind = it.response.type
        dtype = df[it.id].dtype
        if kind in ("binary", "ordinal", "count"):
            assert dtype == "Int64", (it.id, dtype)
        elif kind == "number":
            assert dtype == np.float64, (it.id, dtype)
        else:
            assert dtype.kind == "O", (it.id, dtype)
            assert df[it.id].map(lambda v: v is None or isinstance(v, str)).all()
    for g in groups:
        assert df[g].map(type).eq(str).all()
    assert df["event"].dtype == bool
    assert set(df["event_type"].unique()) <= {0, 1, 2}
    assert (df["event"] == (df["event_type"] == 1)).all()
    for col in (
        "truth_risk",
        "truth_strengths",
        "truth_lp",
        "truth_p_1y",
        "truth_p_2y",
        "truth_time_reoffence",
        "truth_lp_competing",
    ):
        assert df[col].dtype == np.float64 and df[col].notna().all()
    assert set(df["truth_end"].cat.categories) == {
        "reoffence",
        "competing",
        "lost_to_follow_up",
        "end_of_follow_up",
    }
    base = simulate(compiled["baseline"], n=50, seed=0)
    assert "event_type" not in base and "truth_lp_competing" not in base and "severity" not in base


@pytest.mark.parametrize("name", SHIPPED)
def test_responses_lie_in_the_declared_levels(compiled, name):
    c = compiled[name]
    df = simulate(c, n=5000, seed=5)
    for it in c.items:
        col = df[it.id].dropna()
        r = it.response
        if r.type == "binary":
            assert set(col.unique()) <= {0, 1}
        elif r.type == "ordinal":
            assert set(col.unique()) <= {lv.value for lv in r.levels}
        elif r.type in ("count", "number"):
            lo = -np.inf if r.min is None else r.min
            hi = np.inf if r.max is None else r.max
            assert col.between(lo, hi).all(), it.id
            if r.type == "count":
                assert (col == col.round()).all()
        else:
            assert set(col.unique()) <= {cat.value for cat in r.categories}
    # age at first conviction never exceeds age at assessment (at_most_item)
    both = df[["age_at_first_conviction", "age_at_assessment"]].dropna()
    assert (both["age_at_first_conviction"] <= both["age_at_assessment"]).all()
    # age at assessment lies in the person's age band
    bands = {"18-24": (18, 24), "25-34": (25, 34), "35-49": (35, 49), "50+": (50, 200)}
    lo = df["age_band"].map(lambda b: bands[b][0])
    hi = df["age_band"].map(lambda b: bands[b][1])
    assert df["age_at_assessment"].between(lo, hi).all()


def test_no_missing_means_every_row_scores_ok_and_missing_only_follows_the_rules(compiled):
    """Every simulated cohort scores with zero invalid rows through the scoring engine; with
    missing responses switched on, the only problems are the configured missing responses,
    handled by each scale's missing-data rule (no invalid *values*, ever)."""
    complete = load_scenario_text(
        "extends: heavy-censoring\nid: complete\nname: c\ndescription: d\nmissing:\n  default: {rate: 0.0}\n  items: {}\n"
    )
    full = simulate(complete, n=20000, seed=9)
    with_missing = simulate(compiled["heavy-censoring"], n=20000, seed=9)
    # missingness has its own random streams: the responses are the same, only masked
    items = [it.id for it in compiled["heavy-censoring"].items]
    observed = with_missing[items].notna()
    for col in items:
        a, b = full[col][observed[col]], with_missing[col][observed[col]]
        assert (a.astype(object) == b.astype(object)).all(), col
    assert full[items].notna().all().all()
    for name in INSTRUMENTS:
        inst = load_instrument(name)
        res = inst.score(
            full, strict=True, keep=["person_id"]
        )  # strict: raises on any invalid value
        assert (res.frame["status"] == "ok").all(), res.frame["reason"].value_counts().head()
        res_m = inst.score(with_missing, strict=True, keep=["person_id"])
        bad = res_m.frame["status"] == "invalid"
        # invalid rows only where a response is missing, and the reasons are about missing items
        assert not observed.loc[bad.to_numpy()].all(axis=1).any()
        assert res_m.problems["value"].isna().all()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_scores_without_invalid_values(compiled, name):
    df = simulate(compiled[name], n=4000, seed=21)
    for inst_name in INSTRUMENTS:
        res = load_instrument(inst_name).score(df, strict=True)
        observed = df[[it.id for it in compiled[name].items]].notna().all(axis=1)
        assert (res.frame.loc[observed.to_numpy(), "status"] == "ok").all()


def test_common_random_numbers_between_scenarios(compiled):
    """Scenarios that differ in one knob share every other draw for the same seed."""
    base = simulate(compiled["baseline"], n=3000, seed=4)
    dif = simulate(compiled["dif"], n=3000, seed=4)
    biased = {d.item for d in compiled["dif"].scenario.dif}
    same = [c for c in base.columns if c not in biased]
    pd.testing.assert_frame_equal(base[same], dif[same])
    assert all(not base[c].equals(dif[c]) for c in biased)
    red = simulate(compiled["strengths-redundant"], n=3000, seed=4)
    np.testing.assert_array_equal(red["truth_risk"], base["truth_risk"])
    np.testing.assert_array_equal(red["truth_strengths"], -red["truth_risk"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_cohort_round_trip(compiled, tmp_path, suffix):
    df = simulate(compiled["heavy-censoring"], n=500, seed=2)
    path = write_cohort(df, tmp_path / f"cohort{suffix}")
    back = read_table(path, string_columns=["preferred_language"])
    assert len(back) == 500 and list(back.columns) == list(df.columns)
    assert back["hostility"].isna().sum() == df["hostility"].isna().sum()
    assert back["preferred_language"].isna().sum() == df["preferred_language"].isna().sum()
    np.testing.assert_allclose(back["truth_p_2y"], df["truth_p_2y"], rtol=1e-12)
    # the written file scores like the frame
    a = load_instrument("rnr-desistance-integrated").score(df).frame["status"]
    b = load_instrument("rnr-desistance-integrated").score(back).frame["status"]
    assert (a.to_numpy() == b.to_numpy()).all()


def test_list_scenarios_all_simulate():
    for name in list_scenarios():
        assert len(simulate(name, n=20, seed=1)) == 20


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 300))
def test_invariants_hold_for_any_seed(seed, n):
    c = _HEAVY
    df = simulate(c, n=n, seed=seed)
    assert len(df) == n
    p1, p2 = df["truth_p_1y"].to_numpy(), df["truth_p_2y"].to_numpy()
    assert ((0 <= p1) & (p1 <= p2) & (p2 <= 1)).all()
    assert (df["time"] > 0).all() and (df["time"] <= 2.0).all()
    ev = df["event"].to_numpy()
    np.testing.assert_array_equal(
        df["time"].to_numpy()[ev], df["truth_time_reoffence"].to_numpy()[ev]
    )
    assert (df["time"] <= df["truth_time_reoffence"]).all()
    assert ((df["truth_end"] == "reoffence") == df["event"]).all()
    # without a competing event the true probability is a increasing function of truth_lp
    base = simulate(_BASE, n=n, seed=seed)
    order = np.argsort(base["truth_lp"].to_numpy(), kind="stable")
    assert np.all(np.diff(base["truth_p_2y"].to_numpy()[order]) >= 0)
    # and it is exactly 1 - exp(-(t / scale) ** shape * exp(lp))
    w = _BASE.scenario.outcome.baseline
    expected = -np.expm1(-((2.0 / w.scale) ** w.shape) * np.exp(base["truth_lp"].to_numpy()))
    np.testing.assert_allclose(base["truth_p_2y"], expected, rtol=1e-12)


_HEAVY = compile_scenario("heavy-censoring")
_BASE = compile_scenario("baseline")


def test_outcome_group_effects_and_code_built_item_models():
    s = load_scenario_text(
        "extends: baseline\nid: grp\nname: g\ndescription: d\n"
        "outcome:\n  effects:\n    latents: {risk: 0.8}\n    groups: {sex: {female: -0.5}, age_band: {'50+': -0.3}}\n"
    )
    df = simulate(s, n=2000, seed=1)
    expected = (
        0.8 * df["truth_risk"] - 0.5 * (df["sex"] == "female") - 0.3 * (df["age_band"] == "50+")
    )
    np.testing.assert_allclose(df["truth_lp"], expected, rtol=0, atol=1e-12)
    # integer level keys are accepted from code (YAML keys are always text)
    base = compile_scenario("baseline").scenario
    model = type(base.items.models["literacy_support"]).model_validate(
        {"proportions": {0: 0.7, 1: 0.3}}
    )
    assert model.proportions == {"0": 0.7, "1": 0.3}
