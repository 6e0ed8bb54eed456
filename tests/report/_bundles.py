"""Report bundles built from real numbers: a simulated cohort, two scored instruments, metrics
from :mod:`assess.metrics` and :mod:`assess.fairness`, laid out in the frames of the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from assess.fairness import fairness_report
from assess.metrics import auc, calibration_curve, delong_test, harrell_c, kaplan_meier
from assess.report.bundle import BUNDLE_COLUMNS, ReportBundle
from assess.scoring.engine import load_instrument
from assess.synthetic import simulate

SCORES = {"rnr-general": ("risk_total", "reoffending_p_1y", "risk_band"),
          "rnr-desistance-integrated": ("net_score", "reoffending_integrated_p_1y", "net_band")}
HORIZON = 1.0


def _frame(name: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    return df[list(BUNDLE_COLUMNS[name]) + [c for c in df.columns if c not in BUNDLE_COLUMNS[name]]]


def _decision_curve(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    flagged = p[None, :] >= thresholds[:, None]
    n = y.size
    tp = (flagged & (y[None, :] == 1)).sum(axis=1) / n
    fp = (flagged & (y[None, :] == 0)).sum(axis=1) / n
    return tp - fp * thresholds / (1 - thresholds)


def build_bundle(n: int = 3000, seed: int = 1, *, suite: str = "academic-insight",
                 title: str = "Academic insight: do strengths add to risk?") -> ReportBundle:
    """A bundle with every frame filled from a simulated cohort of ``n`` people."""
    df = simulate("strengths-additive", n=n, seed=seed)
    scored = {iid: load_instrument(iid).score(df).frame for iid in SCORES}
    ok = np.ones(n, dtype=bool)
    for iid, (score, prob, band) in SCORES.items():
        f = scored[iid]
        ok &= f[score].notna().to_numpy() & f[prob].notna().to_numpy() & f[band].notna().to_numpy()
    cohort = df.loc[ok].reset_index(drop=True)
    time = cohort["time"].to_numpy(dtype=float)
    event = cohort["event"].to_numpy(dtype=bool)
    y = (event & (time <= HORIZON)).astype(int)
    sex = cohort["sex"].astype(str).to_numpy()
    eth = cohort["ethnicity"].astype(str).to_numpy()
    groups = {"overall": np.ones(y.size, dtype=bool)}
    for v in sorted(set(sex)):
        groups[f"sex={v}"] = sex == v

    results, roc, cal, surv, gaps = [], [], [], [], []
    preds = {}
    for iid, (score, prob, band) in SCORES.items():
        f = scored[iid].loc[ok].reset_index(drop=True)
        s = f[score].to_numpy(dtype=float)
        p = f[prob].to_numpy(dtype=float)
        preds[iid] = p
        for g, m in groups.items():
            a = auc(y[m], s[m])
            results.append(dict(suite=suite, instrument=iid, cohort="strengths-additive", metric="auc",
                                group=g, horizon=HORIZON, estimate=a.estimate, lower=a.lower,
                                upper=a.upper, n=a.n, events=a.events, status="ok", reason=""))
            fpr, tpr, _ = roc_curve(y[m], s[m])
            roc.append(pd.DataFrame({"instrument": iid, "score": score, "group": g, "fpr": fpr, "tpr": tpr}))
            cc = calibration_curve(y[m], p[m], bins=8)
            cal.append(pd.DataFrame({
                "instrument": iid, "group": g, "horizon": HORIZON, "bin": cc["bin"],
                "predicted": cc["mean_predicted"], "observed": cc["observed"],
                "lower": cc["observed_lower"], "upper": cc["observed_upper"], "n": cc["n"],
            }))
        c = harrell_c(time, event, s)
        results.append(dict(suite=suite, instrument=iid, cohort="strengths-additive", metric="harrell_c",
                            group="overall", horizon=np.nan, estimate=c.estimate, lower=c.lower,
                            upper=c.upper, n=c.n, events=c.events, status="ok", reason=""))
        results.append(dict(suite=suite, instrument=iid, cohort="strengths-additive",
                            metric="calibration_slope", group="sex=female", horizon=HORIZON,
                            estimate=np.nan, lower=np.nan, upper=np.nan, n=10, events=0,
                            status="suppressed", reason="fewer than 30 people"))
        km = kaplan_meier(time, event, group=f[band].astype(str).to_numpy()).table
        surv.append(pd.DataFrame({"instrument": iid, "band": km["group"], "time": km["time"],
                                  "survival": km["survival"], "lower": km["lower"],
                                  "upper": km["upper"], "at_risk": km["at_risk"]}))
        rep = fairness_report(None, score=s, outcome=y, groups={"sex": sex, "ethnicity": eth},
                              cutoff=float(np.median(s)), probability=p, n_boot=40, seed=seed,
                              intersections=False)
        comp = rep.comparisons
        comp = comp[comp["metric"].isin(["auc", "fpr", "tpr"]) & comp["comparison"].str.contains(" vs ")]
        gaps.append(pd.DataFrame({
            "instrument": iid, "metric": comp["metric"], "group": comp["grouping"] + "=" + comp["group"].astype(str),
            "versus": comp["grouping"] + "=" + comp["versus"].astype(str), "comparison": comp["kind"],
            "estimate": comp["estimate"],
            "lower": comp["lower"], "upper": comp["upper"], "status": comp["status"],
        }))

    base, integ = "rnr-general", "rnr-desistance-integrated"
    thresholds = np.linspace(0.02, 0.6, 59)
    prev = y.mean()
    dc = []
    for model, p in (("base", preds[base]), ("integrated", preds[integ])):
        nb = _decision_curve(y, p, thresholds)
        dc.append(pd.DataFrame({"comparison": "strengths-integration", "model": model, "threshold": thresholds,
                                "net_benefit": nb, "lower": nb - 0.01, "upper": nb + 0.01}))
    treat_all = prev - (1 - prev) * thresholds / (1 - thresholds)
    dc.append(pd.DataFrame({"comparison": "strengths-integration", "model": "treat all", "threshold": thresholds,
                            "net_benefit": treat_all, "lower": np.nan, "upper": np.nan}))
    dc.append(pd.DataFrame({"comparison": "strengths-integration", "model": "treat none", "threshold": thresholds,
                            "net_benefit": 0.0, "lower": np.nan, "upper": np.nan}))

    s_base = scored[base].loc[ok, SCORES[base][0]].to_numpy(dtype=float)
    s_int = scored[integ].loc[ok, SCORES[integ][0]].to_numpy(dtype=float)
    dl = delong_test(y, s_int, s_base)
    a_b, a_i = dl.auc_b, dl.auc_a
    add = [
        dict(comparison="strengths-integration", base=base, integrated=integ, criterion="auc",
             base_value=a_b, integrated_value=a_i, difference=dl.difference,
             lower=dl.lower, upper=dl.upper, p_value=dl.p_value,
             verdict="additive", method="DeLong"),
        dict(comparison="strengths-integration", base=base, integrated=integ, criterion="calibration_slope",
             base_value=0.98, integrated_value=1.01, difference=0.03, lower=-0.04, upper=0.1,
             p_value=0.41, verdict="non-inferior", method="bootstrap"),
        dict(comparison="strengths-integration", base=base, integrated=integ, criterion="fpr_gap",
             base_value=0.05, integrated_value=0.06, difference=0.01, lower=-0.02, upper=0.04,
             p_value=0.00001, verdict="inconclusive", method="bootstrap"),
        dict(comparison="strengths-integration", base=base, integrated=integ, criterion="overall",
             base_value=np.nan, integrated_value=np.nan, difference=np.nan, lower=np.nan, upper=np.nan,
             p_value=np.nan, verdict="additive", method="all criteria non-inferior, one additive"),
    ]
    checks = [
        dict(check="c_lower", instrument=integ, metric="harrell_c", group="overall", observed=0.612,
             threshold=">= 0.65", passed=False, message="C lower CI 0.612 is below 0.65."),
        dict(check="auc_lower", instrument=base, metric="auc", group="overall", observed=0.66,
             threshold=0.6, passed=True, message="AUC lower CI 0.660 is at least 0.600."),
        dict(check="verdict", instrument=integ, metric="additionality", group="overall",
             observed="additive", threshold="not dilutes", passed=True, message="Verdict is additive."),
    ]
    published = [
        dict(instrument=base, metric="auc", group="overall", horizon=HORIZON, published=0.70,
             computed=a_b, difference=a_b - 0.70, source="Smith et al. (2020), table 3"),
    ]
    provenance = {
        "assess": "0.1.0", "python": "3.11", "dependencies": {"numpy": np.__version__, "pandas": pd.__version__},
        "seeds": {"cohort": seed, "bootstrap": seed + 1},
        "spec_hashes": {base: "3f" * 32, integ: "a1" * 32},
        "data_hash": None, "cohort": {"scenario": "strengths-additive", "n": int(ok.sum())},
        "started": "2025-01-01T00:00:00Z", "duration_seconds": 12.5,
    }
    return ReportBundle(
        suite=suite, title=title, description="rnr-general against rnr-desistance-integrated.\nSynthetic cohort.",
        provenance=provenance,
        results=_frame("results", results), checks=_frame("checks", checks),
        roc=_frame("roc", pd.concat(roc, ignore_index=True)),
        calibration_curves=_frame("calibration_curves", pd.concat(cal, ignore_index=True)),
        survival_curves=_frame("survival_curves", pd.concat(surv, ignore_index=True)),
        decision_curves=_frame("decision_curves", pd.concat(dc, ignore_index=True)),
        fairness_gaps=_frame("fairness_gaps", pd.concat(gaps, ignore_index=True)),
        additionality=_frame("additionality", add), published=_frame("published", published),
        notes=["Calibration within groups and equal error rates cannot both hold when base rates differ.\n\n"
               "Here the base rates differ by sex, so some gap in error rates is expected."],
    )


#: Figures of the bundle above: ROC overall + ROC by group for 2 instruments, calibration for 2
#: instruments at one horizon, Kaplan-Meier for 2, decision curves for 1 comparison, fairness for 2.
EXPECTED_FIGURES = 1 + 2 + 2 + 2 + 1 + 2
