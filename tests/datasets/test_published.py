"""Every published figure attached to a dataset is reproduced by assess at its published precision.

For each dataset the test computes a value for every row of ``ds.published`` (keyed by
instrument, metric, group) with ``assess.metrics`` / ``assess.fairness`` (and the IRLS logistic
fit the fairness package uses), then checks ``|computed - published| <= tolerance``, where the
tolerance is half a unit in the last digit the source printed. A published row without a
computed value fails the test, so no figure is attached without being checked. Independent
references (statsmodels for the logistic models, lifelines for the Cox models, direct pandas
counts for the error-rate tables) are checked to tight tolerances alongside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess.datasets._registry import is_close
from assess.fairness import fairness_report
from assess.fairness._glm import fit_logistic
from assess.metrics import cox, harrell_c

pytestmark = pytest.mark.realdata


def _check_all(ds, computed: dict[tuple[str, str, str], float]) -> None:
    problems = []
    for row in ds.published.itertuples(index=False):
        key = (row.instrument, row.metric, row.group)
        if key not in computed:
            problems.append(f"{key}: not computed by the test")
            continue
        value = float(computed[key])
        if not is_close(value, row.published, row.tolerance):
            problems.append(f"{key}: computed {value!r}, published {row.published!r} (tolerance {row.tolerance:g})")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- COMPAS

R_TERMS = [
    "(Intercept)", "gender_factorFemale", "age_factorGreater than 45", "age_factorLess than 25",
    "race_factorAfrican-American", "race_factorAsian", "race_factorHispanic", "race_factorNative American",
    "race_factorOther", "priors_count", "crime_factorM", "two_year_recid",
]


def _design(f: pd.DataFrame) -> np.ndarray:
    """The model matrix of ProPublica's glm (R treatment contrasts, the same reference levels)."""
    cols = [
        np.ones(len(f)),
        (f["sex"] == "Female"),
        (f["age_cat"] == "Greater than 45"),
        (f["age_cat"] == "Less than 25"),
        (f["race"] == "African-American"),
        (f["race"] == "Asian"),
        (f["race"] == "Hispanic"),
        (f["race"] == "Native American"),
        (f["race"] == "Other"),
        f["priors_count"],
        (f["c_charge_degree"] == "M"),
        f["two_year_recid"],
    ]
    return np.column_stack([np.asarray(c, dtype=float) for c in cols])


def _logit_figures(instrument: str, f: pd.DataFrame, flagged: pd.Series) -> dict:
    x = _design(f)
    y = flagged.to_numpy(dtype=float)
    fit = fit_logistic(x, y)
    assert fit.converged
    se = np.sqrt(np.diag(fit.cov))
    # independent reference: statsmodels' GLM
    import statsmodels.api as sm

    ref = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(fit.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(se, ref.bse, rtol=1e-6)
    p = y.mean()
    null_ll = len(y) * (p * np.log(p) + (1 - p) * np.log(1 - p))
    out = {}
    for term, b, s in zip(R_TERMS, fit.params, se, strict=True):
        out[(instrument, f"logistic_coef:{term}", "overall")] = b
        out[(instrument, f"logistic_se:{term}", "overall")] = s
    out[(instrument, "logistic_null_deviance", "overall")] = -2 * null_ll
    out[(instrument, "logistic_residual_deviance", "overall")] = -2 * fit.loglik
    out[(instrument, "logistic_aic", "overall")] = -2 * fit.loglik + 2 * x.shape[1]
    return out


def _cohort_counts(f: pd.DataFrame, computed: dict) -> None:
    c = "(cohort)"
    computed[(c, "n", "overall")] = len(f)
    computed[(c, "events", "overall")] = int(f["event"].sum())
    computed[(c, "base_rate", "overall")] = float(f["event"].mean())
    for col in ("age_cat", "race", "sex"):
        for level, n in f[col].value_counts().items():
            computed[(c, "n", f"{col}={level}")] = int(n)


def test_compas_broward_reproduces_propublica(load):
    ds = load("compas-broward")
    f = ds.frame
    inst = "compas-decile"
    computed: dict = {}
    _cohort_counts(f, computed)
    for band, n in f["score_text"].value_counts().items():
        computed[(inst, f"count:score_text={band}", "overall")] = int(n)
    tab = pd.crosstab(f["decile_score"], f["race"])
    for race in ("African-American", "Caucasian"):
        for k in range(1, 11):
            computed[(inst, f"count:decile_score={k}", f"race={race}")] = int(tab.loc[k, race])
    jail_in = pd.to_datetime(f["c_jail_in"]).dt.normalize()
    jail_out = pd.to_datetime(f["c_jail_out"]).dt.normalize()
    stay = (jail_out - jail_in).dt.days
    assert stay.notna().all()
    computed[(inst, "correlation:length_of_stay~decile_score", "overall")] = float(
        np.corrcoef(stay, f["decile_score"])[0, 1]
    )
    computed.update(_logit_figures(inst, f, f["score_text"] != "Low"))
    _check_all(ds, computed)


def _error_rates(f: pd.DataFrame, cutoff: int) -> pd.DataFrame:
    rep = fairness_report(
        f, score="decile_score", outcome="event", groups=["race"], cutoff=cutoff, n_boot=0,
        intersections=False, min_group_size=1, min_events=1,
    )
    b = rep.to_frames()["by_group"]
    return b.pivot_table(index="group", columns="metric", values="estimate", aggfunc="first")


def test_compas_unfiltered_reproduces_propublica_error_rates(load):
    ds = load("compas-broward-unfiltered")
    f = ds.frame
    inst = "compas-decile"
    medium_or_high = _error_rates(f, cutoff=5)
    high = _error_rates(f, cutoff=8)
    computed: dict = {}
    groups = {"overall": slice(None), "race=African-American": f["race"] == "African-American",
              "race=Caucasian": f["race"] == "Caucasian"}
    label = {"overall": "(all)", "race=African-American": "African-American", "race=Caucasian": "Caucasian"}
    for group, rows in groups.items():
        sub = f.loc[rows]
        flagged = sub["decile_score"] >= 5
        y = sub["event"] == 1
        tn, fp = int((~flagged & ~y).sum()), int((flagged & ~y).sum())
        fn, tp = int((~flagged & y).sum()), int((flagged & y).sum())
        computed[("(cohort)", "n", group)] = len(sub)
        computed[(inst, "count:true_negative", group)] = tn
        computed[(inst, "count:false_positive", group)] = fp
        computed[(inst, "count:false_negative", group)] = fn
        computed[(inst, "count:true_positive", group)] = tp
        m = medium_or_high.loc[label[group]]
        # assess.fairness agrees with the direct counts
        assert m["fpr"] == pytest.approx(fp / (fp + tn), abs=1e-12)
        assert m["fnr"] == pytest.approx(fn / (fn + tp), abs=1e-12)
        computed[("(cohort)", "base_rate", group)] = m["base_rate"]
        for metric in ("fpr", "fnr", "ppv", "npv"):
            computed[(inst, metric, group)] = m[metric]
        if group != "overall":
            computed[(inst, "fpr[score_text>=High]", group)] = high.loc[label[group], "fpr"]
            computed[(inst, "fnr[score_text>=High]", group)] = high.loc[label[group], "fnr"]
    _check_all(ds, computed)


def test_compas_violent_reproduces_propublica(load):
    ds = load("compas-broward-violent")
    f = ds.frame
    inst = "compas-violent-decile"
    computed: dict = {}
    _cohort_counts(f, computed)
    for band, n in f["v_score_text"].value_counts().items():
        computed[(inst, f"count:v_score_text={band}", "overall")] = int(n)
    computed.update(_logit_figures(inst, f, f["v_score_text"] != "Low"))
    _check_all(ds, computed)


# ----------------------------------------------------------------------------- Rossi


def test_rossi_reproduces_fox_weisberg(load):
    from lifelines import CoxPHFitter

    ds = load("rossi")
    f = ds.frame
    cols = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    fit = cox(f["time"], f["event"], f[cols])
    assert fit.converged
    model = "cox:fin+age+race+wexp+mar+paro+prio"
    computed = {("(cohort)", "n", "overall"): len(f), ("(cohort)", "events", "overall"): int(f["event"].sum())}
    for j, v in enumerate(cols):
        computed[(model, f"cox_coef:{v}", "overall")] = fit.coef[j]
        computed[(model, f"cox_se:{v}", "overall")] = fit.se[j]
    computed[(model, "cox_lr_statistic", "overall")] = 2 * (fit.log_likelihood - fit.log_likelihood_null)
    lp = f[cols].to_numpy(float) @ fit.coef
    c = harrell_c(f["time"], f["event"], lp)
    computed[(model, "harrell_c", "overall")] = c.estimate
    _check_all(ds, computed)
    ref = CoxPHFitter().fit(f[cols + ["time", "event"]], "time", "event")
    assert c.estimate == pytest.approx(ref.concordance_index_, abs=1e-9)


def test_rossi_full_counts(load):
    ds = load("rossi-full")
    f = ds.frame
    _check_all(ds, {("(cohort)", "n", "overall"): len(f), ("(cohort)", "events", "overall"): int(f["event"].sum())})


# ----------------------------------------------------------------------------- North Carolina


def test_nc_reproduces_rodriguez_cox(load):
    from lifelines import CoxPHFitter

    ds = load("nc-recidivism")
    f = ds.frame
    cols = ["workprg", "priors", "tserved", "felon", "drugs", "black", "married", "educ", "age"]
    fit = cox(f["time"], f["event"], f[cols])
    assert fit.converged
    model = "cox:" + "+".join(cols)
    computed = {
        ("(cohort)", "n", "overall"): len(f),
        ("(cohort)", "events", "overall"): int(f["event"].sum()),
        ("(cohort)", "time_at_risk", "overall"): int(f["time"].sum()),
        (model, "cox_loglik", "overall"): fit.log_likelihood,
        (model, "cox_loglik_null", "overall"): fit.log_likelihood_null,
        (model, "cox_lr_statistic", "overall"): 2 * (fit.log_likelihood - fit.log_likelihood_null),
    }
    hr = np.exp(fit.coef)
    for j, v in enumerate(cols):
        computed[(model, f"cox_hazard_ratio:{v}", "overall")] = hr[j]
        computed[(model, f"cox_hazard_ratio_se:{v}", "overall")] = hr[j] * fit.se[j]
    _check_all(ds, computed)
    ref = CoxPHFitter().fit(f[cols + ["time", "event"]], "time", "event", fit_options={"precision": 1e-14})
    np.testing.assert_allclose(fit.coef, ref.params_.to_numpy(), atol=1e-7)
