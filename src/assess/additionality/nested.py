"""Nested likelihood-ratio tests of a strengths block: ``outcome ~ A`` against ``outcome ~ A + S``.

The question "do the strength scales predict reoffending *beyond* the risk score?" is a test of
the coefficients of the strength terms ``S`` being all zero in a model that already holds the
base score ``A``. Twice the gain in maximised log-likelihood is asymptotically chi-square with as
many degrees of freedom as there are strength terms (Wilks 1938; for the Cox partial likelihood,
Cox 1975). Both models are fitted on the same people (those with A, every S term and the outcome).

* :func:`nested_cox_test` -- Cox proportional hazards (Efron ties), :func:`assess.metrics.cox`;
  equals the difference of lifelines ``CoxPHFitter.log_likelihood_``.
* :func:`nested_logistic_test` -- logistic regression with an intercept, by IRLS
  (:func:`assess.fairness._glm.fit_logistic`); equals the difference of statsmodels
  ``Logit(...).fit().llf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..fairness._glm import fit_logistic
from ..metrics import cox

__all__ = ["NestedTest", "nested_cox_test", "nested_logistic_test"]


@dataclass(frozen=True)
class NestedTest:
    """Likelihood-ratio test of the extra terms: log-likelihoods of both models, the statistic
    ``2 (ll_full - ll_base)``, its degrees of freedom and p-value, and the fitted coefficients of
    the extra terms (log hazard ratios or log odds ratios per point)."""

    model: str
    terms: tuple[str, ...]
    loglik_base: float
    loglik_full: float
    statistic: float
    df: int
    p_value: float
    n: int
    events: int
    coefficients: dict[str, float]
    reason: str | None = None


def _fail(model: str, terms: tuple[str, ...], n: int, events: int, reason: str, ll0: float = math.nan, ll1: float = math.nan) -> NestedTest:
    return NestedTest(model, terms, ll0, ll1, math.nan, len(terms), math.nan, n, events, {}, reason)


def _matrix(extra: Any, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if hasattr(extra, "columns"):
        return np.asarray(extra, dtype=float).reshape(n, -1), tuple(str(c) for c in extra.columns)
    x = np.asarray(extra, dtype=float).reshape(n, -1)
    return x, tuple(f"s{j}" for j in range(x.shape[1]))


def nested_cox_test(time: Any, event: Any, base: Any, extra: Any) -> NestedTest:
    """Cox likelihood-ratio test of the ``extra`` terms (a 2-d array or DataFrame) added to the
    single covariate ``base``. Inputs must be complete (no NaN)."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    a = np.asarray(base, dtype=float)
    x, names = _matrix(extra, a.size)
    n, ev = int(t.size), int(e.sum())
    if x.shape[1] == 0:
        return _fail("cox", names, n, ev, "no strength terms to test")
    fit0 = cox(t, e, a[:, None], names=["base"])
    fit1 = cox(t, e, np.column_stack([a, x]), names=["base", *names])
    if fit0.reason or fit1.reason:
        return _fail("cox", names, n, ev, f"Cox fit failed: {fit0.reason or fit1.reason}")
    stat = 2.0 * (fit1.log_likelihood - fit0.log_likelihood)
    df = x.shape[1]
    return NestedTest(
        "cox", names, fit0.log_likelihood, fit1.log_likelihood, stat, df, float(stats.chi2.sf(max(stat, 0.0), df)),
        n, ev, dict(zip(names, map(float, fit1.coef[1:]), strict=True)),
    )


def nested_logistic_test(y: Any, base: Any, extra: Any) -> NestedTest:
    """Logistic likelihood-ratio test of the ``extra`` terms added to ``1 + base``. Inputs must be
    complete (no NaN); ``y`` is 0/1."""
    yy = np.asarray(y, dtype=float)
    a = np.asarray(base, dtype=float)
    x, names = _matrix(extra, a.size)
    n, ev = int(yy.size), int(yy.sum())
    if x.shape[1] == 0:
        return _fail("logistic", names, n, ev, "no strength terms to test")
    if ev == 0 or ev == n:
        return _fail("logistic", names, n, ev, "only one outcome class: the logistic models are not estimable")
    ones = np.ones((n, 1))
    # frequency-weighted cells: integer scores give few distinct rows, whatever n is
    d0 = np.column_stack([ones, a])
    d1 = np.column_stack([ones, a, x])
    u1, inv, cnt = np.unique(np.column_stack([d1, yy]), axis=0, return_inverse=True, return_counts=True)
    if u1.shape[0] < n // 2:
        w = cnt.astype(float)
        fit1 = fit_logistic(u1[:, :-1], u1[:, -1], w)
        fit0 = fit_logistic(u1[:, : d0.shape[1]], u1[:, -1], w)
    else:
        fit1 = fit_logistic(d1, yy)
        fit0 = fit_logistic(d0, yy)
    del inv
    if not (fit0.converged and fit1.converged):
        return _fail("logistic", names, n, ev, "logistic fit did not converge (separation?)", fit0.loglik, fit1.loglik)
    stat = 2.0 * (fit1.loglik - fit0.loglik)
    df = x.shape[1]
    return NestedTest(
        "logistic", names, fit0.loglik, fit1.loglik, stat, df, float(stats.chi2.sf(max(stat, 0.0), df)),
        n, ev, dict(zip(names, map(float, fit1.params[2:]), strict=True)),
    )
