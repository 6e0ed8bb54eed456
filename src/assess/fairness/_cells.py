"""Count tables over (stratum x score level x outcome).

An instrument's score takes few distinct values, so every statistic in a fairness report (AUC,
error rates at a cut-off, calibration) is a function of the table of counts of
(finest group stratum, score level, outcome). Building the table is O(n). Bootstrap replicates
are multinomial draws over the table's cells (:func:`assess.metrics.bootstrap.bootstrap_counts`),
which have exactly the distribution of the cell counts of a row-resampled data set, at a cost
that does not depend on n.

Resampling schemes used by the fairness report:

* stratified (default): rows are resampled within each finest stratum (the intersection of all
  group attributes), so every group keeps its observed size. Group sizes are fixed by the design
  of most evaluations (who was assessed), and fixing them stops small groups from vanishing
  from a replicate.
* unstratified: rows are resampled from the whole sample (as fairlearn's ``MetricFrame`` does
  with ``n_boot``); group sizes vary between replicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: Largest number of table entries (replicates x cells) built at once.
CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class LevelTable:
    """Counts of (stratum, level, outcome); a level is a distinct (score, flagged, probability).

    Levels are sorted by score, so ``np.add.reduceat(t, score_starts, axis=-2)`` collapses the
    level axis to distinct score values (needed for rank statistics with ties).
    """

    counts: np.ndarray  # (S, K, 2) float: [..., 0] non-events, [..., 1] events
    score: np.ndarray  # (K,) score of each level, ascending
    flagged: np.ndarray  # (K,) bool: level at or above the cut-off
    prob: np.ndarray | None  # (K,) predicted probability of each level, if given
    score_starts: np.ndarray  # (Ks,) first level of each distinct score
    row_level: np.ndarray  # (n,) level of each row

    @property
    def n_levels(self) -> int:
        return self.score.size


def level_table(
    stratum: np.ndarray,
    n_strata: int,
    score: np.ndarray,
    outcome: np.ndarray,
    flagged: np.ndarray,
    prob: np.ndarray | None = None,
) -> LevelTable:
    """Build the (stratum, level, outcome) count table.

    O(n) for integer scores (codes from :func:`assess.metrics.tables.levels_and_codes`); one
    sort otherwise. ``flagged`` must be constant within a score value (e.g. ``score >= cut``).
    """
    from assess.metrics.tables import levels_and_codes

    s_levels, s_code = levels_and_codes(score)
    flag_of_score = np.zeros(s_levels.size, dtype=bool)
    flag_of_score[s_code] = flagged
    if np.any(flag_of_score[s_code] != flagged):
        raise ValueError("flagged must be the same for every row with the same score")
    if prob is None:
        level_score_code, row_level = np.arange(s_levels.size), s_code
        level_prob = None
    else:
        p_levels, p_code = levels_and_codes(prob)
        key = s_code.astype(np.int64) * p_levels.size + p_code
        uniq, row_level = np.unique(key, return_inverse=True)
        row_level = row_level.reshape(-1)
        level_score_code = uniq // p_levels.size
        level_prob = p_levels[uniq % p_levels.size]
    k = level_score_code.size
    y = outcome.astype(np.int64)
    flat = np.bincount((stratum * k + row_level) * 2 + y, minlength=n_strata * k * 2)
    counts = flat.reshape(n_strata, k, 2).astype(float)
    starts = np.flatnonzero(np.r_[True, level_score_code[1:] != level_score_code[:-1]])
    return LevelTable(
        counts=counts,
        score=s_levels[level_score_code],
        flagged=flag_of_score[level_score_code],
        prob=level_prob,
        score_starts=starts,
        row_level=row_level,
    )


def chunk_size(n_cells: int, n_replicates: int) -> int:
    """Replicates per chunk so that a chunk holds at most :data:`CHUNK_ENTRIES` table entries."""
    return int(max(1, min(n_replicates, CHUNK_ENTRIES // max(n_cells, 1))))


def jackknife_tables(counts: np.ndarray) -> tuple[Iterator[np.ndarray], np.ndarray]:
    """Leave-one-out tables for the jackknife, one per non-empty cell, with the cell counts as
    weights: deleting any one of the ``c`` rows of a cell gives the same table, so the n
    jackknife values take at most (number of non-empty cells) distinct values."""
    flat = counts.ravel()
    nz = np.flatnonzero(flat)
    weights = flat[nz]
    step = chunk_size(flat.size, nz.size)

    def gen() -> Iterator[np.ndarray]:
        for start in range(0, nz.size, step):
            cells = nz[start : start + step]
            block = np.broadcast_to(flat, (cells.size, flat.size)).copy()
            block[np.arange(cells.size), cells] -= 1.0
            yield block.reshape((cells.size, *counts.shape))

    return gen(), weights
