"""Regressions fitted on a suite's cohort, to reproduce published models (``fits:`` in a suite).

A Cox fit (Cox 1972; Efron 1977 ties, as R ``coxph``) uses :func:`assess.metrics.cox`; a logistic
fit is maximum likelihood by Newton-Raphson (IRLS), as R ``glm(family = binomial)``. Each fit
gives tidy result rows whose ``instrument`` is the fit's label and whose metric names are those of
the datasets' published tables (``cox_coef:fin``, ``logistic_se:(Intercept)``, ...), so that
:mod:`assess.harness.published` can put the published figure next to the computed one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .loader import LoadedSuite
from .models import FactorTerm, FitSpec

__all__ = ["design_matrix", "fit_logistic_mle", "run_fits"]


def design_matrix(loaded: LoadedSuite, j: int, fit: FitSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The covariates of fit ``j`` as a float frame (one column per term, R's term names).

    Numeric columns are used as they are; a :class:`FactorTerm` gives one 0/1 column per level
    other than its reference (levels sorted, named ``<name><level>``). A missing column, a
    non-numeric value or a reference level that does not occur is a located suite error.
    """
    cols: dict[str, np.ndarray] = {}
    for k, cov in enumerate(fit.covariates):
        where = ("fits", j, "covariates", k)
        column = cov if isinstance(cov, str) else cov.column
        if column not in frame.columns:
            from .loader import did_you_mean

            raise loaded.error((*where, "column") if isinstance(cov, FactorTerm) else where,
                               f"the cohort has no column {column!r}" + did_you_mean(column, [str(c) for c in frame.columns]))
        values = frame[column]
        if isinstance(cov, str):
            num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            bad = values.notna().to_numpy() & ~np.isfinite(num)
            if bad.any():
                raise loaded.error(where, f"column {column!r} is not numeric in {int(bad.sum())} rows; use a factor term "
                                          f"({{column: {column}, reference: <level>}}) for a categorical covariate")
            cols[column] = num
            continue
        labels = values.astype("object").where(values.notna(), None)
        levels = sorted({str(v) for v in labels.dropna()})
        if cov.reference not in levels:
            from .loader import did_you_mean

            raise loaded.error((*where, "reference"), f"column {column!r} has no level {cov.reference!r}" + did_you_mean(cov.reference, levels))
        text = labels.map(lambda v: None if v is None else str(v))
        prefix = cov.name if cov.name is not None else column
        for lev in levels:
            if lev == cov.reference:
                continue
            col = (text == lev).astype(float).to_numpy()
            col[text.isna().to_numpy()] = np.nan
            cols[f"{prefix}{lev}"] = col
    return pd.DataFrame(cols, index=frame.index)


def _log_expit(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def fit_logistic_mle(x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10) -> dict[str, Any]:
    """Logistic regression ``logit P(y = 1) = x @ beta`` by Newton-Raphson with step halving.

    ``x`` includes the intercept column. Returns ``coef``, ``se`` (inverse observed
    information), ``loglik``, ``converged`` and ``iterations``; as R ``glm``, a fit whose
    coefficients drift past |30| (separation) is reported as not converged. The fitting is
    :func:`assess.fairness._glm.fit_logistic`, the one logistic fitter of the package.
    """
    from assess.fairness._glm import fit_logistic

    fit = fit_logistic(x, y, max_iter=max_iter, tol=tol)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(fit.cov))
    return {"coef": fit.params, "se": se, "loglik": fit.loglik, "converged": fit.converged,
            "iterations": fit.iterations}


def _row(base: dict[str, Any], metric: str, estimate: float, n: int, events: int, method: str,
         reason: str | None = None, p_value: float | None = None) -> dict[str, Any]:
    ok = reason is None and math.isfinite(estimate)
    return {**base, "metric": metric, "group": "overall", "horizon": None,
            "estimate": float(estimate) if ok else math.nan, "lower": math.nan, "upper": math.nan,
            "n": n, "events": events, "status": "ok" if ok else "undefined",
            "reason": None if ok else (reason or "not estimable"), "method": method, "ci_method": None,
            "p_value": p_value}


def _complete(x: pd.DataFrame, *arrays: np.ndarray) -> tuple[np.ndarray, str | None]:
    ok = np.isfinite(x.to_numpy(dtype=float)).all(axis=1)
    for a in arrays:
        ok &= np.isfinite(np.asarray(a, dtype=float))
    k = int((~ok).sum())
    return ok, (f"{k} of {ok.size} rows have a missing covariate or outcome and are left out of the fit" if k else None)


def run_fits(loaded: LoadedSuite, frame: pd.DataFrame, scores: dict[str, pd.DataFrame], time: np.ndarray | None,
             event: np.ndarray | None, binary: np.ndarray | None, suite_label: str, cohort_label: str,
             notes: list[str]) -> list[dict[str, Any]]:
    """Result rows of every fit of the suite (see :class:`~assess.harness.models.FitSpec`)."""
    from assess.metrics import cox

    rows: list[dict[str, Any]] = []
    for j, f in enumerate(loaded.suite.fits):
        base = {"suite": suite_label, "instrument": f.label, "comparison": None, "cohort": cohort_label}
        x = design_matrix(loaded, j, f, frame)
        if f.type == "cox":
            assert time is not None and event is not None
            ok, why = _complete(x, time)
            if why:
                notes.append(f"fit {f.label!r}: {why}")
            fit = cox(time[ok], event[ok].astype(int), x[ok], ties="efron")
            n, ev = int(fit.n), int(fit.events)
            method = "Cox PH (Efron ties), fitted on this cohort"
            for term, b, se in zip(fit.names, fit.coef, fit.se, strict=True):
                rows.append(_row(base, f"cox_coef:{term}", b, n, ev, method, fit.reason))
                rows.append(_row(base, f"cox_se:{term}", se, n, ev, method + "; inverse observed information", fit.reason))
                rows.append(_row(base, f"cox_hazard_ratio:{term}", math.exp(b) if math.isfinite(b) else math.nan, n, ev,
                                 method, fit.reason))
                rows.append(_row(base, f"cox_hazard_ratio_se:{term}", math.exp(b) * se if math.isfinite(b) else math.nan,
                                 n, ev, method + "; exp(coef) * se(coef) (delta method, as Stata prints it)", fit.reason))
            rows.append(_row(base, "cox_loglik", fit.log_likelihood, n, ev, method + "; log partial likelihood", fit.reason))
            rows.append(_row(base, "cox_loglik_null", fit.log_likelihood_null, n, ev,
                             method + "; log partial likelihood at coefficients 0", fit.reason))
            rows.append(_row(base, "cox_lr_statistic", fit.lr_statistic, n, ev,
                             method + f"; likelihood-ratio chi-square on {fit.df} df", fit.reason, fit.lr_p_value))
            c = fit.concordance
            rows.append(_row(base, "harrell_c", c.estimate, n, ev, "Harrell's C of the fitted linear predictor (in-sample)",
                             c.reason if c.status != "ok" else None))
            continue
        # logistic
        s = loaded.suite
        if f.outcome_flagged is not None:
            ri = loaded.instruments[f.outcome_flagged]
            sc = pd.to_numeric(scores[ri.id][ri.score]).to_numpy(dtype=float)
            y = np.where(np.isfinite(sc), (sc >= ri.cutoff).astype(float), np.nan)
            what = f"{ri.id} flagged ({ri.cutoff_text or f'score >= {ri.cutoff:g}'})"
        else:
            col = f.outcome
            if col is None:
                y = binary.astype(float) if binary is not None else np.asarray(event, dtype=float)
                what = s.outcome.binary or s.outcome.event
            else:
                if col not in frame.columns:
                    from .loader import did_you_mean

                    raise loaded.error(("fits", j, "outcome"), f"the cohort has no column {col!r}" + did_you_mean(col, [str(c) for c in frame.columns]))
                y = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
                if not np.isin(y[np.isfinite(y)], (0.0, 1.0)).all():
                    raise loaded.error(("fits", j, "outcome"), f"column {col!r} must be 0/1 for a logistic fit")
                what = col
        ok, why = _complete(x, y)
        if why:
            notes.append(f"fit {f.label!r}: {why}")
        xm = np.column_stack([np.ones(int(ok.sum())), x.to_numpy(dtype=float)[ok]])
        yy = y[ok]
        names = ["(Intercept)", *x.columns]
        res = fit_logistic_mle(xm, yy)
        n, ev = int(yy.size), int(yy.sum())
        reason = None if res["converged"] else "the logistic fit did not converge (separation or too few events)"
        method = f"logistic regression of {what} (maximum likelihood, as R glm), fitted on this cohort"
        for term, b, se in zip(names, res["coef"], res["se"], strict=True):
            rows.append(_row(base, f"logistic_coef:{term}", b, n, ev, method, reason))
            rows.append(_row(base, f"logistic_se:{term}", se, n, ev, method + "; inverse observed information", reason))
        p = yy.mean() if yy.size else math.nan
        ll0 = float(np.sum(yy * math.log(p) + (1 - yy) * math.log(1 - p))) if 0 < p < 1 else math.nan
        rows.append(_row(base, "logistic_null_deviance", -2.0 * ll0, n, ev, method + "; -2 log-likelihood, intercept only", reason))
        rows.append(_row(base, "logistic_residual_deviance", -2.0 * res["loglik"], n, ev, method + "; -2 log-likelihood", reason))
        rows.append(_row(base, "logistic_aic", -2.0 * res["loglik"] + 2 * len(names), n, ev,
                         method + f"; residual deviance + 2 x {len(names)} parameters", reason))
    return rows
