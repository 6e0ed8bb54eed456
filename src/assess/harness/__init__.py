"""Validation harness: suites as data, runs, checks and their reports.

A *suite* (YAML under ``validation/``) names instruments, a cohort (synthetic scenario, data file
or real dataset), an outcome, groups, metrics, bootstrap settings, comparisons and pass/fail
checks. :func:`run_suite` scores every instrument once, computes the metrics
(:mod:`assess.metrics`), subgroup fairness (:func:`assess.fairness.fairness_report`) and the
additionality comparisons (:func:`assess.additionality.compare`), evaluates the checks and fills
a :class:`~assess.report.bundle.ReportBundle`; :func:`write_outputs` writes ``results.csv``,
``results.json``, ``summary.md``, JUnit XML and ``report.html``.

>>> from assess.harness import load_suite, run_suite, write_outputs
>>> run = run_suite("academic-insight")                       # doctest: +SKIP
>>> run.passed, run.bundle.checks[["check", "passed"]]        # doctest: +SKIP
>>> write_outputs(run, "validation-output/academic-insight")  # doctest: +SKIP
"""

from .checks import evaluate_checks
from .cohort import Cohort, build_cohort
from .junit import junit_xml, write_junit
from .loader import (
    LoadedSuite,
    ResolvedInstrument,
    SuiteError,
    list_suites,
    load_suite,
    load_suite_text,
)
from .models import Check, Suite
from .outputs import results_json, write_outputs
from .runner import RESULT_COLUMNS, ValidationRun, run_suite
from .summary import summary_markdown

__all__ = [
    "RESULT_COLUMNS",
    "Check",
    "Cohort",
    "LoadedSuite",
    "ResolvedInstrument",
    "Suite",
    "SuiteError",
    "ValidationRun",
    "build_cohort",
    "evaluate_checks",
    "junit_xml",
    "list_suites",
    "load_suite",
    "load_suite_text",
    "results_json",
    "run_suite",
    "summary_markdown",
    "write_junit",
    "write_outputs",
]
