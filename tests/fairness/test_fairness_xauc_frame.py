"""xAUC against brute-force pairs; GroupMetricFrame built directly; DIF inside the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.fairness import GroupMetricFrame, fairness_report, xauc


def _brute_xauc(s, y, g, a, b):
    pos = s[(y == 1) & (g == a)]
    neg = s[(y == 0) & (g == b)]
    if pos.size == 0 or neg.size == 0:
        return np.nan
    diff = pos[:, None] - neg[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(10, 120), seed=st.integers(0, 2**31 - 1), levels=st.sampled_from([3, 8, 1000]))
def test_xauc_matches_brute_force(n, seed, levels):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, levels, n).astype(float)
    y = rng.integers(0, 2, n)
    g = rng.choice(["a", "b", "c"], n)
    mat = xauc(s, y, g)
    for a in mat.index:
        for b in mat.columns:
            ref = _brute_xauc(s, y, g, a, b)
            got = mat.loc[a, b]
            assert (np.isnan(ref) and np.isnan(got)) or got == pytest.approx(ref, abs=1e-12)


def test_xauc_in_report_matches_brute_force_and_pools():
    rng = np.random.default_rng(3)
    n = 2000
    g = rng.choice(["A", "B", "C"], n)
    s = rng.integers(0, 12, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(s - 6 + (g == "B")) / 3))).astype(int)
    df = pd.DataFrame({"g": g, "s": s, "y": y})
    rep = fairness_report(df, score="s", outcome="y", groups="g", cutoff=6, n_boot=50, seed=1)
    x = rep.xauc
    sv, gv = s.astype(float), np.asarray(g)
    for a in "ABC":
        for b in "ABC":
            row = x[(x["kind"] == "xauc") & (x["events_of"] == a) & (x["non_events_of"] == b)].iloc[0]
            assert row["estimate"] == pytest.approx(_brute_xauc(sv, y, gv, a, b), abs=1e-12)
            assert row["lower"] <= row["estimate"] <= row["upper"]
            if a != b:
                d = x[(x["kind"] == "disparity") & (x["events_of"] == a) & (x["non_events_of"] == b)].iloc[0]
                assert d["estimate"] == pytest.approx(_brute_xauc(sv, y, gv, a, b) - _brute_xauc(sv, y, gv, b, a), abs=1e-12)
        # events of a against non-events of everyone else
        ref = _brute_xauc(sv, y, np.where(gv == a, a, "other"), a, "other")
        row = x[(x["kind"] == "events_vs_others") & (x["events_of"] == a)].iloc[0]
        assert row["estimate"] == pytest.approx(ref, abs=1e-12)
        ref2 = _brute_xauc(sv, y, np.where(gv == a, a, "other"), "other", a)
        row2 = x[(x["kind"] == "others_vs_non_events") & (x["non_events_of"] == a)].iloc[0]
        assert row2["estimate"] == pytest.approx(ref2, abs=1e-12)
    # the diagonal is the group's own AUC
    bg = rep.frames["g"].by_group
    for a in "ABC":
        row = x[(x["kind"] == "xauc") & (x["events_of"] == a) & (x["non_events_of"] == a)].iloc[0]
        assert row["estimate"] == pytest.approx(bg.loc[a, "auc"], abs=1e-14)


def test_group_metric_frame_direct_construction():
    est = np.array([[0.2, 0.7], [0.3, 0.6], [0.5, 0.9]])
    reps = est[None] + np.random.default_rng(0).normal(0, 0.01, (200, 3, 2))
    frame = GroupMetricFrame(
        grouping="g", groups=["a", "b", "c"], metrics=["fpr", "auc"], estimates=est, overall=np.array([0.3, 0.7]),
        n=np.array([100, 50, 5]), events=np.array([30, 20, 1]), suppressed=np.array([False, False, True]),
        suppression_reasons=[None, None, "suppressed: fewer than 30 people"], replicates=reps,
        overall_replicates=reps.mean(1),
    )
    assert frame.reference == "a"
    assert np.isnan(frame.by_group.loc["c", "fpr"])
    assert frame.difference()["fpr"] == pytest.approx(0.1)
    assert frame.ratio()["fpr"] == pytest.approx(2 / 3)
    assert frame.difference("to_overall")["fpr"] == pytest.approx(0.1)
    assert frame.ratio("to_overall")["auc"] == pytest.approx(min(0.7 / 0.7, 0.6 / 0.7))
    assert frame.group_min()["auc"] == pytest.approx(0.6) and frame.group_max()["auc"] == pytest.approx(0.7)
    lo, hi = frame.difference_ci()
    assert lo["fpr"] < 0.1 < hi["fpr"]
    lo, hi = frame.group_max_ci()
    assert lo["auc"] < 0.7 < hi["auc"]
    tidy = frame.to_frame()
    assert tidy.loc[tidy["group"] == "c", "status"].eq("suppressed").all()
    comp = frame.comparisons_frame()
    assert set(comp["comparison"]) >= {"b vs a", "max - min", "min / max"}
    with pytest.raises(ValueError, match="suppressed"):
        GroupMetricFrame(grouping="g", groups=["a", "b"], metrics=["x"], estimates=[[1.0], [2.0]], overall=[1.5],
                         n=[10, 10], events=[1, 1], suppressed=[True, False], reference="a")
    with pytest.raises(ValueError, match="n_boot"):
        GroupMetricFrame(grouping="g", groups=["a", "b"], metrics=["x"], estimates=[[1.0], [2.0]], overall=[1.5],
                         n=[10, 10], events=[1, 1]).by_group_ci()


def test_report_with_dif_items():
    rng = np.random.default_rng(2)
    n = 2000
    g = rng.choice(["A", "B"], n)
    theta = rng.normal(size=n)
    b = np.linspace(-1, 1, 8)
    eta = theta[:, None] - b
    eta[:, 1] += 1.0 * (g == "B")
    items = (rng.random((n, 8)) < 1 / (1 + np.exp(-eta))).astype(int)
    df = pd.DataFrame(items, columns=[f"i{j}" for j in range(8)])
    df["g"] = g
    df["score"] = items.sum(1)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-theta))).astype(int)
    rep = fairness_report(df, score="score", outcome="y", groups="g", cutoff=4, n_boot=0,
                          items=[f"i{j}" for j in range(8)])
    assert rep.dif.flagged == ["i1"]
    assert "dif" in rep.to_frames()
    assert "Logistic-regression DIF" in str(rep)
