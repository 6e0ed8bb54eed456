"""What a validation run hands to its reports: :class:`ReportBundle`.

The harness (:mod:`assess.harness`) computes everything; the reports (``summary.md``,
``report.html``, JUnit XML) only lay it out. The bundle is the contract between the two: a set of
tidy DataFrames with the columns listed below (extra columns are allowed and ignored), plus the
run's provenance. A frame that a run did not produce (for example, survival curves for a binary
outcome) is an empty DataFrame with the documented columns, never ``None``.

Every ``instrument`` value is an instrument id (``rnr-general``); every ``comparison`` value is a
comparison name from the suite (``strengths-integration``). ``group`` is ``"overall"`` for the
whole cohort, else ``"<grouping>=<value>"`` (``"sex=female"``; intersections join with ``" & "``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

#: Required columns of each frame of a :class:`ReportBundle`.
BUNDLE_COLUMNS: dict[str, tuple[str, ...]] = {
    # one row per (suite, instrument or comparison, metric, group, horizon): the tidy results.
    # status: "ok" | "undefined" | "suppressed"; reason says why when not ok.
    "results": (
        "suite", "instrument", "cohort", "metric", "group", "horizon",
        "estimate", "lower", "upper", "n", "events", "status", "reason",
    ),
    # one row per check. passed: bool; observed: the number the threshold was applied to
    # (or the verdict text for verdict checks); message: one sentence for a human.
    "checks": ("check", "instrument", "metric", "group", "observed", "threshold", "passed", "message"),
    # ROC curve points per instrument and group (score column named in 'score').
    "roc": ("instrument", "score", "group", "fpr", "tpr"),
    # calibration curves (binned): predicted vs observed with Wilson / KM intervals.
    "calibration_curves": (
        "instrument", "group", "horizon", "bin", "predicted", "observed", "lower", "upper", "n",
    ),
    # Kaplan-Meier step functions by band: one row per step.
    "survival_curves": ("instrument", "band", "time", "survival", "lower", "upper", "at_risk"),
    # decision curves: model is "base", "integrated", "treat all" or "treat none".
    "decision_curves": ("comparison", "model", "threshold", "net_benefit", "lower", "upper"),
    # fairness gaps: a group's metric minus the reference group's (or max - min), with CI.
    "fairness_gaps": (
        "instrument", "metric", "group", "versus", "comparison", "estimate", "lower", "upper", "status",
    ),
    # additionality: one row per criterion per comparison, plus one row with criterion "overall".
    # verdict: "additive" | "non-inferior" | "dilutes" | "inconclusive".
    "additionality": (
        "comparison", "base", "integrated", "criterion", "base_value", "integrated_value",
        "difference", "lower", "upper", "p_value", "verdict", "method",
    ),
    # real-data suites: a published figure next to the computed one (matched on instrument, metric,
    # group, horizon). source: the citation (table/page) of the published figure.
    "published": (
        "instrument", "metric", "group", "horizon", "published", "computed", "difference", "source",
    ),
}


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the documented columns of bundle frame ``name``."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BUNDLE_COLUMNS[name]})


def _empty(name: str):
    return field(default_factory=lambda: empty_frame(name))


@dataclass
class ReportBundle:
    """Everything a report shows about one validation run.

    Attributes
    ----------
    suite, title, description:
        Suite name (file stem), a title for headings, and the suite's free-text description.
    provenance:
        JSON-able mapping: package and dependency versions, seeds, spec content hashes, data file
        hash, cohort description, start time and duration.
    results, checks, roc, calibration_curves, survival_curves, decision_curves, fairness_gaps,
    additionality, published:
        Tidy frames with the columns in :data:`BUNDLE_COLUMNS`.
    notes:
        Plain-language paragraphs to show (for example, the base-rate explanation of why
        calibration within groups and equal error rates cannot both hold).
    """

    suite: str
    title: str
    description: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    results: pd.DataFrame = _empty("results")
    checks: pd.DataFrame = _empty("checks")
    roc: pd.DataFrame = _empty("roc")
    calibration_curves: pd.DataFrame = _empty("calibration_curves")
    survival_curves: pd.DataFrame = _empty("survival_curves")
    decision_curves: pd.DataFrame = _empty("decision_curves")
    fairness_gaps: pd.DataFrame = _empty("fairness_gaps")
    additionality: pd.DataFrame = _empty("additionality")
    published: pd.DataFrame = _empty("published")
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.check_columns()

    def check_columns(self) -> None:
        """Raise ``ValueError`` naming the frame and the columns it lacks."""
        problems = []
        for f in fields(self):
            if f.name not in BUNDLE_COLUMNS:
                continue
            frame = getattr(self, f.name)
            if not isinstance(frame, pd.DataFrame):
                problems.append(f"{f.name}: expected a DataFrame, got {type(frame).__name__}")
                continue
            missing = [c for c in BUNDLE_COLUMNS[f.name] if c not in frame.columns]
            if missing:
                problems.append(f"{f.name}: missing column(s) {', '.join(missing)}")
        if problems:
            raise ValueError("report bundle is incomplete: " + "; ".join(problems))

    @property
    def passed(self) -> bool:
        """True when every check passed: each ``passed`` value is exactly ``True``.

        A missing or non-boolean value (``None``, ``NaN``, the text ``"False"``) counts as not
        passed, so a check that could not be evaluated never passes silently.
        """
        return all(isinstance(v, bool | np.bool_) and bool(v) for v in self.checks["passed"])
