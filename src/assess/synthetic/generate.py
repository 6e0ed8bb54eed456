"""Simulate a cohort with known ground truth from a :class:`~assess.synthetic.scenario.Scenario`.

The scenario is first *compiled* against the instruments it names (every item gets a checked,
vectorisable response model; problems are reported with their file line), then drawn in stages,
each from its own random stream derived from ``seed`` and the stage's name with
:class:`numpy.random.SeedSequence`. So the same scenario, ``n`` and ``seed`` give an identical
frame, different seeds give independent draws, and two scenarios that differ only in one knob
share the draws of every other stage (common random numbers: the ``dif`` scenario's people have
the same latents and outcomes as ``baseline``'s for the same seed).

Stages: groups -> latents -> item responses (in dependency order) -> missing responses ->
outcome (reoffence, competing event, follow-up window, loss to follow-up, severity).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri

from assess.spec.errors import SpecError, SpecIssue
from assess.spec.models import InstrumentSpec, Item

from .loading import ScenarioError, load_scenario, scenario_issue
from .scenario import ItemModel, MissingModel, Scenario
from .survival import cumulative_incidence, loss_rate_for_proportion, weibull_ph_times, weibull_rate

__all__ = ["CompiledScenario", "compile_scenario", "simulate", "write_cohort"]

PathT = tuple[str | int, ...]
_TYPE_FIELDS = {
    "binary": {"latent", "discrimination", "location", "difficulty", "proportions"},
    "ordinal": {"latent", "discrimination", "location", "spacing", "thresholds", "proportions"},
    "count": {"latent", "discrimination", "mean", "dispersion", "min", "max"},
    "number": {
        "latent",
        "discrimination",
        "mean",
        "sd",
        "min",
        "max",
        "at_most_item",
        "at_least_item",
        "decimals",
        "by_group",
    },
    "categorical": {"latent", "proportions", "slopes"},
}


# --------------------------------------------------------------------------- compiled plan


@dataclass
class _Shift:
    group: int  # index of the group variable
    values: np.ndarray  # shift per level of that group


@dataclass
class _ItemPlan:
    id: str
    kind: str
    latent: int | None = None
    a: float = 0.0
    cuts: np.ndarray | None = None  # binary/ordinal: intercepts of cumulative logits, decreasing
    values: np.ndarray | None = None  # binary/ordinal: recorded value of each level
    log_mean: float = 0.0
    dispersion: float | None = None
    lo: float = -math.inf
    hi: float = math.inf
    mean: float = 0.0
    sd: float = 1.0
    decimals: int | None = None
    at_most: str | None = None
    at_least: str | None = None
    by_group: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = (
        None  # group, mean, sd, lo, hi
    )
    categories: list[str] = field(default_factory=list)
    log_p: np.ndarray | None = None
    slopes: np.ndarray | None = None
    dif: list[tuple[int, int, float, int | None]] = field(
        default_factory=list
    )  # group, level, shift, category
    missing_logit: float = -math.inf
    missing_latents: list[tuple[int, float]] = field(default_factory=list)
    missing_groups: list[_Shift] = field(default_factory=list)


@dataclass
class _Hazard:
    scale: float
    shape: float
    latents: list[tuple[int, float]]
    groups: list[_Shift]


@dataclass
class CompiledScenario:
    """A scenario checked against its instruments and turned into arrays ready for drawing."""

    scenario: Scenario
    instruments: list[InstrumentSpec]
    items: list[Item]  # union of the instruments' items, in first-seen order
    group_names: list[str]
    group_levels: list[list[str]]
    group_probs: list[np.ndarray]
    joint_groups: list[int]
    joint_cells: np.ndarray | None  # (cells, len(joint_groups)) level indices
    joint_probs: np.ndarray | None
    latent_names: list[str]
    latent_mean: np.ndarray
    latent_sd: np.ndarray
    latent_shifts: list[
        list[tuple[int, np.ndarray, np.ndarray]]
    ]  # per latent: (group, shift, ratio)
    latent_factor: np.ndarray  # lower-triangular L with L @ L.T = correlation matrix
    item_plans: list[_ItemPlan]  # in generation order
    reoffence: _Hazard
    competing: _Hazard | None
    loss_rate: float
    follow_up: tuple[float, float]
    horizons: list[tuple[str, float]]
    severity: tuple[list[str], np.ndarray, list[tuple[int, float]], list[_Shift]] | None


class _Issues:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.items: list[SpecIssue] = []

    def add(self, path: PathT, message: str, *, key: bool = False) -> None:
        self.items.append(scenario_issue(self.scenario, path, message, key=key))

    def raise_if_any(self) -> None:
        if self.items:
            unique = list(dict.fromkeys(self.items))
            raise ScenarioError(sorted(unique, key=lambda i: (i.file, i.line or 0, i.column or 0)))


def _suggest(name: str, options: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


_SPEC_CACHE: dict[tuple[str, int, int], InstrumentSpec] = {}


def _load_spec_cached(source: str | Path) -> InstrumentSpec:
    """``load_spec`` memoised by file path, modification time and size."""
    from assess.spec import find_instrument, load_spec

    path = Path(source) if isinstance(source, Path) else find_instrument(source)
    try:
        st = path.stat()
    except OSError:
        return load_spec(path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = load_spec(path)
        if len(_SPEC_CACHE) > 64:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = spec
    return spec


def _load_instruments(s: Scenario, issues: _Issues) -> list[InstrumentSpec]:
    specs: list[InstrumentSpec] = []
    base = s._base_dir if isinstance(s._base_dir, Path) else None
    for i, ref in enumerate(s.instruments):
        source: str | Path = ref
        if ref.endswith((".yaml", ".yml")) or "/" in ref:
            p = Path(ref).expanduser()
            source = p if p.is_absolute() or base is None else base / p
        try:
            specs.append(_load_spec_cached(source))
        except SpecError as exc:
            first = exc.issues[0]
            where = (
                f" ({first.location()}: {first.message})"
                if len(exc.issues) == 1
                else f" ({len(exc.issues)} problems; first: {first})"
            )
            issues.add(("instruments", i), f"cannot load instrument {ref!r}{where}")
    return specs


def _shifts(s: Scenario, groups: dict[str, dict[str, float]], names: list[str]) -> list[_Shift]:
    out = []
    for g, levels in groups.items():
        lv = s.population.levels(g)
        out.append(_Shift(names.index(g), np.array([float(levels.get(x, 0.0)) for x in lv])))
    return out


def _merged_model(s: Scenario, item: Item) -> tuple[dict[str, Any], dict[str, PathT]]:
    """The item's model fields (role default overlaid by the item's own entry) and where each
    field was set (for located messages)."""
    values: dict[str, Any] = {}
    where: dict[str, PathT] = {}
    default = s.items.defaults.get(item.role)
    if default is not None:
        for name in ItemModel.model_fields:
            values[name] = getattr(default, name)
            where[name] = (
                ("items", "defaults", item.role, name)
                if name in default.model_fields_set
                else ("items", "defaults", item.role)
            )
    own = s.items.models.get(item.id)
    if own is not None:
        for name in own.model_fields_set:
            values[name] = getattr(own, name)
            where[name] = ("items", "models", item.id, name)
    for name, f in ItemModel.model_fields.items():
        if name not in values:
            values[name] = f.get_default(call_default_factory=True)
            where[name] = ("items", "models", item.id) if own is not None else ("items",)
    if item.reverse and (own is None or "discrimination" not in own.model_fields_set):
        # a reverse-keyed item is recorded high when its latent is low
        values["discrimination"] = -values["discrimination"]
    return values, where


def _compile_item(
    s: Scenario, item: Item, names: list[str], latents: list[str], issues: _Issues
) -> _ItemPlan | None:
    m, where = _merged_model(s, item)
    kind = item.response.type
    r = item.response
    own = s.items.models.get(item.id)
    if own is None and s.items.defaults.get(item.role) is None:
        issues.add(
            ("items",),
            f"item {item.id!r} (role {item.role}, {kind}) has no response model: add items.models.{item.id} or items.defaults.{item.role}",
        )
        return None
    if own is not None:
        for name in sorted(own.model_fields_set - _TYPE_FIELDS[kind]):
            issues.add(
                ("items", "models", item.id, name),
                f"{name!r} does not apply to {kind} items (fields for {kind} items: {', '.join(sorted(_TYPE_FIELDS[kind]))})",
                key=True,
            )
    plan = _ItemPlan(id=item.id, kind=kind)
    latent = m["latent"]
    plan.latent = latents.index(latent) if latent is not None else None
    a = float(m["discrimination"]) if latent is not None else 0.0
    plan.a = a
    base: PathT = (
        ("items", "models", item.id) if own is not None else ("items", "defaults", item.role)
    )
    ok = True

    if kind in ("binary", "ordinal"):
        values = np.array([0, 1]) if kind == "binary" else np.array([lv.value for lv in r.levels])  # type: ignore[union-attr]
        plan.values = values
        k = len(values)
        props = m["proportions"]
        if props is not None:
            if latent is not None:
                issues.add(
                    where["proportions"],
                    f"give either 'latent' (with discrimination and {'difficulty' if kind == 'binary' else 'thresholds'}) or fixed 'proportions' for {item.id!r}, not both",
                )
                return None
            known = [str(v) for v in values]
            for key in props:
                if key not in known:
                    issues.add(
                        (*where["proportions"], key),
                        f"item {item.id!r} has no level {key!r}{_suggest(key, known)} (levels: {', '.join(known)})",
                        key=True,
                    )
                    ok = False
            if not ok:
                return None
            p = np.array([props.get(str(v), 0.0) for v in values])
            tail = np.clip(np.cumsum(p[::-1])[::-1][1:], 0, 1)  # P(Y >= level k), k = 1..K-1
            with np.errstate(divide="ignore"):
                plan.cuts = logit(tail)
        elif latent is None:
            issues.add(
                base,
                f"{kind} item {item.id!r} needs a 'latent' (with a discrimination) or fixed 'proportions'",
            )
            return None
        else:
            if kind == "binary":
                b = np.array(
                    [m["difficulty"] if m["difficulty"] is not None else m["location"]], dtype=float
                )
            elif m["thresholds"] is not None:
                b = np.array(m["thresholds"], dtype=float)
                if len(b) != k - 1:
                    issues.add(
                        where["thresholds"],
                        f"item {item.id!r} has {k} levels, so it needs {k - 1} thresholds, got {len(b)}",
                    )
                    return None
            else:
                b = m["location"] + np.sign(a) * m["spacing"] * (np.arange(1, k) - k / 2)
            plan.cuts = -a * b
            if np.any(np.diff(plan.cuts) >= 0):
                issues.add(
                    where["thresholds"] if m["thresholds"] is not None else base,
                    (
                        f"thresholds of {item.id!r} must increase (decrease when the discrimination is negative) "
                        f"so that higher levels need a higher latent; got {list(b)} with discrimination {a:g}"
                    ),
                )
                return None
    elif kind == "count":
        if m["mean"] is None or m["mean"] <= 0:
            issues.add(
                where["mean"],
                f"count item {item.id!r} needs a positive 'mean' (the expected count when its latent is 0)",
            )
            return None
        plan.log_mean = math.log(m["mean"])
        plan.dispersion = m["dispersion"]
        lo, hi = _bounds(item, m, where, issues)
        if lo is None:
            return None
        plan.lo, plan.hi = lo, hi
    elif kind == "number":
        lo, hi = _bounds(item, m, where, issues)
        if lo is None:
            return None
        plan.lo, plan.hi = lo, hi
        plan.decimals = m["decimals"]
        plan.at_most, plan.at_least = m["at_most_item"], m["at_least_item"]
        by_group = m["by_group"]
        complete = bool(by_group) and all(
            len(settings) == len(s.population.levels(g))
            and all(v.mean is not None and v.sd is not None for v in settings.values())
            for g, settings in by_group.items()
        )
        if (m["mean"] is None or m["sd"] is None) and not complete:
            issues.add(
                base,
                f"number item {item.id!r} needs 'mean' and 'sd' (or by_group settings with both for every level)",
            )
            return None
        plan.mean = float(m["mean"] if m["mean"] is not None else 0.0)
        plan.sd = float(m["sd"] if m["sd"] is not None else 1.0)
        for g, settings in by_group.items():
            levels = s.population.levels(g)
            mean = np.array(
                [
                    settings[x].mean
                    if x in settings and settings[x].mean is not None
                    else plan.mean
                    for x in levels
                ]
            )
            sd = np.array(
                [
                    settings[x].sd if x in settings and settings[x].sd is not None else plan.sd
                    for x in levels
                ]
            )
            glo = np.array(
                [
                    max(settings[x].min, lo)
                    if x in settings and settings[x].min is not None
                    else lo
                    for x in levels
                ]
            )
            ghi = np.array(
                [
                    min(settings[x].max, hi)
                    if x in settings and settings[x].max is not None
                    else hi
                    for x in levels
                ]
            )
            if np.any(glo > ghi):
                issues.add(
                    where["by_group"],
                    f"a by_group range of {item.id!r} lies outside the item's range [{lo:g}, {hi:g}]",
                )
                return None
            plan.by_group = (names.index(g), mean, sd, glo, ghi)
    else:  # categorical
        cats = [c.value for c in r.categories]  # type: ignore[union-attr]
        plan.categories = cats
        for fname in ("proportions", "slopes"):
            given = m[fname] or {}
            for key in given:
                if key not in cats:
                    issues.add(
                        (*where[fname], key),
                        f"item {item.id!r} has no category {key!r}{_suggest(key, cats)} (categories: {', '.join(cats)})",
                        key=True,
                    )
                    ok = False
        if not ok:
            return None
        props = m["proportions"]
        p = (
            np.array([props.get(c, 0.0) for c in cats])
            if props is not None
            else np.full(len(cats), 1 / len(cats))
        )
        with np.errstate(divide="ignore"):
            plan.log_p = np.log(p)
        if latent is not None and not m["slopes"]:
            issues.add(
                base,
                f"categorical item {item.id!r} measures {latent!r} but has no 'slopes' (the log-odds change of each category per latent unit); add slopes or remove the latent",
            )
            return None
        if latent is None and m["slopes"]:
            issues.add(where["slopes"], f"'slopes' of {item.id!r} need a 'latent' to apply to")
            return None
        plan.slopes = np.array([(m["slopes"] or {}).get(c, 0.0) for c in cats])
    return plan


def _bounds(
    item: Item, m: dict[str, Any], where: dict[str, PathT], issues: _Issues
) -> tuple[Any, Any]:
    r = item.response
    spec_lo = -math.inf if r.min is None else float(r.min)  # type: ignore[union-attr]
    spec_hi = math.inf if r.max is None else float(r.max)  # type: ignore[union-attr]
    lo, hi = spec_lo, spec_hi
    if m["min"] is not None:
        if m["min"] < spec_lo:
            issues.add(
                where["min"],
                f"min {m['min']:g} is below the smallest value item {item.id!r} allows ({spec_lo:g})",
            )
            return None, None
        lo = float(m["min"])
    if m["max"] is not None:
        if m["max"] > spec_hi:
            issues.add(
                where["max"],
                f"max {m['max']:g} is above the largest value item {item.id!r} allows ({spec_hi:g})",
            )
            return None, None
        hi = float(m["max"])
    if lo > hi:
        issues.add(where["min"], f"the range [{lo:g}, {hi:g}] of {item.id!r} is empty")
        return None, None
    return lo, hi


def _missing_plan(
    s: Scenario, plan: _ItemPlan, mm: MissingModel, names: list[str], latents: list[str]
) -> None:
    plan.missing_logit = -math.inf if mm.rate == 0 else float(logit(mm.rate))
    plan.missing_latents = [(latents.index(k), v) for k, v in mm.latents.items() if v != 0]
    plan.missing_groups = _shifts(s, mm.groups, names)


def compile_scenario(scenario: Scenario | str | os.PathLike[str]) -> CompiledScenario:
    """Check a scenario against the instruments it names and prepare it for drawing.

    Raises :class:`~assess.synthetic.loading.ScenarioError` listing every problem with its file
    line: an item not in the instruments, a level or category that does not exist, thresholds
    of the wrong length, an item without a response model, a time unit that differs from the
    instruments'...
    """
    s = load_scenario(scenario)
    issues = _Issues(s)
    specs = _load_instruments(s, issues)
    issues.raise_if_any()

    items: dict[str, Item] = {}
    for i, spec in enumerate(specs):
        if spec.time_unit != s.outcome.time_unit:
            issues.add(
                ("outcome", "time_unit"),
                f"the outcome is in {s.outcome.time_unit} but instrument {spec.id!r} uses {spec.time_unit}; use the same time unit",
            )
        for it in spec.items:
            prev = items.get(it.id)
            if prev is None:
                items[it.id] = it
            elif prev.response != it.response:
                issues.add(
                    ("instruments", i),
                    f"item {it.id!r} is recorded differently in {spec.id!r} than in an earlier instrument; one scenario cannot simulate both",
                )
    item_ids = list(items)
    names = list(s.population.groups)
    latents = list(s.latents)
    for g in names:
        if g in items:
            issues.add(
                ("population", "groups", g),
                f"group {g!r} has the same name as an item of the instruments; rename the group",
                key=True,
            )
    inst_names = ", ".join(s.instruments)
    for key in s.items.models:
        if key not in items:
            issues.add(
                ("items", "models", key),
                f"item {key!r} is not in the instruments ({inst_names}){_suggest(key, item_ids)}",
                key=True,
            )
    for key in s.missing.items:
        if key not in items:
            issues.add(
                ("missing", "items", key),
                f"item {key!r} is not in the instruments ({inst_names}){_suggest(key, item_ids)}",
                key=True,
            )

    plans: dict[str, _ItemPlan] = {}
    for it in items.values():
        plan = _compile_item(s, it, names, latents, issues)
        if plan is not None:
            _missing_plan(s, plan, s.missing.items.get(it.id, s.missing.default), names, latents)
            plans[it.id] = plan

    for i, d in enumerate(s.dif):
        if d.item not in items:
            issues.add(
                ("dif", i, "item"),
                f"item {d.item!r} is not in the instruments ({inst_names}){_suggest(d.item, item_ids)}",
            )
            continue
        plan = plans.get(d.item)
        if plan is None or d.group not in names:
            continue
        cat: int | None = None
        if plan.kind == "categorical":
            if d.category is None:
                issues.add(
                    ("dif", i),
                    f"{d.item!r} is categorical: name the 'category' whose log-odds the shift raises",
                )
                continue
            if d.category not in plan.categories:
                issues.add(
                    ("dif", i, "category"),
                    f"item {d.item!r} has no category {d.category!r}{_suggest(d.category, plan.categories)} (categories: {', '.join(plan.categories)})",
                )
                continue
            cat = plan.categories.index(d.category)
        elif d.category is not None:
            issues.add(
                ("dif", i, "category"),
                f"'category' applies to categorical items only; {d.item!r} is {plan.kind}",
            )
            continue
        plan.dif.append(
            (names.index(d.group), s.population.levels(d.group).index(d.level), d.shift, cat)
        )

    # dependencies between number items (at_most_item / at_least_item)
    for plan in plans.values():
        for fname, ref in (("at_most_item", plan.at_most), ("at_least_item", plan.at_least)):
            if ref is None:
                continue
            path: PathT = (
                ("items", "models", plan.id, fname) if plan.id in s.items.models else ("items",)
            )
            if ref not in items:
                issues.add(path, f"item {ref!r} is not in the instruments{_suggest(ref, item_ids)}")
            elif items[ref].response.type not in ("number", "count"):
                issues.add(
                    path,
                    f"{fname} must name a number or count item; {ref!r} is {items[ref].response.type}",
                )
            elif ref == plan.id:
                issues.add(path, "an item cannot bound itself")
    issues.raise_if_any()
    order = _dependency_order(plans, issues)
    issues.raise_if_any()

    # groups
    pop = s.population
    group_levels = [pop.levels(g) for g in names]
    group_probs = []
    for g in names:
        spec = pop.groups[g]
        group_probs.append(
            np.array(list(spec.values()), dtype=float) if isinstance(spec, dict) else np.array([])
        )
    joint_groups: list[int] = []
    joint_cells = joint_probs = None
    if pop.joint:
        jnames = list(pop.joint[0].levels)
        joint_groups = [names.index(g) for g in jnames]
        joint_cells = np.array(
            [[group_levels[names.index(g)].index(c.levels[g]) for g in jnames] for c in pop.joint],
            dtype=np.int64,
        )
        joint_probs = np.array([c.proportion for c in pop.joint])

    # latents
    factor = _psd_cholesky(s.correlation_matrix())
    latent_shifts = []
    for name in latents:
        lat = s.latents[name]
        entries = []
        for g, levels in lat.by_group.items():
            lv = pop.levels(g)
            shift = np.array([levels[x].mean_shift if x in levels else 0.0 for x in lv])
            ratio = np.array([levels[x].sd_ratio if x in levels else 1.0 for x in lv])
            entries.append((names.index(g), shift, ratio))
        latent_shifts.append(entries)

    o = s.outcome
    reoff = _Hazard(
        o.baseline.scale,
        o.baseline.shape,
        [(latents.index(k), v) for k, v in o.effects.latents.items()],
        _shifts(s, o.effects.groups, names),
    )
    competing = None
    if o.competing is not None:
        c = o.competing
        competing = _Hazard(
            c.baseline.scale,
            c.baseline.shape,
            [(latents.index(k), v) for k, v in c.effects.latents.items()],
            _shifts(s, c.effects.groups, names),
        )
    follow = (
        (o.follow_up, o.follow_up)
        if isinstance(o.follow_up, float | int)
        else (o.follow_up.min, o.follow_up.max)
    )
    loss_rate = 0.0
    if o.loss_to_follow_up is not None:
        ltf = o.loss_to_follow_up
        loss_rate = (
            float(ltf.rate)
            if ltf.rate is not None
            else loss_rate_for_proportion(float(ltf.proportion or 0.0), *follow)
        )
    severity = None
    if o.severity is not None:
        sv = o.severity
        severity = (
            list(sv.levels),
            np.array(sv.cutpoints),
            [(latents.index(k), v) for k, v in sv.effects.latents.items()],
            _shifts(s, sv.effects.groups, names),
        )

    return CompiledScenario(
        scenario=s,
        instruments=specs,
        items=list(items.values()),
        group_names=names,
        group_levels=group_levels,
        group_probs=group_probs,
        joint_groups=joint_groups,
        joint_cells=joint_cells,
        joint_probs=joint_probs,
        latent_names=latents,
        latent_mean=np.array([s.latents[k].mean for k in latents]),
        latent_sd=np.array([s.latents[k].sd for k in latents]),
        latent_shifts=latent_shifts,
        latent_factor=factor,
        item_plans=[plans[k] for k in order],
        reoffence=reoff,
        competing=competing,
        loss_rate=loss_rate,
        follow_up=(float(follow[0]), float(follow[1])),
        horizons=[(h.label, h.time) for h in o.horizons],
        severity=severity,
    )


def _psd_cholesky(r: np.ndarray) -> np.ndarray:
    """Lower-triangular ``L`` with ``L @ L.T = r`` for a positive *semi*-definite ``r`` (a zero
    pivot, e.g. from a correlation of -1, gives a zero column). Lower-triangular on purpose: the
    first latent is always the first standard normal draw, so scenarios that differ only in a
    correlation share the same first latent for the same seed."""
    k = len(r)
    low = np.zeros((k, k))
    for j in range(k):
        d = r[j, j] - low[j, :j] @ low[j, :j]
        low[j, j] = math.sqrt(max(d, 0.0))
        for i in range(j + 1, k):
            low[i, j] = (
                (r[i, j] - low[i, :j] @ low[j, :j]) / low[j, j] if low[j, j] > 1e-12 else 0.0
            )
    return low


def _dependency_order(plans: dict[str, _ItemPlan], issues: _Issues) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(k: str, stack: list[str]) -> None:
        if state.get(k) == 2:
            return
        if state.get(k) == 1:
            issues.add(
                ("items", "models", k),
                f"items bound each other in a cycle: {' -> '.join([*stack, k])}",
            )
            return
        state[k] = 1
        p = plans[k]
        for ref in (p.at_most, p.at_least):
            if ref is not None and ref in plans:
                visit(ref, [*stack, k])
        state[k] = 2
        order.append(k)

    for k in plans:
        visit(k, [])
    return order


# --------------------------------------------------------------------------- drawing


def _rng(seed: int, stage: str) -> np.random.Generator:
    """Independent stream for one stage: ``SeedSequence(seed)`` with the stage's name (its UTF-8
    bytes) as spawn key, so distinct stages never share a stream."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(stage.encode())))


def _categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn from the discrete distribution ``probs`` using uniforms ``u``."""
    cum = np.cumsum(probs)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(probs) - 1)


def _draw_groups(c: CompiledScenario, n: int, seed: int) -> list[np.ndarray]:
    rng = _rng(seed, "groups")
    out: list[np.ndarray | None] = [None] * len(c.group_names)
    if c.joint_cells is not None:
        assert c.joint_probs is not None
        cell = _categorical(rng.random(n), c.joint_probs)
        for j, g in enumerate(c.joint_groups):
            out[g] = c.joint_cells[cell, j]
    for g in range(len(c.group_names)):
        if out[g] is None:
            out[g] = _categorical(
                _rng(seed, f"group:{c.group_names[g]}").random(n), c.group_probs[g]
            ).astype(np.int64)
    return out  # type: ignore[return-value]


def _group_sum(shifts: list[_Shift], groups: list[np.ndarray], n: int) -> np.ndarray | float:
    total: np.ndarray | float = 0.0
    for sh in shifts:
        if np.any(sh.values != 0):
            total = total + sh.values[groups[sh.group]]
    return total


def _draw_latents(c: CompiledScenario, groups: list[np.ndarray], n: int, seed: int) -> np.ndarray:
    k = len(c.latent_names)
    z = _rng(seed, "latents").standard_normal((n, k))
    z = z @ c.latent_factor.T
    for j in range(k):
        mean: np.ndarray | float = c.latent_mean[j]
        sd: np.ndarray | float = c.latent_sd[j]
        for g, shift, ratio in c.latent_shifts[j]:
            mean = mean + shift[groups[g]]
            sd = sd * ratio[groups[g]]
        z[:, j] = mean + sd * z[:, j]
    return z


def _dif_shift(
    p: _ItemPlan, groups: list[np.ndarray], category: int | None = None
) -> np.ndarray | float:
    total: np.ndarray | float = 0.0
    for g, level, shift, cat in p.dif:
        if cat == category:
            total = total + np.where(groups[g] == level, shift, 0.0)
    return total


def _truncated_normal(
    u: np.ndarray, mu: np.ndarray, sd: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Inverse-CDF draw from N(mu, sd^2) truncated to [lo, hi]; computed in the lower tail for
    accuracy (upper-tail intervals are reflected)."""
    a = (lo - mu) / sd
    b = (hi - mu) / sd
    flip = a > 0
    a2 = np.where(flip, -b, a)
    b2 = np.where(flip, -a, b)
    pa, pb = ndtr(a2), ndtr(b2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ndtri(pa + u * (pb - pa))
    z = np.where(flip, -z, z)
    x = mu + sd * z
    bad = ~np.isfinite(x) | (pb - pa <= 0)
    if np.any(bad):  # interval far out in a tail: uniform within it (or the nearest bound)
        lo_b, hi_b = np.broadcast_to(lo, x.shape)[bad], np.broadcast_to(hi, x.shape)[bad]
        span = np.where(np.isfinite(hi_b - lo_b), hi_b - lo_b, 0.0)
        start = np.where(np.isfinite(lo_b), lo_b, hi_b)
        x[bad] = start + u[bad] * span
    return np.clip(x, lo, hi)


def _draw_item(
    p: _ItemPlan,
    theta: np.ndarray,
    groups: list[np.ndarray],
    done: dict[str, np.ndarray],
    n: int,
    seed: int,
) -> np.ndarray:
    rng = _rng(seed, f"item:{p.id}")
    lin: np.ndarray | float = 0.0 if p.latent is None else p.a * theta[:, p.latent]
    if p.kind in ("binary", "ordinal"):
        assert p.cuts is not None and p.values is not None
        # Y >= level k  <=>  L < cut_k + eta with L standard logistic (P(L < x) = expit(x))
        v = rng.logistic(size=n)
        v -= lin
        v -= _dif_shift(p, groups)
        idx = np.zeros(n, dtype=np.int8)
        for cut in p.cuts:
            idx += v < cut
        return p.values[idx]
    if p.kind == "count":
        mu = np.exp(p.log_mean + lin + _dif_shift(p, groups))
        mu = np.broadcast_to(mu, (n,))
        if p.dispersion is not None:
            mu = mu * rng.gamma(p.dispersion, 1 / p.dispersion, n)
        y = rng.poisson(np.minimum(mu, 1e12)).astype(np.float64)
        return np.clip(y, p.lo, p.hi).astype(np.int64)
    if p.kind == "number":
        mean: np.ndarray | float = p.mean
        sd: np.ndarray | float = p.sd
        lo: np.ndarray | float = p.lo
        hi: np.ndarray | float = p.hi
        if p.by_group is not None:
            g, gm, gs, glo, ghi = p.by_group
            mean, sd, lo, hi = gm[groups[g]], gs[groups[g]], glo[groups[g]], ghi[groups[g]]
        if p.at_most is not None:
            hi = np.minimum(hi, done[p.at_most])
        if p.at_least is not None:
            lo = np.maximum(lo, done[p.at_least])
        if p.decimals is not None:  # keep the rounded value inside the range
            f = 10.0**p.decimals
            lo, hi = np.ceil(np.asarray(lo) * f - 1e-9) / f, np.floor(np.asarray(hi) * f + 1e-9) / f
        mu = np.broadcast_to(mean + lin + _dif_shift(p, groups), (n,)).astype(float)
        x = _truncated_normal(
            rng.random(n),
            mu,
            np.broadcast_to(sd, (n,)),
            np.broadcast_to(lo, (n,)),
            np.broadcast_to(hi, (n,)),
        )
        if p.decimals is not None:
            x = np.clip(np.round(x, p.decimals), lo, hi)
        return x
    # categorical
    assert p.log_p is not None and p.slopes is not None
    k = len(p.categories)
    u = rng.random(n)
    if p.latent is None and not p.dif:
        return _categorical(u, np.exp(p.log_p))
    logits = np.empty((n, k))
    th = theta[:, p.latent] if p.latent is not None else 0.0
    for j in range(k):
        logits[:, j] = p.log_p[j] + p.slopes[j] * th + _dif_shift(p, groups, j)
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    np.cumsum(logits, axis=1, out=logits)
    return np.minimum((u[:, None] * logits[:, -1:] >= logits).sum(axis=1), k - 1)


def _missing_mask(
    p: _ItemPlan, theta: np.ndarray, groups: list[np.ndarray], n: int, seed: int
) -> np.ndarray | None:
    if p.missing_logit == -math.inf:
        return None
    u = _rng(seed, f"missing:{p.id}").random(n)
    if not p.missing_latents and not p.missing_groups:
        return u < expit(p.missing_logit)
    eta: np.ndarray | float = p.missing_logit + _group_sum(p.missing_groups, groups, n)
    for j, beta in p.missing_latents:
        eta = eta + beta * theta[:, j]
    return u < expit(eta)


def _lp(h: _Hazard, theta: np.ndarray, groups: list[np.ndarray], n: int) -> np.ndarray:
    lp = np.zeros(n)
    for j, beta in h.latents:
        lp += beta * theta[:, j]
    lp += _group_sum(h.groups, groups, n)
    return lp


def _column(p: _ItemPlan, values: np.ndarray, mask: np.ndarray | None) -> Any:
    if p.kind in ("binary", "ordinal", "count"):
        miss = np.zeros(len(values), dtype=bool) if mask is None else mask
        return pd.arrays.IntegerArray(values.astype(np.int64, copy=False), miss)
    if p.kind == "number":
        if mask is not None:
            values = values.copy()
            values[mask] = np.nan
        return values
    cats = np.array(p.categories + [None], dtype=object)
    idx = values if mask is None else np.where(mask, len(p.categories), values)
    return cats[idx]


def simulate(
    scenario: Scenario | str | os.PathLike[str] | CompiledScenario,
    n: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate a cohort with known ground truth.

    ``scenario`` is the name of a shipped scenario (see :func:`list_scenarios`), a path to a
    scenario file, a :class:`Scenario` or a :class:`CompiledScenario`; ``n`` defaults to the
    scenario's population size. Returns one row per person with

    * ``person_id`` (1..n), the group columns (text);
    * one column per item of the named instruments (column = item id): binary, ordinal and count
      items as nullable ``Int64``, numbers as float (NaN = missing), categories as text (None =
      missing);
    * ``time`` (follow-up time in the outcome's time unit), ``event`` (True = reoffence observed),
      ``event_type`` when a competing event is on (0 censored, 1 reoffence, 2 competing event),
      ``severity`` when severity is on (None unless a reoffence is observed);
    * ground truth: ``truth_<latent>`` for each latent, ``truth_lp`` (log-hazard ratio of
      reoffending relative to the baseline: a Cox model on it has coefficient 1),
      ``truth_p_<label>`` (true probability of reoffending by each horizon; with a competing
      event the cumulative incidence, i.e. reoffending before the competing event),
      ``truth_time_reoffence`` (the uncensored time to reoffence, infinite-follow-up and
      absent the competing event), ``truth_lp_competing`` (if on) and ``truth_end`` (what ended
      follow-up: reoffence, competing, lost_to_follow_up or end_of_follow_up).

    Same scenario, ``n`` and ``seed`` give an identical frame; each stage (groups, latents, each
    item, each item's missingness, each outcome part) draws from its own stream derived from
    ``seed`` and the stage's name, so different seeds give independent cohorts. Fully vectorised.

    >>> cohort = simulate("baseline", n=1000, seed=1)
    >>> len(cohort), bool(cohort["truth_p_1y"].between(0, 1).all())
    (1000, True)
    """
    c = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    if n is None:
        n = c.scenario.population.size
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive whole number of people, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    n, seed = int(n), int(seed)

    groups = _draw_groups(c, n, seed)
    theta = _draw_latents(c, groups, n, seed)

    cols: dict[str, Any] = {"person_id": np.arange(1, n + 1, dtype=np.int64)}
    for g, name in enumerate(c.group_names):
        cols[name] = np.array(c.group_levels[g], dtype=object)[groups[g]]

    done: dict[str, np.ndarray] = {}
    item_cols: dict[str, Any] = {}
    needed = {p.at_most for p in c.item_plans} | {p.at_least for p in c.item_plans}
    for p in c.item_plans:
        values = _draw_item(p, theta, groups, done, n, seed)
        if p.id in needed:
            done[p.id] = values.astype(float)
        item_cols[p.id] = _column(p, values, _missing_mask(p, theta, groups, n, seed))
        del values
    for it in c.items:  # columns in instrument order
        cols[it.id] = item_cols.pop(it.id)

    # outcome
    r = c.reoffence
    lp = _lp(r, theta, groups, n)
    t_reoff = weibull_ph_times(
        lp, r.scale, r.shape, _rng(seed, "outcome:reoffence").standard_exponential(n)
    )
    lo, hi = c.follow_up
    end = np.full(n, hi) if lo == hi else _rng(seed, "outcome:follow_up").uniform(lo, hi, n)
    lost = (
        _rng(seed, "outcome:loss").standard_exponential(n) / c.loss_rate
        if c.loss_rate > 0
        else np.full(n, np.inf)
    )
    if c.competing is not None:
        lp2 = _lp(c.competing, theta, groups, n)
        t_comp = weibull_ph_times(
            lp2,
            c.competing.scale,
            c.competing.shape,
            _rng(seed, "outcome:competing").standard_exponential(n),
        )
    else:
        lp2 = None
        t_comp = np.full(n, np.inf)
    time = np.minimum(np.minimum(t_reoff, t_comp), np.minimum(end, lost))
    event = t_reoff == time
    competing = (t_comp == time) & ~event
    lost_first = (lost == time) & ~event & ~competing
    cols["time"] = time
    cols["event"] = event
    if c.competing is not None:
        cols["event_type"] = np.where(event, 1, np.where(competing, 2, 0)).astype(np.int64)
    if c.severity is not None:
        levels, cuts, sev_latents, sev_groups = c.severity
        eta = _group_sum(sev_groups, groups, n) + np.zeros(n)
        for j, beta in sev_latents:
            eta = eta + beta * theta[:, j]
        u = _rng(seed, "outcome:severity").random(n)
        idx = np.zeros(n, dtype=np.int64)
        for cut in cuts:
            idx += u < expit(eta - cut)
        sev = np.array(levels + [None], dtype=object)[np.where(event, idx, len(levels))]
        cols["severity"] = sev

    for j, name in enumerate(c.latent_names):
        cols[f"truth_{name}"] = theta[:, j]
    cols["truth_lp"] = lp
    rate1 = weibull_rate(lp, r.scale, r.shape)
    rate2 = (
        weibull_rate(lp2, c.competing.scale, c.competing.shape)
        if c.competing is not None and lp2 is not None
        else None
    )
    for label, h in c.horizons:
        cols[f"truth_p_{label}"] = cumulative_incidence(
            h, rate1, r.shape, rate2, c.competing.shape if c.competing else None
        )
    cols["truth_time_reoffence"] = t_reoff
    if lp2 is not None:
        cols["truth_lp_competing"] = lp2
    end_code = np.where(event, 0, np.where(competing, 1, np.where(lost_first, 2, 3)))
    cols["truth_end"] = pd.Categorical.from_codes(
        end_code, ["reoffence", "competing", "lost_to_follow_up", "end_of_follow_up"]
    )
    return pd.DataFrame(cols, copy=False)


def write_cohort(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a simulated cohort as CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``), chosen
    by the file extension; returns the path. Missing responses are empty cells in CSV."""
    from assess.io import write_table

    return write_table(frame, path)
