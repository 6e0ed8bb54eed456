"""The table-based computation behind :func:`assess.fairness.fairness_report`.

One statistic function maps count tables (replicates x strata x levels x outcome) to every
per-group number in the report; it runs once on the observed table, on batches of bootstrap
replicates drawn by :func:`assess.metrics.bootstrap.bootstrap_counts` and (for BCa) on the
leave-one-out tables of the jackknife.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _batch as B
from ._cells import LevelTable, jackknife_tables
from ._data import GroupDesign
from .xauc import xauc_from_parts

#: Per-group metrics, in the order of the report's columns.
METRICS = (
    "base_rate",
    "auc",
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "ppv",
    "npv",
    "expected_rate",
    "oe_ratio",
    "observed_minus_expected",
    "calibration_in_the_large",
    "calibration_slope",
)

#: Largest (non-empty cells x table size) for which the BCa jackknife is computed.
MAX_JACKKNIFE_WORK = 20_000_000

#: Counts kept alongside the metrics (not compared between groups).
COUNTS = ("n", "events", "non_events", "tp", "fp", "fn", "tn")


@dataclass(frozen=True)
class EngineSpec:
    """What the statistic function needs besides the tables."""

    table: LevelTable
    design: GroupDesign
    prob: np.ndarray | None  # (K,) given probabilities, or None to fit the pooled score model
    curve_bins: np.ndarray  # (K,) curve bin of each level
    n_curve_bins: int


def expectancy(overall: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Predicted probability per level from a logistic regression of the outcome on the score,
    fitted on the whole (replicate) sample: the pooled 'expectancy table' of the instrument.
    ``overall`` is (..., K, 2); returns (..., K)."""
    centre = float(np.mean(score)) if score.size else 0.0
    x = score - centre
    a, b = B.logistic_levels(x, overall[..., 1], overall[..., 0], slope=True)
    eta = a[..., None] + b[..., None] * x
    return 1.0 / (1.0 + np.exp(-eta))


def _metrics(t: np.ndarray, prob: np.ndarray, spec: EngineSpec) -> tuple[np.ndarray, np.ndarray, dict]:
    """All metrics of tables t (..., K, 2): returns (values (..., M), counts (..., C), curve)."""
    tab = spec.table
    size = B.sizes(t)
    ts = B.collapse(t, tab.score_starts)
    conf = B.confusion(t, tab.flagged)
    rates = B.error_rates(conf)
    cal = B.calibration(t, prob)
    vals = {"base_rate": size["base_rate"], "auc": B.auc(ts), **rates, **cal}
    values = np.stack([vals[m] for m in METRICS], axis=-1)
    counts = np.stack([size["n"], size["events"], size["non_events"], conf["tp"], conf["fp"], conf["fn"], conf["tn"]], axis=-1)
    cur = B.curve(t, prob, spec.curve_bins, spec.n_curve_bins)
    return values, counts, cur


def statistic(spec: EngineSpec, with_counts: bool = True):
    """The function (tables (b, S, K, 2) -> dict of arrays with b first) used for the
    observed table, bootstrap and jackknife alike.

    The whole sample and every group of every grouping are stacked on one "unit" axis so that
    each metric (including the iterative calibration fits) is computed in a single vectorised
    call per batch of replicates.
    """
    tab = spec.table
    groupings = spec.design.groupings
    # (S, U) indicator of stratum -> unit; unit 0 is the whole sample
    blocks = [np.ones((spec.design.n_strata, 1))] + [g.indicator() for g in groupings]
    units = np.hstack(blocks)
    bounds = np.cumsum([0] + [blk.shape[1] for blk in blocks])

    def stat(t: np.ndarray) -> dict[str, np.ndarray]:
        tu = np.einsum("bskc,su->bukc", t, units)  # (b, U, K, 2)
        overall = tu[:, 0]
        prob = np.broadcast_to(spec.prob, overall.shape[:-1]) if spec.prob is not None else expectancy(overall, tab.score)
        v, c, cur = _metrics(tu, prob[:, None, :], spec)
        ts = B.collapse(tu, tab.score_starts)
        out: dict[str, np.ndarray] = {}
        for gi in range(len(groupings) + 1):
            sl = slice(bounds[gi], bounds[gi + 1])
            key = "overall" if gi == 0 else f"g{gi - 1}"
            out[key] = v[:, 0] if gi == 0 else v[:, sl]
            if with_counts:
                out[f"{key}_counts"] = c[:, 0] if gi == 0 else c[:, sl]
            for name, arr in cur.items():
                out[f"{key}_curve_{name}"] = arr[:, 0] if gi == 0 else arr[:, sl]
            if gi > 0:
                for name, arr in xauc_from_parts(_xauc_parts(ts[:, sl])).items():
                    out[f"{key}_xauc_{name}"] = arr
        return out

    return stat


def _xauc_parts(ts: np.ndarray) -> np.ndarray:
    """Numerators and denominators of all cross-group AUCs, (b, G, G, 2): summing parts over
    groups gives pooled comparisons (e.g. one group's events against every other group's
    non-events) exactly."""
    neg = ts[..., 0]
    pos = ts[..., 1]
    below = np.cumsum(neg, axis=-1) - neg
    num = np.einsum("...ak,...bk->...ab", pos, below + 0.5 * neg)
    den = pos.sum(-1)[..., :, None] * neg.sum(-1)[..., None, :]
    return np.stack([num, den], axis=-1)


def observed(spec: EngineSpec) -> dict[str, np.ndarray]:
    """Statistics of the observed table (replicate axis of length one removed)."""
    res = statistic(spec)(spec.table.counts[None])
    return {k: v[0] for k, v in res.items()}


def _flatten(out: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[str, tuple[int, ...]]]]:
    layout = [(k, v.shape[1:]) for k, v in out.items()]
    flat = np.concatenate([v.reshape(v.shape[0], -1) for v in out.values()], axis=1)
    return flat, layout


def _unflatten(flat: np.ndarray, layout: list[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    out = {}
    pos = 0
    for key, shape in layout:
        size = int(np.prod(shape))
        out[key] = flat[:, pos : pos + size].reshape((flat.shape[0], *shape))
        pos += size
    return out


@dataclass(frozen=True)
class Resampled:
    """Bootstrap replicates (and jackknife values for BCa) of every statistic."""

    replicates: dict[str, np.ndarray]
    jackknife: dict[str, np.ndarray] | None
    jackknife_weights: np.ndarray | None
    jackknife_strata: np.ndarray | None
    seed: object


def resample(
    spec: EngineSpec,
    n_boot: int,
    seed: np.random.SeedSequence,
    *,
    stratified: bool,
    ci_method: str,
    confidence_level: float,
    n_jobs: int = 1,
) -> Resampled:
    """Bootstrap the count table with :func:`assess.metrics.bootstrap.bootstrap_counts`
    (within strata when ``stratified``) and, for BCa, compute the exact jackknife (one
    leave-one-out table per non-empty cell)."""
    from assess.metrics.bootstrap import bootstrap_counts

    counts = spec.table.counts
    shape = counts.shape
    flat_counts = np.rint(counts.ravel()).astype(np.int64)
    cell_stratum = np.repeat(np.arange(shape[0]), shape[1] * shape[2])
    stat = statistic(spec, with_counts=False)
    est, layout = _flatten(stat(counts[None]))

    nz = np.flatnonzero(flat_counts)  # only non-empty cells are drawn (empty ones stay empty)

    def batch(c: np.ndarray) -> np.ndarray:
        full = np.zeros((c.shape[0], flat_counts.size))
        full[:, nz] = c
        return _flatten(stat(full.reshape((-1, *shape))))[0]

    jk = weights = strata = None
    if ci_method == "bca":
        cells = int(np.count_nonzero(flat_counts))
        if cells * flat_counts.size > MAX_JACKKNIFE_WORK:
            raise ValueError(
                f"BCa intervals need one leave-one-out evaluation per distinct (group, score, outcome) cell and "
                f"these data have {cells} such cells (a continuous score?), too many to do quickly; use "
                "ci_method='percentile', round the score, or lower max_levels"
            )
        chunks, weights = jackknife_tables(counts)
        jk = _unflatten(np.concatenate([_flatten(stat(t))[0] for t in chunks], axis=0), layout)
        strata = cell_stratum[np.flatnonzero(flat_counts)] if stratified else None
    # only the replicates are used (intervals of every derived comparison are computed from
    # them in frame.py), so the cheap percentile summary is asked for whatever ci_method is
    boot = bootstrap_counts(
        batch,
        flat_counts[nz],
        strata=cell_stratum[nz] if stratified else None,
        n_boot=int(n_boot),
        seed=seed,
        ci="percentile",
        confidence_level=confidence_level,
        n_jobs=n_jobs,
        estimate=est[0],
    )
    reps = np.asarray(boot.replicates, dtype=float).reshape(int(n_boot), -1)
    return Resampled(
        replicates=_unflatten(reps, layout),
        jackknife=jk,
        jackknife_weights=weights,
        jackknife_strata=strata,
        seed=boot.seed,
    )
