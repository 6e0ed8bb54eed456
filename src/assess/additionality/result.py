"""The result of :func:`assess.additionality.compare`: :class:`ComparisonResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CRITERIA_COLUMNS", "TIDY_COLUMNS", "DECISION_CURVE_COLUMNS", "ComparisonResult"]

#: Columns of :attr:`ComparisonResult.criteria` (the report bundle's "additionality" frame).
CRITERIA_COLUMNS = (
    "comparison", "base", "integrated", "criterion", "base_value", "integrated_value",
    "difference", "lower", "upper", "p_value", "verdict", "method",
)
#: Columns of :meth:`ComparisonResult.to_frame`.
TIDY_COLUMNS = (
    "metric", "instrument", "group", "horizon", "estimate", "lower", "upper", "n", "events", "status", "reason",
)
#: Columns of :attr:`ComparisonResult.decision_curve`.
DECISION_CURVE_COLUMNS = ("model", "threshold", "net_benefit", "lower", "upper")


def _plain(x: Any) -> Any:
    """JSON-able scalar: NaN -> None, numpy scalars -> Python."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _num(x: Any, digits: int = 4) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "" if x is None else str(x)
    if math.isnan(f):
        return "-"
    return f"{f:.{digits}f}"


def _p(x: Any) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(f):
        return "-"
    return "<0.0001" if f < 1e-4 else f"{f:.4f}"


@dataclass(frozen=True)
class ComparisonResult:
    """Base instrument A against integrated instrument B on the same people.

    Attributes
    ----------
    comparison, verdict:
        The comparison's name and the overall verdict (``additive``, ``non-inferior``,
        ``dilutes`` or ``inconclusive``), taken from the primary discrimination criterion.
    criteria:
        One row per criterion plus ``criterion == "overall"``, columns :data:`CRITERIA_COLUMNS`.
    decision_curve:
        Net benefit by threshold probability for ``base``, ``integrated``, ``treat all`` and
        ``treat none`` (columns :data:`DECISION_CURVE_COLUMNS`; empty when not computed).
    settings:
        Everything needed to reproduce the numbers (margin, seed, n_boot, horizon, scores,
        probabilities, groups, people analysed and excluded with reasons).
    base, integrated:
        Identity of each instrument: ``id``, ``version``, ``spec_hash``, ``score``.
    tidy:
        The long frame returned by :meth:`to_frame`.
    notes:
        Plain-language remarks (exclusions, in-sample recalibration, suppressed groups, ...).
    timings:
        Seconds spent per step (scoring, each criterion, the shared bootstrap draws); not part
        of :meth:`to_dict` (it varies from run to run).
    """

    comparison: str
    verdict: str
    criteria: pd.DataFrame
    decision_curve: pd.DataFrame
    settings: dict[str, Any]
    base: dict[str, Any]
    integrated: dict[str, Any]
    tidy: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: one row per (metric, instrument, group) with ``instrument`` the base
        id, the integrated id or ``"difference"`` (B - A); columns :data:`TIDY_COLUMNS`."""
        return self.tidy.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: verdict, criteria rows, settings and both instruments' spec hashes."""
        crit = [{k: _plain(v) for k, v in row.items()} for row in self.criteria.to_dict(orient="records")]
        return {
            "comparison": self.comparison,
            "verdict": self.verdict,
            "base": {k: _plain(v) for k, v in self.base.items()},
            "integrated": {k: _plain(v) for k, v in self.integrated.items()},
            "criteria": crit,
            "settings": _jsonable(self.settings),
            "notes": list(self.notes),
        }

    def summary_frame(self) -> pd.DataFrame:
        """The criteria formatted for reading (strings), as printed."""
        c = self.criteria
        level = self.settings.get("confidence_level", 0.95)
        return pd.DataFrame(
            {
                "criterion": c["criterion"],
                "base": c["base_value"].map(_num),
                "integrated": c["integrated_value"].map(_num),
                "B - A": c["difference"].map(_num),
                f"{level:.0%} CI": [
                    "" if (math.isnan(lo) or math.isnan(hi)) else f"{lo:.4f} to {hi:.4f}"
                    for lo, hi in zip(c["lower"].astype(float), c["upper"].astype(float), strict=True)
                ],
                "p": c["p_value"].map(_p),
                "verdict": c["verdict"],
            }
        )

    def __str__(self) -> str:
        s = self.settings
        lines = [
            f"<assess.compare: {self.comparison}>",
            f"  base (A):       {self.base['id']} {self.base['version']}  score {self.base['score']!r}",
            f"  integrated (B): {self.integrated['id']} {self.integrated['version']}  score {self.integrated['score']!r}",
            f"  outcome: {s.get('outcome_description', '')}",
            f"  people analysed: {s.get('n_analysed')} of {s.get('n_rows')}; margin {s.get('margin')}; "
            f"n_boot {s.get('n_boot')}; seed {s.get('seed')}",
            "",
            self.summary_frame().to_string(index=False),
            "",
            f"Overall verdict: {self.verdict.upper()}  ({s.get('overall_rule', '')})",
        ]
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  - {n}" for n in self.notes)
        lines.append("Methods: see .criteria['method']; tidy numbers: .to_frame()")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ComparisonResult {self.comparison!r}: {self.verdict}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebooks
        return f"<p><b>{self.comparison}</b>: overall verdict <b>{self.verdict}</b></p>" + self.summary_frame().to_html(index=False)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    return _plain(x)
