"""Concordance (C-index) for right-censored time-to-event outcomes.

* :func:`harrell_c` -- Harrell's C (Harrell et al. 1996) with the infinitesimal-jackknife
  standard error of R's ``survival::concordance`` (Therneau & Atkinson, "The concordance
  statistic", survival package vignette).
* :func:`uno_c` -- Uno's inverse-probability-of-censoring weighted C with truncation ``tau``
  (Uno et al. 2011, Statistics in Medicine 30:1105), matching scikit-survival's
  ``concordance_index_ipcw``.

Conventions (both functions)
----------------------------
* **Higher score = higher risk** (an earlier event is expected for a higher score). This is the
  convention of risk-assessment instruments and of scikit-survival. lifelines'
  ``concordance_index`` expects *predicted survival times* instead, so
  ``harrell_c(t, e, s)`` equals ``lifelines.utils.concordance_index(t, -s, e)``.
* A pair (i, j) is **comparable** when the earlier time is an event: ``t_i < t_j`` with
  ``event_i``, or ``t_i == t_j`` with ``event_i`` and not ``event_j`` (a subject censored at the
  time of an event is taken to have survived longer). Two events at the same time, and two
  censorings, are not comparable. This is the rule of lifelines, R ``survival`` and
  scikit-survival.
* Tied scores within a comparable pair count 1/2. Scores are tied only when exactly equal
  (lifelines and R; scikit-survival uses an absolute tolerance of 1e-8 by default).

Algorithms
----------
Both statistics are computed in O(n log n) without per-row Python loops. The rows are put in
"time order" (time ascending, events before censorings at a tied time, and score rank ascending
within a tied (time, status) group); for every row we then need how many earlier rows have a
smaller score rank -- a two-dimensional dominance count. It is computed for all rows at once
by a wavelet-matrix pass over the bits of the score rank: for each bit from the most
significant down, rows are stably partitioned by that bit, and a row whose bit is 1 gains the
number of earlier rows in its group whose bit is 0 (a cumulative sum). Each bit costs O(n)
vectorised work, so the total is O(n log m) for m distinct scores after an O(n log n) sort.
From these per-row counts follow the concordant / discordant / tied pair counts of every row
(needed for the infinitesimal jackknife) and the totals.

When the score has few distinct values (integer instruments) the statistics are computed
exactly from a time x score x status count table instead (see :mod:`assess.metrics.tables`);
both paths give identical counts.

Bootstrap of Uno's C on the sort path (continuous times, at most
:data:`WEIGHTED_MAX_LEVELS` score levels): the row resamples of
:func:`assess.metrics.bootstrap.bootstrap` are drawn unchanged but handed over as replicate
counts (:func:`assess.metrics.bootstrap.bootstrap_weights`), and :class:`CaseWeightPairs`
evaluates the IPCW pair sums for a batch of count vectors in one fixed time order (no re-sort
per replicate). The replicates equal those of the row bootstrap up to floating-point rounding
(tested to 1e-12); the censoring survival ``G`` is re-estimated from the counts exactly as on
the resampled rows.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._result import MetricResult, as_float_array, undefined, z_value
from ._survival_core import censoring_survival

__all__ = ["harrell_c", "uno_c"]

#: Use the count-table path when the score has at most this many distinct values ...
TABLE_MAX_LEVELS = 256
#: ... and the dense (distinct time x score level) table has at most ``4 n + TABLE_EXTRA_CELLS``
#: cells (with continuous times the table is as large as the data and the sort path is faster).
TABLE_EXTRA_CELLS = 65_536


# --------------------------------------------------------------------------------------------
# Input validation (shared with time_dependent.py)
# --------------------------------------------------------------------------------------------


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    pos = np.flatnonzero(mask)[:limit].tolist()
    more = ", ..." if int(mask.sum()) > limit else ""
    return "[" + ", ".join(str(p) for p in pos) + more + "]"


def _require_finite(arr: np.ndarray, name: str, metric: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        k = int(bad.sum())
        kind = "NaN" if np.isnan(arr[bad]).all() else "NaN/infinite"
        raise ValueError(
            f"{name} contains {k} {kind} value(s) (first at positions {_positions(bad)}); "
            f"{metric} needs a value for every row -- drop or impute those rows first"
        )


def _as_event(values: Any, name: str, metric: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == bool:
        return arr
    try:
        f = arr.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be boolean or 0/1, got dtype {arr.dtype}") from None
    _require_finite(f, name, metric)
    bad = (f != 0) & (f != 1)
    if bad.any():
        vals = np.unique(f[bad])[:5].tolist()
        raise ValueError(
            f"{name} must be boolean or coded 0/1 (1 = event); found other values {vals} "
            f"at positions {_positions(bad)}"
        )
    return f == 1


def check_survival_inputs(
    time: Any,
    event: Any,
    score: Any,
    *,
    metric: str,
    names: tuple[str, str, str] = ("time", "event", "score"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate (time, event, score): same length, finite, non-negative times, 0/1 events.

    Raises ``ValueError`` naming the offending argument (and the first bad positions).
    """
    tn, en, sn = names
    t = as_float_array(time, tn)
    e = _as_event(event, en, metric)
    s = as_float_array(score, sn)
    if not (t.size == e.size == s.size):
        raise ValueError(
            f"{tn}, {en} and {sn} must have the same length; got {t.size}, {e.size} and {s.size}"
        )
    _require_finite(t, tn, metric)
    _require_finite(s, sn, metric)
    neg = t < 0
    if neg.any():
        raise ValueError(
            f"{tn} must be non-negative; found {int(neg.sum())} negative value(s) "
            f"(first at positions {_positions(neg)})"
        )
    if t.size >= 2**31 - 1:
        raise ValueError(f"at most 2**31 - 2 rows are supported, got {t.size}")
    return t, e, s


# --------------------------------------------------------------------------------------------
# Ranks and the wavelet dominance count
# --------------------------------------------------------------------------------------------


def dense_rank(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense 0-based ranks of ``x`` and the sorted distinct values (one argsort)."""
    order = np.argsort(x)
    xs = x[order]
    new = np.empty(x.size, dtype=bool)
    if x.size:
        new[0] = True
        np.not_equal(xs[1:], xs[:-1], out=new[1:])
    r_sorted = np.cumsum(new, dtype=np.int64) - 1
    rank = np.empty(x.size, dtype=np.int64)
    rank[order] = r_sorted
    return rank, xs[new]


def _segment_starts(flag: np.ndarray) -> np.ndarray:
    """For each position, the index where its segment starts (``flag`` marks segment starts)."""
    starts = np.flatnonzero(flag)
    sizes = np.diff(np.append(starts, flag.size))
    return np.repeat(starts, sizes)


def _segment_ends(flag: np.ndarray) -> np.ndarray:
    """For each position, the last index of its segment (``flag`` marks segment starts)."""
    starts = np.flatnonzero(flag)
    ends = np.append(starts[1:], flag.size) - 1
    return np.repeat(ends, np.diff(np.append(starts, flag.size)))


def _dominance_before(rank: np.ndarray, ev: np.ndarray, nbits: int):
    """Counts over *earlier positions* of a sequence, for every position k.

    Returns ``(less_ev, less_all, equal_ev, equal_all)`` (int32, sequence order) where
    ``less_ev[k]`` is the number of positions p < k with ``ev[p]`` and ``rank[p] < rank[k]``,
    ``less_all[k]`` the same without the ``ev`` condition, and ``equal_*`` the same with
    ``rank[p] == rank[k]``.

    Wavelet-matrix pass: for each bit (most significant first) the rows are stably partitioned
    by that bit; groups of equal higher bits stay contiguous and in sequence order, so "earlier
    rows of my group whose bit is 0" is a difference of cumulative sums. Requires n < 2**31.
    """
    n = rank.size
    # key packs the score rank and the event flag; perm follows the rows through the partitions
    key = (rank.astype(np.int32) << 1) | ev.astype(np.int32)
    perm = np.arange(n, dtype=np.int32)
    acc_ev = np.zeros(n, dtype=np.int32)
    acc_all = np.zeros(n, dtype=np.int32)
    flag = np.empty(n, dtype=bool)
    if n:
        flag[0] = True
    for b in range(nbits - 1, -1, -1):
        bit = (key & np.int32(1 << (b + 1))) != 0
        zero = ~bit
        zeros_before = np.cumsum(zero, dtype=np.int32)
        zeros_before -= zero
        zev = zero & ((key & 1) != 0)
        zev_before = np.cumsum(zev, dtype=np.int32)
        zev_before -= zev
        if b < nbits - 1:  # below the top bit: counts restart at each group of equal higher bits
            prefix = key >> (b + 2)
            np.not_equal(prefix[1:], prefix[:-1], out=flag[1:])
            starts = np.flatnonzero(flag)
            sizes = np.diff(np.append(starts, n))
            zeros_before -= np.repeat(zeros_before[starts], sizes)
            zev_before -= np.repeat(zev_before[starts], sizes)
        acc_all += bit * zeros_before
        acc_ev += bit * zev_before
        idx = np.concatenate((np.flatnonzero(zero), np.flatnonzero(bit)))
        key = key[idx]
        perm = perm[idx]
        acc_ev = acc_ev[idx]
        acc_all = acc_all[idx]
    # final arrangement: equal ranks contiguous, in sequence order
    r = key >> 1
    if n:
        np.not_equal(r[1:], r[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    sizes = np.diff(np.append(starts, n))
    eq_all = np.arange(n, dtype=np.int32) - np.repeat(starts.astype(np.int32), sizes)
    evb = key & 1
    eq_ev = np.cumsum(evb, dtype=np.int32)
    eq_ev -= evb
    eq_ev -= np.repeat(eq_ev[starts], sizes)
    out = []
    for a in (acc_ev, acc_all, eq_ev, eq_all):
        o = np.empty(n, dtype=np.int32)
        o[perm] = a
        out.append(o)
    return tuple(out)


@dataclass(frozen=True)
class PairCounts:
    """Comparable-pair counts for right-censored data (higher score = higher risk).

    Totals are over comparable pairs. Per-row arrays count the comparable pairs each row takes
    part in, in either role; ``early_*`` arrays count only the pairs in which the row is the
    earlier event (used by Uno's C). The per-row arrays are in *time order*: entry k belongs to
    original row ``order[k]`` (use :meth:`to_rows` to get original row order).
    """

    concordant: int
    discordant: int
    tied_score: int
    pairs: int
    tied_time: int
    score_levels: int
    row_concordant: np.ndarray
    row_discordant: np.ndarray
    row_tied: np.ndarray
    early_concordant: np.ndarray
    early_tied: np.ndarray
    early_pairs: np.ndarray
    order: np.ndarray

    def to_rows(self, a: np.ndarray) -> np.ndarray:
        """A per-row array in original row order."""
        out = np.empty(a.size, dtype=a.dtype)
        out[self.order] = a
        return out


def pair_counts(
    time: np.ndarray, event: np.ndarray, score: np.ndarray, *, rows: bool = True, early: bool = True
) -> PairCounts:
    """All comparable-pair counts of (time, event, score) in O(n log n) (sort path).

    ``rows=False`` / ``early=False`` skip the per-row arrays that are not needed (they are then
    returned empty).
    """
    n = time.size
    srank, levels = dense_rank(score)
    m = levels.size
    # time order: time asc, events first at tied times, score rank asc within (time, status)
    order_t = np.argsort(time)
    ts = time[order_t]
    has_tied_time = bool(n > 1 and np.any(ts[1:] == ts[:-1]))
    if has_tied_time:
        new_t = np.empty(n, dtype=bool)
        new_t[0] = True
        np.not_equal(ts[1:], ts[:-1], out=new_t[1:])
        trank = np.empty(n, dtype=np.int64)
        trank[order_t] = np.cumsum(new_t, dtype=np.int64) - 1
        composite = (trank * 2 + ~event) * m + srank
        # rows with equal composite keys are interchangeable, so the sort need not be stable
        seq = np.argsort(composite)
    else:
        seq = order_t
    r = srank[seq].astype(np.int32)
    ev = event[seq]
    nbits = max(int(m - 1).bit_length(), 0)
    less_ev, less_all, eq_ev, eq_all = _dominance_before(r, ev, nbits)

    ev_before = np.cumsum(ev, dtype=np.int32)
    ev_before -= ev
    if has_tied_time:
        t = ts if seq is order_t else time[seq]
        pos = np.arange(n, dtype=np.int32)
        # (time, status) groups and, inside them, runs of equal score rank
        gflag = np.empty(n, dtype=bool)
        rflag = np.empty(n, dtype=bool)
        gflag[0] = True
        np.logical_or(t[1:] != t[:-1], ev[1:] != ev[:-1], out=gflag[1:])
        rflag[0] = True
        np.logical_or(gflag[1:], r[1:] != r[:-1], out=rflag[1:])
        gstart = _segment_starts(gflag)
        rstart = _segment_starts(rflag)
        # later role: partners are events in strictly earlier (time, status) groups; the rows of
        # an event group that precede k (lower or equal rank) are not partners
        pairs_l = ev_before[gstart]
        disc_l = less_ev - ev * (rstart - gstart)
        tie_l = eq_ev - ev * (pos - rstart)
        after = n - 1 - _segment_ends(gflag)  # rows in strictly later groups
        eq_after_in_group = _segment_ends(rflag) - pos
        tflag = np.empty(n, dtype=bool)
        tflag[0] = True
        np.not_equal(t[1:], t[:-1], out=tflag[1:])
        # censored rows paired with events at their own time
        tied_time = int(np.sum(~ev * (pairs_l - ev_before[_segment_starts(tflag)]), dtype=np.int64))
    else:
        pairs_l = ev_before
        disc_l = less_ev
        tie_l = eq_ev
        after = np.arange(n - 1, -1, -1, dtype=np.int32)
        eq_after_in_group = None
        tied_time = 0
    conc_l = pairs_l - disc_l
    conc_l -= tie_l

    concordant = int(np.sum(conc_l, dtype=np.int64))
    discordant = int(np.sum(disc_l, dtype=np.int64))
    tied_score = int(np.sum(tie_l, dtype=np.int64))
    pairs = int(np.sum(pairs_l, dtype=np.int64))

    empty = np.zeros(0, dtype=np.int64)
    if not (rows or early):
        return PairCounts(
            concordant,
            discordant,
            tied_score,
            pairs,
            tied_time,
            m,
            empty,
            empty,
            empty,
            empty,
            empty,
            empty,
            seq,
        )

    # earlier role (events only): partners are all rows in strictly later groups
    hist = np.bincount(r, minlength=m).astype(np.int32)
    cum = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(hist, out=cum[1:])
    pairs_e = ev * after
    conc_e = ev * (cum[r] - less_all)
    tie_e = hist[r] - 1 - eq_all
    if eq_after_in_group is not None:
        tie_e -= eq_after_in_group
    tie_e *= ev
    if rows:
        disc_e = pairs_e - conc_e
        disc_e -= tie_e
        row_c, row_d, row_t = conc_l + conc_e, disc_l + disc_e, tie_l + tie_e
    else:
        row_c = row_d = row_t = empty
    if early:
        ec, et, ep = conc_e, tie_e, pairs_e
    else:
        ec = et = ep = empty
    return PairCounts(
        concordant,
        discordant,
        tied_score,
        pairs,
        tied_time,
        m,
        row_c,
        row_d,
        row_t,
        ec,
        et,
        ep,
        seq,
    )


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


def wald_interval(
    estimate: float, se: float, confidence_level: float, scale: str
) -> tuple[float, float, str | None]:
    """Wald interval for a probability-like index on the logit or the plain scale.

    ``scale="logit"``: ``expit(logit(p) +/- z se / (p (1 - p)))`` (delta method); always inside
    (0, 1). ``scale="plain"``: ``p +/- z se`` clipped to [0, 1]. Returns ``(lower, upper, note)``;
    when the interval is degenerate (se = 0, or p on the boundary for the logit scale) it is
    ``(p, p)`` or NaN with a note explaining why.
    """
    if math.isnan(estimate) or math.isnan(se):
        return math.nan, math.nan, "no standard error"
    z = z_value(confidence_level)
    if se == 0.0:
        return (
            estimate,
            estimate,
            "zero estimated variance: interval is degenerate; consider ci='bootstrap'",
        )
    if scale == "plain":
        return max(0.0, estimate - z * se), min(1.0, estimate + z * se), None
    if scale != "logit":
        raise ValueError(f"ci_scale must be 'logit' or 'plain', got {scale!r}")
    if estimate <= 0.0 or estimate >= 1.0:
        return (
            math.nan,
            math.nan,
            "estimate on the boundary: logit interval undefined; use ci_scale='plain' or ci='bootstrap'",
        )
    lo = math.log(estimate / (1.0 - estimate))
    half = z * se / (estimate * (1.0 - estimate))
    return 1.0 / (1.0 + math.exp(-(lo - half))), 1.0 / (1.0 + math.exp(-(lo + half))), None


def _attach_wald(
    result: MetricResult, se: float, confidence_level: float, scale: str, name: str
) -> MetricResult:
    lo, hi, note = wald_interval(result.estimate, se, confidence_level, scale)
    return replace_result(
        result,
        se=se,
        lower=lo,
        upper=hi,
        confidence_level=confidence_level,
        ci_method=f"{name}-{scale}",
        details={"ci_note": note} if note else {},
    )


def replace_result(r: MetricResult, **changes: Any) -> MetricResult:
    """Copy of a result with fields changed (``details`` are merged, not replaced)."""
    if "details" in changes:
        changes["details"] = {**dict(r.details), **dict(changes["details"])}
    return dataclasses.replace(r, **changes)


# --------------------------------------------------------------------------------------------
# Harrell's C
# --------------------------------------------------------------------------------------------


def harrell_from_counts(
    concordant: float,
    discordant: float,
    tied: float,
    pairs: float,
    row_conc: np.ndarray | None,
    row_disc: np.ndarray | None,
    row_tied: np.ndarray | None,
    multiplicity: np.ndarray | None = None,
) -> tuple[float, float]:
    """Harrell's C and its infinitesimal-jackknife SE from pair counts.

    ``C = (concordant + tied / 2) / pairs``. With Somers' d = (concordant - discordant) / pairs,
    the influence of row k is ``dfbeta_k = ((c_k - d_k) - d (c_k + d_k + t_k)) / pairs`` where
    ``c_k, d_k, t_k`` count the comparable pairs row k takes part in, and
    ``var(C) = sum_k dfbeta_k^2 / 4`` (R ``survival::concordance``, infinitesimal jackknife).
    ``multiplicity`` gives the number of identical rows each entry stands for (count tables).
    """
    if pairs <= 0:
        return math.nan, math.nan
    c = (concordant + 0.5 * tied) / pairs
    if row_conc is None:
        return c, math.nan
    somers = (concordant - discordant) / pairs
    a = (row_conc - row_disc).astype(float)
    b = (row_conc + row_disc + row_tied).astype(float)
    dfb = a - somers * b  # times pairs
    wdfb = dfb if multiplicity is None else dfb * multiplicity
    var = float(np.dot(wdfb, dfb)) / (4.0 * float(pairs) ** 2)
    return c, math.sqrt(var)


def harrell_jackknife(
    concordant: float,
    tied: float,
    pairs: float,
    row_conc: np.ndarray,
    row_tied: np.ndarray,
    row_pairs: np.ndarray,
) -> np.ndarray:
    """Exact leave-one-out values of Harrell's C: removing a row removes exactly its pairs.

    Computed in float64: the totals exceed the int32 range of the per-row counts from about
    65 000 rows (and NumPy 2 refuses to mix such a Python int with an int32 array).
    """
    num = float(concordant) + 0.5 * float(tied)
    row_conc = np.asarray(row_conc, dtype=np.float64)
    row_tied = np.asarray(row_tied, dtype=np.float64)
    row_pairs = np.asarray(row_pairs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num - row_conc - 0.5 * row_tied) / (float(pairs) - row_pairs)


CIChoice = Literal["ij", "bootstrap"] | None


def harrell_c(
    time: Any,
    event: Any,
    score: Any,
    *,
    confidence_level: float = 0.95,
    ci: CIChoice = "ij",
    ci_scale: Literal["logit", "plain"] = "logit",
    method: Literal["auto", "sort", "table"] = "auto",
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    bootstrap_method: Literal["percentile", "bca"] = "bca",
    strata: Any = None,
    n_jobs: int = 1,
) -> MetricResult:
    """Harrell's concordance index for right-censored data (higher score = higher risk).

    ``C = (concordant + tied_score / 2) / comparable pairs`` over pairs whose earlier time is an
    event (Harrell, Lee & Mark 1996, Statistics in Medicine 15:361). Tied times and scores are
    handled exactly as lifelines, R ``survival`` and scikit-survival (see module docstring):
    ``harrell_c(t, e, s).estimate == lifelines.utils.concordance_index(t, -s, e)``.

    Parameters
    ----------
    time, event, score:
        Follow-up time (non-negative), event indicator (bool or 0/1; 1 = event observed,
        e.g. reconviction) and risk score (higher = higher predicted risk).
    confidence_level:
        Level of the interval.
    ci:
        ``"ij"`` (default): Wald interval from the infinitesimal-jackknife standard error of
        R ``survival::concordance`` (``var = sum(dfbeta^2) / 4``); ``"bootstrap"``: bootstrap
        interval (see :func:`assess.metrics.bootstrap.bootstrap`); ``None``: no interval (the
        IJ standard error is still reported).
    ci_scale:
        For ``ci="ij"``: ``"logit"`` (default) builds the Wald interval on the logit scale and
        back-transforms it, so it stays inside (0, 1) and is less anti-conservative for C near
        0 or 1; ``"plain"`` gives ``C +/- z se`` clipped to [0, 1] (as most software prints).
    method:
        ``"auto"`` uses the exact count-table path when the score has at most
        :data:`TABLE_MAX_LEVELS` distinct values and the table is not larger than the data
        (``distinct times x levels <= 4 n + 65536``), else the O(n log n) sort path. Both give
        identical counts.
    n_boot, seed, bootstrap_method, strata, n_jobs:
        Bootstrap settings for ``ci="bootstrap"``. ``strata=None`` resamples rows freely;
        ``"event"`` keeps the numbers of events and censorings fixed; an array resamples within
        its groups. BCa uses the exact leave-one-out values (cheap here: leaving a row out
        removes exactly its pairs).

    Returns
    -------
    MetricResult
        ``metric="harrell_c"``; ``details`` has ``concordant``, ``discordant``,
        ``tied_score``, ``comparable_pairs``, ``tied_time`` (comparable pairs of an event and a
        censoring at the same time) and ``score_levels``. NaN with a ``reason`` when there are
        no comparable pairs (no events, a single row, ...).

    Raises
    ------
    ValueError
        Length mismatch, NaN/infinite time or score, negative time, event not 0/1.

    Examples
    --------
    >>> r = harrell_c([5, 8, 3, 10], [1, 0, 1, 0], [2, 1, 3, 0])
    >>> r.estimate
    1.0
    """
    t, e, s = check_survival_inputs(time, event, score, metric="harrell_c")
    n = t.size
    events = int(e.sum())
    if ci not in ("ij", "bootstrap", None):
        raise ValueError(f"ci must be 'ij', 'bootstrap' or None, got {ci!r}")
    path = _choose_path(t, e, s, method)
    if path == "table":
        from .tables import SurvivalTable

        table = SurvivalTable.from_arrays(t, e, s)
        res, cell_info = table._harrell(with_rows=True)
    else:
        pc = pair_counts(t, e, s, rows=True, early=False)
        res = _harrell_result(pc, n, events)
    if math.isnan(res.estimate):
        return res
    if ci == "ij":
        res = _attach_wald(res, res.se, confidence_level, ci_scale, "ij")
    elif ci == "bootstrap":
        from .bootstrap import attach_bootstrap, bootstrap_counts

        if path == "table":
            cells, status = table.concordance_cells()
            boot = bootstrap_counts(
                table._harrell_batch,
                cells,
                strata=_table_strata(status, strata, "event"),
                n_boot=n_boot,
                seed=seed,
                ci=bootstrap_method,
                confidence_level=confidence_level,
                n_jobs=n_jobs,
                estimate=res.estimate,
                jackknife=cell_info["jackknife"] if bootstrap_method == "bca" else None,
            )
        else:
            jk = None
            if bootstrap_method == "bca":
                jk = pc.to_rows(
                    harrell_jackknife(
                        pc.concordant,
                        pc.tied_score,
                        pc.pairs,
                        pc.row_concordant,
                        pc.row_tied,
                        pc.row_concordant + pc.row_discordant + pc.row_tied,
                    )
                )
            boot = _sort_path_bootstrap(
                _harrell_point,
                lambda: _harrell_weighted_statistic(t, e, s),
                t,
                e,
                s,
                strata,
                jackknife=jk,
                n_boot=n_boot,
                seed=seed,
                ci=bootstrap_method,
                confidence_level=confidence_level,
                n_jobs=n_jobs,
                estimate=res.estimate,
            )
        res = attach_bootstrap(res, boot)
    return res


def _harrell_point(t: np.ndarray, e: np.ndarray, s: np.ndarray) -> float:
    pc = pair_counts(t, e, s, rows=False, early=False)
    if pc.pairs == 0:
        return math.nan
    return (pc.concordant + 0.5 * pc.tied_score) / pc.pairs


def _row_strata(strata: Any, e: np.ndarray, outcome_name: str) -> np.ndarray | None:
    if strata is None:
        return None
    if isinstance(strata, str):
        if strata != outcome_name:
            raise ValueError(
                f"strata must be None, {outcome_name!r} or an array of group labels, got {strata!r}"
            )
        return e.astype(np.int64)
    arr = np.asarray(strata)
    if arr.shape != e.shape:
        raise ValueError(f"strata must have one label per row ({e.size}), got shape {arr.shape}")
    return arr


def _table_strata(cell_status: np.ndarray, strata: Any, outcome_name: str) -> np.ndarray | None:
    if strata is None:
        return None
    if isinstance(strata, str) and strata == outcome_name:
        return cell_status
    raise ValueError(
        f"with the count-table path strata can only be None or {outcome_name!r}; "
        "use method='sort' to stratify by another grouping"
    )


def _harrell_result(pc: PairCounts, n: int, events: int) -> MetricResult:
    details = {
        "concordant": pc.concordant,
        "discordant": pc.discordant,
        "tied_score": pc.tied_score,
        "comparable_pairs": pc.pairs,
        "tied_time": pc.tied_time,
        "score_levels": pc.score_levels,
    }
    method = "Harrell C, O(n log n) sort path"
    if pc.pairs == 0:
        r = undefined("harrell_c", _no_pairs_reason(n, events), n=n, events=events, method=method)
        return replace_result(r, details=details)
    c, se = harrell_from_counts(
        pc.concordant,
        pc.discordant,
        pc.tied_score,
        pc.pairs,
        pc.row_concordant,
        pc.row_discordant,
        pc.row_tied,
    )
    return MetricResult(
        metric="harrell_c", estimate=c, se=se, n=n, events=events, method=method, details=details
    )


def _no_pairs_reason(n: int, events: int) -> str:
    if n == 0:
        return "no observations"
    if events == 0:
        return "no events: every subject is censored, so no pair is comparable"
    if n == 1:
        return "a single observation has no pairs"
    return "no comparable pairs: every event is tied in time with all later observations"


def _choose_path(t: np.ndarray, e: np.ndarray, s: np.ndarray, method: str) -> str:
    if method not in ("auto", "sort", "table"):
        raise ValueError(f"method must be 'auto', 'sort' or 'table', got {method!r}")
    if method != "auto":
        return method
    n = t.size
    if n == 0:
        return "sort"
    levels = _count_distinct(s, TABLE_MAX_LEVELS)
    if levels > TABLE_MAX_LEVELS:
        return "sort"
    times = _count_distinct(t, (4 * n + TABLE_EXTRA_CELLS) // max(levels, 1))
    return "table" if times * levels <= 4 * n + TABLE_EXTRA_CELLS else "sort"


def _count_distinct(x: np.ndarray, limit: int) -> int:
    """Number of distinct values of ``x`` if at most ``limit``, else ``limit + 1``.

    Only used to choose a computation path (both paths give the same numbers), so it avoids a
    full sort where it can: integers in a moderate range are counted with ``bincount``; otherwise
    a strided sample of about 4096 values decides when the data are clearly continuous.
    """
    n = x.size
    if n == 0:
        return 0
    lo = float(x.min())
    hi = float(x.max())
    if hi - lo <= max(4 * n, 4096) and np.all(x == np.floor(x)):
        k = int(np.count_nonzero(np.bincount((x - lo).astype(np.int64))))
        return k if k <= limit else limit + 1
    if n > 8192:
        sample = x[:: n // 4096]
        ks = np.unique(sample).size
        if ks > limit or (ks > 0.5 * sample.size and n * ks / sample.size > limit):
            return limit + 1
    k = np.unique(x).size
    return k if k <= limit else limit + 1


# --------------------------------------------------------------------------------------------
# Uno's C
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CensoringKM:
    """Reverse Kaplan-Meier estimate of the censoring survival G(t) = P(C > t).

    Convention of scikit-survival's ``CensoringDistributionEstimator``: at a time with both
    events and censorings the events are taken to happen first, so the censoring risk set at
    ``t`` is ``n_at_risk(t) - events(t)``; ``G`` is right-continuous (``G(t)`` includes the
    censorings at ``t``). ``G`` is unknown beyond the last observed time unless it has already
    dropped to 0 there.
    """

    times: np.ndarray
    survival: np.ndarray
    all_events: bool

    @classmethod
    def fit(cls, time: np.ndarray, event: np.ndarray) -> CensoringKM:
        g = censoring_survival(time, event)
        return cls(times=g.times, survival=g.survival, all_events=bool(np.asarray(event).all()))

    def at(self, t: np.ndarray) -> np.ndarray:
        """G(t); NaN where t lies beyond the last observed time and G has not reached 0."""
        t = np.asarray(t, dtype=float)
        if self.times.size == 0:
            return np.full(t.shape, np.nan)
        idx = np.searchsorted(self.times, t, side="right") - 1
        g = np.where(idx >= 0, self.survival[np.clip(idx, 0, None)], 1.0)
        beyond = t > self.times[-1]
        if beyond.any():
            g = np.where(beyond, 0.0 if self.survival[-1] == 0.0 else np.nan, g)
        return g


def training_censoring(train_time: Any, train_event: Any, *, metric: str) -> CensoringKM | None:
    """Censoring distribution fitted on separate training data, or ``None`` when neither
    ``train_time`` nor ``train_event`` is given (then the evaluation data are used)."""
    if train_time is None and train_event is None:
        return None
    if train_time is None or train_event is None:
        raise ValueError("give both train_time and train_event, or neither")
    tt = as_float_array(train_time, "train_time")
    tt, te, _ = check_survival_inputs(
        tt,
        train_event,
        np.zeros(tt.size),
        metric=metric,
        names=("train_time", "train_event", "train_time"),
    )
    return CensoringKM.fit(tt, te)


def ipcw_weights(
    km: CensoringKM, time: np.ndarray, event: np.ndarray, use: np.ndarray
) -> tuple[np.ndarray, str | None]:
    """``1 / G(t_i)`` for the rows in ``use`` (events), 0 elsewhere; a reason if any is undefined."""
    w = np.zeros(time.size)
    if not use.any():
        return w, None
    g = km.at(time[use])
    if np.isnan(g).any():
        k = int(np.isnan(g).sum())
        return w, (
            f"{k} event time(s) lie beyond the follow-up of the data used for the censoring "
            f"distribution (last time {km.times[-1]:g}); the censoring survival is unknown there"
        )
    if (g == 0).any():
        k = int((g == 0).sum())
        return w, (
            f"the estimated censoring survival G(t) is 0 at {k} event time(s) (everyone still at "
            "risk was censored); choose a truncation time tau / horizon before that time"
        )
    w[use] = 1.0 / g
    return w, None


def uno_c(
    time: Any,
    event: Any,
    score: Any,
    *,
    tau: float | None = None,
    train_time: Any = None,
    train_event: Any = None,
    confidence_level: float = 0.95,
    ci: Literal["bootstrap"] | None = "bootstrap",
    method: Literal["auto", "sort", "table"] = "auto",
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    bootstrap_method: Literal["percentile", "bca"] = "percentile",
    strata: Any = None,
    n_jobs: int = 1,
) -> MetricResult:
    """Uno's IPCW concordance index with truncation time ``tau`` (higher score = higher risk).

    ``C_tau = sum_i w_i sum_j [comparable, score_i > score_j (+1/2 tie)] / sum_i w_i
    #comparable_i`` over events i with ``t_i < tau``, ``w_i = 1 / G(t_i)^2`` where ``G`` is the
    reverse Kaplan-Meier censoring survival (Uno, Cai, Pencina, D'Agostino & Wei 2011, Statistics
    in Medicine 30:1105). Matches scikit-survival's ``concordance_index_ipcw`` (same comparable
    pairs as :func:`harrell_c`; ``G`` as in its ``CensoringDistributionEstimator``, see
    :class:`CensoringKM`).

    Parameters
    ----------
    time, event, score:
        Test data (score higher = higher risk).
    tau:
        Truncation time: only events before ``tau`` count as the earlier member of a pair.
        ``None`` = no truncation. ``G(tau)`` must be positive.
    train_time, train_event:
        Data for the censoring distribution (scikit-survival's ``survival_train``); default the
        test data themselves.
    ci:
        ``"bootstrap"`` (default): bootstrap interval; when no separate training data are given
        ``G`` is re-estimated in every replicate, otherwise it is held fixed. ``None``: no
        interval. There is no standard closed-form standard error for Uno's C. Replicates
        resample rows (within ``strata``: ``"event"`` or an array of labels); on the sort path
        they are evaluated as case weights (see the module docstring), same numbers as
        re-sorting each resample.
    method:
        ``"auto"`` / ``"sort"`` / ``"table"`` as in :func:`harrell_c`.

    Returns
    -------
    MetricResult with ``metric="uno_c"``; NaN with a reason when there are no comparable pairs
    or when ``G`` is zero/unknown at an event time before ``tau`` (choose a smaller ``tau``).
    """
    t, e, s = check_survival_inputs(time, event, score, metric="uno_c")
    if ci not in ("bootstrap", None):
        raise ValueError(f"ci must be 'bootstrap' or None for uno_c, got {ci!r}")
    if tau is not None and not (isinstance(tau, int | float) and math.isfinite(tau)):
        raise ValueError(f"tau must be a finite number or None, got {tau!r}")
    km = training_censoring(train_time, train_event, metric="uno_c")
    path = _choose_path(t, e, s, method)
    res = _uno_compute(t, e, s, tau, km, path)
    if math.isnan(res.estimate) or ci is None:
        return res
    from .bootstrap import attach_bootstrap, bootstrap_counts

    if path == "table":
        from .tables import SurvivalTable

        table = SurvivalTable.from_arrays(t, e, s)

        def stat_batch(counts: np.ndarray) -> np.ndarray:
            return table._uno_batch(counts, tau, km)

        boot = bootstrap_counts(
            stat_batch,
            table.cell_counts(),
            strata=_table_strata(table.cell_outcome(), strata, "event"),
            n_boot=n_boot,
            seed=seed,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            estimate=res.estimate,
        )
    else:

        def stat(tb: np.ndarray, eb: np.ndarray, sb: np.ndarray) -> float:
            return _uno_compute(tb, eb, sb, tau, km, "sort").estimate

        boot = _sort_path_bootstrap(
            stat,
            lambda: _uno_weighted_statistic(t, e, s, tau, km),
            t,
            e,
            s,
            strata,
            n_boot=n_boot,
            seed=seed,
            ci=bootstrap_method,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            estimate=res.estimate,
        )
    return attach_bootstrap(res, boot)


def _uno_compute(
    t: np.ndarray,
    e: np.ndarray,
    s: np.ndarray,
    tau: float | None,
    km: CensoringKM | None,
    path: str,
) -> MetricResult:
    n = t.size
    events = int(e.sum())
    method = "Uno IPCW C, " + ("count-table path" if path == "table" else "O(n log n) sort path")
    if n == 0 or events == 0:
        return undefined("uno_c", _no_pairs_reason(n, events), n=n, events=events, method=method)
    if path == "table":
        from .tables import SurvivalTable

        return SurvivalTable.from_arrays(t, e, s).uno_c(tau=tau, censoring=km)
    g = km if km is not None else CensoringKM.fit(t, e)
    use = e & (t < tau) if tau is not None else e.copy()
    w, why = ipcw_weights(g, t, e, use)
    if why:
        return undefined("uno_c", why, n=n, events=events, method=method)
    pc = pair_counts(t, e, s, rows=False, early=True)
    w2 = (w * w)[pc.order]  # into time order
    num = float(np.sum(w2 * (pc.early_concordant + 0.5 * pc.early_tied)))
    den = float(np.sum(w2 * pc.early_pairs))
    details = {"tau": tau, "comparable_pairs": int(pc.early_pairs[use[pc.order]].sum())}
    if den <= 0:
        reason = (
            _no_pairs_reason(n, events)
            if tau is None
            else (f"no comparable pairs with an event before tau={tau:g}")
        )
        return replace_result(
            undefined("uno_c", reason, n=n, events=events, method=method), details=details
        )
    return MetricResult(
        metric="uno_c", estimate=num / den, n=n, events=events, method=method, details=details
    )


# --------------------------------------------------------------------------------------------
# Case-weight evaluation (bootstrap replicates as row counts)
# --------------------------------------------------------------------------------------------

#: Positions per block of :class:`CaseWeightPairs` (pairs inside a block by a small matrix
#: product, pairs across blocks from per-block score-level histograms).
WEIGHTED_BLOCK = 64
#: Largest number of score levels for which bootstraps use the case-weight evaluators.
WEIGHTED_MAX_LEVELS = 256
#: Memory bound (replicates x rows) of one batch of case weights.
WEIGHTED_BATCH_CELLS = 8_000_000
#: Memory bound (floats) of the precomputed block matrices of :class:`CaseWeightPairs`
#: (about n x (levels + keys per block)); larger problems use the row bootstrap.
WEIGHTED_MAX_MATRIX_CELLS = 2**26


class CaseWeightPairs:
    """Comparable-pair sums of (time, event, score) for a batch of case-weight vectors.

    Everything that does not depend on the weights (the time order, ranks, tied-time groups,
    the small within-block comparison matrices) is computed once. For a batch of ``B`` weight
    vectors given *positions-major* in the time order :attr:`seq` (``(n, B)``, e.g. bootstrap
    replicate counts) :meth:`pair_sums` returns, for every "key" (distinct (tied-time group,
    score level) of the rows in ``earlier``, which must be events), ``(keys, B)`` arrays

    * ``weight``: the summed weight of the key's rows,
    * ``score = sum_j c_j ([s_j < s_key] + [s_j == s_key] / 2)`` over the rows j comparable
      with and later than the key's rows (``t_j > t``, or ``t_j == t`` and censored: the
      comparable-pair rule of :func:`pair_counts`),
    * ``pairs = sum_j c_j`` over the same rows,

    and :meth:`censoring_survival` the reverse Kaplan-Meier censoring survival of the weighted
    data at the keys' times. With all weights 1 the sums are the ``early_*`` counts of
    :func:`pair_counts` summed by key; with integer weights they are the counts of the data set
    that repeats row j ``c_j`` times (copies of one event are never comparable with each other,
    as tied events are not).

    Algorithm: positions are cut into blocks of ``block`` rows. Pairs whose later member lies in
    the key's own block come from a small matrix product per block (one column per key); pairs
    reaching into later blocks from per-block histograms of ``h(level)`` summed over later
    blocks. Weighted sums of all rows at or after any position ("tails", which give the pair
    totals and the censoring risk sets) come from a triangular product within the block plus
    the block totals. Cost per weight vector O(n (block + levels / block)); no per-row loop.
    """

    def __init__(
        self,
        time: np.ndarray,
        event: np.ndarray,
        srank: np.ndarray,
        levels: int,
        earlier: np.ndarray,
        block: int = WEIGHTED_BLOCK,
    ) -> None:
        n = time.size
        K = max(int(levels), 1)
        S = int(block)
        self.n, self.K, self.S = n, K, S
        # time ascending, events first at a tied time, score level ascending within a group
        # (so the rows of one key are contiguous)
        seq = np.lexsort((srank, ~event, time))
        ts, es, rs = time[seq], event[seq], srank[seq].astype(np.int64)
        self.seq = seq
        tflag = np.ones(n, dtype=bool)
        tflag[1:] = ts[1:] != ts[:-1]
        tid = np.cumsum(tflag) - 1
        self.times = ts[tflag]
        gflag = tflag.copy()
        gflag[1:] |= es[1:] != es[:-1]
        gstarts = np.flatnonzero(gflag)
        gends = np.append(gstarts[1:], n)
        cens = ~es[gstarts]
        # censored groups: start (their risk set is everything from there on) and end
        self.c_start, self.c_end, self.c_tid = gstarts[cens], gends[cens], tid[gstarts[cens]]
        q = _segment_ends(gflag) + 1 if n else np.zeros(0, dtype=np.int64)
        upos = np.flatnonzero(earlier[seq])
        code = q[upos] * K + rs[upos]
        # keys are contiguous runs of positions (code is non-decreasing along upos)
        new_key = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
        ukey = code[new_key]
        self.key_first = upos[new_key]
        last = np.append(np.flatnonzero(new_key)[1:], upos.size) - 1
        self.key_end = upos[last] + 1 if upos.size else upos
        kq = ukey // K
        kl = ukey % K
        self.key_q = kq
        self.key_tid = tid[kq - 1] if kq.size else kq
        self.key_cidx = np.searchsorted(self.c_tid, self.key_tid, side="right")
        self.nkeys = ukey.size
        nb = n // S + 1  # nb * S > n: position n (an empty tail) lies inside the padding
        self.nb = nb
        kb = kq // S
        first = np.searchsorted(kb, np.arange(nb))
        slot = np.arange(ukey.size) - first[kb]
        R = int(slot.max()) + 1 if slot.size else 1
        self.R = R
        self.matrix_cells = nb * S * (R + K + 1)
        if self.matrix_cells > WEIGHTED_MAX_MATRIX_CELLS:
            return  # too large: callers check fits() and use the row bootstrap
        dtype = np.float32 if n < 2**22 else np.float64
        self.dtype = dtype
        rs_pad = np.full(nb * S, K, dtype=np.int64)
        rs_pad[:n] = rs
        # per block, one row per key whose first comparable position is in the block:
        # h(key level, level) at the block's positions from that first position on
        pos = kb[:, None] * S + np.arange(S)
        lv = rs_pad[pos]
        h = (lv < kl[:, None]).astype(dtype) + dtype(0.5) * (lv == kl[:, None])
        h *= pos >= kq[:, None]
        Mk = np.zeros((nb, R, S), dtype=dtype)
        Mk[kb, slot] = h
        self.M_keys = Mk
        # per block: h(k, level) summed over the block for every level k, and the block total
        blk = rs_pad.reshape(nb, S)[:, None, :]
        lev = np.arange(K)[None, :, None]
        Mh = np.ones((nb, K + 1, S), dtype=dtype)
        Mh[:, :K] = (blk < lev).astype(dtype) + dtype(0.5) * (blk == lev)
        Mh *= (np.arange(nb * S) < n).reshape(nb, 1, S)
        self.M_hist = Mh
        self.upper = np.triu(np.ones((S, S), dtype=dtype))  # within-block suffix sums
        self.key_block, self.key_slot, self.key_level = kb, slot, kl

    def fits(self) -> bool:
        """Whether the precomputed matrices are within :data:`WEIGHTED_MAX_MATRIX_CELLS`."""
        return self.matrix_cells <= WEIGHTED_MAX_MATRIX_CELLS

    def blocks(self, counts: np.ndarray) -> np.ndarray:
        """Time-ordered weights ``(B, n)`` transposed, padded and cut into blocks ``(nb, S, B)``."""
        B, n = counts.shape
        pad = np.zeros((self.nb * self.S, B), dtype=self.dtype)
        pad[:n] = counts.T
        return pad.reshape(self.nb, self.S, B)

    def pair_sums(
        self, blocks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(weight, score, pairs, tails)`` for weights cut by :meth:`blocks`; ``tails[p]``
        is the summed weight of positions ``>= p`` (``(nb * S, B)``)."""
        nb, S, B = blocks.shape
        K, R = self.K, self.R
        hist = np.matmul(self.M_hist, blocks)  # (nb, K + 1, B)
        suffix = np.zeros((nb + 1, K + 1, B), dtype=self.dtype)
        for b in range(nb - 1, -1, -1):  # sums over later blocks (a loop over n / S blocks)
            np.add(suffix[b + 1], hist[b], out=suffix[b])
        tails = np.matmul(self.upper, blocks)  # within-block suffix sums, (nb, S, B)
        tails += suffix[1:, K, None, :]
        tails = tails.reshape(nb * S, B)
        weight = tails[self.key_first] - tails[self.key_end]
        within = np.matmul(self.M_keys, blocks).reshape(nb * R, B)
        score = within[self.key_block * R + self.key_slot]
        score += suffix.reshape((nb + 1) * (K + 1), B)[
            (self.key_block + 1) * (K + 1) + self.key_level
        ]
        pairs = tails[self.key_q]
        return weight, score, pairs, tails

    def censoring_survival(self, tails: np.ndarray) -> np.ndarray:
        """Reverse Kaplan-Meier censoring survival G at the keys' times, ``(keys, B)``.

        Same arithmetic as :func:`assess.metrics._survival_core.censoring_survival` (events
        leave the censoring risk set first, so the risk set of the censorings at a time is all
        weight from their group on); times absent from a replicate contribute a factor of
        exactly 1, so the values equal those of the resampled data set bit for bit.
        """
        risk = tails[self.c_start].astype(np.float64)
        c = risk - tails[self.c_end]
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(risk > 0, 1.0 - c / risk, 1.0)
        surv = np.ones((factor.shape[0] + 1, factor.shape[1]))
        np.cumprod(factor, axis=0, out=surv[1:])
        return surv[self.key_cidx]


def _sort_path_bootstrap(
    row_statistic,
    weighted_statistic,
    t: np.ndarray,
    e: np.ndarray,
    s: np.ndarray,
    strata: Any,
    *,
    jackknife: Any = None,
    **settings: Any,
):
    """Row bootstrap of a sort-path concordance statistic.

    With at most :data:`WEIGHTED_MAX_LEVELS` score levels, ``weighted_statistic()`` (from
    :func:`_harrell_weighted_statistic` or :func:`_uno_weighted_statistic`) gives
    ``(statistic, order)``, and the row bootstrap's replicates (same seed, same draws) are
    handed to it as replicate counts in the time order. Otherwise, or when its matrices would
    be too large (``None``), ``row_statistic(t, e, s)`` is recomputed on every resampled data set.
    """
    from .bootstrap import bootstrap, bootstrap_weights

    row_strata = _row_strata(strata, e, "event")
    weighted = (
        weighted_statistic() if _count_distinct(s, WEIGHTED_MAX_LEVELS) <= WEIGHTED_MAX_LEVELS else None
    )
    if weighted is None:
        return bootstrap(row_statistic, t, e, s, strata=row_strata, jackknife=jackknife, **settings)
    stat_w, order = weighted
    return bootstrap_weights(
        stat_w,
        e.size,
        strata=row_strata,
        jackknife=jackknife,
        order=order,
        dtype=np.float32 if e.size < 2**22 else np.float64,
        max_batch_cells=WEIGHTED_BATCH_CELLS,
        **settings,
    )


def _harrell_weighted_statistic(
    t: np.ndarray,
    e: np.ndarray,
    s: np.ndarray,
    block: int = WEIGHTED_BLOCK,
):
    """Harrell's C as a function of a ``(B, n)`` batch of row weights (bootstrap counts).

    Returns ``(statistic, order)`` as :func:`_uno_weighted_statistic` does (columns of the
    weights in the time order ``order``), or ``None`` when the precomputed matrices would be
    too large. Every event is the earlier member of its comparable pairs and each pair has
    weight 1, so C = sum over keys of weight x score / sum of weight x pairs: the same numbers
    (to rounding) as :func:`harrell_c` on the data set repeating row j ``c_j`` times.
    """
    srank, lv = dense_rank(s)
    cw = CaseWeightPairs(t, e, srank, lv.size, e.copy(), block)
    if not cw.fits():
        return None

    def stat(counts: np.ndarray) -> np.ndarray:
        B = counts.shape[0]
        if cw.nkeys == 0:
            return np.full(B, np.nan)
        weight, score, pairs, _tails = cw.pair_sums(cw.blocks(counts))
        weight = weight.astype(np.float64)
        num = np.einsum("kb,kb->b", weight, score.astype(np.float64))
        den = np.einsum("kb,kb->b", weight, pairs.astype(np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = num / den
        return np.where(den > 0, out, np.nan)

    return stat, cw.seq


def _uno_weighted_statistic(
    t: np.ndarray,
    e: np.ndarray,
    s: np.ndarray,
    tau: float | None,
    km: CensoringKM | None,
    block: int = WEIGHTED_BLOCK,
):
    """Uno's C as a function of a ``(B, n)`` batch of row weights (bootstrap counts).

    Returns ``(statistic, order)``, or ``None`` when the precomputed matrices would be too
    large (see :data:`WEIGHTED_MAX_MATRIX_CELLS`). The statistic takes the weights with column ``k`` belonging
    to row ``order[k]`` (the time order, see :func:`assess.metrics.bootstrap.bootstrap_weights`).
    Same numbers (to rounding) as :func:`_uno_compute` on the data set repeating row j ``c_j``
    times; ``G`` re-estimated from the weights unless ``km`` (training data) is given.
    """
    srank, lv = dense_rank(s)
    use = e & (t < tau) if tau is not None else e.copy()
    cw = CaseWeightPairs(t, e, srank, lv.size, use, block)
    if not cw.fits():
        return None
    fixed = None
    if km is not None:
        g = km.at(cw.times[cw.key_tid])
        with np.errstate(divide="ignore", invalid="ignore"):
            w = 1.0 / g
        fixed = np.where(g > 0, w * w, np.nan)[:, None]

    def stat(counts: np.ndarray) -> np.ndarray:
        B = counts.shape[0]
        if cw.nkeys == 0:
            return np.full(B, np.nan)
        blocks = cw.blocks(counts)
        weight, score, pairs, tails = cw.pair_sums(blocks)
        present = weight > 0
        if fixed is None:
            G = cw.censoring_survival(tails)
            bad = np.any(present & ~(G > 0), axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(G > 0, 1.0 / G, 0.0)
            w2 = w * w
        else:
            bad = np.any(present & ~np.isfinite(fixed), axis=0)
            w2 = np.where(np.isfinite(fixed), fixed, 0.0)
        a = weight * w2
        num = np.einsum("kb,kb->b", a, score.astype(np.float64))
        den = np.einsum("kb,kb->b", a, pairs.astype(np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = num / den
        return np.where(bad | ~(den > 0), np.nan, out)

    return stat, cw.seq
