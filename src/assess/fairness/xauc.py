"""Cross-group ranking: xAUC (Kallus and Zhou 2019).

``xAUC(a, b)`` is the probability that a randomly chosen person with the outcome from group
``a`` scores above a randomly chosen person without it from group ``b`` (ties count one half).
The diagonal is each group's own AUC. If ``xAUC(a, b)`` is well above ``xAUC(b, a)``, group
``b``'s non-reoffenders tend to be ranked above group ``a``'s reoffenders more often than the
reverse: the score systematically places group ``b`` higher, whatever the cut-off. The
*disparity* is ``xAUC(a, b) - xAUC(b, a)``.

We also report, per group, its events against the non-events of all other groups pooled
(``events_vs_others``) and the events of all other groups against its non-events
(``others_vs_non_events``); Kallus and Zhou call the analogous quantities balanced xAUCs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._data import binary, column, group_design, numeric


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def xauc_from_parts(parts: np.ndarray, suppressed: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """xAUC quantities from pairwise numerators/denominators ``parts`` (..., G, G, 2).

    Returns ``xauc`` and ``disparity`` (..., G, G) and ``events_vs_others``,
    ``others_vs_non_events`` (..., G); suppressed groups give NaN (but stay in the pools of
    "others", which are everyone outside the group)."""
    num = parts[..., 0]
    den = parts[..., 1]
    g = num.shape[-1]
    x = _div(num, den)
    disparity = x - np.swapaxes(x, -1, -2)
    off = 1.0 - np.eye(g)
    ev_others = _div((num * off).sum(-1), (den * off).sum(-1))
    others_ne = _div((num * off).sum(-2), (den * off).sum(-2))
    if suppressed is not None and np.any(suppressed):
        sup = np.asarray(suppressed, dtype=bool)
        pair = sup[:, None] | sup[None, :]
        x = np.where(pair, np.nan, x)
        disparity = np.where(pair, np.nan, disparity)
        ev_others = np.where(sup, np.nan, ev_others)
        others_ne = np.where(sup, np.nan, others_ne)
    return {"xauc": x, "disparity": disparity, "events_vs_others": ev_others, "others_vs_non_events": others_ne}


def xauc(score: Any, outcome: Any, group: Any, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Matrix of cross-group AUCs (Kallus and Zhou 2019): row ``a``, column ``b`` is
    P(score of an event in ``a`` > score of a non-event in ``b``), ties one half.

    O(n log n): one sort of the distinct scores and a cumulative count per group.

    >>> xauc([1, 2, 3, 4], [0, 1, 0, 1], ["a", "a", "b", "b"])   # doctest: +NORMALIZE_WHITESPACE
    non_events_of    a    b
    events_of
    a              1.0  0.0
    b              1.0  1.0
    """
    n = len(data) if data is not None else len(np.asarray(score))
    s = numeric(column(data, score, "score", n), "score")
    y = binary(column(data, outcome, "outcome", n), "outcome")
    if not (np.isfinite(s).all() and np.isfinite(y).all()):
        raise ValueError("score and outcome must have no missing values")
    design = group_design(data, {"group": column(data, group, "group", n)}, n)
    grouping = design.groupings[0]
    code = grouping.member[design.stratum]
    levels, inv = np.unique(s, return_inverse=True)
    k = levels.size
    g = grouping.n_groups
    t = np.bincount((code * k + inv.reshape(-1)) * 2 + y.astype(np.int64), minlength=g * k * 2).reshape(g, k, 2).astype(float)
    neg, pos = t[..., 0], t[..., 1]
    below = np.cumsum(neg, axis=-1) - neg
    num = pos @ (below + 0.5 * neg).T
    den = pos.sum(-1)[:, None] * neg.sum(-1)[None, :]
    out = pd.DataFrame(
        _div(num, den),
        index=pd.Index(grouping.labels, name="events_of"),
        columns=pd.Index(grouping.labels, name="non_events_of"),
    )
    return out
