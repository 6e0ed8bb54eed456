"""Subgroup fairness of risk-assessment instruments.

:func:`fairness_report` is the entry point for one instrument: metrics by group and by
intersection of groups (discrimination, calibration, error rates at a cut-off, cross-group
ranking, survival), with bootstrap intervals, comparisons between groups (fairlearn
``MetricFrame`` conventions: ``by_group``, ``overall``, ``difference()``, ``ratio()``,
``group_min()``, ``group_max()``) and small-cell suppression. :func:`logistic_dif` finds the
items that function differently across groups; :func:`xauc` gives cross-group AUCs.

>>> from assess.fairness import fairness_report
>>> rep = fairness_report(df, score="risk_total", outcome="reoffended",
...                       groups=["sex", "ethnicity"], cutoff=20, seed=1)   # doctest: +SKIP
>>> print(rep)                          # readable tables                      # doctest: +SKIP
>>> rep.to_frames()["by_group"]         # tidy DataFrames                      # doctest: +SKIP
"""

from __future__ import annotations

from .dif import DIFResult, adjust_pvalues, logistic_dif
from .frame import GroupMetricFrame
from .report import FairnessReport, fairness_report
from .xauc import xauc

__all__ = [
    "DIFResult",
    "FairnessReport",
    "GroupMetricFrame",
    "adjust_pvalues",
    "fairness_report",
    "logistic_dif",
    "xauc",
]
