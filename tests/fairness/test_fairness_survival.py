"""Survival-aware fairness: KM by band per group, IPCW error rates at a horizon, Harrell's C."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import concordance_index

from assess.fairness import fairness_report
from assess.fairness._data import group_design
from assess.fairness.time_to_event import _cells, _statistic, _statistic_dense, _units
from assess.metrics.survival import kaplan_meier

HORIZON = 365.0


def _cohort(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    s = rng.integers(0, 15, n)
    haz = 0.0015 * np.exp(0.12 * s + np.where(g == "B", 0.3, 0.0))
    t_event = rng.exponential(1 / haz)
    cens = rng.uniform(100, 900, n) * np.where(g == "C", 0.7, 1.0)  # censoring depends on group
    t = np.ceil(np.minimum(t_event, cens))
    e = (t_event <= cens).astype(int)
    band = np.where(s < 5, "Low", np.where(s < 10, "Medium", "High"))
    y = ((t <= HORIZON) & (e == 1)).astype(int)
    return pd.DataFrame({"g": g, "s": s, "t": t, "e": e, "band": band, "y": y})


@pytest.fixture(scope="module")
def cohort():
    return _cohort()


@pytest.fixture(scope="module")
def report(cohort):
    return fairness_report(cohort, score="s", outcome="y", groups="g", cutoff=8, time="t", event="e",
                           horizon=HORIZON, band="band", n_boot=100, seed=3)


def test_km_by_band_per_group_matches_project_and_lifelines(cohort, report):
    surv = report.survival
    for (g, band), sub in cohort.groupby(["g", "band"]):
        row = surv[(surv["grouping"] == "g") & (surv["group"] == g) & (surv["band"] == band)].iloc[0]
        km = kaplan_meier(sub["t"], sub["e"]).survival_at(HORIZON)
        assert row["survival"] == pytest.approx(float(km["survival"].iloc[0]), abs=1e-12)
        kmf = KaplanMeierFitter().fit(sub["t"], sub["e"])
        assert row["survival"] == pytest.approx(float(kmf.predict(HORIZON)), abs=1e-12)
        assert row["n"] == len(sub)
        assert row["events_by_horizon"] == int(((sub["t"] <= HORIZON) & (sub["e"] == 1)).sum())
        assert row["lower"] <= row["survival"] <= row["upper"]
    bands = surv.loc[surv["grouping"] == "g", "band"].unique().tolist()
    assert bands == ["Low", "Medium", "High"]  # ordered by mean score


def _ipcw_reference(sub: pd.DataFrame, cutoff: float):
    """Brute force IPCW confusion table with the censoring KM from lifelines; events are moved
    a hair earlier so that, at a tied time, they leave the censoring risk set first."""
    kmf = KaplanMeierFitter().fit(sub["t"] - 1e-6 * sub["e"], 1 - sub["e"])
    t = sub["t"].to_numpy()
    e = sub["e"].to_numpy().astype(bool)
    flag = sub["s"].to_numpy() >= cutoff
    g_minus = kmf.predict(t - 0.5).to_numpy()  # integer times: G(T-)
    g_h = float(kmf.predict(HORIZON))
    case = e & (t <= HORIZON)
    ctrl = t > HORIZON
    w = np.where(case, 1 / g_minus, np.where(ctrl, 1 / g_h, 0.0))
    tp = np.sum(w * (case & flag))
    fn = np.sum(w * (case & ~flag))
    fp = np.sum(w * (ctrl & flag))
    tn = np.sum(w * (ctrl & ~flag))
    return tp, fp, fn, tn


def test_ipcw_error_rates_match_brute_force(cohort, report):
    hz = report.horizon_frames["g"].by_group
    for g, sub in cohort.groupby("g"):
        tp, fp, fn, tn = _ipcw_reference(sub, 8)
        assert hz.loc[g, "tpr"] == pytest.approx(tp / (tp + fn), abs=1e-12)
        assert hz.loc[g, "fpr"] == pytest.approx(fp / (fp + tn), abs=1e-12)
        assert hz.loc[g, "ppv"] == pytest.approx(tp / (tp + fp), abs=1e-12)
        assert hz.loc[g, "npv"] == pytest.approx(tn / (tn + fn), abs=1e-12)
        assert hz.loc[g, "selection_rate"] == pytest.approx((sub["s"] >= 8).mean(), abs=1e-14)


def test_ipcw_cumulative_incidence_equals_one_minus_km(cohort, report):
    hz = report.horizon_frames["g"].by_group
    for g, sub in cohort.groupby("g"):
        s_h = float(KaplanMeierFitter().fit(sub["t"], sub["e"]).predict(HORIZON))
        assert hz.loc[g, "cumulative_incidence"] == pytest.approx(1 - s_h, abs=1e-12)


def test_horizon_identity_holds(report):
    ident = report.identity
    hz = ident[ident["grouping"].str.contains("survival")]
    assert len(hz) == 3 and (hz["status"] == "ok").all()
    assert hz["abs_difference"].max() < 1e-12


def test_c_index_per_group_matches_lifelines(cohort, report):
    hz = report.horizon_frames["g"]
    for g, sub in cohort.groupby("g"):
        ref = concordance_index(sub["t"], -sub["s"], sub["e"])
        assert hz.by_group.loc[g, "c_index"] == pytest.approx(ref, abs=1e-12)
    assert hz.overall["c_index"] == pytest.approx(concordance_index(cohort["t"], -cohort["s"], cohort["e"]), abs=1e-12)
    lo, hi = hz.by_group_ci()
    assert (lo["c_index"] < hz.by_group["c_index"]).all() and (hz.by_group["c_index"] < hi["c_index"]).all()


def test_batched_c_index_equals_harrell_c_on_weighted_tables(cohort):
    """The batched grid computation used for bootstrap replicates gives Harrell's C of the
    table it is given: check on the observed table and on a reweighted (resampled) table."""
    from assess.metrics.concordance import harrell_c
    from assess.metrics.tables import levels_and_codes

    design = group_design(cohort, "g", len(cohort))
    levels, lcode = levels_and_codes(cohort["s"].to_numpy(float))
    flag = np.zeros(levels.size, dtype=bool)
    cells = _cells(design.stratum, np.zeros(len(cohort), dtype=np.int64), lcode, flag, cohort["t"].to_numpy(float),
                   cohort["e"].to_numpy().astype(bool), design.n_strata, 1, levels.size)
    maps, parts = _units(design)
    stat = _statistic(cells, maps, HORIZON, with_c=True)
    rng = np.random.default_rng(0)
    resampled = rng.multinomial(int(cells.counts.sum()), cells.counts / cells.counts.sum())
    out = stat(np.vstack([cells.counts, resampled]))
    c = out["c_num"] / out["c_den"]
    # observed: everyone, then groups A, B, C
    assert c[0, 0] == pytest.approx(harrell_c(cohort["t"], cohort["e"], cohort["s"], ci=None).estimate, abs=1e-12)
    # resampled: expand the cells into rows and compare
    rows = np.repeat(np.arange(cells.counts.size), resampled.astype(int))
    t = cells.times[cells.tcode[rows]]
    e = cells.event[rows]
    s = levels[cells.level[rows]]
    grp = cells.stratum[rows]
    assert c[1, 0] == pytest.approx(harrell_c(t, e, s, ci=None).estimate, abs=1e-12)
    for gi in range(3):
        sel = grp == gi
        assert c[1, 1 + gi] == pytest.approx(harrell_c(t[sel], e[sel], s[sel], ci=None).estimate, abs=1e-12)


def test_survival_suppression_and_flag_bands(cohort):
    df = cohort.copy()
    df.loc[:19, "g"] = "Tiny"
    rep = fairness_report(df, score="s", outcome="y", groups="g", cutoff=8, time="t", event="e", horizon=HORIZON,
                          n_boot=0)
    surv = rep.survival
    tiny = surv[surv["group"] == "Tiny"]
    assert (tiny["status"] == "suppressed").all() and tiny["survival"].isna().all() and tiny["n"].isna().all()
    assert set(surv["band"]) == {"below cut-off", "at or above cut-off"}
    hz = rep.horizon_frames["g"]
    assert hz.suppressed[list(hz.groups).index("Tiny")]
    assert rep.horizon_error_rates.loc[rep.horizon_error_rates["group"] == "Tiny", "estimate"].isna().all()


def test_survival_reproducible_and_requires_horizon(cohort):
    kw = dict(score="s", outcome="y", groups="g", cutoff=8, time="t", event="e", horizon=HORIZON, n_boot=30)
    a = fairness_report(cohort, seed=5, **kw)
    b = fairness_report(cohort, seed=5, **kw)
    pd.testing.assert_frame_equal(a.horizon_error_rates, b.horizon_error_rates)
    pd.testing.assert_frame_equal(a.survival, b.survival)
    with pytest.raises(ValueError, match="horizon"):
        fairness_report(cohort, score="s", outcome="y", groups="g", cutoff=8, time="t", event="e", n_boot=0)
    with pytest.raises(ValueError, match="both time and event"):
        fairness_report(cohort, score="s", outcome="y", groups="g", cutoff=8, time="t", horizon=1.0, n_boot=0)
    frames = a.to_frames()
    assert {"survival", "horizon_error_rates", "horizon_comparisons"} <= set(frames)


@pytest.mark.parametrize("seed", range(12))
def test_cell_statistic_equals_dense_grid_reference(seed):
    """The per-cell batched statistic (used for the bootstrap) gives the numbers of the dense
    (unit, band, time) grid reference, including tied times, censoring before the horizon,
    empty (unit, band) segments, a horizon on an observed time and replicates in which the
    censoring survival drops to 0 (undefined IPCW rates)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    n_strata, nb, n_lv = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
    stratum = rng.integers(0, n_strata, n)
    band = rng.integers(0, nb, n)
    level = rng.integers(0, n_lv, n)
    time = rng.integers(1, 8, n).astype(float) if seed % 2 == 0 else np.round(rng.exponential(3, n), 1)
    event = rng.random(n) < 0.5
    cells = _cells(stratum, band, level, rng.random(n_lv) < 0.5, time, event, n_strata, nb, n_lv)
    maps = [np.zeros(n_strata, dtype=np.int64), rng.integers(0, 2, n_strata), np.arange(n_strata)]
    horizon = float(rng.choice([2.0, 3.0, 4.5, 100.0]))
    weights = rng.multinomial(int(cells.counts.sum()), cells.counts / cells.counts.sum(), size=15).astype(float)
    weights[0] = cells.counts
    fast = _statistic(cells, maps, horizon, with_c=seed % 3 == 0)(weights)
    ref = _statistic_dense(cells, maps, horizon, with_c=True)(weights)
    for key, value in fast.items():
        if key in ("c_num", "c_den") and seed % 3:
            assert np.isnan(value).all()
            continue
        np.testing.assert_allclose(value, ref[key], rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=key)


# ------------------------------------------------------------------ IJ Wald intervals for C


@pytest.fixture(scope="module")
def wald_report(cohort):
    """A report in which the batched C bootstrap is switched off (as at n = 100k, where the
    C grid exceeds MAX_C_GRID): Harrell's C gets infinitesimal-jackknife Wald intervals."""
    import assess.fairness.time_to_event as tte

    saved = tte.MAX_C_GRID
    tte.MAX_C_GRID = 0
    try:
        return fairness_report(cohort, score="s", outcome="y", groups="g", cutoff=8, time="t", event="e",
                               horizon=HORIZON, n_boot=60, seed=3)
    finally:
        tte.MAX_C_GRID = saved


def test_c_index_wald_se_and_interval_equal_harrell_c_per_group(cohort, wald_report):
    from assess.metrics.concordance import harrell_c

    frame = wald_report.horizon_frames["g"]
    cov = frame._wald[frame.metrics.index("c_index")]
    lo, hi = frame.by_group_ci()
    for gi, g in enumerate(frame.groups):
        sub = cohort[cohort["g"] == g]
        ref = harrell_c(sub["t"], sub["e"], sub["s"], ci="ij")  # logit-scale IJ Wald interval
        assert np.sqrt(cov[gi, gi]) == pytest.approx(ref.se, rel=1e-12)
        assert lo.loc[g, "c_index"] == pytest.approx(ref.lower, abs=1e-12)
        assert hi.loc[g, "c_index"] == pytest.approx(ref.upper, abs=1e-12)
    ref = harrell_c(cohort["t"], cohort["e"], cohort["s"], ci="ij")
    assert np.sqrt(cov[-1, -1]) == pytest.approx(ref.se, rel=1e-12)
    olo, ohi = frame.overall_ci()
    assert (olo["c_index"], ohi["c_index"]) == (pytest.approx(ref.lower, abs=1e-12), pytest.approx(ref.upper, abs=1e-12))
    np.testing.assert_array_equal(cov[:3, :3], np.diag(np.diag(cov[:3, :3])))  # disjoint groups
    tidy = wald_report.horizon_error_rates
    assert set(tidy.loc[tidy["metric"] == "c_index", "ci_method"]) == {"ij-wald-logit"}
    assert set(tidy.loc[tidy["metric"] != "c_index", "ci_method"]) == {"percentile"}
    assert any("infinitesimal-jackknife Wald" in n for n in wald_report.notes)


def test_c_index_wald_difference_and_ratio_by_hand(cohort, wald_report):
    from scipy.stats import norm

    from assess.metrics.concordance import harrell_c

    frame = wald_report.horizon_frames["g"]
    res = {g: harrell_c(sub["t"], sub["e"], sub["s"], ci=None) for g, sub in cohort.groupby("g")}
    z = norm.ppf(0.975)
    comp = wald_report.horizon_comparisons
    comp = comp[comp["metric"] == "c_index"].set_index(["kind", "comparison"])
    ref = frame.reference
    for g in frame.groups:
        if g == ref:
            continue
        d = res[g].estimate - res[ref].estimate
        sd = np.hypot(res[g].se, res[ref].se)
        row = comp.loc[("difference", f"{g} vs {ref}")]
        assert row["estimate"] == pytest.approx(d, abs=1e-14)
        assert (row["lower"], row["upper"]) == (pytest.approx(d - z * sd, abs=1e-12), pytest.approx(d + z * sd, abs=1e-12))
        assert row["ci_method"] == "ij-wald"
        r = res[g].estimate / res[ref].estimate
        sl = np.sqrt((res[g].se / res[g].estimate) ** 2 + (res[ref].se / res[ref].estimate) ** 2)
        row = comp.loc[("ratio", f"{g} vs {ref}")]
        assert (row["lower"], row["upper"]) == (pytest.approx(r * np.exp(-z * sl), abs=1e-12),
                                                pytest.approx(r * np.exp(z * sl), abs=1e-12))
        assert row["ci_method"] == "ij-wald-log-ratio"
    row = comp.loc[("difference", "max - min")]
    hi_g, lo_g = row["group"], row["versus"]
    assert res[hi_g].estimate == max(r.estimate for r in res.values())
    d = res[hi_g].estimate - res[lo_g].estimate
    sd = np.hypot(res[hi_g].se, res[lo_g].se)
    assert (row["lower"], row["upper"]) == (pytest.approx(d - z * sd, abs=1e-12), pytest.approx(d + z * sd, abs=1e-12))


def test_c_index_wald_se_close_to_bootstrap_sd(cohort, report, wald_report):
    """Independent check of the IJ covariances (including group vs whole sample, which are
    correlated): Wald standard errors agree with the bootstrap SDs of the batched C."""
    from scipy.stats import norm

    z = norm.ppf(0.975)
    boot, wald = report.horizon_comparisons, wald_report.horizon_comparisons
    for comparison in ("max - min", "largest gap to overall", "B vs A"):
        b = boot[(boot["metric"] == "c_index") & (boot["comparison"] == comparison) & (boot["kind"] == "difference")].iloc[0]
        w = wald[(wald["metric"] == "c_index") & (wald["comparison"] == comparison) & (wald["kind"] == "difference")].iloc[0]
        assert w["estimate"] == pytest.approx(b["estimate"], abs=1e-14)
        assert (w["upper"] - w["lower"]) / (2 * z) == pytest.approx((b["upper"] - b["lower"]) / (2 * z), rel=0.3)


def test_estimates_inside_intervals_for_every_comparison(report, wald_report):
    for rep in (report, wald_report):
        for comp in (rep.comparisons, rep.horizon_comparisons):
            ok = comp[(comp["status"] == "ok")].dropna(subset=["lower", "upper"])
            assert len(ok) > 50
            assert ((ok["lower"] <= ok["estimate"] + 1e-12) & (ok["estimate"] <= ok["upper"] + 1e-12)).all()
