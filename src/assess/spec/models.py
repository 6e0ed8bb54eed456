"""Pydantic models of an instrument specification: the single source of truth for its schema.

An instrument is data. A YAML file under ``instruments/`` is parsed (safely) and validated by
:class:`InstrumentSpec`; ``assess schema`` prints the JSON Schema generated from these models.

Scoring pipeline implied by a spec (each stage may only refer to earlier stages):

1. **items** -> item points (``<item>_points`` columns), from the item's response type;
2. **scales** -> scores over items and other scales (sum, mean or max, with weights), with a
   missing-data rule and an optional lookup table (raw -> scaled);
3. **derived** variables -> safe expressions over raw item values, scale scores and earlier
   derived variables (see :mod:`assess.spec.expressions`);
4. **models** -> additive scores, logistic probabilities at horizons, survival probabilities
   from a linear predictor and a baseline survival at horizons, or ordered rule lists (the first
   rule whose condition holds decides, as in CORELS);
5. **bands** -> ordered labelled cut-offs on any scale, derived variable or model output;
6. **refusals** -> conditions (safe expressions over raw item values, scales and derived
   variables) under which the instrument gives no score at all for a row, with the reason.

Names of items, scales, derived variables, models and band sets share one namespace.

Cross-references (an unknown item in a scale, an unknown name in an expression...) are checked
after field validation; each problem carries the path of the offending field so the loader can
point at the file line (see :class:`SpecReferenceError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
INSTRUMENT_ID = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"

Identifier = Annotated[
    str,
    Field(
        pattern=IDENTIFIER,
        max_length=64,
        description="Lower-case identifier: a letter, then letters, digits or underscores.",
    ),
]

RESERVED_NAMES = frozenset({"if", "then", "else", "and", "or", "not", "true", "false", "status", "reason", "band"})

Path = tuple[str | int, ...]


class SpecReferenceError(ValueError):
    """Cross-reference problems in a spec, each with the path of the field at fault.

    Raised from :class:`InstrumentSpec`'s after-validator; pydantic wraps it in a
    ``ValidationError`` whose ``ctx['error']`` is this object, so loaders can report every
    problem at its own location.
    """

    def __init__(self, problems: list[tuple[Path, str]]):
        self.problems = problems
        lines = [f"{format_path(path)}: {message}" for path, message in problems]
        super().__init__("; ".join(lines))


def format_path(path: Path) -> str:
    """Render a field path like ``items[3].levels[1].points``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


class _Model(BaseModel):
    # allow_inf_nan=False: a NaN/inf in points, coefficients or cut-offs would score silently wrong
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- provenance


class Citation(_Model):
    """A source the instrument follows or was validated in."""

    text: str = Field(min_length=1, description="Full reference in any standard style.")
    url: str | None = None
    doi: str | None = None


class Domain(_Model):
    """A content domain (e.g. criminal history, employment, prosocial ties)."""

    id: Identifier
    label: str = Field(min_length=1)
    description: str | None = None


# --------------------------------------------------------------------------- responses


class Level(_Model):
    """One level of an ordinal item: the recorded value, its meaning and its points."""

    value: int = Field(description="Value recorded in the data for this level.")
    label: str = Field(min_length=1)
    points: float


class PointsBand(_Model):
    """Maps a half-open range of a count or number to points: ``lower <= x < upper``.

    ``lower`` omitted means no lower limit (only allowed on the first band); ``upper`` omitted
    means no upper limit (only allowed on the last band). Bands must be contiguous.
    """

    lower: float | None = None
    upper: float | None = None
    points: float
    label: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PointsBand:
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ValueError(f"lower ({self.lower:g}) must be less than upper ({self.upper:g})")
        return self


class Category(_Model):
    """One category of a categorical item and its points."""

    value: str = Field(min_length=1, description="Value recorded in the data.")
    label: str | None = None
    points: float = 0.0
    code: float | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # keeps the hashes of specs without codes unchanged
        description=(
            "Number standing for this category in expressions (rule conditions, derived "
            "variables, refusals); give a code to every category or to none."
        ),
    )


class BinaryResponse(_Model):
    """Present/absent item, recorded as 1/0 (booleans accepted)."""

    type: Literal["binary"]
    points_present: float = 1.0
    points_absent: float = 0.0


class OrdinalResponse(_Model):
    """Rating on ordered levels, e.g. 0-2, each with its points."""

    type: Literal["ordinal"]
    levels: list[Level] = Field(min_length=2)

    @field_validator("levels")
    @classmethod
    def _levels_ascending(cls, levels: list[Level]) -> list[Level]:
        values = [lv.value for lv in levels]
        for i in range(1, len(values)):
            if values[i] <= values[i - 1]:
                raise ValueError(
                    f"level values must be strictly ascending; level {i} has value {values[i]} "
                    f"after {values[i - 1]}"
                )
        return levels


def _check_points_bands(bands: list[PointsBand]) -> list[PointsBand]:
    for i, band in enumerate(bands):
        if band.lower is None and i != 0:
            raise ValueError(f"band {i} has no lower bound; only the first band may be open below")
        if band.upper is None and i != len(bands) - 1:
            raise ValueError(f"band {i} has no upper bound; only the last band may be open above")
        if i > 0:
            prev = bands[i - 1]
            if prev.upper != band.lower:
                raise ValueError(
                    f"bands must be contiguous: band {i - 1} ends at {prev.upper} but band {i} "
                    f"starts at {band.lower}"
                )
    return bands


class CountResponse(_Model):
    """A non-negative whole number (e.g. previous convictions) mapped to points by bands; without
    bands a scored count item scores its value (e.g. a pre-computed score)."""

    type: Literal["count"]
    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, description="Largest plausible value; larger is an input error.")
    bands: list[PointsBand] | None = Field(
        default=None, min_length=1, description="Points by range of the count; omitted: the count itself."
    )

    @field_validator("bands")
    @classmethod
    def _bands_ok(cls, bands: list[PointsBand] | None) -> list[PointsBand] | None:
        return bands if bands is None else _check_points_bands(bands)

    @model_validator(mode="after")
    def _cover(self) -> CountResponse:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        if self.bands is not None:
            _check_cover(self.bands, self.min, self.max)
        return self


class NumberResponse(_Model):
    """A real number (e.g. age) used raw in expressions and optionally mapped to points by bands."""

    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    bands: list[PointsBand] | None = None

    @field_validator("bands")
    @classmethod
    def _bands_ok(cls, bands: list[PointsBand] | None) -> list[PointsBand] | None:
        return bands if bands is None else _check_points_bands(bands)

    @model_validator(mode="after")
    def _cover(self) -> NumberResponse:
        if self.min is not None and self.max is not None and not self.min <= self.max:
            raise ValueError(f"min ({self.min:g}) must not exceed max ({self.max:g})")
        if self.bands is not None:
            _check_cover(self.bands, self.min, self.max)
        return self


def _check_cover(bands: list[PointsBand], lo: float | None, hi: float | None) -> None:
    first, last = bands[0], bands[-1]
    if first.lower is not None and (lo is None or first.lower > lo):
        raise ValueError(
            f"bands do not cover the allowed range: they start at {first.lower:g} but values "
            f"from {'-infinity' if lo is None else f'{lo:g}'} are allowed (lower the first band or raise min)"
        )
    if last.upper is not None and (hi is None or last.upper <= hi):
        raise ValueError(
            f"bands do not cover the allowed range: they end below {last.upper:g} but values up "
            f"to {'infinity' if hi is None else f'{hi:g}'} are allowed (omit the last upper or set max)"
        )


class CategoricalResponse(_Model):
    """One of a fixed set of categories, each with its points."""

    type: Literal["categorical"]
    categories: list[Category] = Field(min_length=2)

    @field_validator("categories")
    @classmethod
    def _unique(cls, categories: list[Category]) -> list[Category]:
        seen: set[str] = set()
        for i, cat in enumerate(categories):
            if cat.value in seen:
                raise ValueError(f"category {i} repeats the value {cat.value!r}")
            seen.add(cat.value)
        coded = [c.code is not None for c in categories]
        if any(coded) and not all(coded):
            missing = [c.value for c in categories if c.code is None]
            raise ValueError(
                "give a 'code' to every category or to none; no code for "
                + ", ".join(repr(v) for v in missing)
            )
        return categories

    @property
    def coded(self) -> bool:
        """Whether the categories carry numeric codes (so the item can be used in expressions)."""
        return self.categories[0].code is not None


Response = Annotated[
    BinaryResponse | OrdinalResponse | CountResponse | NumberResponse | CategoricalResponse,
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- items


class Item(_Model):
    """One assessed item: what is recorded, which domain and role it belongs to, how it scores.

    * ``reverse``: reverse keying; points become ``max + min - points`` over the item's levels
      (ordinal and binary items only).
    * ``protective_only``: the item scores only when the protective factor is present; an absent
      *or missing* response scores 0 and does not count as a missing item.
    * ``scored: false`` (always the case for ``responsivity`` and ``context`` items): recorded
      and checked but given no points.
    """

    id: Identifier
    label: str = Field(min_length=1, max_length=200, description="Short wording, in our own words.")
    description: str | None = None
    domain: Identifier
    role: Literal["risk", "strength", "responsivity", "context"]
    kind: Literal["static", "dynamic"]
    response: Response
    reverse: bool = False
    protective_only: bool = False
    scored: bool | None = Field(
        default=None,
        description="Defaults to true for risk and strength items, false for responsivity and context items.",
    )

    @property
    def is_scored(self) -> bool:
        if self.scored is None:
            return self.role in ("risk", "strength")
        return self.scored

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        kind = self.response.type
        if self.reverse and kind not in ("binary", "ordinal"):
            raise ValueError(f"reverse keying applies to binary and ordinal items, not {kind} items")
        if self.protective_only:
            if kind not in ("binary", "ordinal"):
                raise ValueError(f"protective_only applies to binary and ordinal items, not {kind} items")
            if self.role != "strength":
                raise ValueError(f"protective_only is for strength items, but this item's role is {self.role!r}")
        if self.scored and self.role in ("responsivity", "context"):
            raise ValueError(f"{self.role} items are never scored; remove 'scored: true'")
        return self

    def point_values(self) -> list[float]:
        """All points the item can award (before reverse keying)."""
        r = self.response
        if isinstance(r, BinaryResponse):
            return [r.points_absent, r.points_present]
        if isinstance(r, OrdinalResponse):
            return [lv.points for lv in r.levels]
        if isinstance(r, CategoricalResponse):
            return [c.points for c in r.categories]
        if isinstance(r, (CountResponse, NumberResponse)) and r.bands:
            return [b.points for b in r.bands]
        return []


# --------------------------------------------------------------------------- scales


class Component(_Model):
    """An item or scale counted in a scale, with a weight."""

    ref: Identifier
    weight: float = 1.0


class MissingRule(_Model):
    """What a scale does when some of its items are missing.

    * more than ``max_missing`` missing components -> the scale is ``invalid`` (no score);
    * otherwise, if any are missing, ``policy`` decides: ``prorate`` scales the weighted sum of
      the answered items up to the full weight (then ``rounding`` applies), ``zero`` counts a
      missing item as 0 points; either way the row's status becomes ``prorated``.
    Mean and max scales use the answered items; their ``policy`` is ignored.
    """

    max_missing: int = Field(default=0, ge=0)
    policy: Literal["prorate", "zero"] = "prorate"
    rounding: Literal["none", "half_up", "down", "up", "nearest_even"] = Field(
        default="half_up",
        description="Rounding of a prorated score: half_up rounds .5 away from zero.",
    )


class LookupEntry(_Model):
    """Raw scores in ``[raw_min, raw_max]`` (inclusive) convert to ``scaled``."""

    raw_min: float
    raw_max: float
    scaled: float

    @model_validator(mode="after")
    def _ordered(self) -> LookupEntry:
        if self.raw_max < self.raw_min:
            raise ValueError(f"raw_max ({self.raw_max:g}) is below raw_min ({self.raw_min:g})")
        return self


class Scale(_Model):
    """A domain sub-score or total over items and/or other scales."""

    id: Identifier
    label: str = Field(min_length=1)
    description: str | None = None
    role: Literal["risk", "strength", "need", "net", "other"] = "other"
    method: Literal["sum", "mean", "max"] = "sum"
    components: list[Component] = Field(min_length=1)
    missing: MissingRule = Field(default_factory=MissingRule)
    lookup: list[LookupEntry] | None = Field(
        default=None,
        description="Optional raw -> scaled conversion; every reachable raw score must be covered.",
    )

    @field_validator("components", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # allow "- item_id" as shorthand for "- {ref: item_id}"
        if isinstance(value, list):
            return [{"ref": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("lookup")
    @classmethod
    def _lookup_ordered(cls, entries: list[LookupEntry] | None) -> list[LookupEntry] | None:
        if entries:
            for i in range(1, len(entries)):
                if entries[i].raw_min <= entries[i - 1].raw_max:
                    raise ValueError(
                        f"lookup entries must be ascending and non-overlapping: entry {i} starts at "
                        f"{entries[i].raw_min:g}, not above entry {i - 1}'s end {entries[i - 1].raw_max:g}"
                    )
        return entries


# --------------------------------------------------------------------------- derived variables


class Derived(_Model):
    """A named value computed by a safe expression (see :mod:`assess.spec.expressions`)."""

    id: Identifier
    expression: str = Field(min_length=1, max_length=4000)
    label: str | None = None
    description: str | None = None


# --------------------------------------------------------------------------- models


class Term(_Model):
    """``coefficient * ref`` in a linear predictor; ``ref`` is a scale, derived variable or item
    (its points)."""

    ref: Identifier
    coefficient: float


class Horizon(_Model):
    """A follow-up horizon: ``label`` names output columns (``<model>_p_<label>``)."""

    label: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=16)]
    time: float = Field(gt=0, description="Length of the horizon in the spec's time unit.")


class LogisticHorizon(Horizon):
    intercept: float


class SurvivalHorizon(Horizon):
    baseline_survival: float = Field(gt=0, lt=1, description="S0(t) at the horizon.")


class AdditiveModel(_Model):
    """Weighted sum of terms plus an intercept: a points score."""

    type: Literal["additive"]
    id: Identifier
    label: str | None = None
    intercept: float = 0.0
    terms: list[Term] = Field(min_length=1)


class LogisticModel(_Model):
    """p(h) = 1 / (1 + exp(-(intercept_h + sum coefficient * ref))) at each horizon h."""

    type: Literal["logistic"]
    id: Identifier
    label: str | None = None
    terms: list[Term] = Field(min_length=1)
    horizons: list[LogisticHorizon] = Field(min_length=1)


class SurvivalModel(_Model):
    """p(t) = 1 - S0(t) ** exp(lp - centre), lp = sum coefficient * ref (Cox-type model)."""

    type: Literal["survival"]
    id: Identifier
    label: str | None = None
    terms: list[Term] = Field(min_length=1)
    centre: float = Field(default=0.0, description="Value of lp at which the baseline survival applies.")
    horizons: list[SurvivalHorizon] = Field(min_length=1)


class Rule(_Model):
    """One rule of a rule list: where the condition ``if`` holds, the model gives ``then``."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    if_: str = Field(
        alias="if",
        min_length=1,
        max_length=4000,
        description="Condition: a safe expression over raw item values, scales and derived variables.",
    )
    then: float | str = Field(description="Value given when the condition holds: a number or a label.")

    @field_validator("then")
    @classmethod
    def _label_not_blank(cls, value: float | str) -> float | str:
        if isinstance(value, str) and not value:
            raise ValueError("a label must not be empty")
        return value


class RuleListModel(_Model):
    """An ordered rule list (Angelino et al. 2018, CORELS): the first rule whose condition holds
    for a row decides the row's value; ``else`` applies when no rule holds.

    Outputs ``<id>`` (the value: a number, or a label when every value is text) and
    ``<id>_rule`` (the 1-based number of the rule that decided; ``len(rules) + 1`` for ``else``).
    A condition that is missing for a row (NaN, e.g. a missing input) while no earlier rule
    holds makes the row ``invalid`` with a reason naming the rule and the missing inputs; a
    missing condition is never treated as false. Conditions follow the expression language's
    Kleene logic, so ``a > 1 or b > 1`` is true when ``b > 1`` even if ``a`` is missing.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    type: Literal["rule_list"]
    id: Identifier
    label: str | None = None
    description: str | None = None
    rules: list[Rule] = Field(min_length=1)
    else_: float | str = Field(alias="else", description="Value when no rule holds.")

    @field_validator("else_")
    @classmethod
    def _else_not_blank(cls, value: float | str) -> float | str:
        if isinstance(value, str) and not value:
            raise ValueError("a label must not be empty")
        return value

    @property
    def labelled(self) -> bool:
        """Whether the values are labels (text) rather than numbers."""
        return isinstance(self.else_, str)

    @property
    def labels(self) -> list[str]:
        """Distinct labels in order of first appearance (rules, then ``else``); [] for numbers."""
        if not self.labelled:
            return []
        return list(dict.fromkeys([str(r.then) for r in self.rules] + [str(self.else_)]))

    @property
    def values(self) -> list[float | str]:
        """Value of each rule, then the ``else`` value."""
        return [r.then for r in self.rules] + [self.else_]


ModelSpec = Annotated[
    AdditiveModel | LogisticModel | SurvivalModel | RuleListModel, Field(discriminator="type")
]


# --------------------------------------------------------------------------- bands


class Cut(_Model):
    """A band: values below ``upper`` (and at or above the previous band's upper) get ``label``.

    The last band has no ``upper``: it is open above, so the bands always cover the range.
    """

    label: str = Field(min_length=1)
    upper: float | None = None


class BandSet(_Model):
    """Ordered labelled cut-offs on a scale, derived variable or model output (``on``)."""

    id: Identifier
    on: str = Field(min_length=1, description="Output column the bands apply to, e.g. 'total' or 'ogrs3_p_2y'.")
    label: str | None = None
    upper_inclusive: bool = Field(
        default=False,
        description="If true a band holds values <= upper (e.g. 0-13 Low, 14-23 Medium); else < upper.",
    )
    cuts: list[Cut] = Field(min_length=2)

    @field_validator("cuts")
    @classmethod
    def _monotone(cls, cuts: list[Cut]) -> list[Cut]:
        for i, cut in enumerate(cuts[:-1]):
            if cut.upper is None:
                raise ValueError(f"band {i} ({cut.label!r}) has no upper cut-off; only the last band may be open")
        if cuts[-1].upper is not None:
            raise ValueError(
                f"the last band ({cuts[-1].label!r}) must have no upper cut-off so that the bands cover the range"
            )
        uppers = [c.upper for c in cuts[:-1]]
        for i in range(1, len(uppers)):
            if not uppers[i] > uppers[i - 1]:  # type: ignore[operator]
                raise ValueError(
                    f"cut-offs must increase: band {i} ({cuts[i].label!r}) ends at {uppers[i]:g}, "
                    f"not above band {i - 1}'s {uppers[i - 1]:g}"
                )
        labels = [c.label for c in cuts]
        if len(set(labels)) != len(labels):
            raise ValueError(f"band labels must be unique, got {labels}")
        return cuts


# --------------------------------------------------------------------------- refusals


class Refusal(_Model):
    """A condition under which the instrument gives no score for a row (e.g. inconsistent inputs
    that the instrument's authors reject).

    Where ``when`` is true for a row, every output of the row (item points, scales, derived
    variables, models and bands) is missing, the status is ``invalid`` and ``reason`` carries this
    refusal's ``reason`` text. Where ``when`` is missing (NaN) it does not refuse: missing inputs
    are handled by the missing-data rules. ``when`` may use raw item values, scales and derived
    variables.
    """

    when: str = Field(
        min_length=1,
        max_length=4000,
        description="Condition: a safe expression over raw item values, scales and derived variables.",
    )
    reason: str = Field(min_length=1, max_length=500, description="Why no score is given (shown in 'reason').")
    description: str | None = None


# --------------------------------------------------------------------------- test vectors


class TestVector(_Model):
    """An embedded test: inputs and the expected values of output columns."""

    __test__ = False  # not a pytest class

    name: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(description="Item id -> recorded value (null for missing).")
    expect: dict[str, Any] = Field(
        min_length=1,
        description="Output column -> expected value (numbers compared with 'tolerance').",
    )
    tolerance: float = Field(default=1e-9, ge=0)


# --------------------------------------------------------------------------- instrument


class InstrumentSpec(_Model):
    """A complete, versioned instrument specification."""

    spec_version: Literal[1] = Field(default=1, description="Version of the spec language.")
    id: Annotated[str, Field(pattern=INSTRUMENT_ID, max_length=64)]
    version: Annotated[str, Field(pattern=SEMVER, description="Semantic version of this spec.")]
    name: str = Field(min_length=1)
    status: Literal["draft", "illustrative", "published"]
    description: str = Field(min_length=1)
    citations: list[Citation] = Field(default_factory=list)
    licence: str = Field(min_length=1, description="Licence of the scoring rules as shipped here.")
    source: str | None = Field(default=None, description="Where the scoring rules come from.")
    supersedes: list[str] = Field(default_factory=list, description="Earlier 'id@version's this replaces.")
    time_unit: Literal["days", "weeks", "months", "years"] = "years"
    domains: list[Domain] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    scales: list[Scale] = Field(default_factory=list)
    derived: list[Derived] = Field(default_factory=list)
    models: list[ModelSpec] = Field(default_factory=list)
    bands: list[BandSet] = Field(default_factory=list)
    primary_band: Identifier | None = Field(
        default=None, description="Band set reported in the 'band' column (default: the first)."
    )
    # excluded from dumps when empty, so that adding the field left earlier specs' hashes unchanged
    refusals: list[Refusal] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,
        description="Conditions under which a row gets no score at all, each with its reason.",
    )
    test_vectors: list[TestVector] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> InstrumentSpec:
        problems = list(_reference_problems(self))
        if problems:
            raise SpecReferenceError(problems)
        return self

    # ------------------------------------------------------------------ helpers

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def output_columns(self) -> list[str]:
        """Columns of the score frame, in order (see :mod:`assess.scoring`)."""
        cols: list[str] = [f"{it.id}_points" for it in self.items if it.is_scored]
        for sc in self.scales:
            cols += [sc.id, f"{sc.id}_missing"]
        cols += [d.id for d in self.derived]
        for m in self.models:
            cols += model_output_columns(m)
        cols += [b.id for b in self.bands]
        if self.bands:
            cols.append("band")
        cols += ["n_missing", "status", "reason"]
        return cols


def expression_item(item: Item) -> bool:
    """Whether expressions can read the item's recorded value: every numeric item, and
    categorical items whose categories carry numeric ``code``s."""
    r = item.response
    return not isinstance(r, CategoricalResponse) or r.coded


def model_output_columns(m: AdditiveModel | LogisticModel | SurvivalModel | RuleListModel) -> list[str]:
    """Output columns of one model, in order."""
    if m.type == "additive":
        return [m.id]
    if m.type == "rule_list":
        return [m.id, f"{m.id}_rule"]
    return [f"{m.id}_lp"] + [f"{m.id}_p_{h.label}" for h in m.horizons]


def _dupes(path: Path, ids: list[str], what: str) -> Iterator[tuple[Path, str]]:
    seen: dict[str, int] = {}
    for i, x in enumerate(ids):
        if x in seen:
            yield (*path, i, "id"), f"duplicate {what} id {x!r} (first used at {format_path((*path, seen[x]))})"
        else:
            seen[x] = i


def _suggest(name: str, options: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(v: float | str) -> str:
    return repr(v) if isinstance(v, str) else f"{v:g}"


def _expression_problems(path: Path, text: str, known: list[str]) -> Iterator[tuple[Path, str]]:
    from .expressions import ExpressionError, parse_expression

    try:
        parse_expression(text).check_names(known)
    except ExpressionError as exc:
        yield path, str(exc)
    except Exception as exc:  # pragma: no cover - defensive
        yield path, f"cannot parse expression: {exc}"


def _reference_problems(spec: InstrumentSpec) -> Iterator[tuple[Path, str]]:
    from .expressions import ExpressionError, parse_expression

    yield from _dupes(("domains",), [d.id for d in spec.domains], "domain")
    yield from _dupes(("items",), [i.id for i in spec.items], "item")
    yield from _dupes(("scales",), [s.id for s in spec.scales], "scale")
    yield from _dupes(("derived",), [d.id for d in spec.derived], "derived variable")
    yield from _dupes(("models",), [m.id for m in spec.models], "model")
    yield from _dupes(("bands",), [b.id for b in spec.bands], "band set")

    # one namespace for all names
    owner: dict[str, Path] = {}
    for section, objs in (
        ("items", spec.items),
        ("scales", spec.scales),
        ("derived", spec.derived),
        ("models", spec.models),
        ("bands", spec.bands),
    ):
        for i, obj in enumerate(objs):
            if obj.id in RESERVED_NAMES:
                yield (section, i, "id"), f"{obj.id!r} is a reserved word; choose another id"
            prev = owner.get(obj.id)
            if prev is not None and prev[0] != section:
                yield (section, i, "id"), f"id {obj.id!r} is already used by {format_path(prev)}; names are shared by items, scales, derived variables, models and bands"
            owner.setdefault(obj.id, (section, i))

    domain_ids = [d.id for d in spec.domains]
    for i, it in enumerate(spec.items):
        if it.domain not in domain_ids:
            yield ("items", i, "domain"), f"unknown domain {it.domain!r}{_suggest(it.domain, domain_ids)} (declared: {', '.join(domain_ids)})"

    item_ids = {it.id: it for it in spec.items}
    scored_items = [it.id for it in spec.items if it.is_scored]
    known: list[str] = []  # names available so far, in pipeline order
    # scales: components are scored items or earlier scales
    scale_ids_so_far: list[str] = []
    for i, sc in enumerate(spec.scales):
        for j, comp in enumerate(sc.components):
            if comp.ref in item_ids:
                if not item_ids[comp.ref].is_scored:
                    yield ("scales", i, "components", j, "ref"), f"item {comp.ref!r} is not scored (role {item_ids[comp.ref].role}) and cannot be part of a scale"
            elif comp.ref in scale_ids_so_far:
                pass
            elif comp.ref == sc.id:
                yield ("scales", i, "components", j, "ref"), f"scale {sc.id!r} cannot include itself"
            elif comp.ref in {s.id for s in spec.scales}:
                yield ("scales", i, "components", j, "ref"), f"scale {comp.ref!r} is defined after {sc.id!r}; list it first"
            else:
                yield ("scales", i, "components", j, "ref"), f"unknown item or scale {comp.ref!r}{_suggest(comp.ref, scored_items + scale_ids_so_far)}"
        refs = [c.ref for c in sc.components]
        for j, r in enumerate(refs):
            if r in refs[:j]:
                yield ("scales", i, "components", j, "ref"), f"{r!r} is listed twice in scale {sc.id!r}"
        if sc.missing.max_missing > len(sc.components):
            yield ("scales", i, "missing", "max_missing"), f"max_missing ({sc.missing.max_missing}) exceeds the number of components ({len(sc.components)})"
        scale_ids_so_far.append(sc.id)

    numeric_items = [it.id for it in spec.items if expression_item(it)]
    known = numeric_items + scale_ids_so_far
    for i, d in enumerate(spec.derived):
        try:
            expr = parse_expression(d.expression)
            expr.check_names(known)
        except ExpressionError as exc:
            yield ("derived", i, "expression"), str(exc)
        except Exception as exc:  # pragma: no cover - defensive
            yield ("derived", i, "expression"), f"cannot parse expression: {exc}"
        if d.id in [x.id for x in spec.derived[:i]]:
            continue
        known = known + [d.id]

    term_names = set(known) | set(scored_items)
    model_outputs: list[str] = []
    for i, m in enumerate(spec.models):
        if m.type == "rule_list":
            for j, rule in enumerate(m.rules):
                yield from _expression_problems(("models", i, "rules", j, "if"), rule.if_, known)
            first_is_label = isinstance(m.rules[0].then, str)
            for j, v in enumerate(m.values):
                if isinstance(v, str) != first_is_label:
                    where = ("models", i, "rules", j, "then") if j < len(m.rules) else ("models", i, "else")
                    kind = "a label" if isinstance(v, str) else "a number"
                    yield where, (
                        f"{_show(v)} is {kind} but rule 1 gives {_show(m.rules[0].then)}; a rule list's "
                        "values must be all numbers or all labels (text)"
                    )
                    break
            if not m.labelled:
                model_outputs.append(m.id)  # a numeric rule list can carry bands
            continue
        for j, t in enumerate(m.terms):
            if t.ref not in term_names:
                yield ("models", i, "terms", j, "ref"), f"unknown term {t.ref!r}{_suggest(t.ref, sorted(term_names))}; terms may use scored items, scales and derived variables"
        if m.type != "additive":
            labels = [h.label for h in m.horizons]
            for j, lab in enumerate(labels):
                if lab in labels[:j]:
                    yield ("models", i, "horizons", j, "label"), f"duplicate horizon label {lab!r}"
            model_outputs += [f"{m.id}_lp"] + [f"{m.id}_p_{h.label}" for h in m.horizons]
        else:
            model_outputs.append(m.id)

    band_targets = list(known) + model_outputs
    labelled = {m.id for m in spec.models if m.type == "rule_list" and m.labelled}
    for i, b in enumerate(spec.bands):
        if b.on in labelled:
            yield ("bands", i, "on"), f"rule list {b.on!r} gives labels, not numbers; bands apply to numeric columns"
        elif b.on not in band_targets:
            yield ("bands", i, "on"), f"unknown column {b.on!r}{_suggest(b.on, band_targets)}; bands apply to scales, derived variables and model outputs"
    if spec.primary_band is not None and spec.primary_band not in [b.id for b in spec.bands]:
        yield ("primary_band",), f"unknown band set {spec.primary_band!r}"

    for i, rf in enumerate(spec.refusals):
        yield from _expression_problems(("refusals", i, "when"), rf.when, known)

    columns = spec.output_columns()
    seen_cols: set[str] = set()
    for c in columns:
        if c in seen_cols:
            yield (), f"two outputs would both be named {c!r}; rename one of the ids"
        seen_cols.add(c)

    all_items = list(item_ids)
    for i, tv in enumerate(spec.test_vectors):
        for key in tv.inputs:
            if key not in item_ids:
                yield ("test_vectors", i, "inputs", key), f"unknown item {key!r}{_suggest(key, all_items)}"
        for key in tv.expect:
            if key not in seen_cols:
                yield ("test_vectors", i, "expect", key), f"unknown output column {key!r}{_suggest(key, sorted(seen_cols))}"


__all__ = [
    "AdditiveModel",
    "BandSet",
    "BinaryResponse",
    "CategoricalResponse",
    "Category",
    "Citation",
    "Component",
    "CountResponse",
    "Cut",
    "Derived",
    "Domain",
    "Horizon",
    "InstrumentSpec",
    "Item",
    "Level",
    "LogisticHorizon",
    "LogisticModel",
    "LookupEntry",
    "MissingRule",
    "NumberResponse",
    "OrdinalResponse",
    "PointsBand",
    "Refusal",
    "Rule",
    "RuleListModel",
    "Scale",
    "SpecReferenceError",
    "SurvivalHorizon",
    "SurvivalModel",
    "Term",
    "TestVector",
    "expression_item",
    "format_path",
    "model_output_columns",
]
