"""Pydantic models of a validation suite (YAML under ``validation/``).

A suite says which instruments to validate, on which cohort, against which outcome, with which
metrics, groups, bootstrap settings and comparisons, and which checks must hold. The file format
is documented field by field below and in ``validation/academic-insight.yaml``.

Field validation happens here; cross-references (an instrument a comparison names, a metric a
check asks for...) are checked by :mod:`assess.harness.loader`, which knows where each value
sits in the file.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CHECK_THRESHOLDS",
    "METRIC_KINDS",
    "METRIC_NAMES",
    "VERDICTS",
    "BootstrapSettings",
    "Check",
    "CohortSpec",
    "ComparisonSpec",
    "FactorTerm",
    "FitSpec",
    "GroupSettings",
    "InstrumentEntry",
    "OutcomeSpec",
    "Suite",
]

SUITE_NAME = r"^[a-z0-9][a-z0-9_-]*$"

#: Metric kinds a suite can ask for, and the result ``metric`` names each produces.
METRIC_KINDS: dict[str, tuple[str, ...]] = {
    "auc": ("auc",),
    "harrell_c": ("harrell_c",),
    "uno_c": ("uno_c",),
    "time_auc": ("time_auc", "mean_time_auc"),
    "calibration": (
        "observed_expected_ratio", "calibration_in_the_large", "calibration_slope",
        "ici", "e50", "e90", "emax", "observed_risk",
    ),
    "brier": ("brier", "scaled_brier"),
    "ipcw_brier": ("ipcw_brier", "ipa", "integrated_brier"),
    "km_by_band": ("km_survival", "logrank_chisq"),
    "km_by_group": ("km_survival", "logrank_chisq"),
    "cox": ("cox_hr_per_sd", "cox_hr_band"),
    "fairness": (
        "base_rate", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv",
        "expected_rate", "oe_ratio", "observed_minus_expected", "c_index",
        "ipcw_cumulative_incidence", "ipcw_selection_rate", "ipcw_tpr", "ipcw_fpr", "ipcw_fnr",
        "ipcw_tnr", "ipcw_ppv", "ipcw_npv",
    ),
}

#: Every result metric name a check may ask for (instrument checks).
METRIC_NAMES: tuple[str, ...] = tuple(dict.fromkeys(m for ms in METRIC_KINDS.values() for m in ms))

#: Metric kinds that need follow-up times (a time-to-event outcome).
SURVIVAL_KINDS = frozenset({"harrell_c", "uno_c", "time_auc", "ipcw_brier", "km_by_band", "km_by_group", "cox"})

VERDICTS = ("additive", "non-inferior", "dilutes", "inconclusive")

#: Threshold fields of a check: exactly one is given.
CHECK_THRESHOLDS = (
    "lower_ci_at_least",
    "estimate_at_least",
    "estimate_at_most",
    "estimate_between",
    "upper_ci_at_most",
    "verdict_not",
    "verdict_in",
    "max_ratio_at_most",
    "max_gap_at_most",
)

Verdict = Literal["additive", "non-inferior", "dilutes", "inconclusive"]
MetricKind = Literal[
    "auc", "harrell_c", "uno_c", "time_auc", "calibration", "brier", "ipcw_brier", "km_by_band",
    "km_by_group", "cox", "fairness",
]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class InstrumentEntry(_Model):
    """An instrument to validate, with the outputs the metrics use.

    ``source`` is a built-in id (``rnr-general``, ``rnr-general@1.0.0``) or a path to a spec file
    (relative paths are relative to the suite file). ``score`` is the output column ranked by the
    discrimination metrics (default: the scale or output the primary band is on); ``model`` the
    logistic or survival model whose ``<model>_p_<horizon label>`` columns are the predicted
    probabilities (default: the first model with horizons); ``band`` the band set for
    Kaplan-Meier and Cox by band (default: the primary band); ``cutoff``: people with
    ``score >= cutoff`` are flagged for the fairness error rates (default: the lower edge of the
    band in the upper half of the band set, e.g. "High" of Low/Medium/High/Very high).
    ``probability`` (binary outcomes only) is the output column of predicted probabilities
    (default: the model's last horizon).
    """

    source: str = Field(min_length=1)
    score: str | None = None
    model: str | None = None
    band: str | None = None
    probability: str | None = None
    cutoff: Finite | None = None


class CohortSpec(_Model):
    """Who is assessed: a synthetic scenario, a data file, or a named real dataset.

    * ``scenario`` (name or path), ``n`` (default: the scenario's size) and ``seed``;
    * ``file`` (CSV or Parquet; relative to the suite file), ``columns`` (mapping from the name
      the suite and instruments use to the column in the file, e.g. ``{time: days_free}``) and an
      optional ``sha256`` the file must match;
    * ``dataset`` (a name known to :func:`assess.datasets.load_dataset`) and an optional
      ``path`` to the data file, plus ``columns`` as for a file.
    """

    scenario: str | None = None
    n: Annotated[int, Field(gt=0)] | None = None
    seed: int = 0
    file: str | None = None
    dataset: str | None = None
    path: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CohortSpec:
        given = [k for k in ("scenario", "file", "dataset") if getattr(self, k) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(repr(g) for g in given)
            raise ValueError(
                f"cohort needs exactly one of 'scenario', 'file' or 'dataset' (got {what})"
            )
        if self.scenario is None and self.n is not None:
            raise ValueError("n (cohort size) only applies to a synthetic 'scenario'")
        if self.dataset is None and self.path is not None:
            raise ValueError("path only applies to a 'dataset'; use 'file' for a data file")
        if self.file is None and self.sha256 is not None:
            raise ValueError("sha256 only applies to a 'file' cohort")
        return self


class OutcomeSpec(_Model):
    """The outcome: follow-up ``time`` and ``event`` columns with ``horizons`` (in the
    instruments' time unit), or one 0/1 ``binary`` column (e.g. reconvicted within two years)."""

    time: str | None = None
    event: str | None = None
    horizons: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(default_factory=list)
    binary: str | None = None

    @model_validator(mode="after")
    def _kind(self) -> OutcomeSpec:
        if self.binary is not None:
            if self.time is not None or self.event is not None or self.horizons:
                raise ValueError("give either 'binary' or 'time' + 'event' + 'horizons', not both")
            return self
        if self.time is None or self.event is None:
            raise ValueError("outcome needs 'time' and 'event' columns, or a 'binary' column")
        if not self.horizons:
            raise ValueError("horizons: give at least one horizon (e.g. [1, 2] years)")
        if len(set(self.horizons)) != len(self.horizons):
            raise ValueError("horizons: each horizon may be given once")
        return self

    @property
    def is_survival(self) -> bool:
        return self.binary is None


class GroupSettings(_Model):
    """Groups for fairness: ``columns`` (e.g. ``[sex, ethnicity]``), whether to also report
    their ``intersections``, ``reference`` groups (grouping -> label; default the largest
    group), small-cell suppression (``min_group_size``, ``min_events``) and the ``horizon`` of
    the binary outcome the error rates use (default: the last horizon). With follow-up times,
    ``survival: true`` (default) adds Harrell's C by group, IPCW error rates at the horizon and
    Kaplan-Meier by band per group (the costly part of the fairness bootstrap at large n)."""

    columns: list[str] = Field(default_factory=list)
    intersections: bool = True
    survival: bool = True
    reference: dict[str, str] = Field(default_factory=dict)
    min_group_size: Annotated[int, Field(ge=0)] = 30
    min_events: Annotated[int, Field(ge=0)] = 5
    horizon: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"columns": data} if isinstance(data, list) else data


class BootstrapSettings(_Model):
    """Resampling for intervals that have no closed form: replicates, seed, interval method
    (``percentile`` or ``bca``), threads and confidence level."""

    n_boot: Annotated[int, Field(ge=0)] = 1000
    seed: int = 0
    ci_method: Literal["percentile", "bca"] = "percentile"
    n_jobs: Annotated[int, Field(ge=1)] = 1
    confidence_level: Annotated[float, Field(gt=0, lt=1)] = 0.95

    @field_validator("n_boot")
    @classmethod
    def _not_one(cls, v: int) -> int:
        if v == 1:
            raise ValueError("n_boot must be 0 (no bootstrap intervals) or at least 2")
        return v


class ComparisonSpec(_Model):
    """Additionality of an integrated instrument over a base instrument, on the same people
    (:func:`assess.additionality.compare`): ``margin`` is the non-inferiority margin in C/AUC,
    ``horizon`` the horizon of the calibration and decision-curve criteria (default: last)."""

    name: Annotated[str, Field(pattern=SUITE_NAME, max_length=64)]
    base: str = Field(min_length=1)
    integrated: str = Field(min_length=1)
    margin: Annotated[float, Field(gt=0, lt=1)] = 0.01
    groups: list[str] | None = None
    horizon: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class FactorTerm(_Model):
    """A categorical covariate of a fitted model: one 0/1 term per level other than
    ``reference``, named ``<name><level>`` as R names factor terms (``name`` defaults to the
    column), levels in sorted order."""

    column: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    name: str | None = None


class FitSpec(_Model):
    """A regression fitted on the cohort, to reproduce a published model (real-data suites).

    * ``type: cox``: Cox proportional hazards of the suite's (time, event) on ``covariates``
      (Efron ties, as R ``coxph``). Results: ``cox_coef:<term>``, ``cox_se:<term>``,
      ``cox_hazard_ratio:<term>``, ``cox_hazard_ratio_se:<term>`` (exp(coef) * se, as Stata
      prints it), ``cox_loglik``, ``cox_loglik_null``, ``cox_lr_statistic`` and ``harrell_c`` of
      the fitted linear predictor (in-sample).
    * ``type: logistic``: logistic regression (with intercept) of a 0/1 outcome on
      ``covariates``: the cohort column ``outcome`` (default: the suite's binary outcome or
      event), or ``outcome_flagged: <instrument id>`` (1 when that instrument's score is at or
      above its fairness cut-off, e.g. COMPAS Medium or High). Results: ``logistic_coef:<term>``,
      ``logistic_se:<term>`` (``(Intercept)`` included), ``logistic_null_deviance``,
      ``logistic_residual_deviance`` and ``logistic_aic``, as R ``glm`` prints them.

    A covariate is a numeric cohort column (the term is its name) or a :class:`FactorTerm`.
    The results' ``instrument`` is ``name`` (default ``"<type>:<covariates joined by +>"``, the
    convention of the datasets' published tables).
    """

    type: Literal["cox", "logistic"]
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    covariates: list[str | FactorTerm] = Field(min_length=1)
    outcome: str | None = None
    outcome_flagged: str | None = None

    @model_validator(mode="after")
    def _outcome(self) -> FitSpec:
        if self.type == "cox" and (self.outcome is not None or self.outcome_flagged is not None):
            raise ValueError("outcome / outcome_flagged only apply to a logistic fit (a Cox fit uses the suite's time and event)")
        if self.outcome is not None and self.outcome_flagged is not None:
            raise ValueError("give 'outcome' (a column) or 'outcome_flagged' (an instrument), not both")
        return self

    @property
    def label(self) -> str:
        """The results' ``instrument`` value for this fit."""
        if self.name:
            return self.name
        names = [c if isinstance(c, str) else c.column for c in self.covariates]
        return f"{self.type}:" + "+".join(names)


class Check(_Model):
    """A pass/fail gate on one number (or verdict) of the run.

    Select the number with ``metric`` and ``instrument`` (or ``comparison``), ``group``
    (default ``overall``; ``"sex=female"`` for a group) and ``horizon``. Give exactly one
    threshold:

    * ``lower_ci_at_least``, ``upper_ci_at_most``: on the confidence limits;
    * ``estimate_at_least``, ``estimate_at_most``, ``estimate_between: [a, b]``: on the estimate;
    * ``verdict_not``, ``verdict_in: [...]``: on a comparison's verdict (``metric`` = a
      criterion, default the overall verdict);
    * ``max_ratio_at_most`` (>= 1): the largest ratio between two groups' values
      (highest / lowest), ``max_gap_at_most``: highest minus lowest. For these ``group`` names
      a grouping (``sex``) or ``all`` (default: every grouping must pass).

    A number that is undefined or suppressed fails its check, with the reason.
    """

    name: str | None = None
    metric: str | None = None
    instrument: str | None = None
    comparison: str | None = None
    group: str | None = None
    horizon: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    lower_ci_at_least: Finite | None = None
    estimate_at_least: Finite | None = None
    estimate_at_most: Finite | None = None
    estimate_between: Annotated[list[Finite], Field(min_length=2, max_length=2)] | None = None
    upper_ci_at_most: Finite | None = None
    verdict_not: Verdict | None = None
    verdict_in: Annotated[list[Verdict], Field(min_length=1)] | None = None
    max_ratio_at_most: Finite | None = None
    max_gap_at_most: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _threshold(self) -> Check:
        given = [k for k in CHECK_THRESHOLDS if getattr(self, k) is not None]
        if len(given) != 1:
            what = "none" if not given else ", ".join(given)
            raise ValueError(
                f"a check needs exactly one threshold (got {what}); one of: {', '.join(CHECK_THRESHOLDS)}"
            )
        if self.instrument is not None and self.comparison is not None:
            raise ValueError("a check is on an 'instrument' or a 'comparison', not both")
        if self.estimate_between is not None:
            a, b = self.estimate_between
            if not a <= b:
                raise ValueError(f"estimate_between [{a:g}, {b:g}]: the lower bound is above the upper bound")
        if self.max_ratio_at_most is not None and not self.max_ratio_at_most >= 1:
            raise ValueError(
                f"max_ratio_at_most {self.max_ratio_at_most:g} can never pass: the ratio is highest / "
                "lowest group, so it is at least 1 (e.g. 1.25)"
            )
        verdict = self.verdict_not is not None or self.verdict_in is not None
        if verdict and self.comparison is None:
            raise ValueError("verdict checks need a 'comparison' (a comparison name from the suite)")
        if self.kind in ("max_ratio", "max_gap") and self.comparison is not None:
            raise ValueError("max_ratio_at_most / max_gap_at_most compare groups of one 'instrument'")
        if self.metric is None and not verdict:
            raise ValueError("missing required field 'metric' (which number to check)")
        return self

    @property
    def threshold_field(self) -> str:
        return next(k for k in CHECK_THRESHOLDS if getattr(self, k) is not None)

    @property
    def kind(self) -> str:
        """``lower_ci``, ``estimate``, ``upper_ci``, ``verdict``, ``max_ratio`` or ``max_gap``."""
        f = self.threshold_field
        if f.startswith("verdict"):
            return "verdict"
        if f.startswith("estimate"):
            return "estimate"
        return {"lower_ci_at_least": "lower_ci", "upper_ci_at_most": "upper_ci",
                "max_ratio_at_most": "max_ratio", "max_gap_at_most": "max_gap"}[f]

    def threshold_text(self) -> str:
        """The threshold in words, e.g. ``lower CI >= 0.65``."""
        f = self.threshold_field
        v = getattr(self, f)
        return {
            "lower_ci_at_least": lambda: f"lower CI >= {v:g}",
            "estimate_at_least": lambda: f"estimate >= {v:g}",
            "estimate_at_most": lambda: f"estimate <= {v:g}",
            "estimate_between": lambda: f"estimate in [{v[0]:g}, {v[1]:g}]",
            "upper_ci_at_most": lambda: f"upper CI <= {v:g}",
            "verdict_not": lambda: f"verdict is not {v}",
            "verdict_in": lambda: "verdict in " + ", ".join(v),
            "max_ratio_at_most": lambda: f"highest / lowest group <= {v:g}",
            "max_gap_at_most": lambda: f"highest - lowest group <= {v:g}",
        }[f]()

    def passes(self, value: float) -> bool:
        """Whether a number meets this check's numeric threshold (NaN never does)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        f = self.threshold_field
        v = getattr(self, f)
        if f in ("lower_ci_at_least", "estimate_at_least"):
            return value >= v
        if f in ("estimate_at_most", "upper_ci_at_most", "max_ratio_at_most", "max_gap_at_most"):
            return value <= v
        if f == "estimate_between":
            return v[0] <= value <= v[1]
        raise ValueError(f"{f} is not a numeric threshold")


class Suite(_Model):
    """A validation suite: everything ``assess validate`` needs, as data."""

    suite_version: Literal[1] = 1
    name: Annotated[str, Field(pattern=SUITE_NAME, max_length=64)]
    title: str = Field(min_length=1)
    description: str = ""
    instruments: list[str | InstrumentEntry] = Field(min_length=1)
    cohort: CohortSpec
    outcome: OutcomeSpec
    groups: GroupSettings = Field(default_factory=GroupSettings)
    metrics: list[MetricKind] = Field(default_factory=lambda: [k for k in METRIC_KINDS if k != "km_by_group"])
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    comparisons: list[ComparisonSpec] = Field(default_factory=list)
    fits: list[FitSpec] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    strict: bool = True

    @property
    def entries(self) -> list[InstrumentEntry]:
        """Instruments as :class:`InstrumentEntry` (a plain string is ``source``)."""
        return [e if isinstance(e, InstrumentEntry) else InstrumentEntry(source=e) for e in self.instruments]
