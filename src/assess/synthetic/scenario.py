"""Pydantic models of a synthetic-cohort scenario: the single source of truth for its format.

A scenario is data (a YAML file under ``synthetic_data/``) declaring how a cohort with *known
ground truth* is generated:

1. **population**: group variables (sex, ethnicity, age band...) with proportions, independent
   by default or from a joint table;
2. **latents**: latent constructs (criminogenic ``risk``, desistance ``strengths``...) drawn from
   a multivariate normal with group-specific means and spreads and a common correlation;
3. **items**: an item response model for every item of the instruments the scenario names
   (graded response model for ordinal items, 2PL for binary, Poisson / negative binomial for
   counts, truncated normal for numbers, multinomial logit or fixed proportions for categories);
4. **missing**: missing responses, completely at random or depending on latents and groups;
5. **dif**: measurement bias, a group-specific shift in an item's response model at equal latent;
6. **outcome**: time to first reoffence from a proportional-hazards model with a Weibull baseline,
   administrative and random censoring, an optional competing event and severity.

Field validation happens here; checks that need the instruments (does the item exist, does the
level exist...) happen when the scenario is compiled (:mod:`assess.synthetic.generate`). Every
problem carries the path of the offending field so the loader can point at the file line.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from assess.spec.models import IDENTIFIER, INSTRUMENT_ID, format_path

__all__ = [
    "CompetingEvent",
    "Correlation",
    "Dif",
    "Effects",
    "FollowUpRange",
    "GroupShift",
    "HorizonSpec",
    "ItemModel",
    "ItemModels",
    "JointCell",
    "Latent",
    "LossToFollowUp",
    "Missing",
    "MissingModel",
    "NumberGroupSetting",
    "Outcome",
    "Population",
    "RESERVED_COLUMNS",
    "Scenario",
    "ScenarioReferenceError",
    "Severity",
    "Weibull",
]

Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]
LevelName = Annotated[str, Field(min_length=1, max_length=64)]
Path = tuple[str | int, ...]

RESERVED_COLUMNS = frozenset({"person_id", "time", "event", "event_type", "severity"})
"""Output column names that groups and latents may not take (``truth_*`` is reserved too)."""

PROPORTION_TOLERANCE = 1e-6
"""Proportions must sum to 1 within this tolerance."""


class ScenarioReferenceError(ValueError):
    """Cross-reference problems in a scenario, each with the path of the field at fault."""

    def __init__(self, problems: list[tuple[Path, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{format_path(p)}: {m}" for p, m in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------- population


class JointCell(_Model):
    """One cell of a joint distribution of groups: a level for each named group and its share."""

    levels: dict[Identifier, LevelName] = Field(min_length=1)
    proportion: float = Field(ge=0, le=1)


class Population(_Model):
    """Cohort size and group variables.

    ``groups`` maps each group variable to its levels: either ``{level: proportion}`` (drawn
    independently of the other groups) or a list of levels whose proportions come from
    ``joint``. ``joint`` gives the proportions of combinations of levels of some groups (all
    cells name the same groups; combinations not listed have proportion 0); proportions given in
    ``groups`` for those groups must then equal the joint table's margins.
    """

    size: int = Field(default=10_000, ge=1, le=100_000_000, description="Default cohort size.")
    groups: dict[Identifier, dict[LevelName, float] | list[LevelName]] = Field(default_factory=dict)
    joint: list[JointCell] | None = None

    def levels(self, group: str) -> list[str]:
        """Level names of a group, in declared order."""
        spec = self.groups[group]
        return list(spec) if isinstance(spec, dict) else list(spec)

    @model_validator(mode="after")
    def _check(self) -> Population:
        problems: list[tuple[Path, str]] = []
        joint_groups: list[str] = []
        if self.joint:
            joint_groups = list(self.joint[0].levels)
        for g, spec in self.groups.items():
            if isinstance(spec, list):
                if len(spec) < 1:
                    problems.append((("groups", g), "a group needs at least one level"))
                if len(set(spec)) != len(spec):
                    problems.append((("groups", g), f"levels are repeated: {spec}"))
                if g not in joint_groups:
                    problems.append(
                        (
                            ("groups", g),
                            "levels without proportions are only allowed for groups in the 'joint' "
                            f"table; give proportions, e.g. {{{', '.join(f'{lv}: ...' for lv in spec[:3])}}}",
                        )
                    )
                continue
            if len(spec) < 1:
                problems.append((("groups", g), "a group needs at least one level"))
                continue
            for lv, p in spec.items():
                if not (0 <= p <= 1) or math.isnan(p):
                    problems.append(
                        (("groups", g, lv), f"a proportion must be between 0 and 1, got {p:g}")
                    )
            total = sum(spec.values())
            if abs(total - 1) > PROPORTION_TOLERANCE:
                problems.append((("groups", g), f"proportions must sum to 1, got {total:.6g}"))
        if self.joint:
            problems += list(self._joint_problems(joint_groups))
        if problems:
            raise ScenarioReferenceError(problems)
        return self

    def _joint_problems(self, names: list[str]) -> Iterator[tuple[Path, str]]:
        assert self.joint is not None
        seen: dict[tuple[str, ...], int] = {}
        for i, cell in enumerate(self.joint):
            if sorted(cell.levels) != sorted(names):
                yield (
                    ("joint", i, "levels"),
                    (
                        f"every cell must name the same groups as the first ({', '.join(names)}); "
                        f"this one names {', '.join(cell.levels)}"
                    ),
                )
                continue
            bad = False
            for g, lv in cell.levels.items():
                if g not in self.groups:
                    yield (
                        ("joint", i, "levels", g),
                        f"unknown group {g!r}; declare it under population.groups",
                    )
                    bad = True
                elif lv not in self.levels(g):
                    yield (
                        ("joint", i, "levels", g),
                        f"group {g!r} has no level {lv!r} (levels: {', '.join(self.levels(g))})",
                    )
                    bad = True
            if bad:
                continue
            key = tuple(cell.levels[g] for g in names)
            if key in seen:
                yield ("joint", i), f"this combination is already given in cell {seen[key]}"
            seen[key] = i
        total = sum(c.proportion for c in self.joint)
        if abs(total - 1) > PROPORTION_TOLERANCE:
            yield ("joint",), f"cell proportions must sum to 1, got {total:.6g}"
            return
        for g in names:
            spec = self.groups.get(g)
            if not isinstance(spec, dict):
                continue
            for lv, p in spec.items():
                margin = sum(c.proportion for c in self.joint if c.levels.get(g) == lv)
                if abs(margin - p) > PROPORTION_TOLERANCE:
                    yield (
                        ("groups", g, lv),
                        (
                            f"proportion {p:g} differs from the joint table's margin {margin:.6g}; "
                            "give only the levels (a list) or make them agree"
                        ),
                    )


# --------------------------------------------------------------------------- latents


class GroupShift(_Model):
    """How a group level changes a latent: ``mean_shift`` is added to the mean and the standard
    deviation is multiplied by ``sd_ratio``."""

    mean_shift: float = 0.0
    sd_ratio: float = Field(default=1.0, gt=0)


class Latent(_Model):
    """A latent construct: normal with ``mean`` and ``sd`` for the reference person, shifted and
    scaled by group (shifts add up and ratios multiply across group variables)."""

    label: str | None = None
    mean: float = 0.0
    sd: float = Field(default=1.0, gt=0)
    by_group: dict[Identifier, dict[LevelName, GroupShift]] = Field(default_factory=dict)


class Correlation(_Model):
    """Correlation between two latents within every group (bivariate normal); ``r`` may be
    -1 or 1 (one latent is then a linear function of the other)."""

    between: tuple[Identifier, Identifier]
    r: float = Field(ge=-1, le=1)


# --------------------------------------------------------------------------- items


class NumberGroupSetting(_Model):
    """Per-level distribution of a number item (e.g. age within an age band)."""

    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    min: float | None = None
    max: float | None = None


class ItemModel(_Model):
    """Response model of one item (or the default for every item of a role).

    Which fields apply depends on the item's response type (from the instrument):

    * all types: ``latent`` (the latent the item measures, or none), ``discrimination`` ``a``
      (slope on the latent: logit scale for binary/ordinal/categorical, log-rate for counts,
      value units per latent unit for numbers; negative means higher latent, lower response);
    * binary (2PL): ``P(1) = expit(a * (latent - difficulty))``; ``difficulty`` defaults to
      ``location``; without a latent, ``proportions`` ``{"0": p0, "1": p1}``;
    * ordinal (graded response model, Samejima 1969): ``P(Y >= level k) = expit(a * (latent -
      thresholds[k-1]))``; ``thresholds`` (one fewer than the levels) default to ``location +
      spacing * (k - K/2)`` for ``a > 0``; without a latent, ``proportions`` by level value;
    * count: Poisson (or negative binomial with size ``dispersion``) with mean ``mean *
      exp(a * latent)``, clipped to ``[min, max]`` of the item;
    * number: normal with mean ``mean + a * latent`` and ``sd``, truncated to ``[min, max]`` (and
      to another item's value with ``at_most_item`` / ``at_least_item``), rounded to ``decimals``;
      ``by_group`` overrides the mean, sd and range per level of one group;
    * categorical (multinomial logit): ``P(c) proportional to proportions[c] * exp(slopes[c] *
      latent)``; ``proportions`` default to equal shares.
    """

    latent: Identifier | None = None
    discrimination: float = 1.0
    location: float = 0.0
    spacing: float = Field(default=1.0, gt=0)
    difficulty: float | None = None
    thresholds: list[float] | None = Field(default=None, min_length=1)
    proportions: dict[LevelName, float] | None = None
    slopes: dict[LevelName, float] | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    dispersion: float | None = Field(default=None, gt=0)
    min: float | None = None
    max: float | None = None
    at_most_item: Identifier | None = None
    at_least_item: Identifier | None = None
    decimals: int | None = Field(default=None, ge=0, le=10)
    by_group: dict[Identifier, dict[LevelName, NumberGroupSetting]] = Field(default_factory=dict)

    @field_validator("proportions", "slopes", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # levels may be given as numbers in code ({0: 0.8, 1: 0.2}); YAML keys are always text
        if isinstance(value, dict):
            return {
                str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v
                for k, v in value.items()
            }
        return value

    @field_validator("proportions")
    @classmethod
    def _proportions(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        for k, p in value.items():
            if not (0 <= p <= 1):
                raise ValueError(f"proportion of {k!r} must be between 0 and 1, got {p:g}")
        total = sum(value.values())
        if abs(total - 1) > PROPORTION_TOLERANCE:
            raise ValueError(f"proportions must sum to 1, got {total:.6g}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ItemModel:
        if self.discrimination == 0 and self.latent is not None:
            raise ValueError(
                "discrimination 0 means the item does not depend on its latent; remove 'latent' instead"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) must not exceed max ({self.max:g})")
        if len(self.by_group) > 1:
            raise ValueError("by_group may name one group only")
        return self


class ItemModels(_Model):
    """Item response models: ``defaults`` by item role, then ``models`` by item id.

    An item's model is its role's default with the fields given in ``models.<item id>``
    replacing the default's. When the item is reverse-keyed in the instrument and its own entry
    does not give a discrimination, the (default) discrimination's sign is flipped: a
    reverse-keyed strength item is recorded high when strengths are low.
    """

    defaults: dict[Literal["risk", "strength", "responsivity", "context"], ItemModel] = Field(
        default_factory=dict
    )
    models: dict[Identifier, ItemModel] = Field(default_factory=dict)


class MissingModel(_Model):
    """Probability that an item is missing: ``expit(logit(rate) + sum latents[l] * latent_l +
    groups[g][level])``. With only ``rate``: missing completely at random (MCAR). ``rate`` is
    the probability for a reference person (latents 0, no group shift)."""

    rate: float = Field(default=0.0, ge=0, lt=1)
    latents: dict[Identifier, float] = Field(default_factory=dict)
    groups: dict[Identifier, dict[LevelName, float]] = Field(default_factory=dict)


class Missing(_Model):
    """Missing responses: ``default`` for every item, ``items`` replaces it for named items."""

    default: MissingModel = Field(default_factory=MissingModel)
    items: dict[Identifier, MissingModel] = Field(default_factory=dict)


class Dif(_Model):
    """Differential item functioning (measurement bias): members of ``group`` = ``level``
    respond as if the item's linear predictor were higher by ``shift`` (logit for binary,
    ordinal and categorical items, log-rate for counts, value units for numbers), at the same
    latent value; their true risk is unchanged. For a categorical item, ``category`` names the
    category whose logit shifts."""

    item: Identifier
    group: Identifier
    level: LevelName
    shift: float
    category: str | None = None


# --------------------------------------------------------------------------- outcome


class Weibull(_Model):
    """Weibull baseline: cumulative hazard ``H0(t) = (t / scale) ** shape`` (``scale`` in the
    outcome's time unit)."""

    scale: float = Field(gt=0)
    shape: float = Field(gt=0)


class Effects(_Model):
    """Log-hazard-ratio effects: per unit of each latent, and per group level (reference 0)."""

    latents: dict[Identifier, float] = Field(default_factory=dict)
    groups: dict[Identifier, dict[LevelName, float]] = Field(default_factory=dict)


class FollowUpRange(_Model):
    """Follow-up window drawn uniformly between ``min`` and ``max`` (staggered entry)."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FollowUpRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max:g}) must not be below min ({self.min:g})")
        return self


class LossToFollowUp(_Model):
    """Random loss to follow-up: exponential censoring with ``rate`` per time unit, or the
    ``proportion`` of people who would be lost before the end of their follow-up window if they
    neither reoffended nor had the competing event (the rate is solved from it)."""

    rate: float | None = Field(default=None, ge=0)
    proportion: float | None = Field(default=None, ge=0, lt=1)

    @model_validator(mode="after")
    def _one(self) -> LossToFollowUp:
        if (self.rate is None) == (self.proportion is None):
            raise ValueError("give exactly one of 'rate' or 'proportion'")
        return self


class CompetingEvent(_Model):
    """A competing event (death, deportation...) with its own proportional-hazards model."""

    label: str = Field(default="competing", min_length=1)
    baseline: Weibull
    effects: Effects = Field(default_factory=Effects)


class Severity(_Model):
    """Severity of an observed reoffence, proportional-odds: ``P(severity above levels[k]) =
    expit(eta - cutpoints[k])`` with ``eta`` from ``effects`` (latents and groups)."""

    levels: list[LevelName] = Field(min_length=2)
    cutpoints: list[float] = Field(min_length=1)
    effects: Effects = Field(default_factory=Effects)

    @model_validator(mode="after")
    def _check(self) -> Severity:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels must be unique, got {self.levels}")
        if len(self.cutpoints) != len(self.levels) - 1:
            raise ValueError(
                f"needs one cutpoint fewer than levels: {len(self.levels)} levels, {len(self.cutpoints)} cutpoints"
            )
        if any(b <= a for a, b in zip(self.cutpoints, self.cutpoints[1:], strict=False)):
            raise ValueError(f"cutpoints must increase, got {self.cutpoints}")
        return self


class HorizonSpec(_Model):
    """A horizon at which the true probability of reoffending is reported (``truth_p_<label>``)."""

    label: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=16)]
    time: float = Field(gt=0)


class Outcome(_Model):
    """Time to first reoffence: ``h(t) = h0(t) * exp(lp)`` with a Weibull ``baseline`` and
    ``lp = sum effects.latents[l] * latent_l + effects.groups[g][level]`` (``truth_lp``)."""

    time_unit: Literal["days", "weeks", "months", "years"] = "years"
    baseline: Weibull
    effects: Effects = Field(default_factory=Effects)
    follow_up: Annotated[float, Field(gt=0)] | FollowUpRange
    loss_to_follow_up: LossToFollowUp | None = None
    competing: CompetingEvent | None = None
    severity: Severity | None = None
    horizons: list[HorizonSpec] = Field(min_length=1)

    @field_validator("horizons")
    @classmethod
    def _unique(cls, horizons: list[HorizonSpec]) -> list[HorizonSpec]:
        labels = [h.label for h in horizons]
        for i, lab in enumerate(labels):
            if lab in labels[:i]:
                raise ValueError(f"duplicate horizon label {lab!r}")
        return horizons


# --------------------------------------------------------------------------- scenario


class Scenario(_Model):
    """A complete synthetic-cohort scenario (see the module docstring and synthetic_data/README.md)."""

    scenario_version: Literal[1] = 1
    id: Annotated[str, Field(pattern=INSTRUMENT_ID, max_length=64)]
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    extends: str | None = Field(
        default=None, description="Scenario this one was merged onto (informative)."
    )
    instruments: list[str] = Field(
        min_length=1, description="Instrument ids (or paths) whose items are simulated."
    )
    population: Population = Field(default_factory=Population)
    latents: dict[Identifier, Latent] = Field(min_length=1)
    correlations: list[Correlation] = Field(default_factory=list)
    items: ItemModels = Field(default_factory=ItemModels)
    missing: Missing = Field(default_factory=Missing)
    dif: list[Dif] = Field(default_factory=list)
    outcome: Outcome

    _source: object = PrivateAttr(default=None)  # where each field came from (set by the loader)
    _base_dir: object = PrivateAttr(default=None)  # folder for relative instrument paths

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = list(_reference_problems(self))
        if problems:
            raise ScenarioReferenceError(problems)
        return self

    def correlation_matrix(self) -> np.ndarray:
        """Correlation matrix of the latents, in declared order."""
        names = list(self.latents)
        r = np.eye(len(names))
        for c in self.correlations:
            i, j = names.index(c.between[0]), names.index(c.between[1])
            r[i, j] = r[j, i] = c.r
        return r


def _groups_problems(
    scenario: Scenario, path: Path, groups: dict[str, dict[str, object]]
) -> Iterator[tuple[Path, str]]:
    pop = scenario.population
    for g, levels in groups.items():
        if g not in pop.groups:
            yield (
                (*path, g),
                f"unknown group {g!r}{_suggest(g, list(pop.groups))} (declared: {', '.join(pop.groups) or 'none'})",
            )
            continue
        for lv in levels:
            if lv not in pop.levels(g):
                yield (
                    (*path, g, lv),
                    f"group {g!r} has no level {lv!r}{_suggest(lv, pop.levels(g))} (levels: {', '.join(pop.levels(g))})",
                )


def _latent_problems(scenario: Scenario, path: Path, names: object) -> Iterator[tuple[Path, str]]:
    known = list(scenario.latents)
    for name in names:  # type: ignore[attr-defined]
        if name not in known:
            yield (
                (*path, name),
                f"unknown latent {name!r}{_suggest(name, known)} (declared: {', '.join(known)})",
            )


def _suggest(name: str, options: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _reference_problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    pop = s.population
    for g in pop.groups:
        if g in RESERVED_COLUMNS or g.startswith("truth_"):
            yield (
                ("population", "groups", g),
                f"{g!r} is a reserved output column name; rename the group",
            )
    for name in s.latents:
        if name in pop.groups:
            yield (
                ("latents", name),
                f"latent {name!r} has the same name as a group; rename one of them",
            )
    for name, lat in s.latents.items():
        yield from _groups_problems(s, ("latents", name, "by_group"), lat.by_group)  # type: ignore[arg-type]

    seen: dict[frozenset[str], int] = {}
    for i, c in enumerate(s.correlations):
        for k, name in enumerate(c.between):
            if name not in s.latents:
                known = list(s.latents)
                yield (
                    ("correlations", i, "between", k),
                    f"unknown latent {name!r}{_suggest(name, known)} (declared: {', '.join(known)})",
                )
        if c.between[0] == c.between[1]:
            yield (
                ("correlations", i, "between"),
                "a latent's correlation with itself is 1; name two different latents",
            )
        key = frozenset(c.between)
        if key in seen:
            yield (
                ("correlations", i, "between"),
                f"this pair is already given in correlations[{seen[key]}]",
            )
        seen[key] = i
    if all(x in s.latents for c in s.correlations for x in c.between):
        eig = np.linalg.eigvalsh(s.correlation_matrix())
        if eig.min() < -1e-9:
            yield (
                ("correlations",),
                (
                    "these correlations are impossible together (the correlation matrix is not positive "
                    f"semi-definite; smallest eigenvalue {eig.min():.3g}); make them less extreme"
                ),
            )

    for role, model in s.items.defaults.items():
        yield from _item_model_problems(s, ("items", "defaults", role), model)
    for item, model in s.items.models.items():
        yield from _item_model_problems(s, ("items", "models", item), model)

    for path, mm in [(("missing", "default"), s.missing.default)] + [
        (("missing", "items", k), v) for k, v in s.missing.items.items()
    ]:
        yield from _latent_problems(s, (*path, "latents"), mm.latents)
        yield from _groups_problems(s, (*path, "groups"), mm.groups)  # type: ignore[arg-type]

    for i, d in enumerate(s.dif):
        if d.group not in pop.groups:
            yield (
                ("dif", i, "group"),
                f"unknown group {d.group!r}{_suggest(d.group, list(pop.groups))} (declared: {', '.join(pop.groups) or 'none'})",
            )
        elif d.level not in pop.levels(d.group):
            yield (
                ("dif", i, "level"),
                f"group {d.group!r} has no level {d.level!r}{_suggest(d.level, pop.levels(d.group))} (levels: {', '.join(pop.levels(d.group))})",
            )

    o = s.outcome
    effects: list[tuple[Path, Effects]] = [(("outcome", "effects"), o.effects)]
    if o.competing is not None:
        effects.append((("outcome", "competing", "effects"), o.competing.effects))
    if o.severity is not None:
        effects.append((("outcome", "severity", "effects"), o.severity.effects))
    for path, eff in effects:
        yield from _latent_problems(s, (*path, "latents"), eff.latents)
        yield from _groups_problems(s, (*path, "groups"), eff.groups)  # type: ignore[arg-type]


def _item_model_problems(s: Scenario, path: Path, m: ItemModel) -> Iterator[tuple[Path, str]]:
    if m.latent is not None and m.latent not in s.latents:
        known = list(s.latents)
        yield (
            (*path, "latent"),
            f"unknown latent {m.latent!r}{_suggest(m.latent, known)} (declared: {', '.join(known)})",
        )
    for g, levels in m.by_group.items():
        if g not in s.population.groups:
            yield (
                (*path, "by_group", g),
                f"unknown group {g!r}{_suggest(g, list(s.population.groups))}",
            )
            continue
        for lv in levels:
            if lv not in s.population.levels(g):
                yield (
                    (*path, "by_group", g, lv),
                    f"group {g!r} has no level {lv!r} (levels: {', '.join(s.population.levels(g))})",
                )
