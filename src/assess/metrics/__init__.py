"""Metrics engine: discrimination, calibration and survival prediction, with intervals.

Every function takes arrays (or DataFrame columns) and returns a result object that prints
readably, holds ``estimate``, ``lower``, ``upper``, ``se`` where defined, ``n``, ``events`` and
the method, and turns into a tidy DataFrame with ``.to_frame()``.

* Discrimination: :func:`auc` (DeLong CI, Sun and Xu 2014), :func:`delong_test`,
  :func:`harrell_c`, :func:`uno_c`, :func:`cumulative_dynamic_auc`.
* Calibration: :func:`calibration`, :func:`survival_calibration`, :func:`calibration_slope`,
  :func:`calibration_in_the_large`, :func:`observed_expected_ratio`,
  :func:`integrated_calibration_index`, :func:`calibration_curve`.
* Prediction error: :func:`brier_score`, :func:`scaled_brier_score`, :func:`ipcw_brier_score`,
  :func:`integrated_brier_score`.
* Survival: :func:`kaplan_meier`, :func:`logrank_test`, :func:`cox`.
* Resampling and exact tables: :func:`bootstrap`, :class:`ScoreOutcomeTable`,
  :class:`SurvivalTable`.

Note: ``assess.metrics.calibration`` and ``assess.metrics.cox`` are the functions; the modules
of the same name are reachable with ``importlib.import_module("assess.metrics.calibration")``.
"""

from __future__ import annotations

from ._result import MetricResult, results_frame, undefined
from ._state import MetricState
from .auc import DeLongTest, auc, delong_test
from .bootstrap import BootstrapResult, attach_bootstrap, bootstrap, bootstrap_counts
from .brier import (
    BrierState,
    IPCWBrierResult,
    brier_score,
    integrated_brier_score,
    ipcw_brier_score,
    scaled_brier_score,
)
from .calibration import (
    CalibrationBinsState,
    CalibrationResult,
    SurvivalCalibrationResult,
    calibration,
    calibration_curve,
    calibration_in_the_large,
    calibration_slope,
    integrated_calibration_index,
    loess,
    observed_expected_ratio,
    survival_calibration,
)
from .concordance import harrell_c, uno_c
from .cox import CoxResult, ProportionalHazardsTest, band_dummies, cox, per_sd
from .decision_curve import DecisionCurveResult, decision_curve
from .reclassification import (
    ReclassificationResult,
    integrated_discrimination_improvement,
    net_reclassification_index,
)
from .survival import KaplanMeierResult, KaplanMeierState, LogrankResult, kaplan_meier, logrank_test
from .tables import ScoreOutcomeTable, SurvivalTable
from .time_dependent import TimeDependentAUC, cumulative_dynamic_auc

__all__ = [
    "BootstrapResult",
    "BrierState",
    "CalibrationBinsState",
    "CalibrationResult",
    "CoxResult",
    "DeLongTest",
    "DecisionCurveResult",
    "IPCWBrierResult",
    "KaplanMeierResult",
    "KaplanMeierState",
    "LogrankResult",
    "MetricResult",
    "MetricState",
    "ProportionalHazardsTest",
    "ReclassificationResult",
    "ScoreOutcomeTable",
    "SurvivalCalibrationResult",
    "SurvivalTable",
    "TimeDependentAUC",
    "attach_bootstrap",
    "auc",
    "band_dummies",
    "bootstrap",
    "bootstrap_counts",
    "brier_score",
    "calibration",
    "calibration_curve",
    "calibration_in_the_large",
    "calibration_slope",
    "cox",
    "cumulative_dynamic_auc",
    "decision_curve",
    "delong_test",
    "harrell_c",
    "integrated_brier_score",
    "integrated_calibration_index",
    "integrated_discrimination_improvement",
    "ipcw_brier_score",
    "kaplan_meier",
    "loess",
    "logrank_test",
    "net_reclassification_index",
    "observed_expected_ratio",
    "per_sd",
    "results_frame",
    "scaled_brier_score",
    "survival_calibration",
    "undefined",
    "uno_c",
]
