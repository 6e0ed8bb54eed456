"""Results of scoring: :class:`ScoreResult` and the outcome of embedded test vectors.

A :class:`ScoreResult` carries the score frame (one row per input row, same index and order),
a problems table (one row per reason given for a row's status) and the identity of the rules
used (instrument id, version and spec hash), so a number in a report can be traced back to the
exact spec that produced it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Mismatch", "ScoreResult", "TestVectorResult", "STATUS_LABELS"]

#: Row statuses, from best to worst.
STATUS_LABELS = ("ok", "prorated", "invalid")


@dataclass(frozen=True)
class Mismatch:
    """One expected output of a test vector that the engine did not reproduce."""

    column: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.column}: expected {self.expected!r}, got {self.actual!r}"


@dataclass(frozen=True)
class TestVectorResult:
    """Outcome of one embedded test vector (``passed`` is true when every expectation held)."""

    __test__ = False  # not a pytest class

    name: str
    passed: bool
    mismatches: list[Mismatch] = field(default_factory=list)

    def __str__(self) -> str:
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name}: " + "; ".join(str(m) for m in self.mismatches)


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of a cohort under one instrument.

    Attributes
    ----------
    frame:
        One row per input row (same index, same order): the ``keep`` columns, then
        ``InstrumentSpec.output_columns()`` (item points, scales and their missing counts,
        derived variables, model outputs, band columns as ordered Categoricals, ``band``,
        ``n_missing``, ``status`` and ``reason``).
    problems:
        (property, built on first access) one row per reason given (columns ``row`` = index label, ``position`` = 0-based row
        number, ``item`` = the item, scale, derived variable or model concerned, ``value`` = the
        offending input value where there is one, ``message``, ``status`` = the status it
        implies: ``invalid`` or ``prorated``), ordered by row.
    instrument_id, version, spec_hash:
        Identity of the rules used.
    """

    frame: pd.DataFrame
    problems_source: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False)
    instrument_id: str = ""
    version: str = ""
    spec_hash: str = ""
    scale_ids: tuple[str, ...] = ()
    band_ids: tuple[str, ...] = ()

    @property
    def problems(self) -> pd.DataFrame:
        """The problems table (built on first access, then cached)."""
        src = self.problems_source
        if callable(src):
            src = src()
            object.__setattr__(self, "problems_source", src)
        return src

    def __len__(self) -> int:
        return len(self.frame)

    def status_counts(self) -> pd.Series:
        """Number of rows per status (ok, prorated, invalid; zeros included)."""
        counts = self.frame["status"].value_counts()
        return pd.Series(
            [int(counts.get(s, 0)) for s in STATUS_LABELS], index=list(STATUS_LABELS), name="rows"
        )

    def summary(self) -> pd.DataFrame:
        """Tidy summary: rows, counts by status, band distributions, mean/sd of each scale.

        Columns ``section``, ``name``, ``statistic``, ``value``. Scale means and SDs are over rows
        with a score (``n`` gives how many); the SD uses ``ddof=1``.
        """
        rows: list[tuple[str, str, str, float]] = [("rows", "", "n", float(len(self.frame)))]
        for status, count in self.status_counts().items():
            rows.append(("status", str(status), "n", float(count)))
        for band_id in self.band_ids:
            col = self.frame[band_id]
            counts = col.value_counts(sort=False)
            for label in col.cat.categories:
                rows.append((f"band {band_id}", str(label), "n", float(counts.get(label, 0))))
            rows.append((f"band {band_id}", "(no band)", "n", float(col.isna().sum())))
        for scale_id in self.scale_ids:
            values = self.frame[scale_id].to_numpy(dtype=np.float64)
            ok = values[~np.isnan(values)]
            rows.append(("scale", scale_id, "n", float(ok.size)))
            rows.append(("scale", scale_id, "mean", float(ok.mean()) if ok.size else math.nan))
            rows.append(
                ("scale", scale_id, "sd", float(ok.std(ddof=1)) if ok.size > 1 else math.nan)
            )
        return pd.DataFrame(rows, columns=["section", "name", "statistic", "value"])

    def __repr__(self) -> str:
        counts = self.status_counts()
        return (
            f"ScoreResult(instrument='{self.instrument_id}' {self.version}, rows={len(self.frame)}: "
            f"{counts['ok']} ok, {counts['prorated']} prorated, {counts['invalid']} invalid; "
            f"spec_hash={self.spec_hash[:12]})"
        )

    def __str__(self) -> str:
        summary = self.summary()
        lines = [repr(self)]
        for section, part in summary.groupby("section", sort=False):
            if section == "rows":
                continue
            lines.append(f"  {section}:")
            if section == "scale":
                wide = part.pivot(index="name", columns="statistic", values="value").reindex(
                    index=list(dict.fromkeys(part["name"])), columns=["n", "mean", "sd"]
                )
                for name, r in wide.iterrows():
                    lines.append(
                        f"    {name:<28} n={int(r['n']):<8d} mean={r['mean']:.3f} sd={r['sd']:.3f}"
                    )
            else:
                for _, r in part.iterrows():
                    lines.append(f"    {r['name']:<28} {int(r['value'])}")
        if len(self.problems):
            lines.append(f"  problems: {len(self.problems)} (see .problems)")
        return "\n".join(lines)
