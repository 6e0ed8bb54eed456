"""Known-answer tests at large n: the generator produces what the scenario says.

Tolerances are stated as multiples of the standard error (SE) of the estimate at the sample size
used; 4 SE (two-sided p ~ 6e-5 per check) keeps the suite deterministic in practice while still
catching any bias larger than a few SE. Seeds are fixed, so a pass is reproducible.
References: lifelines (WeibullFitter, WeibullAFTFitter, CoxPHFitter, KaplanMeierFitter,
AalenJohansenFitter), statsmodels (Logit, OLS), scipy (quad, truncnorm, kstest).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.integrate import quad
from scipy.special import expit, logit

from assess.synthetic import compile_scenario, load_scenario_text, simulate
from assess.synthetic.generate import _truncated_normal
from assess.synthetic.survival import cumulative_incidence, loss_rate_for_proportion, weibull_rate

Z = 4.0  # tolerance in standard errors


def _scenario(body: str, base: str = "baseline"):
    return compile_scenario(
        load_scenario_text(f"extends: {base}\nid: test-scenario\nname: t\ndescription: d\n{body}")
    )


@pytest.fixture(scope="module")
def base():
    return simulate("baseline", n=200_000, seed=2024)


@pytest.fixture(scope="module")
def heavy():
    return simulate("heavy-censoring", n=200_000, seed=2025)


@pytest.fixture(scope="module")
def dif():
    return simulate("dif", n=200_000, seed=2026)


# --------------------------------------------------------------------------- population and latents


def test_group_proportions_and_independence(base):
    n = len(base)
    groups = compile_scenario("baseline").scenario.population.groups
    for g, levels in groups.items():
        observed = base[g].value_counts(normalize=True)
        for level, p in levels.items():
            se = np.sqrt(p * (1 - p) / n)  # binomial SE of a proportion
            assert abs(observed[level] - p) < Z * se, (g, level, observed[level], p)
    # independent by default: P(female and black) = 0.15 * 0.12
    p = 0.15 * 0.12
    joint = ((base["sex"] == "female") & (base["ethnicity"] == "black")).mean()
    assert abs(joint - p) < Z * np.sqrt(p * (1 - p) / n)


def test_joint_table_proportions():
    c = _scenario(
        "population:\n  groups:\n    sex: [male, female]\n    ethnicity: [white, black, asian, mixed, other]\n"
        "  joint:\n"
        "    - {levels: {sex: male, ethnicity: white}, proportion: 0.60}\n"
        "    - {levels: {sex: male, ethnicity: black}, proportion: 0.15}\n"
        "    - {levels: {sex: male, ethnicity: asian}, proportion: 0.10}\n"
        "    - {levels: {sex: female, ethnicity: white}, proportion: 0.10}\n"
        "    - {levels: {sex: female, ethnicity: other}, proportion: 0.05}\n"
    )
    n = 100_000
    df = simulate(c, n=n, seed=1)
    cells = df.groupby(["sex", "ethnicity"]).size() / n
    expected = {
        ("male", "white"): 0.60,
        ("male", "black"): 0.15,
        ("male", "asian"): 0.10,
        ("female", "white"): 0.10,
        ("female", "other"): 0.05,
    }
    for key, p in expected.items():
        assert abs(cells[key] - p) < Z * np.sqrt(p * (1 - p) / n), key
    assert set(cells.index) == set(expected)  # cells not listed never occur


def test_latent_moments_and_correlation(base):
    n = len(base)
    r, s = base["truth_risk"], base["truth_strengths"]
    # mean: SE = sd / sqrt(n); sd: SE ~ sd / sqrt(2n); correlation: SE ~ (1 - rho^2) / sqrt(n)
    for x in (r, s):
        assert abs(x.mean()) < Z / np.sqrt(n)
        assert abs(x.std() - 1) < Z / np.sqrt(2 * n)
    assert abs(np.corrcoef(r, s)[0, 1] + 0.5) < Z * (1 - 0.25) / np.sqrt(n)


def test_group_shifts_of_latent_risk():
    df = simulate("base-rates", n=200_000, seed=7)
    x = pd.get_dummies(df[["sex", "age_band"]], drop_first=False, dtype=float)
    x = x.drop(columns=["sex_male", "age_band_25-34"])
    fit = sm.OLS(df["truth_risk"], sm.add_constant(x)).fit()
    # reference person: male, 25-34 (shift 0.1); coefficients are differences of shifts
    expected = {
        "const": 0.1,
        "sex_female": -0.4,
        "age_band_18-24": 0.3,
        "age_band_35-49": -0.3,
        "age_band_50+": -0.7,
    }
    for k, v in expected.items():
        assert abs(fit.params[k] - v) < Z * fit.bse[k], (k, fit.params[k], v)
    # sd_ratio 0.9 for 50+: residual sd within that band (SE ~ sd / sqrt(2 m))
    resid = fit.resid[df["age_band"] == "50+"]
    assert abs(resid.std() - 0.9) < Z * 0.9 / np.sqrt(2 * len(resid))
    # ethnicity has no shift
    assert (
        abs(
            df.loc[df.ethnicity == "black", "truth_risk"].mean()
            - df.loc[df.ethnicity == "white", "truth_risk"].mean()
        )
        < 0.03
    )


# --------------------------------------------------------------------------- item response models


def _binned(theta: np.ndarray, bins: int = 20) -> np.ndarray:
    return pd.qcut(theta, bins, labels=False)


def test_graded_response_model_probabilities(base):
    """impulsivity: a = 1.8, thresholds 0 -/+ 0.7 (spacing 1.4). In each of 20 bins of the latent,
    the observed share with Y >= k matches the mean model probability within 4 binomial SE."""
    df = base[base["impulsivity"].notna()]
    theta = df["truth_risk"].to_numpy()
    y = df["impulsivity"].to_numpy(dtype=float)
    b = np.array([-0.7, 0.7])
    for k in (1, 2):
        p = expit(1.8 * (theta - b[k - 1]))
        frame = pd.DataFrame({"bin": _binned(theta), "obs": y >= k, "p": p})
        agg = frame.groupby("bin").agg(obs=("obs", "mean"), p=("p", "mean"), m=("p", "size"))
        se = np.sqrt(agg["p"] * (1 - agg["p"]) / agg["m"])
        assert (np.abs(agg["obs"] - agg["p"]) < Z * se + 1e-9).all(), agg


def test_binary_2pl_recovered_by_logistic_regression(base):
    """prior_custody: 2PL with a = 1.5, difficulty 0.4 -> logit P = 1.5 * risk - 0.6."""
    df = base[base["prior_custody"].notna()]
    fit = sm.Logit(df["prior_custody"].astype(float), sm.add_constant(df[["truth_risk"]])).fit(
        disp=0
    )
    assert abs(fit.params["truth_risk"] - 1.5) < Z * fit.bse["truth_risk"]
    assert abs(fit.params["const"] + 0.6) < Z * fit.bse["const"]


def test_reverse_keyed_default_flips_sign(base):
    """address_moves is reverse-keyed: it takes the strength default with discrimination -1.4."""
    df = base[base["address_moves"].notna()]
    fit = sm.Logit(
        (df["address_moves"] >= 1).astype(float), sm.add_constant(df[["truth_strengths"]])
    ).fit(disp=0)
    assert abs(fit.params["truth_strengths"] + 1.4) < Z * fit.bse["truth_strengths"]


def test_negative_binomial_count(base):
    """prior_convictions: mean 3 exp(0.6 risk), NB size 1.5, so Var = mu + mu^2 / 1.5. Mean by
    latent bin within 4 SE, SE = sqrt(mean Var / m); the clip at 150 is never reached here."""
    df = base[base["prior_convictions"].notna()]
    theta = df["truth_risk"].to_numpy()
    mu = 3 * np.exp(0.6 * theta)
    frame = pd.DataFrame(
        {
            "bin": _binned(theta, 10),
            "y": df["prior_convictions"].to_numpy(dtype=float),
            "mu": mu,
            "var": mu + mu**2 / 1.5,
        }
    )
    agg = frame.groupby("bin").agg(
        y=("y", "mean"), yvar=("y", "var"), mu=("mu", "mean"), v=("var", "mean"), m=("y", "size")
    )
    assert (np.abs(agg["y"] - agg["mu"]) < Z * np.sqrt(agg["v"] / agg["m"])).all(), agg
    # overdispersion: within-bin variance ~ mean NB variance (+ spread of mu within the bin)
    assert ((agg["yvar"] / agg["v"]).between(0.9, 1.25)).all(), agg
    assert df["prior_convictions"].max() <= 150


def test_categorical_proportions_and_multinomial_logit(base):
    n = base["preferred_language"].notna().sum()
    shares = base["preferred_language"].value_counts(normalize=True)
    for cat, p in {"english": 0.92, "welsh": 0.04, "other": 0.04}.items():
        assert abs(shares[cat] - p) < Z * np.sqrt(p * (1 - p) / n)
    c = _scenario(
        "items:\n  models:\n    preferred_language:\n      latent: risk\n"
        "      proportions: {english: 0.8, welsh: 0.1, other: 0.1}\n      slopes: {welsh: 0.7, other: -0.5}\n"
    )
    df = simulate(c, n=100_000, seed=3)
    df = df[df["preferred_language"].notna()]
    theta = df["truth_risk"].to_numpy()
    w = np.column_stack(
        [0.8 * np.ones_like(theta), 0.1 * np.exp(0.7 * theta), 0.1 * np.exp(-0.5 * theta)]
    )
    p = w / w.sum(axis=1, keepdims=True)
    bins = _binned(theta, 10)
    for j, cat in enumerate(["english", "welsh", "other"]):
        frame = pd.DataFrame(
            {"bin": bins, "obs": (df["preferred_language"] == cat).to_numpy(), "p": p[:, j]}
        )
        agg = frame.groupby("bin").agg(obs=("obs", "mean"), p=("p", "mean"), m=("p", "size"))
        assert (
            np.abs(agg["obs"] - agg["p"]) < Z * np.sqrt(agg["p"] * (1 - agg["p"]) / agg["m"])
        ).all(), (cat, agg)


def test_truncated_normal_matches_scipy():
    """Inverse-CDF draws with person-specific bounds follow scipy's truncnorm (KS test on the
    probability-integral transform; D < 1.95 / sqrt(n) is the 0.1% critical value)."""
    rng = np.random.default_rng(0)
    n = 100_000
    mu = rng.normal(20, 5, n)
    sd = np.full(n, 5.0)
    lo = np.full(n, 10.0)
    hi = rng.uniform(16, 60, n)
    x = _truncated_normal(rng.random(n), mu, sd, lo, hi)
    assert ((x >= lo) & (x <= hi)).all()
    a, b = (lo - mu) / sd, (hi - mu) / sd
    u = stats.truncnorm.cdf(x, a, b, loc=mu, scale=sd)
    assert stats.kstest(u, "uniform").statistic < 1.95 / np.sqrt(n)
    # far in a tail (interval 12 to 14 SD above the mean): still inside and close to truncnorm
    x = _truncated_normal(
        rng.random(n), np.zeros(n), np.ones(n), np.full(n, 12.0), np.full(n, 14.0)
    )
    assert ((x >= 12) & (x <= 14)).all()
    assert abs(x.mean() - stats.truncnorm.mean(12, 14)) < 1e-3


def test_number_item_follows_its_truncated_normal():
    """age_at_first_conviction = Normal(20 - 2.5 risk, 5) truncated to [10, age_at_assessment]
    (unrounded here): the probability-integral transform with each person's own truncnorm is
    uniform (KS, 0.1% critical value) and the mean by latent bin matches the truncnorm means."""
    c = _scenario(
        "items:\n  models:\n    age_at_first_conviction:\n      discrimination: -2.5\n      mean: 20\n"
        "      sd: 5\n      at_most_item: age_at_assessment\n"
    )
    df = simulate(c, n=100_000, seed=4).dropna(subset=["age_at_first_conviction"])
    x = df["age_at_first_conviction"].to_numpy()
    mu = 20 - 2.5 * df["truth_risk"].to_numpy()
    a, b = (10 - mu) / 5, (df["age_at_assessment"].to_numpy() - mu) / 5
    assert (x <= df["age_at_assessment"].to_numpy()).all() and (x >= 10).all()
    # closed-form truncated-normal CDF and moments (scipy's truncnorm with 100,000 different
    # parameter sets is slow; it checks the formulas on a subsample)
    za = stats.norm.cdf(a)
    mass = stats.norm.cdf(b) - za
    u = (stats.norm.cdf((x - mu) / 5) - za) / mass
    ratio = (stats.norm.pdf(a) - stats.norm.pdf(b)) / mass
    mean = mu + 5 * ratio
    var = 25 * (1 + (a * stats.norm.pdf(a) - b * stats.norm.pdf(b)) / mass - ratio**2)
    k = slice(0, 300)
    np.testing.assert_allclose(
        u[k], stats.truncnorm.cdf(x[k], a[k], b[k], loc=mu[k], scale=5), atol=1e-9
    )
    m_ref, v_ref = stats.truncnorm.stats(a[k], b[k], loc=mu[k], scale=5, moments="mv")
    np.testing.assert_allclose(mean[k], m_ref, rtol=1e-9)
    np.testing.assert_allclose(var[k], v_ref, rtol=1e-7)
    assert stats.kstest(u, "uniform").statistic < 1.95 / np.sqrt(len(u))
    frame = pd.DataFrame(
        {"bin": _binned(df["truth_risk"].to_numpy(), 10), "x": x, "m": mean, "v": var}
    )
    agg = frame.groupby("bin").agg(
        x=("x", "mean"), m=("m", "mean"), v=("v", "mean"), k=("x", "size")
    )
    assert (np.abs(agg["x"] - agg["m"]) < Z * np.sqrt(agg["v"] / agg["k"])).all(), agg


# --------------------------------------------------------------------------- missing responses


def test_mcar_rate(base):
    n = len(base)
    for col in (
        "hostility",
        "prior_custody",
        "prior_convictions",
        "preferred_language",
        "age_at_first_conviction",
    ):
        rate = base[col].isna().mean()
        assert abs(rate - 0.02) < Z * np.sqrt(0.02 * 0.98 / n), (col, rate)
    assert base["age_at_assessment"].notna().all()


def test_missing_depending_on_latent_and_group():
    c = _scenario(
        "missing:\n  default: {rate: 0.1, latents: {risk: 0.7}, groups: {sex: {female: -0.5}}}\n  items: {}\n"
    )
    df = simulate(c, n=100_000, seed=5)
    x = sm.add_constant(
        pd.DataFrame({"risk": df["truth_risk"], "female": (df["sex"] == "female").astype(float)})
    )
    fit = sm.Logit(df["hostility"].isna().astype(float), x).fit(disp=0)
    for k, v in {"const": logit(0.1), "risk": 0.7, "female": -0.5}.items():
        assert abs(fit.params[k] - v) < Z * fit.bse[k], (k, fit.params[k], v)


# --------------------------------------------------------------------------- measurement bias


def test_dif_shift_appears_only_in_the_biased_items_at_equal_latent(dif, base):
    """Regress each item on the latent + a 'black' indicator (statsmodels Logit, first 100,000
    people: SE of the indicator ~0.03): the indicator's coefficient is the DIF shift for biased
    items and 0 for every other item; true risk and truth_lp do not differ between groups."""
    dif = dif.iloc[:100_000]
    base = base.iloc[:100_000]
    shifts = {
        "prior_custody": 0.5,
        "supervision_breach": 0.7,
        "group_offending": 0.0,
        "no_qualifications": 0.0,
    }
    latent = "truth_risk"
    for item, shift in shifts.items():
        df = dif[dif[item].notna()]
        x = sm.add_constant(
            pd.DataFrame({"theta": df[latent], "black": (df["ethnicity"] == "black").astype(float)})
        )
        fit = sm.Logit(df[item].astype(float), x).fit(disp=0)
        assert abs(fit.params["black"] - shift) < Z * fit.bse["black"], (
            item,
            fit.params["black"],
            shift,
        )
    # ordinal item with DIF 0.8 (GRM: every cumulative logit shifts by 0.8)
    for k in (1, 2):
        df = dif[dif["hostile_to_supervision"].notna()]
        x = sm.add_constant(
            pd.DataFrame({"theta": df[latent], "black": (df["ethnicity"] == "black").astype(float)})
        )
        fit = sm.Logit((df["hostile_to_supervision"] >= k).astype(float), x).fit(disp=0)
        assert abs(fit.params["black"] - 0.8) < Z * fit.bse["black"]
    # strength item biased downwards
    df = dif[dif["supervision_engagement"].notna()]
    x = sm.add_constant(
        pd.DataFrame(
            {"theta": df["truth_strengths"], "black": (df["ethnicity"] == "black").astype(float)}
        )
    )
    fit = sm.Logit((df["supervision_engagement"] >= 1).astype(float), x).fit(disp=0)
    assert abs(fit.params["black"] + 0.6) < Z * fit.bse["black"]
    # true risk and the hazard do not depend on the group
    black = dif["ethnicity"] == "black"
    se = np.sqrt(1 / black.sum() + 1 / (~black).sum())
    assert abs(dif.loc[black, "truth_risk"].mean() - dif.loc[~black, "truth_risk"].mean()) < Z * se
    np.testing.assert_allclose(dif["truth_lp"], 0.8 * dif["truth_risk"], rtol=1e-12, atol=1e-12)
    # the same items without DIF in the baseline
    df = base[base["prior_custody"].notna()]
    x = sm.add_constant(
        pd.DataFrame({"theta": df[latent], "black": (df["ethnicity"] == "black").astype(float)})
    )
    fit = sm.Logit(df["prior_custody"].astype(float), x).fit(disp=0)
    assert abs(fit.params["black"]) < Z * fit.bse["black"]


# --------------------------------------------------------------------------- outcome


def test_event_times_follow_the_weibull_ph_model(base):
    """Direct check: exp(lp) (T / 6) ** 0.8 ~ Exp(1) for the uncensored latent times
    (KS statistic below the 0.1% critical value 1.95 / sqrt(n))."""
    e = np.exp(base["truth_lp"]) * (base["truth_time_reoffence"] / 6.0) ** 0.8
    assert stats.kstest(e, "expon").statistic < 1.95 / np.sqrt(len(e))


def test_weibull_parameters_recovered_without_covariates():
    """With no effects the times are Weibull(scale 6, shape 0.8), censored at 2 years and by
    loss: lifelines' WeibullFitter recovers both within 4 of its own SEs."""
    from lifelines import WeibullFitter

    c = _scenario("outcome:\n  effects: {latents: {risk: 0.0, strengths: 0.0}}\n")
    df = simulate(c, n=100_000, seed=8)
    assert (df["truth_lp"] == 0).all()
    wf = WeibullFitter().fit(df["time"], df["event"])
    se = wf.summary["se(coef)"]
    assert abs(wf.lambda_ - 6.0) < Z * se["lambda_"], (wf.lambda_, se["lambda_"])
    assert abs(wf.rho_ - 0.8) < Z * se["rho_"], (wf.rho_, se["rho_"])


def test_weibull_ph_with_linear_predictor_recovered(base):
    """A Weibull PH model is a Weibull AFT model: log scale_i = log 6 - lp_i / 0.8. lifelines'
    WeibullAFTFitter on (time, event, truth_lp), n = 40,000, recovers log 6, -1/0.8, log 0.8."""
    from lifelines import WeibullAFTFitter

    sub = base.iloc[:40_000][["time", "event", "truth_lp"]]
    aft = WeibullAFTFitter().fit(sub, "time", "event")
    coef, se = aft.summary["coef"], aft.summary["se(coef)"]
    assert abs(coef[("lambda_", "Intercept")] - np.log(6.0)) < Z * se[("lambda_", "Intercept")]
    assert abs(coef[("lambda_", "truth_lp")] + 1 / 0.8) < Z * se[("lambda_", "truth_lp")]
    assert abs(coef[("rho_", "Intercept")] - np.log(0.8)) < Z * se[("rho_", "Intercept")]


def test_cox_coefficient_on_truth_lp_is_one(base, heavy):
    """truth_lp is the true log-hazard ratio: a Cox model on it has coefficient 1 (lifelines
    CoxPHFitter, n = 12,000: SE ~ 0.02). With a competing event, the cause-specific Cox model
    (competing events treated as censored) has coefficient 1 too, for either cause."""
    from lifelines import CoxPHFitter

    for df, event in ((base, base["event"]), (heavy, heavy["event"])):
        sub = pd.DataFrame({"time": df["time"], "event": event, "lp": df["truth_lp"]}).iloc[:12_000]
        cph = CoxPHFitter().fit(sub, "time", "event")
        assert abs(cph.params_["lp"] - 1) < Z * cph.standard_errors_["lp"], cph.summary
    sub = pd.DataFrame(
        {
            "time": heavy["time"],
            "event": heavy["event_type"] == 2,
            "lp": heavy["truth_lp_competing"],
        }
    ).iloc[:20_000]
    cph = CoxPHFitter().fit(sub, "time", "event")
    assert abs(cph.params_["lp"] - 1) < Z * cph.standard_errors_["lp"], cph.summary


def test_censoring_and_loss_proportions(base):
    """Fixed 2-year window, loss rate r = -log(0.95) / 2. Given the latent time T, a person is
    lost with probability 1 - exp(-r min(T, 2)), reaches the end of follow-up with probability
    exp(-2r) 1(T > 2) and is seen to reoffend with probability exp(-r T) 1(T <= 2). Observed
    shares match the means of these within 4 binomial SE."""
    n = len(base)
    r = -np.log(0.95) / 2
    t = base["truth_time_reoffence"].to_numpy()
    expected = {
        "lost_to_follow_up": np.mean(-np.expm1(-r * np.minimum(t, 2.0))),
        "end_of_follow_up": np.mean(np.exp(-2 * r) * (t > 2)),
        "reoffence": np.mean(np.exp(-r * t) * (t <= 2)),
    }
    observed = base["truth_end"].value_counts(normalize=True)
    for k, p in expected.items():
        assert abs(observed[k] - p) < Z * np.sqrt(p * (1 - p) / n), (k, observed[k], p)
    assert (base.loc[base["truth_end"] == "end_of_follow_up", "time"] == 2.0).all()
    assert (base.loc[base["truth_end"] == "lost_to_follow_up", "time"] < 2.0).all()


def test_loss_target_proportion_with_staggered_follow_up():
    """heavy-censoring's loss: 30% lost within a Uniform(0.5, 2) window. With reoffending made
    practically impossible and no competing event, the observed share lost is 0.30 (4 binomial
    SE), and the windows of those not lost follow Uniform(0.5, 2) weighted by exp(-r c)."""
    c = _scenario(
        "outcome:\n  baseline: {scale: 1.0e12, shape: 0.8}\n  competing: null\n",
        base="heavy-censoring",
    )
    n = 100_000
    df = simulate(c, n=n, seed=9)
    assert not df["event"].any()
    lost = (df["truth_end"] == "lost_to_follow_up").mean()
    assert abs(lost - 0.30) < Z * np.sqrt(0.3 * 0.7 / n)
    # the rate solving the target, checked by integration
    r = loss_rate_for_proportion(0.3, 0.5, 2.0)
    # windows of people not lost have density proportional to exp(-r c) on [0.5, 2]
    ends = df.loc[df["truth_end"] == "end_of_follow_up", "time"].to_numpy()
    assert ((ends >= 0.5) & (ends <= 2.0)).all()
    cdf = (np.exp(-r * 0.5) - np.exp(-r * ends)) / (np.exp(-r * 0.5) - np.exp(-r * 2.0))
    assert stats.kstest(cdf, "uniform").statistic < 1.95 / np.sqrt(len(ends))
    share = quad(lambda c_: (1 - np.exp(-r * c_)) / 1.5, 0.5, 2.0)[0]
    assert abs(share - 0.3) < 1e-10
    assert loss_rate_for_proportion(0.05, 2, 2) == pytest.approx(-np.log(0.95) / 2, rel=1e-14)


def test_severity_proportional_odds():
    c = _scenario(
        "outcome:\n  severity:\n    levels: [minor, moderate, serious]\n    cutpoints: [0.0, 2.0]\n"
        "    effects: {latents: {risk: 0.5}}\n"
    )
    df = simulate(c, n=100_000, seed=10)
    assert df.loc[~df["event"], "severity"].isna().all()
    ev = df[df["event"]]
    assert ev["severity"].notna().all()
    eta = 0.5 * ev["truth_risk"].to_numpy()
    m = len(ev)
    for k, cut in enumerate([0.0, 2.0]):
        p = expit(eta - cut)
        above = ev["severity"].isin(["moderate", "serious"][k:]).mean()
        assert abs(above - p.mean()) < Z * np.sqrt(p.mean() * (1 - p.mean()) / m)


# --------------------------------------------------------------------------- true probabilities


def test_true_probabilities_are_calibrated_by_decile(base):
    """Within each decile of truth_p_h, the Kaplan-Meier estimate of P(T <= h) (lifelines,
    99.99% Greenwood log-log interval) contains the mean true probability, for h = 1 and 2 years.
    Calibrated by construction: the KM estimates the mixture of the people's own curves."""
    from lifelines import KaplanMeierFitter

    for h in (1.0, 2.0):
        col = f"truth_p_{h:g}y"
        dec = pd.qcut(base[col], 10, labels=False)
        for d in range(10):
            g = base[dec == d]
            km = KaplanMeierFitter(alpha=1e-4).fit(g["time"], g["event"])
            ci = km.confidence_interval_survival_function_.loc[:h].iloc[-1]
            lo, hi = 1 - ci.iloc[1], 1 - ci.iloc[0]
            assert lo <= g[col].mean() <= hi, (h, d, lo, g[col].mean(), hi)


def test_true_cumulative_incidence_is_calibrated_with_a_competing_event(heavy):
    """With a competing event truth_p_1y is the cumulative incidence of reoffending; the
    Aalen-Johansen estimate (lifelines, 99.99% interval) by quintile contains its mean. 6,000
    people per quintile keep lifelines' estimator fast; its SE there is ~0.006."""
    from lifelines import AalenJohansenFitter

    sub = heavy.iloc[:30_000]
    q = pd.qcut(sub["truth_p_1y"], 5, labels=False)
    for d in range(5):
        g = sub[q == d]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aj = AalenJohansenFitter(alpha=1e-4, calculate_variance=True).fit(
                g["time"], g["event_type"], event_of_interest=1
            )
        ci = aj.confidence_interval_.loc[:1.0].iloc[-1]
        lo, hi = sorted(ci.to_numpy())
        assert lo <= g["truth_p_1y"].mean() <= hi, (d, lo, g["truth_p_1y"].mean(), hi)
    # the cumulative incidence is below the net probability 1 - S1(1y) that ignores the competing event
    w = compile_scenario("heavy-censoring").scenario.outcome.baseline
    net = -np.expm1(-((1.0 / w.scale) ** w.shape) * np.exp(heavy["truth_lp"]))
    assert (heavy["truth_p_1y"] < net).all()


def test_cumulative_incidence_against_numerical_integration():
    """Quadrature (unequal shapes) and the closed form (equal shapes) against scipy's adaptive
    quad of h1(u) S1(u) S2(u) on [0, t]; absolute error below 2e-6 over wide parameter ranges."""
    rng = np.random.default_rng(1)
    worst = 0.0

    def integrand(u: float, a: float, b: float, k1: float, k2: float) -> float:
        return a * k1 * u ** (k1 - 1) * np.exp(-a * u**k1 - b * u**k2)

    for trial in range(25):
        k1, k2 = rng.uniform(0.3, 4, 2)
        if trial % 5 == 0:
            k2 = k1
        c1 = np.exp(rng.normal(-1, 2.5, 8))
        c2 = np.exp(rng.normal(-2, 2.5, 8))
        t = rng.uniform(0.2, 5)
        got = cumulative_incidence(t, c1, k1, c2, k2)
        ref = [
            quad(
                integrand,
                0,
                t,
                args=(a, b, k1, k2),
                epsabs=1e-14,
                epsrel=1e-12,
                limit=500,
                points=[min(t, (1 / a) ** (1 / k1))],
            )[0]
            for a, b in zip(c1, c2, strict=True)
        ]
        worst = max(worst, float(np.max(np.abs(got - np.array(ref)))))
    assert worst < 2e-6
    # no competing event: 1 - exp(-H1(t))
    c1 = weibull_rate(np.array([-1.0, 0.0, 2.0]), 6.0, 0.8)
    np.testing.assert_allclose(
        cumulative_incidence(2.0, c1, 0.8), 1 - np.exp(-c1 * 2.0**0.8), rtol=1e-14
    )
