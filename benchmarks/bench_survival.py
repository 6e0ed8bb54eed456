"""Benchmark: survival and calibration metrics of assess vs the reference libraries.

Prints, for each task, our time, the peer library's time and the ratio (peer / ours):

* Cox PH on one score (Efron ties)           - lifelines CoxPHFitter
* Kaplan-Meier curve with log-log CIs        - lifelines KaplanMeierFitter
* IPCW Brier score at 10 horizons + IBS      - scikit-survival brier_score / integrated_brier_score
* calibration (O/E, CITL, slope, loess ICI,  - statsmodels: two Binomial GLMs + lowess(it=0,
  binned curve)                                delta=0.01*range)
* survival calibration at a horizon (KM by   - lifelines: KMF overall and per decile, CoxPHFitter
  decile, O/E, Cox slope, Cox-spline ICI)      on cll(risk) and on its spline basis + prediction

Usage: ``python benchmarks/bench_survival.py [--quick]`` (``--quick``: n = 100,000 instead of
1,000,000). The machine is shared, so timings are noisy; each of our timings is the best of two runs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def _best(fn, repeat: int = 2) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _row(task: str, n: int, ours: float, peer: float, peer_name: str) -> None:
    print(f"{task:<34} n={n:>9,}  ours {ours:8.3f} s   {peer_name:<22} {peer:8.3f} s   ratio {peer / ours:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="n = 100,000 instead of 1,000,000")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    rng = np.random.default_rng(2024)

    from assess.metrics.brier import ipcw_brier_score
    from assess.metrics.calibration import calibration
    from assess.metrics.cox import cox
    from assess.metrics.survival import kaplan_meier

    # risk-tool-like data: integer score 0-40, follow-up in days over three years
    score = rng.integers(0, 41, n).astype(float)
    latent = rng.exponential(900.0 / np.exp(0.04 * (score - 20)))
    censor = rng.uniform(200, 1095, n)
    time_ = np.ceil(np.minimum(latent, censor))
    event = latent <= censor

    # --- Cox on one score -------------------------------------------------------------------
    from lifelines import CoxPHFitter

    fit_holder = {}

    def ours_cox():
        fit_holder["fit"] = cox(time_, event, score)

    t_ours = _best(ours_cox)
    df = pd.DataFrame({"score": score, "T": time_, "E": event.astype(int)})
    ll = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_peer = _once(lambda: ll.fit(df, "T", "E"))
    fit = fit_holder["fit"]
    _row("Cox PH, one score (Efron)", n, t_ours, t_peer, "lifelines CoxPHFitter")
    print(f"{'':34} |coef diff| = {abs(fit.coef[0] - ll.params_.iloc[0]):.2e}, |se diff| = {abs(fit.se[0] - ll.standard_errors_.iloc[0]):.2e}")
    t_c = _once(lambda: fit.concordance)
    t_cl = _once(lambda: ll.concordance_index_)
    _row("  + Harrell C of the fit", n, t_c, t_cl, "lifelines concordance")

    # --- Kaplan-Meier -----------------------------------------------------------------------
    from lifelines import KaplanMeierFitter

    t_ours = _best(lambda: kaplan_meier(time_, event))
    t_peer = _once(lambda: KaplanMeierFitter().fit(time_, event))
    _row("Kaplan-Meier + log-log CI", n, t_ours, t_peer, "lifelines KMF")
    band = np.digitize(score, [10, 25])
    t_ours = _best(lambda: kaplan_meier(time_, event, band))

    def peer_bands():
        for b in range(3):
            m = band == b
            KaplanMeierFitter().fit(time_[m], event[m])

    _row("Kaplan-Meier by 3 risk bands", n, t_ours, _once(peer_bands), "lifelines KMF x3")

    # --- IPCW Brier ---------------------------------------------------------------------------
    from sksurv.metrics import brier_score as sk_brier
    from sksurv.metrics import integrated_brier_score as sk_ibs
    from sksurv.util import Surv

    horizons = np.linspace(90, 900, 10)
    surv = np.exp(-np.outer(np.exp(0.04 * (score - 20)), horizons) / 900.0)
    y = Surv.from_arrays(event, time_)
    res_holder = {}
    t_ours = _best(lambda: res_holder.update(r=ipcw_brier_score(time_, event, horizons, predicted_survival=surv)))

    def peer_brier():
        sk_brier(y, y, surv, horizons)
        res_holder["ibs"] = sk_ibs(y, y, surv, horizons)

    t_peer = _once(peer_brier)
    _row("IPCW Brier, 10 horizons + IBS", n, t_ours, t_peer, "sksurv")
    print(f"{'':34} |IBS diff| = {abs(res_holder['r'].integrated.estimate - res_holder['ibs']):.2e}")

    # --- calibration --------------------------------------------------------------------------
    import statsmodels.api as sm
    from scipy.special import logit
    from statsmodels.nonparametric.smoothers_lowess import lowess

    p_cont = np.clip(rng.beta(2, 5, n), 1e-6, 1 - 1e-6)
    y_cont = (rng.random(n) < p_cont).astype(float)
    p_disc = 1 / (1 + np.exp(-(-2.5 + 0.08 * score)))
    y_disc = (rng.random(n) < p_disc).astype(float)

    def peer_cal(yv, pv):
        lp = logit(pv)
        sm.GLM(yv, np.ones(yv.size), family=sm.families.Binomial(), offset=lp).fit()
        sm.GLM(yv, sm.add_constant(lp), family=sm.families.Binomial()).fit()
        sm_fit = lowess(yv, pv, frac=0.75, it=0, delta=0.01 * np.ptp(pv), return_sorted=False)
        return np.mean(np.abs(sm_fit - pv))

    for label, yv, pv in (("continuous p", y_cont, p_cont), ("41 distinct p", y_disc, p_disc)):
        holder: dict = {}
        t_ours = _best(lambda yv=yv, pv=pv, h=holder: h.update(r=calibration(yv, pv)))
        t_peer = _once(lambda yv=yv, pv=pv, h=holder: h.update(ici=peer_cal(yv, pv)))
        _row(f"calibration, {label}", n, t_ours, t_peer, "statsmodels GLMx2+lowess")
        print(f"{'':34} ICI ours {holder['r'].ici.estimate:.6f} (loess deg 2) vs statsmodels lowess deg 1: {holder['ici']:.6f}")

    _survival_calibration(n, rng)


def _survival_calibration(n: int, rng: np.random.Generator) -> None:
    from lifelines import CoxPHFitter, KaplanMeierFitter

    from assess.metrics.calibration import _rcs_basis, survival_calibration

    lp = rng.normal(size=n)
    latent = rng.exponential(1 / (0.3 * np.exp(lp)))
    censor = rng.uniform(0, 6, n)
    t = np.round(np.minimum(latent, censor), 2)
    e = latent <= censor
    h = 2.0
    risk = np.clip(1 - np.exp(-0.3 * h * np.exp(lp)), 1e-9, 1 - 1e-9)
    holder: dict = {}
    t_ours = _best(lambda: holder.update(r=survival_calibration(t, e, risk, h)))

    def peer() -> None:
        KaplanMeierFitter().fit(t, e).survival_function_at_times(h)
        edges = np.quantile(risk, np.linspace(0, 1, 11))
        b = np.searchsorted(edges[1:-1], risk, side="right")
        for j in range(10):
            m = b == j
            KaplanMeierFitter().fit(t[m], e[m]).survival_function_at_times(h)
        cll = np.log(-np.log1p(-risk))
        th, eh = np.minimum(t, h), (e & (t <= h)).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CoxPHFitter().fit(pd.DataFrame({"cll": cll, "T": th, "E": eh}), "T", "E")
            basis = pd.DataFrame(_rcs_basis(cll, 3), columns=["b0", "b1"])
            fit = CoxPHFitter().fit(basis.assign(T=th, E=eh), "T", "E")
            obs = 1 - fit.predict_survival_function(basis, times=[h]).to_numpy().ravel()
        holder["ici"] = float(np.mean(np.abs(obs - risk)))

    t_peer = _once(peer)
    _row("survival calibration at t", n, t_ours, t_peer, "lifelines KMx11+Cox x2")
    print(f"{'':34} ICI ours {holder['r'].ici.estimate:.8f} vs lifelines-based {holder['ici']:.8f}")


if __name__ == "__main__":
    main()
