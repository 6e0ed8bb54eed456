"""Property tests: order invariance, index preservation, rows in == rows out, monotonicity, bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_helpers import assert_same_frames, make_instrument, ordinal, scale

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
N_ITEMS = 6
LEVELS = (0, 1, 2, 3)


def _instrument(
    role: str, policy: str = "prorate", rounding: str = "half_up", protective: bool = False
):
    # increasing points per level (ties allowed), so a higher response never scores fewer points
    points = [
        (0, 1, 1, 3),
        (0, 0.5, 1, 1.5),
        (0, 1, 2, 3),
        (1, 1, 2, 4),
        (0, 2, 2, 2),
        (0, 1, 3, 4),
    ]
    items = [
        ordinal(
            f"q{k}",
            values=LEVELS,
            points=points[k],
            role=role,
            protective_only=protective and role == "strength" and k % 2 == 0,
        )
        for k in range(N_ITEMS)
    ]
    ids = [f"q{k}" for k in range(N_ITEMS)]
    return make_instrument(
        items,
        scales=[
            scale("first", ids[:3], max_missing=1, policy=policy, rounding=rounding),
            scale("second", ids[3:], max_missing=1, policy=policy, rounding=rounding),
            scale("total", ids, max_missing=2, policy=policy, rounding=rounding),
            scale("net", ["first", {"ref": "second", "weight": 0.5}]),
        ],
        models=[
            {
                "type": "logistic",
                "id": "m",
                "terms": [{"ref": "total", "coefficient": 0.3}],
                "horizons": [{"label": "1y", "time": 1, "intercept": -2}],
            }
        ],
        bands=[
            {"id": "b", "on": "total", "cuts": [{"label": "low", "upper": 5}, {"label": "high"}]}
        ],
    )


RISK = _instrument("risk")
ZERO = _instrument("risk", policy="zero")
STRENGTH = _instrument("strength", protective=True)
RESPONSE = st.one_of(st.sampled_from(LEVELS), st.none())
MESSY = st.one_of(RESPONSE, st.sampled_from([1.5, "2", -3, True, "x", np.inf, 1e12, ""]))


def cohort(rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(
        {f"q{k}": pd.Series([r[k] for r in rows], dtype=object) for k in range(N_ITEMS)}
    )


ROWS = st.lists(st.lists(MESSY, min_size=N_ITEMS, max_size=N_ITEMS), min_size=1, max_size=30)


@SETTINGS
@given(rows=ROWS, seed=st.integers(0, 2**32 - 1))
def test_row_order_invariance(rows, seed):
    data = cohort(rows)
    perm = np.random.default_rng(seed).permutation(len(data))
    whole = RISK.score(data).frame
    permuted = RISK.score(data.iloc[perm]).frame
    assert_same_frames(permuted, whole.iloc[perm])


@SETTINGS
@given(rows=ROWS, kind=st.sampled_from(["dupes", "strings", "multi", "descending"]))
def test_index_preserved(rows, kind):
    data = cohort(rows)
    n = len(data)
    if kind == "dupes":
        data.index = pd.Index([k % 3 for k in range(n)])
    elif kind == "strings":
        data.index = pd.Index([f"person-{k}" for k in range(n)], name="person")
    elif kind == "multi":
        data.index = pd.MultiIndex.from_arrays(
            [[k % 2 for k in range(n)], list(range(n))], names=["site", "id"]
        )
    else:
        data.index = pd.RangeIndex(n, 0, -1)
    result = RISK.score(data)
    assert result.frame.index.equals(data.index)
    assert list(result.frame.index.names) == list(data.index.names)
    if len(result.problems):
        assert set(result.problems["row"]) <= set(data.index)


@SETTINGS
@given(rows=ROWS, strict=st.booleans())
def test_rows_in_equal_rows_out(rows, strict):
    data = cohort(rows)
    try:
        result = RISK.score(data, strict=strict)
    except ValueError:
        assert strict
        return
    assert len(result.frame) == len(data)
    status = result.frame["status"]
    assert set(status) <= {"ok", "prorated", "invalid"}
    assert ((result.frame["reason"] == "") == (status == "ok")).all()


# valid responses or missing (no invalid values)
CLEAN_ROWS = st.lists(
    st.lists(RESPONSE, min_size=N_ITEMS, max_size=N_ITEMS), min_size=1, max_size=20
)


@SETTINGS
@given(
    rows=CLEAN_ROWS,
    item=st.integers(0, N_ITEMS - 1),
    inst_name=st.sampled_from(["risk", "zero", "strength"]),
)
def test_totals_monotone_in_item_responses(rows, item, inst_name):
    inst = {"risk": RISK, "zero": ZERO, "strength": STRENGTH}[inst_name]
    data = cohort(rows)
    higher = data.copy()
    col = f"q{item}"
    answered = data[col].notna()
    higher.loc[answered, col] = [min(v + 1, LEVELS[-1]) for v in data.loc[answered, col]]
    low, high = inst.score(data).frame, inst.score(higher).frame
    for name in ("first", "second", "total", "net", "m_p_1y"):
        both = low[name].notna() & high[name].notna()
        assert (high.loc[both, name] >= low.loc[both, name] - 1e-12).all(), name
    # the same rows are scorable (only answered responses changed)
    assert (low["status"] == high["status"]).all()


@SETTINGS
@given(rows=CLEAN_ROWS, rounding=st.sampled_from(["none", "half_up", "down", "up", "nearest_even"]))
def test_prorated_total_within_all_answered_bounds(rows, rounding):
    # Items share one point range, as prorating assumes: a missing item is imputed at the mean
    # points of the answered ones. (With items of different ranges a prorated score can exceed
    # the all-answered maximum; the engine does not clamp it. See test_prorating_can_overshoot.)
    items = [ordinal(f"q{k}", values=LEVELS, points=(0, 1, 2, 4)) for k in range(N_ITEMS)]
    ids = [f"q{k}" for k in range(N_ITEMS)]
    inst = make_instrument(items, scales=[scale("total", ids, max_missing=2, rounding=rounding)])
    lo, hi = 0, 4 * N_ITEMS
    frame = inst.score(cohort(rows)).frame
    total = frame["total"].dropna()
    assert ((total >= lo) & (total <= hi)).all()
    prorated = frame["total_missing"].between(1, 2)
    assert frame.loc[prorated, "total"].notna().all()


def test_prorating_can_overshoot_with_unequal_item_ranges():
    # q0 (max 3), q3 (max 4), q4 (max 2), q5 (max 4) answered at 3 + 4 + 2 + 3 = 12 points;
    # q1, q2 missing: 12 * 6 / 4 = 18 > 17.5, the largest all-answered total. Not clamped.
    frame = RISK.score(cohort([[3, None, None, 3, 1, 2]])).frame
    assert frame["total"][0] == 18.0
    assert "scale 'total': 2 of 6 items missing, score prorated" in frame["reason"][0]
