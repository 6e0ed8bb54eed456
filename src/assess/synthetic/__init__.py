"""Synthetic cohorts with known ground truth.

A *scenario* (YAML under ``synthetic_data/``; format in ``synthetic_data/README.md``) declares a
population with groups, latent criminogenic risk and desistance strengths, an item response
model for every item of the instruments it names (with missing responses and measurement bias),
and a proportional-hazards outcome with censoring. :func:`simulate` draws a cohort from it with
the truth attached (``truth_*`` columns), so every statistic of the validation harness can be
checked against the value it should find.

>>> from assess.synthetic import simulate, list_scenarios
>>> "strengths-additive" in list_scenarios()
True
>>> cohort = simulate("strengths-additive", n=2000, seed=7)
>>> {"person_id", "time", "event", "truth_lp", "truth_p_2y"} <= set(cohort.columns)
True
"""

from .generate import CompiledScenario, compile_scenario, simulate, write_cohort
from .loading import (
    ENV_VAR,
    ScenarioError,
    UnknownScenarioError,
    builtin_scenario_dir,
    list_scenarios,
    load_scenario,
    load_scenario_text,
    scenario_dirs,
)
from .scenario import Scenario

__all__ = [
    "ENV_VAR",
    "CompiledScenario",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "builtin_scenario_dir",
    "compile_scenario",
    "list_scenarios",
    "load_scenario",
    "load_scenario_text",
    "scenario_dirs",
    "simulate",
    "write_cohort",
]
