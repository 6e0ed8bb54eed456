"""Seeded, parallel, optionally stratified bootstrap with percentile and BCa intervals.

Three entry points:

* :func:`bootstrap` resamples **rows** (with replacement, within strata if given) and recomputes
  any statistic of one or more equally long arrays.
* :func:`bootstrap_counts` resamples a **count table**: a replicate is one multinomial draw of
  ``n`` observations over the table's cells with the observed cell proportions. This is
  distributionally identical to resampling the ``n`` rows the table summarises (the cell counts
  of a row resample are exactly Multinomial(n, counts / n)), but costs O(cells) instead of
  O(n) and lets the statistic be evaluated for a whole batch of replicates at once. With strata
  (e.g. positives / negatives) each stratum is drawn separately with its own size.
* :func:`bootstrap_weights` draws exactly the row resamples of :func:`bootstrap` but hands the
  statistic the replicate counts of the rows (case weights, a batch at a time), so statistics
  that need a sort (concordance, IPCW) sort once instead of once per replicate.

Reproducibility
---------------
Replicates are generated in fixed blocks of :data:`BLOCK_SIZE`; block ``j`` uses its own
generator seeded by the ``j``-th child of ``numpy.random.SeedSequence(seed)``. The blocks are
the same whatever ``n_jobs`` is, so results are identical for any number of workers. Workers are
threads (numpy releases the GIL in the heavy array work), so the statistic may be any callable,
including closures and lambdas.

Intervals
---------
* ``"percentile"``: the ``alpha/2`` and ``1 - alpha/2`` quantiles of the replicates (linear
  interpolation, as ``numpy.quantile`` / ``scipy.stats.bootstrap``).
* ``"bca"``: bias-corrected and accelerated (Efron 1987; Efron & Tibshirani 1993, ch. 14),
  exactly as ``scipy.stats.bootstrap(method="BCa")``: ``z0`` from the share of replicates below
  the estimate (ties count 1/2), acceleration from the jackknife (per stratum, combined as
  scipy does for several samples). For count tables the jackknife is computed per *cell* and
  weighted by the cell counts -- every row of a cell has the same leave-one-out value -- so it
  is exact and costs O(cells) evaluations. Metric functions pass exact leave-one-out values
  computed in closed form where available.

Replicates where the statistic is undefined (NaN, e.g. a resample without events) are dropped
from the interval and counted in ``n_failed``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ._result import MetricResult, z_value

__all__ = [
    "BootstrapResult",
    "bootstrap",
    "bootstrap_counts",
    "bootstrap_weights",
    "attach_bootstrap",
    "BLOCK_SIZE",
]

#: Replicates per independently seeded block (fixed, so results do not depend on ``n_jobs``).
BLOCK_SIZE = 50
#: Relative cost of one multinomial cell versus one drawn row (numpy's binomial sampler is
#: about 20x slower per cell than ``integers`` + ``bincount`` per row).
MULTINOMIAL_COST = 20
#: Largest n for which :func:`bootstrap` computes a BCa jackknife by brute force (n evaluations).
MAX_BRUTE_JACKKNIFE = 20_000


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap distribution and interval of a statistic (scalar or vector valued)."""

    estimate: Any
    replicates: np.ndarray
    lower: Any
    upper: Any
    se: Any
    confidence_level: float
    ci: str
    n_boot: int
    n_failed: Any
    seed: Any
    resampling: str
    strata: int | None = None
    bias_correction: Any = None
    acceleration: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per component of the statistic."""
        est = np.atleast_1d(np.asarray(self.estimate, dtype=float))
        k = est.size

        def col(x: Any) -> np.ndarray:
            return np.broadcast_to(np.atleast_1d(np.asarray(x, dtype=float)), (k,))

        return pd.DataFrame(
            {
                "component": np.arange(k),
                "estimate": est,
                "se": col(self.se),
                "lower": col(self.lower),
                "upper": col(self.upper),
                "confidence_level": self.confidence_level,
                "ci_method": f"bootstrap-{self.ci}",
                "n_boot": self.n_boot,
                "n_failed": col(self.n_failed),
                "resampling": self.resampling,
            }
        )

    def __str__(self) -> str:
        lines = [
            f"bootstrap ({self.ci}, {self.n_boot} replicates, {self.resampling}, seed={self.seed})"
        ]
        frame = self.to_frame()
        for row in frame.itertuples():
            lines.append(
                f"  [{row.component}] {row.estimate:.4f}  ({self.confidence_level:.0%} CI "
                f"{row.lower:.4f} to {row.upper:.4f})  se {row.se:.4f}  failed {int(row.n_failed)}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# seeding and parallel blocks
# --------------------------------------------------------------------------------------------


def _seed_sequence(seed: int | np.random.SeedSequence | None) -> tuple[np.random.SeedSequence, Any]:
    if isinstance(seed, np.random.SeedSequence):
        return seed, seed.entropy
    if seed is None:
        ss = np.random.SeedSequence()
        return ss, ss.entropy
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(
            f"seed must be a non-negative integer, a SeedSequence or None, got {seed!r}"
        )
    return np.random.SeedSequence(int(seed)), int(seed)


def _blocks(n_boot: int) -> list[tuple[int, int]]:
    return [(s, min(BLOCK_SIZE, n_boot - s)) for s in range(0, n_boot, BLOCK_SIZE)]


def _n_workers(n_jobs: int) -> int:
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)


def _run_blocks(
    work: Callable[[int, np.random.Generator, int], np.ndarray],
    n_boot: int,
    ss: np.random.SeedSequence,
    n_jobs: int,
) -> np.ndarray:
    plan = _blocks(n_boot)
    children = ss.spawn(len(plan))

    def run(j: int) -> np.ndarray:
        rng = np.random.Generator(np.random.PCG64(children[j]))
        return work(plan[j][0], rng, plan[j][1])

    workers = _n_workers(n_jobs)
    if workers == 1 or len(plan) == 1:
        parts = [run(j) for j in range(len(plan))]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(plan))) as pool:
            parts = list(pool.map(run, range(len(plan))))
    return np.concatenate(parts, axis=0)


def _check_common(n_boot: int, ci: str, confidence_level: float) -> None:
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if ci not in ("percentile", "bca"):
        raise ValueError(f"ci must be 'percentile' or 'bca', got {ci!r}")
    z_value(confidence_level)  # validates the level


# --------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------


def percentile_of_score(reps: np.ndarray, value: float) -> float:
    """Share of replicates below ``value``, ties counting 1/2 (scipy's convention)."""
    return (np.count_nonzero(reps < value) + np.count_nonzero(reps <= value)) / (2.0 * reps.size)


def jackknife_acceleration(
    values: np.ndarray, groups: np.ndarray | None = None, weights: np.ndarray | None = None
) -> float:
    """BCa acceleration from leave-one-out values.

    Single sample: ``a = sum U^3 / (6 (sum U^2)^1.5)`` with ``U_i = (n-1)(mean - theta_(i))``.
    With strata (``groups``) each stratum j contributes ``sum U^3 / n_j^3`` and
    ``sum U^2 / n_j^2`` (as ``scipy.stats.bootstrap`` for several samples). ``weights`` are
    multiplicities (rows represented by each value, for count tables).
    """
    values = np.asarray(values, dtype=float)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    g = (
        np.zeros(values.size, dtype=np.int64)
        if groups is None
        else np.unique(groups, return_inverse=True)[1]
    )
    num = 0.0
    den = 0.0
    for j in range(int(g.max()) + 1 if g.size else 0):
        sel = g == j
        wj = w[sel]
        vj = values[sel]
        nj = wj.sum()
        if nj < 2:
            continue
        mean = np.sum(wj * vj) / nj
        u = (nj - 1.0) * (mean - vj)
        num += float(np.sum(wj * u**3)) / nj**3
        den += float(np.sum(wj * u**2)) / nj**2
    if den <= 0 or not math.isfinite(den):
        return 0.0 if den == 0 else math.nan
    return num / (6.0 * den**1.5)


def bca_levels(
    estimate: float, reps: np.ndarray, acceleration: float, confidence_level: float
) -> tuple[float, float, float]:
    """BCa quantile levels ``(alpha_1, alpha_2)`` and the bias correction ``z0``."""
    alpha = (1.0 - confidence_level) / 2.0
    z0 = float(ndtri(percentile_of_score(reps, estimate)))
    za = float(ndtri(alpha))
    num1 = z0 + za
    num2 = z0 - za
    a1 = float(ndtr(z0 + num1 / (1.0 - acceleration * num1)))
    a2 = float(ndtr(z0 + num2 / (1.0 - acceleration * num2)))
    return a1, a2, z0


def _interval_1d(
    estimate: float,
    reps: np.ndarray,
    ci: str,
    confidence_level: float,
    acceleration: float | None,
) -> tuple[float, float, float, float | None, str | None]:
    """(lower, upper, se, z0, note) from finite replicates of one component."""
    finite = reps[np.isfinite(reps)]
    if finite.size < 2:
        return math.nan, math.nan, math.nan, None, "fewer than 2 replicates with a defined value"
    se = float(np.std(finite, ddof=1))
    if finite.min() == finite.max():
        v = float(finite[0])
        return v, v, 0.0, None, "all replicates are equal: the bootstrap distribution is degenerate"
    if ci == "percentile":
        alpha = (1.0 - confidence_level) / 2.0
        lo, hi = np.quantile(finite, [alpha, 1.0 - alpha])
        return float(lo), float(hi), se, None, None
    if acceleration is None or not math.isfinite(acceleration) or not math.isfinite(estimate):
        return math.nan, math.nan, se, None, "BCa acceleration undefined (degenerate jackknife)"
    a1, a2, z0 = bca_levels(estimate, finite, acceleration, confidence_level)
    if not (math.isfinite(z0) and math.isfinite(a1) and math.isfinite(a2)):
        return (
            math.nan,
            math.nan,
            se,
            z0,
            (
                "BCa interval undefined: all replicates lie on one side of the estimate "
                "(degenerate bootstrap distribution); use ci='percentile'"
            ),
        )
    lo, hi = np.quantile(finite, [a1, a2])
    return float(lo), float(hi), se, z0, None


def _summarise(
    estimate: Any,
    reps: np.ndarray,
    ci: str,
    confidence_level: float,
    accel: np.ndarray | None,
    *,
    n_boot: int,
    seed: Any,
    resampling: str,
    strata: int | None,
) -> BootstrapResult:
    est = np.asarray(estimate, dtype=float)
    scalar = est.ndim == 0
    r2 = reps.reshape(reps.shape[0], -1)
    e1 = np.atleast_1d(est)
    k = r2.shape[1]
    lo = np.full(k, np.nan)
    hi = np.full(k, np.nan)
    se = np.full(k, np.nan)
    z0s = np.full(k, np.nan)
    failed = np.sum(~np.isfinite(r2), axis=0)
    notes: list[str] = []
    for c in range(k):
        a = None if accel is None else float(np.atleast_1d(accel)[c])
        lo[c], hi[c], se[c], z0, note = _interval_1d(
            float(e1[c]), r2[:, c], ci, confidence_level, a
        )
        if z0 is not None:
            z0s[c] = z0
        if note:
            notes.append(note if k == 1 else f"component {c}: {note}")
    if failed.any():
        notes.append(
            f"{int(failed.max())} of {n_boot} replicates gave an undefined statistic and were dropped"
        )

    def out(x: np.ndarray) -> Any:
        return float(x[0]) if scalar else x

    return BootstrapResult(
        estimate=float(est) if scalar else est,
        replicates=reps if not scalar else r2[:, 0],
        lower=out(lo),
        upper=out(hi),
        se=out(se),
        confidence_level=confidence_level,
        ci=ci,
        n_boot=n_boot,
        n_failed=int(failed[0]) if scalar else failed,
        seed=seed,
        resampling=resampling,
        strata=strata,
        bias_correction=None if ci == "percentile" else out(z0s),
        acceleration=None
        if accel is None
        else (float(np.atleast_1d(accel)[0]) if scalar else np.atleast_1d(accel)),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# row bootstrap
# --------------------------------------------------------------------------------------------


def bootstrap(
    statistic: Callable[..., Any],
    *arrays: Any,
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    strata: Any = None,
    ci: Literal["percentile", "bca"] = "percentile",
    confidence_level: float = 0.95,
    n_jobs: int = 1,
    jackknife: Any = None,
    estimate: Any = None,
) -> BootstrapResult:
    """Nonparametric bootstrap of ``statistic(*arrays)`` by resampling rows.

    Parameters
    ----------
    statistic:
        Function of the (resampled) arrays returning a float or a 1-d array of floats; NaN
        means "undefined on this resample".
    *arrays:
        One or more arrays with the same first dimension n (rows are resampled jointly).
    n_boot:
        Number of replicates.
    seed:
        Integer seed (default 0, so reruns reproduce published numbers), a
        ``numpy.random.SeedSequence``, or ``None`` for fresh entropy (recorded in
        ``result.seed``).
    strata:
        Optional array of n group labels; rows are resampled within each group, keeping group
        sizes fixed (e.g. outcome classes for an AUC, as in pROC).
    ci:
        ``"percentile"`` or ``"bca"``.
    confidence_level:
        Interval level.
    n_jobs:
        Worker threads (``-1`` = all cores). Results do not depend on it.
    jackknife:
        For BCa: leave-one-out values of the statistic (length n, or (n, k)); computed by n
        brute-force evaluations when omitted (refused above 20 000 rows).
    estimate:
        The statistic on the full data, if already known.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(20.0)
    >>> res = bootstrap(np.mean, x, n_boot=200, seed=1)
    >>> round(res.estimate, 2)
    9.5
    """
    _check_common(n_boot, ci, confidence_level)
    if not arrays:
        raise ValueError("bootstrap needs at least one data array")
    arrs = [np.asarray(a) for a in arrays]
    n = arrs[0].shape[0] if arrs[0].ndim else 0
    for i, a in enumerate(arrs):
        if a.ndim == 0 or a.shape[0] != n:
            raise ValueError(
                f"all arrays must have the same length; array 0 has {n} rows, array {i} has shape {a.shape}"
            )
    if n < 2:
        raise ValueError(f"the bootstrap needs at least 2 rows, got {n}")
    ss, seed_used = _seed_sequence(seed)
    groups = _strata_groups(strata, n)
    if estimate is None:
        estimate = statistic(*arrs)
    est = np.asarray(estimate, dtype=float)
    k = est.size

    draw = _row_sampler(n, groups)

    def work(start: int, rng: np.random.Generator, size: int) -> np.ndarray:
        out = np.empty((size, k))
        for i in range(size):
            idx = draw(rng)
            out[i] = np.asarray(statistic(*(a[idx] for a in arrs)), dtype=float).reshape(-1)
        return out

    reps = _run_blocks(work, n_boot, ss, n_jobs)
    accel = None
    if ci == "bca":
        if jackknife is None:
            if n > MAX_BRUTE_JACKKNIFE:
                raise ValueError(
                    f"BCa needs the jackknife (n={n} leave-one-out evaluations); pass jackknife= "
                    "values or use ci='percentile'"
                )
            jackknife = np.array(
                [
                    np.asarray(
                        statistic(*(np.delete(a, i, axis=0) for a in arrs)), dtype=float
                    ).reshape(-1)
                    for i in range(n)
                ]
            )
        accel = _acceleration(jackknife, n, k, strata)
    return _row_summary(est, reps, k, ci, confidence_level, accel, n_boot, seed_used, groups)


def _row_sampler(
    n: int, groups: list[np.ndarray] | None
) -> Callable[[np.random.Generator], np.ndarray]:
    """The row draw of one replicate (shared by :func:`bootstrap` and
    :func:`bootstrap_weights`, so both see exactly the same resamples)."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        if groups is None:
            return rng.integers(0, n, n)
        return np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups])

    return draw


def bootstrap_weights(
    statistic: Callable[[np.ndarray], Any],
    n: int,
    *,
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    strata: Any = None,
    ci: Literal["percentile", "bca"] = "percentile",
    confidence_level: float = 0.95,
    n_jobs: int = 1,
    jackknife: Any = None,
    estimate: Any = None,
    max_batch_cells: int = 4_000_000,
    order: Any = None,
    dtype: Any = np.int64,
) -> BootstrapResult:
    """Row bootstrap of a statistic evaluated on **case weights** (replicate counts).

    Draws exactly the replicates :func:`bootstrap` draws for the same ``seed`` / ``strata``
    (same generator calls in the same blocks), but hands the statistic, instead of resampled
    arrays, the number of times each row was drawn: a ``(B, n)`` integer array for a batch of
    ``B`` replicates. A statistic that is a function of the multiset of rows (every usual
    statistic) then gives the same replicates as :func:`bootstrap` up to floating-point
    rounding, while it can precompute everything that does not depend on the weights (sort
    orders, ranks) once and evaluate a whole batch vectorised.

    Parameters
    ----------
    statistic:
        Maps a ``(B, n)`` array of row counts to ``B`` values (or a ``(B, k)`` array); NaN =
        undefined on that replicate.
    n:
        Number of rows.
    jackknife:
        For BCa: leave-one-out values (length n or (n, k)); when omitted they are computed by
        evaluating the statistic on the n weight vectors with one row removed (allowed up to
        20 000 rows).
    estimate:
        The statistic on the full data; default ``statistic`` on all-ones weights.
    max_batch_cells:
        Memory bound for one evaluation batch (``B * n``).
    order:
        Optional permutation of the rows: column ``k`` of the weights then belongs to row
        ``order[k]`` (e.g. a precomputed time order, saving a gather per batch).
        ``strata``, ``jackknife`` and the returned values stay in the original row order.
    dtype:
        Type of the weight array handed to the statistic (e.g. ``np.float32``).

    Other parameters as :func:`bootstrap`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(20.0)
    >>> res = bootstrap_weights(lambda w: w @ x / w.sum(axis=1), x.size, n_boot=200, seed=1)
    >>> bool(np.isclose(res.se, bootstrap(np.mean, x, n_boot=200, seed=1).se))
    True
    """
    _check_common(n_boot, ci, confidence_level)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"the bootstrap needs at least 2 rows, got n={n!r}")
    n = int(n)
    ss, seed_used = _seed_sequence(seed)
    groups = _strata_groups(strata, n)
    if estimate is None:
        estimate = np.asarray(statistic(np.ones((1, n), dtype=dtype)), dtype=float)[0]
    est = np.asarray(estimate, dtype=float)
    k = est.size
    draw = _row_sampler(n, groups)
    sub = max(1, min(BLOCK_SIZE, max_batch_cells // n))
    if order is None:
        column = None
    else:
        order = np.asarray(order)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError(f"order must be a permutation of the {n} rows")
        column = np.empty(n, dtype=np.intp)
        column[order] = np.arange(n)

    def work(start: int, rng: np.random.Generator, size: int) -> np.ndarray:
        out = np.empty((size, k))
        for s0 in range(0, size, sub):
            m = min(sub, size - s0)
            w = np.empty((m, n), dtype=dtype)
            for i in range(m):
                idx = draw(rng)
                w[i] = np.bincount(idx if column is None else column[idx], minlength=n)
            out[s0 : s0 + m] = np.asarray(statistic(w), dtype=float).reshape(m, k)
        return out

    reps = _run_blocks(work, n_boot, ss, n_jobs)
    accel = None
    if ci == "bca":
        if jackknife is None:
            if n > MAX_BRUTE_JACKKNIFE:
                raise ValueError(
                    f"BCa needs the jackknife (n={n} leave-one-out evaluations); pass jackknife= "
                    "values or use ci='percentile'"
                )
            jk = np.empty((n, k))
            for s0 in range(0, n, sub):
                rows = np.arange(s0, min(n, s0 + sub))
                w = np.ones((rows.size, n), dtype=dtype)
                w[np.arange(rows.size), rows if column is None else column[rows]] = 0
                jk[rows] = np.asarray(statistic(w), dtype=float).reshape(rows.size, k)
            jackknife = jk
        accel = _acceleration(jackknife, n, k, strata)
    return _row_summary(est, reps, k, ci, confidence_level, accel, n_boot, seed_used, groups)


def _acceleration(jackknife: Any, n: int, k: int, strata: Any) -> np.ndarray:
    """BCa acceleration of each of the ``k`` statistics from ``n`` leave-one-out values."""
    jk = np.asarray(jackknife, dtype=float).reshape(n, -1)
    labels = None if strata is None else np.asarray(strata)
    return np.array([jackknife_acceleration(jk[:, c], labels) for c in range(k)])


def _row_summary(
    est: np.ndarray,
    reps: np.ndarray,
    k: int,
    ci: str,
    confidence_level: float,
    accel: np.ndarray | None,
    n_boot: int,
    seed_used: Any,
    groups: list[np.ndarray] | None,
) -> BootstrapResult:
    """The result of a row bootstrap (plain or as case counts): interval and provenance."""
    return _summarise(
        est if est.ndim else float(est),
        reps if k > 1 or est.ndim else reps[:, 0],
        ci,
        confidence_level,
        accel,
        n_boot=n_boot,
        seed=seed_used,
        resampling="rows" if groups is None else f"rows within {len(groups)} strata",
        strata=None if groups is None else len(groups),
    )


def _strata_groups(strata: Any, n: int) -> list[np.ndarray] | None:
    if strata is None:
        return None
    s = np.asarray(strata)
    if s.shape != (n,):
        raise ValueError(f"strata must have one label per row ({n}), got shape {s.shape}")
    _, inv = np.unique(s, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.cumsum(np.bincount(inv))[:-1]
    return np.split(order, bounds)


# --------------------------------------------------------------------------------------------
# count-table bootstrap
# --------------------------------------------------------------------------------------------


def bootstrap_counts(
    statistic: Callable[[np.ndarray], np.ndarray],
    counts: Any,
    *,
    strata: Any = None,
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    ci: Literal["percentile", "bca"] = "percentile",
    confidence_level: float = 0.95,
    n_jobs: int = 1,
    jackknife: tuple[np.ndarray, np.ndarray] | np.ndarray | None = None,
    estimate: Any = None,
    max_batch_cells: int = 4_000_000,
) -> BootstrapResult:
    """Bootstrap a statistic of a count table by multinomial draws over its cells.

    Parameters
    ----------
    statistic:
        Vectorised statistic: maps a ``(B, K)`` array of cell counts to ``B`` values (or a
        ``(B, k)`` array). NaN = undefined.
    counts:
        The observed cell counts (length K, non-negative integers; n = their sum).
    strata:
        Optional stratum label per cell; each stratum is drawn with its own total fixed.
    jackknife:
        For BCa: leave-one-out values per cell (length K; entries of empty cells ignored). Each
        is weighted by the cell count (all rows of a cell share it). Computed by evaluating the
        statistic on the K one-row-removed tables when omitted.
    max_batch_cells:
        Memory bound for one evaluation batch (``B * K``).

    Other parameters as :func:`bootstrap`.
    """
    _check_common(n_boot, ci, confidence_level)
    c = np.asarray(counts)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"counts must be a non-empty 1-d array, got shape {c.shape}")
    if np.any(c < 0) or not np.all(np.equal(np.mod(c, 1), 0)):
        raise ValueError("counts must be non-negative integers")
    c = c.astype(np.int64)
    n = int(c.sum())
    if n < 2:
        raise ValueError(f"the bootstrap needs at least 2 observations, got {n}")
    ss, seed_used = _seed_sequence(seed)
    K = c.size
    if strata is None:
        groups = [np.arange(K)]
    else:
        s = np.asarray(strata)
        if s.shape != (K,):
            raise ValueError(f"strata must have one label per cell ({K}), got shape {s.shape}")
        _, inv = np.unique(s, return_inverse=True)
        groups = [np.flatnonzero(inv == j) for j in range(int(inv.max()) + 1)]
    groups = [g for g in groups if c[g].sum() > 0]
    if estimate is None:
        estimate = np.asarray(statistic(c[None, :]), dtype=float)[0]
    est = np.asarray(estimate, dtype=float)
    k = est.size
    sub = max(1, min(BLOCK_SIZE, max_batch_cells // max(K, 1)))

    # Two exact ways to draw Multinomial(n_g, counts_g / n_g): numpy's conditional-binomial
    # sampler costs O(cells) per replicate, drawing n_g rows costs O(n_g); use the cheaper one.
    plans = []
    for g in groups:
        cg = c[g]
        ng = int(cg.sum())
        nzg = g[cg > 0]
        if nzg.size * MULTINOMIAL_COST < ng:
            plans.append(("multinomial", nzg, c[nzg] / ng, ng))
        else:
            plans.append(("rows", nzg, np.repeat(np.arange(nzg.size), c[nzg]), ng))

    def work(start: int, rng: np.random.Generator, size: int) -> np.ndarray:
        draws = np.zeros((size, K), dtype=np.int64)
        for kind, cells, prob_or_rows, ng in plans:
            if kind == "multinomial":
                draws[:, cells] = rng.multinomial(ng, prob_or_rows, size=size)
            else:
                for i in range(size):
                    picked = prob_or_rows[rng.integers(0, ng, ng)]
                    draws[i, cells] = np.bincount(picked, minlength=cells.size)
        out = np.empty((size, k))
        for s0 in range(0, size, sub):
            out[s0 : s0 + sub] = np.asarray(statistic(draws[s0 : s0 + sub]), dtype=float).reshape(
                -1, k
            )
        return out

    reps = _run_blocks(work, n_boot, ss, n_jobs)
    accel = None
    if ci == "bca":
        nz = np.flatnonzero(c)
        if jackknife is None:
            jk = np.empty((nz.size, k))
            for s0 in range(0, nz.size, sub):
                cells = nz[s0 : s0 + sub]
                batch = np.repeat(c[None, :], cells.size, axis=0)
                batch[np.arange(cells.size), cells] -= 1
                jk[s0 : s0 + sub] = np.asarray(statistic(batch), dtype=float).reshape(-1, k)
        else:
            jk = np.asarray(jackknife, dtype=float).reshape(K, -1)[nz]
        labels = None if strata is None else np.asarray(strata)[nz]
        accel = np.array([jackknife_acceleration(jk[:, j], labels, c[nz]) for j in range(k)])
    return _summarise(
        est if est.ndim else float(est),
        reps if k > 1 or est.ndim else reps[:, 0],
        ci,
        confidence_level,
        accel,
        n_boot=n_boot,
        seed=seed_used,
        resampling="multinomial over count-table cells"
        + ("" if strata is None else f" within {len(groups)} strata"),
        strata=None if strata is None else len(groups),
    )


# --------------------------------------------------------------------------------------------
# MetricResult integration
# --------------------------------------------------------------------------------------------


def attach_bootstrap(
    result: MetricResult, boot: BootstrapResult, component: int | None = None
) -> MetricResult:
    """Copy of ``result`` with the bootstrap SE and interval (``ci_method="bootstrap-<ci>"``)."""

    def pick(x: Any) -> float:
        if component is None:
            return float(np.asarray(x, dtype=float).reshape(-1)[0])
        return float(np.asarray(x, dtype=float).reshape(-1)[component])

    details = dict(result.details)
    details.update(
        {
            "n_boot": boot.n_boot,
            "boot_failed": int(pick(boot.n_failed)),
            "seed": boot.seed,
            "resampling": boot.resampling,
        }
    )
    if boot.acceleration is not None:
        details["bca_acceleration"] = pick(boot.acceleration)
        details["bca_bias_correction"] = pick(boot.bias_correction)
    if boot.notes:
        details["ci_note"] = "; ".join(boot.notes)
    return MetricResult(
        metric=result.metric,
        estimate=result.estimate,
        se=pick(boot.se),
        lower=pick(boot.lower),
        upper=pick(boot.upper),
        confidence_level=boot.confidence_level,
        n=result.n,
        events=result.events,
        horizon=result.horizon,
        method=result.method,
        ci_method=f"bootstrap-{boot.ci}",
        reason=result.reason,
        details=details,
    )
