"""Compile an :class:`~assess.spec.models.InstrumentSpec` once into numpy lookup structures.

Scoring never walks the spec per row. Each stage of the pipeline is turned into arrays here:

* **items** -> a points table indexed by a small integer *response index* (binary: 0/1; ordinal:
  the level's position; count/number with bands: the band's position, found with
  :func:`numpy.searchsorted` on the bands' lower edges; categorical: the category's position).
  Index ``-1`` means missing or invalid; the table carries one extra trailing slot so that
  ``table[-1]`` is the points of a missing response (NaN, or 0 for protective-only items).
  Ordinal level values are turned into positions by a dense look-up table when their span is
  small, else by ``searchsorted``. Reverse keying (``max + min - points`` over the item's
  possible points) and the protective-only rule are folded into the table, so applying them
  costs nothing at scoring time.
* **scales** -> per component: whether it is an item or an earlier scale, its position and weight;
  the total absolute weight; the missing rule; lookup tables as sorted edge arrays.
* **derived** -> parsed :class:`~assess.spec.expressions.Expression` objects.
* **models** -> terms as (kind, position, coefficient) with intercept / baseline arrays per horizon;
  rule lists as parsed conditions with an array of values (label positions for labelled lists).
* **bands** -> cut-off arrays for ``searchsorted`` (``side='left'`` when ``upper_inclusive``).
* **refusals** -> parsed conditions with their reason texts.

The compiled form is an implementation detail of :mod:`assess.scoring.engine`; it is exposed for
tests and tools that want to inspect it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..spec.models import (
    BinaryResponse,
    CategoricalResponse,
    CountResponse,
    InstrumentSpec,
    Item,
    NumberResponse,
    OrdinalResponse,
)

__all__ = [
    "CompiledBandSet",
    "CompiledInstrument",
    "CompiledItem",
    "CompiledModel",
    "CompiledRefusal",
    "CompiledScale",
    "CompiledTerm",
    "DenseGroup",
    "compile_spec",
]

#: Ordinal items whose level values span at most this many integers use a dense look-up table.
DENSE_LEVEL_SPAN = 4096

#: Absolute tolerance used when matching a (possibly prorated) raw score to a lookup entry.
LOOKUP_TOLERANCE = 1e-9


def _fmt_number(x: float) -> str:
    """Render a spec number compactly: 2.0 -> '2', 0.5 -> '0.5'."""
    if float(x).is_integer():
        return str(int(x))
    return repr(float(x))


def _quote_list(values: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values)} in all)"
    return shown


def describe_allowed(item: Item) -> str:
    """Plain-language description of the values an item accepts, for error messages."""
    r = item.response
    if isinstance(r, BinaryResponse):
        return "0 or 1"
    if isinstance(r, OrdinalResponse):
        values = [str(lv.value) for lv in r.levels]
        if len(values) > 12:
            values = values[:10] + ["...", values[-1]]
        return "one of the levels " + ", ".join(values)
    if isinstance(r, CountResponse):
        if r.max is None:
            return f"a whole number of at least {r.min}"
        return f"a whole number from {r.min} to {r.max}"
    if isinstance(r, NumberResponse):
        if r.min is not None and r.max is not None:
            return f"a number from {_fmt_number(r.min)} to {_fmt_number(r.max)}"
        if r.min is not None:
            return f"a finite number of at least {_fmt_number(r.min)}"
        if r.max is not None:
            return f"a finite number of at most {_fmt_number(r.max)}"
        return "a finite number"
    if isinstance(r, CategoricalResponse):
        return "one of " + _quote_list([c.value for c in r.categories])
    raise TypeError(f"unknown response type {type(r).__name__}")  # pragma: no cover


@dataclass(frozen=True, eq=False)
class CompiledItem:
    """Arrays that turn one item's recorded values into response indexes and points."""

    id: str
    type: Literal["binary", "ordinal", "count", "number", "categorical"]
    scored: bool
    protective_only: bool
    allowed: str
    #: points per response index, plus a trailing slot for a missing response (index -1)
    points_table: np.ndarray
    #: points are the raw value itself (a scored number item without bands)
    points_are_raw: bool = False
    #: smallest / largest allowed value (count and number; ordinal: lowest / highest level value)
    lo: float = -np.inf
    hi: float = np.inf
    #: ordinal: sorted level values; dense table ``value - lo -> level position or -1``
    level_values: np.ndarray | None = None
    level_lut: np.ndarray | None = None
    #: count/number with bands: lower edges of bands 1..k-1 (for ``searchsorted(side='right')``)
    band_edges: np.ndarray | None = None
    #: categorical: declared category strings (object array), in spec order
    categories: np.ndarray | None = None
    #: categorical items with numeric ``code``s: code per category plus a trailing NaN slot
    #: (index -1 = missing or invalid), the item's value in expressions
    category_codes: np.ndarray | None = None

    @property
    def numeric(self) -> bool:
        """Whether the item records a number (everything but categorical)."""
        return self.type != "categorical"

    @property
    def dense(self) -> bool:
        """Binary items and ordinal items with a dense level look-up table."""
        return self.level_lut is not None


@dataclass(frozen=True, eq=False)
class DenseGroup:
    """Flat tables that validate and score all dense items of a block in a few 2-D operations.

    For group row ``r`` (item ``items[r]``), a recorded value ``v`` becomes the offset
    ``o = v - lo[r]``; when ``o`` is a whole number in ``[0, span]`` the flat look-up
    ``lut[lut_base[r] + o]`` (or ``table_base[r] + o`` when levels are consecutive) gives a
    *slot* in the flat points table, otherwise (non-integral, NaN, inf, out of range, between
    levels) the slot is ``missing_slot[r]``, whose points are NaN (0 for protective-only items).
    """

    items: tuple[int, ...]  # positions in CompiledInstrument.items
    contiguous: bool  # every item's levels are consecutive integers: slot = table_base + offset
    zero_lo: bool  # every item's lowest level is 0 (no subtraction needed)
    table_base: np.ndarray  # (g, 1) uint64
    counts_row: (
        np.ndarray
    )  # (g, 1) bool: a missing response counts as missing (not protective-only)
    lo: np.ndarray  # (g, 1) float64
    span1: np.ndarray  # (g, 1) uint64: span + 1 (the out-of-range offset)
    lut_base: np.ndarray  # (g, 1) uint64
    lut: np.ndarray  # flat int64 slots
    missing_slot: np.ndarray  # (g, 1) int64
    points: np.ndarray  # flat float64
    filled: np.ndarray  # flat float64: points with 0 in the missing slots (for sums)


def _dense_group(items: tuple[CompiledItem, ...]) -> DenseGroup:
    rows = [i for i, it in enumerate(items) if it.dense]
    lo, span1, lut_base, missing_slot, table_base, counts_row = [], [], [], [], [], []
    contiguous = True
    lut: list[int] = []
    points: list[float] = []
    for i in rows:
        it = items[i]
        table = it.points_table  # levels..., missing slot
        t_base = len(points)
        n_levels = table.size - 1
        points.extend(table.tolist())
        slot_missing = t_base + n_levels
        table_base.append(t_base)
        counts_row.append(not it.protective_only)
        contiguous = contiguous and bool(np.all(it.level_lut >= 0))
        lut_base.append(len(lut))
        lut.extend(
            [t_base + int(x) if x >= 0 else slot_missing for x in it.level_lut] + [slot_missing]
        )
        lo.append(it.lo)
        span1.append(it.level_lut.size)
        missing_slot.append(slot_missing)

    def col(xs, dt):
        return np.asarray(xs, dtype=dt).reshape(-1, 1)

    return DenseGroup(
        items=tuple(rows),
        contiguous=contiguous,
        zero_lo=all(x == 0 for x in lo),
        table_base=col(table_base, np.uint64),
        counts_row=col(counts_row, bool),
        lo=col(lo, np.float64),
        span1=col(span1, np.uint64),
        lut_base=col(lut_base, np.uint64),
        lut=np.asarray(lut, dtype=np.int64),
        missing_slot=col(missing_slot, np.int64),
        points=np.asarray(points, dtype=np.float64),
        filled=np.nan_to_num(np.asarray(points, dtype=np.float64), nan=0.0),
    )


def _compile_item(item: Item) -> CompiledItem:
    r = item.response
    reverse_pool = item.point_values()
    if isinstance(r, BinaryResponse):
        points = [r.points_absent, r.points_present]
    elif isinstance(r, OrdinalResponse):
        points = [lv.points for lv in r.levels]
    elif isinstance(r, CategoricalResponse):
        points = [c.points for c in r.categories]
    elif isinstance(r, (CountResponse, NumberResponse)) and r.bands:
        points = [b.points for b in r.bands]
    else:
        points = []
    pts = np.asarray(points, dtype=np.float64)
    if item.reverse and pts.size:
        pts = max(reverse_pool) + min(reverse_pool) - pts
    if item.protective_only:
        # the absent response (binary 0, lowest ordinal level) scores 0, like a missing one
        pts = pts.copy()
        pts[0] = 0.0
    missing_slot = 0.0 if item.protective_only else np.nan
    table = np.append(pts, missing_slot).astype(np.float64)
    table.setflags(write=False)

    kwargs: dict = {}
    if isinstance(r, BinaryResponse):
        kwargs.update(
            lo=0.0,
            hi=1.0,
            level_values=np.array([0, 1], dtype=np.int64),
            level_lut=np.array([0, 1], dtype=np.intp),
        )
    elif isinstance(r, OrdinalResponse):
        values = np.asarray([lv.value for lv in r.levels], dtype=np.int64)
        lo, hi = int(values[0]), int(values[-1])
        kwargs.update(lo=float(lo), hi=float(hi), level_values=values)
        if hi - lo <= DENSE_LEVEL_SPAN:
            lut = np.full(hi - lo + 1, -1, dtype=np.intp)
            lut[values - lo] = np.arange(values.size)
            kwargs["level_lut"] = lut
    elif isinstance(r, CountResponse):
        kwargs.update(lo=float(r.min), hi=np.inf if r.max is None else float(r.max))
    elif isinstance(r, NumberResponse):
        kwargs.update(
            lo=-np.inf if r.min is None else float(r.min),
            hi=np.inf if r.max is None else float(r.max),
        )
    elif isinstance(r, CategoricalResponse):
        kwargs["categories"] = np.asarray([c.value for c in r.categories], dtype=object)
        if r.coded:
            codes = np.asarray([c.code for c in r.categories] + [np.nan], dtype=np.float64)
            codes.setflags(write=False)
            kwargs["category_codes"] = codes
    if isinstance(r, (CountResponse, NumberResponse)) and r.bands:
        kwargs["band_edges"] = np.asarray([b.lower for b in r.bands[1:]], dtype=np.float64)
    return CompiledItem(
        id=item.id,
        type=r.type,
        scored=item.is_scored,
        protective_only=item.protective_only,
        allowed=describe_allowed(item),
        points_table=table,
        points_are_raw=isinstance(r, (CountResponse, NumberResponse)) and not r.bands,
        **kwargs,
    )


@dataclass(frozen=True)
class CompiledScale:
    """One scale: components (``kinds[j]`` is ``'item'`` or ``'scale'``, ``positions[j]`` indexes
    the scored-item points or the earlier scales), weights and its missing rule."""

    id: str
    method: Literal["sum", "mean", "max"]
    kinds: tuple[str, ...]
    positions: tuple[int, ...]
    refs: tuple[str, ...]
    weights: np.ndarray
    total_weight: float
    n_item_components: int
    max_missing: int
    policy: Literal["prorate", "zero"]
    rounding: Literal["none", "half_up", "down", "up", "nearest_even"]
    lookup_min: np.ndarray | None = None
    lookup_max: np.ndarray | None = None
    lookup_scaled: np.ndarray | None = None
    #: every component is an item: their positions as an array (for one gather per block), or a
    #: slice when the positions are consecutive (a view, no copy)
    item_positions: np.ndarray | slice | None = None
    #: every weight is exactly 1 (no multiplication needed; lost weight = missing count)
    unit_weights: bool = False

    @property
    def noun(self) -> str:
        """'items' when every component is an item, else 'components' (for messages)."""
        return "items" if self.n_item_components == len(self.kinds) else "components"


@dataclass(frozen=True)
class CompiledTerm:
    """``coefficient * value`` where value is a scored item's points (``item``), a scale, a derived
    variable, or the raw recorded value of an unscored numeric item (``raw``)."""

    kind: Literal["item", "scale", "derived", "raw"]
    ref: str
    position: int
    coefficient: float


@dataclass(frozen=True, eq=False)
class CompiledRefusal:
    """A refusal: rows where ``condition`` is true (nonzero, not missing) get no score."""

    condition: object  # a parsed Expression
    reason: str


@dataclass(frozen=True)
class CompiledModel:
    """A model's terms and its per-horizon constants.

    ``horizon_constants`` holds the logistic intercepts or ``log S0(t)`` for survival models.
    """

    id: str
    type: Literal["additive", "logistic", "survival", "rule_list"]
    terms: tuple[CompiledTerm, ...]
    intercept: float = 0.0
    centre: float = 0.0
    horizon_labels: tuple[str, ...] = ()
    horizon_constants: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: rule lists: parsed conditions in order, and the value of each rule then ``else``
    #: (for labelled lists the position of the label in ``labels``)
    conditions: tuple = ()
    rule_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    labels: tuple[str, ...] | None = None

    @property
    def output_columns(self) -> list[str]:
        """Output column names of this model, in order."""
        if self.type == "additive":
            return [self.id]
        if self.type == "rule_list":
            return [self.id, f"{self.id}_rule"]
        return [f"{self.id}_lp"] + [f"{self.id}_p_{lab}" for lab in self.horizon_labels]


@dataclass(frozen=True)
class CompiledBandSet:
    """Cut-offs of one band set on the numeric output column ``on``."""

    id: str
    on: str
    edges: np.ndarray
    labels: tuple[str, ...]
    upper_inclusive: bool
    on_derived: int | None  # position of the derived variable it applies to, if any
    on_item: bool = False  # applies to an item's raw recorded value

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Band position of each value (``-1`` for NaN), via ``searchsorted``."""
        side = "left" if self.upper_inclusive else "right"
        codes = np.searchsorted(self.edges, values, side=side).astype(
            np.int8 if len(self.labels) < 127 else np.int64
        )
        codes[np.isnan(values)] = -1
        return codes


@dataclass(frozen=True, eq=False)
class CompiledInstrument:
    """Everything the engine needs, as arrays."""

    items: tuple[CompiledItem, ...]
    scored_items: tuple[int, ...]  # positions in ``items`` of scored items, in spec order
    scales: tuple[CompiledScale, ...]
    derived_ids: tuple[str, ...]
    derived: tuple  # parsed Expression objects
    models: tuple[CompiledModel, ...]
    bands: tuple[CompiledBandSet, ...]
    primary_band: int | None
    #: items whose raw values derived expressions, model terms or band sets read (required columns)
    raw_needed: frozenset[str]
    #: flat tables for the dense items (binary and small ordinal), scored in 2-D per block
    dense: DenseGroup
    #: positions of the other items (count, number, categorical, sparse ordinal), read one by one
    sparse_items: tuple[int, ...]
    #: refusals, in spec order
    refusals: tuple[CompiledRefusal, ...] = ()

    @property
    def required_items(self) -> list[str]:
        """Item columns the data must contain: scored items and items read by expressions."""
        return [it.id for it in self.items if it.scored or it.id in self.raw_needed]


def _positions(positions: list[int]) -> np.ndarray | slice:
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return slice(positions[0], positions[0] + len(positions))
    return np.asarray(positions, dtype=np.intp)


def _round_table(entries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mins = np.asarray([e.raw_min for e in entries], dtype=np.float64)
    maxs = np.asarray([e.raw_max for e in entries], dtype=np.float64)
    scaled = np.asarray([e.scaled for e in entries], dtype=np.float64)
    return mins, maxs, scaled


def compile_spec(spec: InstrumentSpec) -> CompiledInstrument:
    """Compile a validated spec into :class:`CompiledInstrument` (done once per instrument)."""
    from ..spec.expressions import parse_expression

    items = tuple(_compile_item(it) for it in spec.items)
    scored_positions = tuple(i for i, it in enumerate(items) if it.scored)
    scored_index = {items[i].id: k for k, i in enumerate(scored_positions)}

    scales: list[CompiledScale] = []
    scale_index: dict[str, int] = {}
    for sc in spec.scales:
        kinds, positions, refs, weights = [], [], [], []
        for comp in sc.components:
            if comp.ref in scored_index:
                kinds.append("item")
                positions.append(scored_index[comp.ref])
            else:
                kinds.append("scale")
                positions.append(scale_index[comp.ref])
            refs.append(comp.ref)
            weights.append(comp.weight)
        w = np.asarray(weights, dtype=np.float64)
        total_weight = 0.0
        for x in weights:  # sequential, in component order (the reference does the same)
            total_weight += abs(x)
        lookup = _round_table(sc.lookup) if sc.lookup else (None, None, None)
        scales.append(
            CompiledScale(
                id=sc.id,
                method=sc.method,
                kinds=tuple(kinds),
                positions=tuple(positions),
                refs=tuple(refs),
                weights=w,
                total_weight=total_weight,
                n_item_components=kinds.count("item"),
                max_missing=sc.missing.max_missing,
                policy=sc.missing.policy,
                rounding=sc.missing.rounding,
                lookup_min=lookup[0],
                lookup_max=lookup[1],
                lookup_scaled=lookup[2],
                item_positions=_positions(positions) if kinds.count("item") == len(kinds) else None,
                unit_weights=bool(np.all(w == 1.0)),
            )
        )
        scale_index[sc.id] = len(scales) - 1

    derived_exprs = tuple(parse_expression(d.expression) for d in spec.derived)
    derived_index = {d.id: i for i, d in enumerate(spec.derived)}
    item_ids = {it.id for it in items}
    raw_set = {n for e in derived_exprs for n in e.names if n in item_ids}

    models: list[CompiledModel] = []
    for m in spec.models:
        if m.type == "rule_list":
            conditions = tuple(parse_expression(r.if_) for r in m.rules)
            raw_set |= {n for e in conditions for n in e.names if n in item_ids}
            if m.labelled:
                labels = m.labels
                values = [float(labels.index(str(v))) for v in m.values]
            else:
                labels, values = None, [float(v) for v in m.values]
            models.append(
                CompiledModel(
                    m.id,
                    "rule_list",
                    (),
                    conditions=conditions,
                    rule_values=np.asarray(values, dtype=np.float64),
                    labels=None if labels is None else tuple(labels),
                )
            )
            continue
        terms = []
        for t in m.terms:
            if t.ref in scale_index:
                terms.append(CompiledTerm("scale", t.ref, scale_index[t.ref], t.coefficient))
            elif t.ref in derived_index:
                terms.append(CompiledTerm("derived", t.ref, derived_index[t.ref], t.coefficient))
            elif t.ref in scored_index:
                terms.append(CompiledTerm("item", t.ref, scored_index[t.ref], t.coefficient))
            else:  # an unscored numeric item: its raw value
                terms.append(CompiledTerm("raw", t.ref, -1, t.coefficient))
                raw_set.add(t.ref)
        if m.type == "additive":
            models.append(CompiledModel(m.id, "additive", tuple(terms), intercept=m.intercept))
        elif m.type == "logistic":
            models.append(
                CompiledModel(
                    m.id,
                    "logistic",
                    tuple(terms),
                    horizon_labels=tuple(h.label for h in m.horizons),
                    horizon_constants=np.asarray(
                        [h.intercept for h in m.horizons], dtype=np.float64
                    ),
                )
            )
        else:
            models.append(
                CompiledModel(
                    m.id,
                    "survival",
                    tuple(terms),
                    centre=m.centre,
                    horizon_labels=tuple(h.label for h in m.horizons),
                    horizon_constants=np.log(
                        np.asarray([h.baseline_survival for h in m.horizons], dtype=np.float64)
                    ),
                )
            )

    bands = tuple(
        CompiledBandSet(
            id=b.id,
            on=b.on,
            edges=np.asarray([c.upper for c in b.cuts[:-1]], dtype=np.float64),
            labels=tuple(c.label for c in b.cuts),
            upper_inclusive=b.upper_inclusive,
            on_derived=derived_index.get(b.on),
            on_item=b.on in item_ids,
        )
        for b in spec.bands
    )
    raw_set |= {b.on for b in bands if b.on_item}
    refusals = tuple(
        CompiledRefusal(parse_expression(rf.when), rf.reason) for rf in spec.refusals
    )
    raw_set |= {n for rf in refusals for n in rf.condition.names if n in item_ids}
    raw_needed = frozenset(raw_set)
    primary = None
    if spec.bands:
        ids = [b.id for b in spec.bands]
        primary = ids.index(spec.primary_band) if spec.primary_band else 0

    return CompiledInstrument(
        items=items,
        scored_items=scored_positions,
        scales=tuple(scales),
        derived_ids=tuple(d.id for d in spec.derived),
        derived=derived_exprs,
        models=tuple(models),
        bands=bands,
        primary_band=primary,
        raw_needed=raw_needed,
        dense=_dense_group(items),
        sparse_items=tuple(i for i, it in enumerate(items) if not it.dense),
        refusals=refusals,
    )
