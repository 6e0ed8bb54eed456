"""Item-level differential item functioning (DIF) by logistic regression.

For each item, three nested models of the item response given the matching criterion (the
total score) and group membership are compared by likelihood-ratio tests (Swaminathan and
Rogers 1990; Zumbo 1999):

* M0: item ~ total
* M1: item ~ total + group                 (M1 vs M0: **uniform** DIF, df = G - 1)
* M2: item ~ total + group + total x group  (M2 vs M1: **non-uniform** DIF, df = G - 1)

and M2 vs M0 is the omnibus 2(G - 1)-df test. Effect size is the change in Nagelkerke R^2
(Zumbo 1999), classified with the Jodoin and Gierl (2001) cut-offs (< 0.035 negligible "A",
0.035-0.070 moderate "B", >= 0.070 large "C") by default; Zumbo and Thomas's (0.13, 0.26) can be
passed instead. P-values are adjusted across items (Holm by default, or Benjamini-Hochberg).

Binary items use logistic regression. Items with more than two ordered categories use the
cumulative-logit (proportional-odds) model by default (Zumbo 1999), or are dichotomised at a
threshold (``ordinal="dichotomise"``): say which in the write-up; the result records it.

An item is *flagged* when its adjusted omnibus p-value is below ``alpha`` and its effect size
is at least ``min_effect`` (default: any size; set ``min_effect=0.035`` to require at least
moderate DIF, as large samples make negligible DIF significant).

The total includes the studied item (the usual choice; ``matching="rest"`` uses the rest score).
By default the matching score is purified iteratively of flagged items (see ``purify``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ._data import MISSING_GROUP, column
from ._glm import Fit, fit_cumulative_logit, fit_logistic


def adjust_pvalues(p: Sequence[float], method: Literal["holm", "bh", "bonferroni", "none"] = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values: Holm (1979) step-down, Benjamini and Hochberg (1995)
    step-up false discovery rate, or Bonferroni. NaN p-values are ignored (and stay NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    elif method == "bonferroni":
        adj = m * ranked
    elif method == "none":
        adj = ranked
    else:
        raise ValueError(f"adjust must be 'holm', 'bh', 'bonferroni' or 'none', got {method!r}")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def _p_text(v: float) -> str:
    return "-" if pd.isna(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")


def _nagelkerke(ll: float, ll_null: float, n: float) -> float:
    """Nagelkerke (1991) R^2 from the model and intercept-only log-likelihoods."""
    cox_snell = 1.0 - math.exp(2.0 * (ll_null - ll) / n)
    max_cs = 1.0 - math.exp(2.0 * ll_null / n)
    return cox_snell / max_cs if max_cs > 0 else math.nan


@dataclass
class DIFResult:
    """Per-item DIF tests. ``table`` has one row per item; print for a summary."""

    table: pd.DataFrame
    groups: tuple[str, ...]
    reference: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> list[str]:
        """Items flagged for DIF."""
        return self.table.loc[self.table["flagged"], "item"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The per-item table (tidy: one row per item)."""
        return self.table.copy()

    def __str__(self) -> str:
        s = self.settings
        lines = [
            f"Logistic-regression DIF ({len(self.table)} items; groups {', '.join(self.groups)}; reference {self.reference}; "
            f"matching on the {s.get('matching')} score; p-values adjusted by {s.get('adjust')}, alpha {s.get('alpha')})"
        ]
        cols = ["item", "model", "chi2_total", "p_total_adj", "p_uniform_adj", "p_nonuniform_adj", "delta_r2_total", "effect", "flagged"]
        show = self.table[cols].copy()
        show["chi2_total"] = show["chi2_total"].map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
        show["delta_r2_total"] = show["delta_r2_total"].map(lambda v: "-" if pd.isna(v) else f"{v:.4f}")
        for c in ("p_total_adj", "p_uniform_adj", "p_nonuniform_adj"):
            show[c] = show[c].map(_p_text)
        lines.append(show.to_string(index=False))
        flagged = self.flagged
        lines.append(f"flagged: {', '.join(flagged) if flagged else 'none'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<DIFResult: {len(self.table)} items, flagged {self.flagged}>"


def _collapse(*cols: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the integer columns and their frequencies."""
    stacked = np.column_stack(cols)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [uniq[:, j] for j in range(uniq.shape[1])], counts.astype(float)


def logistic_dif(
    items: pd.DataFrame,
    group: Any,
    *,
    reference: str | None = None,
    matching: Literal["total", "rest"] = "total",
    ordinal: Literal["cumulative", "dichotomise"] = "cumulative",
    threshold: float | None = None,
    adjust: Literal["holm", "bh", "bonferroni", "none"] = "holm",
    alpha: float = 0.05,
    effect_thresholds: tuple[float, float] = (0.035, 0.070),
    min_effect: float = 0.0,
    purify: bool = True,
    max_purify: int = 10,
    missing: Literal["raise", "drop"] = "raise",
) -> DIFResult:
    """Logistic-regression DIF for every item column of ``items`` across ``group``.

    Parameters
    ----------
    items:
        One column per item, integer responses (0/1 or ordered categories 0..K-1).
    group:
        Group of each row (column name in ``items`` or an array); missing values form the group
        ``"(missing)"``.
    reference:
        Reference group for the reported log odds ratios (default: the largest group).
    matching:
        Matching criterion: ``"total"`` (sum of all items) or ``"rest"`` (total minus the item).
    ordinal, threshold:
        Items with more than two categories: ``"cumulative"`` logit model, or ``"dichotomise"``
        as response >= ``threshold`` (default: the item's median category, at least 1).
    adjust, alpha:
        Multiplicity adjustment across items and the significance level for flagging.
    effect_thresholds, min_effect:
        Nagelkerke delta-R^2 cut-offs for the A/B/C classification, and the smallest omnibus
        delta-R^2 for an item to be flagged.
    purify, max_purify:
        Iterative purification of the matching criterion (Holland and Thayer 1988; as in
        lordif): after a first pass, flagged items are left out of the matching score of every
        item (except that a flagged item's own response stays in its ``"total"`` score), and
        the tests are repeated until the flagged set no longer changes. ``anchor`` in the
        table marks the items in the final matching score.
    missing:
        ``"raise"`` if any item response is missing, or ``"drop"`` those rows (recorded in
        ``settings["dropped"]``).

    Returns
    -------
    DIFResult with, per item: the model used, n, the three LR chi-squares with df and raw and
    adjusted p-values, delta-R^2 (uniform and omnibus), the effect class, the log odds ratio of
    each focal group versus the reference from M1 (positive: the focal group endorses the item
    more at the same total), and ``flagged``.
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a DataFrame with one column per item")
    if isinstance(group, str):
        g_raw = column(items, group, "group")
        items = items.drop(columns=[group])
    else:
        g_raw = column(None, group, "group", len(items))
    if items.shape[1] < 2:
        raise ValueError("DIF needs at least two items (the total score is the matching criterion)")
    values = items.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    nonnum = items.notna().to_numpy() & np.isnan(values)
    if nonnum.any():
        col = items.columns[np.argwhere(nonnum)[0, 1]]
        raise TypeError(f"item {col!r} has non-numeric responses")
    miss = np.isnan(values).any(axis=1)
    dropped = 0
    if miss.any():
        if missing == "raise":
            raise ValueError(
                f"{int(miss.sum())} rows have missing item responses (first rows {np.flatnonzero(miss)[:5].tolist()}); "
                "pass missing='drop' to leave them out"
            )
        dropped = int(miss.sum())
        values = values[~miss]
        g_raw = g_raw[~miss]
    if (values != np.round(values)).any() or (values < 0).any():
        raise ValueError("item responses must be non-negative integers (0/1 or ordered categories 0..K-1)")
    values = values.astype(np.int64)
    gser = pd.Series(g_raw)
    labels_all = gser.astype(object).where(gser.notna(), MISSING_GROUP).astype(str)
    codes, uniq = pd.factorize(labels_all, sort=True)
    labels = [str(u) for u in uniq]
    if len(labels) < 2:
        raise ValueError("DIF needs at least two groups")
    sizes = np.bincount(codes, minlength=len(labels))
    ref = labels[int(np.argmax(sizes))] if reference is None else str(reference)
    if ref not in labels:
        raise ValueError(f"reference group {reference!r} is not one of {labels}")
    ref_code = labels.index(ref)
    focal = [i for i in range(len(labels)) if i != ref_code]
    n_focal = len(focal)
    def run(anchor: np.ndarray) -> pd.DataFrame:
        anchor_total = values[:, anchor.astype(bool)].sum(axis=1)
        rows = []
        for j, name in enumerate(items.columns):
            u = values[:, j]
            # matching score: the anchor items, plus (total) or minus (rest) the studied item
            match = anchor_total - u * anchor[j] if matching == "rest" else anchor_total + u * (1 - anchor[j])
            cats = np.unique(u)
            model = "logistic"
            if cats.size > 2:
                if ordinal == "dichotomise":
                    thr = threshold if threshold is not None else max(1.0, float(np.median(u)))
                    u = (u >= thr).astype(np.int64)
                    model = f"logistic (dichotomised at >= {thr:g})"
                else:
                    model = "cumulative logit"
            resp = np.searchsorted(np.unique(u), u)  # 0..K-1, empty categories removed
            k = int(resp.max()) + 1 if resp.size else 0
            (m_c, g_c, r_c), w = _collapse(match, codes, resp)
            rows.append(_item_row(str(name), model, m_c, g_c, r_c, w, k, ref_code, focal, n_focal, labels))
        table = pd.DataFrame(rows)
        for test in ("uniform", "nonuniform", "total"):
            table[f"p_{test}_adj"] = adjust_pvalues(table[f"p_{test}"].to_numpy(), adjust)
        table["flagged"] = (table["p_total_adj"] < alpha) & (table["delta_r2_total"] >= min_effect)
        return table

    if ordinal not in ("cumulative", "dichotomise"):
        raise ValueError(f"ordinal must be 'cumulative' or 'dichotomise', got {ordinal!r}")
    n_items = values.shape[1]
    anchor = np.ones(n_items, dtype=np.int64)
    table = run(anchor)
    iterations = 1
    if purify:
        seen = {tuple(anchor)}
        while iterations < max_purify:
            new_anchor = (~table["flagged"].to_numpy()).astype(np.int64)
            if new_anchor.sum() < 2 or tuple(new_anchor) in seen:
                break
            seen.add(tuple(new_anchor))
            anchor = new_anchor
            table = run(anchor)
            iterations += 1
    table["anchor"] = anchor.astype(bool)
    lo, hi = effect_thresholds
    eff = table["delta_r2_total"]
    table["effect"] = np.where(eff.isna(), None, np.where(eff < lo, "A (negligible)", np.where(eff < hi, "B (moderate)", "C (large)")))
    first = ["item", "model", "n", "chi2_uniform", "df_uniform", "p_uniform", "p_uniform_adj", "chi2_nonuniform",
             "df_nonuniform", "p_nonuniform", "p_nonuniform_adj", "chi2_total", "df_total", "p_total", "p_total_adj",
             "delta_r2_uniform", "delta_r2_total", "effect", "flagged"]
    rest = [c for c in table.columns if c not in first]
    table = table[first + rest]
    settings = {"matching": matching, "ordinal": ordinal, "threshold": threshold, "adjust": adjust, "alpha": alpha,
                "effect_thresholds": effect_thresholds, "min_effect": min_effect, "dropped": dropped,
                "purify": purify, "purification_iterations": iterations}
    return DIFResult(table=table, groups=tuple(labels), reference=ref, settings=settings)


def _item_row(name, model, m_c, g_c, r_c, w, k, ref_code, focal, n_focal, labels) -> dict[str, Any]:
    n = float(w.sum())
    centre = float(np.sum(w * m_c) / n)
    mc = (m_c - centre)[:, None]
    gd = np.column_stack([(g_c == f).astype(float) for f in focal])
    designs = [mc, np.hstack([mc, gd]), np.hstack([mc, gd, gd * mc])]
    row: dict[str, Any] = {"item": name, "model": model, "n": int(n), "status": "ok", "reason": None}
    if k < 2:
        row.update(status="undefined", reason="the item has a single response value")
        for t in ("uniform", "nonuniform", "total"):
            row[f"chi2_{t}"] = row[f"p_{t}"] = math.nan
            row[f"df_{t}"] = n_focal * (2 if t == "total" else 1)
        row["delta_r2_uniform"] = row["delta_r2_total"] = math.nan
        for f in focal:
            row[f"log_odds_ratio[{labels[f]}]"] = math.nan
        return row
    fits: list[Fit]
    if k == 2:
        ones = np.ones((w.size, 1))
        null = fit_logistic(ones, r_c, w)
        fits = [fit_logistic(np.hstack([ones, d]), r_c, w) for d in designs]
        coef_at = 2  # params: const, total, group dummies...
    else:
        counts = np.bincount(r_c, weights=w, minlength=k)
        p = counts / n
        ll_null = float(np.sum(counts[counts > 0] * np.log(p[counts > 0])))
        null = Fit(params=np.array([]), loglik=ll_null, cov=np.zeros((0, 0)), converged=True, iterations=0)
        fits = [fit_cumulative_logit(d, r_c, k, w) for d in designs]
        coef_at = (k - 1) + 1
    ll0, ll1, ll2 = (f.loglik for f in fits)
    if not all(f.converged for f in fits):
        row.update(status="undefined", reason="a model did not converge (separation: a response never or always given at some total in a group)")
    ok = row["status"] == "ok"
    for t, (a, b, df) in {"uniform": (ll0, ll1, n_focal), "nonuniform": (ll1, ll2, n_focal), "total": (ll0, ll2, 2 * n_focal)}.items():
        stat = max(2.0 * (b - a), 0.0) if ok else math.nan
        row[f"chi2_{t}"] = stat
        row[f"df_{t}"] = df
        row[f"p_{t}"] = float(chi2.sf(stat, df)) if ok else math.nan
    r2 = [_nagelkerke(f.loglik, null.loglik, n) for f in fits]
    row["delta_r2_uniform"] = r2[1] - r2[0] if ok else math.nan
    row["delta_r2_total"] = r2[2] - r2[0] if ok else math.nan
    params = fits[1].params
    # both models: a positive coefficient means higher responses in the focal group at the same
    # total (the cumulative logit is theta_k - x beta, so beta > 0 lowers P(y <= k))
    for i, f in enumerate(focal):
        row[f"log_odds_ratio[{labels[f]}]"] = float(params[coef_at + i]) if ok else math.nan
    return row
