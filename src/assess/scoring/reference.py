"""A deliberately plain, per-row, pure-Python scorer: the independent reference for the engine.

:func:`score_reference` walks the spec for every row with ordinary Python control flow
(``isinstance`` checks on each cell, loops over levels, bands, components and terms,
:mod:`decimal` for rounding, :mod:`math` for the link functions). It shares none of the
engine's array logic (no compiled tables, no ``searchsorted``, no block processing); it reuses
only the text of messages (so reasons can be compared word for word) and the expression
evaluator of :mod:`assess.spec.expressions` (called on one row at a time).

It implements the semantics documented in :mod:`assess.scoring.engine` and is used in tests
(the engine must agree with it on random valid and invalid data) and as the peer in
``benchmarks/bench_scoring.py``. It is slow by design: do not use it to score cohorts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..spec.models import InstrumentSpec, Item
from .compiler import compile_spec
from .engine import (
    STATUS_LABELS,
    band_item_message,
    derived_message,
    model_item_message,
    rule_message,
    scale_message,
)
from .inputs import invalid_value_message

__all__ = ["score_reference", "reference_round"]

_NAN = float("nan")
_TOL = 1e-9  # same documented tolerances as the engine
_DECIMAL_RULES = {
    "half_up": ROUND_HALF_UP,
    "down": ROUND_FLOOR,
    "up": ROUND_CEILING,
    "nearest_even": ROUND_HALF_EVEN,
}


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)) and v != v:
        return True
    return False


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _check(item: Item, v: Any) -> tuple[bool, Any]:
    """(valid, key): key is the value used to find points (a number or a category string)."""
    r = item.response
    if r.type == "categorical":
        ok = isinstance(v, str) and any(v == c.value for c in r.categories)
        return ok, v
    if isinstance(v, (bool, np.bool_)):
        if r.type == "binary":
            return True, float(bool(v))
        return False, None
    if not _is_number(v):
        return False, None
    x = _as_float(v)
    if r.type == "binary":
        return (x == 0.0 or x == 1.0), x
    if r.type == "ordinal":
        ok = math.isfinite(x) and x == math.floor(x) and any(x == lv.value for lv in r.levels)
        return ok, x
    if r.type == "count":
        ok = (
            math.isfinite(x) and x == math.floor(x) and x >= r.min and (r.max is None or x <= r.max)
        )
        return ok, x
    # number
    ok = math.isfinite(x) and (r.min is None or x >= r.min) and (r.max is None or x <= r.max)
    return ok, x


def _base_points(item: Item, key: Any) -> float:
    r = item.response
    if r.type == "binary":
        return r.points_present if key == 1.0 else r.points_absent
    if r.type == "ordinal":
        for lv in r.levels:
            if lv.value == key:
                return lv.points
    if r.type == "categorical":
        for c in r.categories:
            if c.value == key:
                return c.points
    if r.type in ("count", "number"):
        if not r.bands:
            return key
        for b in r.bands:
            if (b.lower is None or key >= b.lower) and (b.upper is None or key < b.upper):
                return b.points
    raise AssertionError(f"no points for {item.id}={key!r}")  # pragma: no cover


def _is_absent(item: Item, key: Any) -> bool:
    r = item.response
    if r.type == "binary":
        return key == 0.0
    return r.type == "ordinal" and key == r.levels[0].value


def _item_points(item: Item, valid: bool, key: Any) -> float:
    if item.protective_only and (not valid or _is_absent(item, key)):
        return 0.0
    if not valid:
        return _NAN
    p = _base_points(item, key)
    if item.reverse:
        pool = item.point_values()
        p = max(pool) + min(pool) - p
    return float(p)


def reference_round(x: float, rule: str) -> float:
    """Round one prorated score with :mod:`decimal` (after the engine's documented snapping of
    values within a relative 1e-9 of a multiple of 0.5)."""
    if (
        rule == "none" or not math.isfinite(x) or abs(x) >= 2.0**52
    ):  # large floats are whole numbers
        return x
    half = round(x * 2.0) / 2.0
    if abs(x - half) <= _TOL * max(1.0, abs(x)):
        x = half
    return float(Decimal(x).quantize(Decimal(1), rounding=_DECIMAL_RULES[rule])) + 0.0


def _expit(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _survival_p(s0: float, lp: float, centre: float) -> float:
    try:
        hr = math.exp(lp - centre)
    except OverflowError:
        return 1.0
    return 1.0 - s0**hr


def _evaluate_one(expr: Any, env: dict[str, float]) -> float:
    """Value of an expression for one row (NaN when missing or out of domain)."""
    with np.errstate(all="ignore"):
        value = float(np.asarray(expr.evaluate(env), dtype=np.float64).reshape(-1)[0])
    return value if math.isfinite(value) else _NAN


def score_reference(
    spec: InstrumentSpec,
    data: pd.DataFrame,
    keep: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Score ``data`` row by row; returns the same frame as ``Instrument(spec).score(data).frame``
    (lenient mode). Required columns must be present (no friendly error here)."""
    compiled_items = {ci.id: ci for ci in compile_spec(spec).items}  # message text only
    columns = {it.id: data[it.id].tolist() for it in spec.items if it.id in data.columns}
    out_cols = spec.output_columns()
    records: dict[str, list] = {c: [] for c in out_cols}
    for r in range(len(data)):
        row = {k: v[r] for k, v in columns.items()}
        result = _score_row(spec, compiled_items, row)
        for c in out_cols:
            records[c].append(result[c])

    frame_cols: dict[Hashable, Any] = {}
    for k in keep or []:
        frame_cols[k] = data[k].array
    band_labels = {b.id: [c.label for c in b.cuts] for b in spec.bands}
    rule_labels = {m.id: m.labels for m in spec.models if m.type == "rule_list" and m.labelled}
    primary = spec.primary_band or (spec.bands[0].id if spec.bands else None)
    for c in out_cols:
        values = records[c]
        if c in band_labels or c == "band":
            labels = band_labels[primary] if c == "band" else band_labels[c]
            frame_cols[c] = pd.Categorical(values, categories=labels, ordered=True)
        elif c in rule_labels:
            frame_cols[c] = pd.Categorical(values, categories=rule_labels[c])
        elif c in ("status", "reason"):
            frame_cols[c] = np.array(values, dtype=object)
        elif (
            c == "n_missing"
            or c.endswith("_missing")
            and c[: -len("_missing")] in {s.id for s in spec.scales}
        ):
            frame_cols[c] = np.array(values, dtype=np.int64)
        else:
            frame_cols[c] = np.array(values, dtype=np.float64)
    return pd.DataFrame(frame_cols, index=data.index)


def _score_row(spec: InstrumentSpec, messages_for: dict, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    reasons: list[tuple[str, str]] = []  # (message, status)
    raw: dict[str, float] = {}
    points: dict[str, float] = {}
    missing: dict[str, bool] = {}
    n_missing = 0

    for item in spec.items:
        if item.id not in row:
            continue
        v = row[item.id]
        if _is_missing(v):
            valid, key = False, None
        else:
            valid, key = _check(item, v)
            if not valid:
                reasons.append((invalid_value_message(messages_for[item.id], v), "invalid"))
        r = item.response
        if r.type != "categorical":
            raw[item.id] = key if valid else _NAN
        elif r.coded:  # categorical with numeric codes: the code of the recorded category
            code = _NAN
            if valid:
                for cat in r.categories:
                    if cat.value == key:
                        code = float(cat.code)
            raw[item.id] = code
        if item.is_scored:
            points[item.id] = _item_points(item, valid, key)
            out[f"{item.id}_points"] = points[item.id]
            is_missing = not valid and not item.protective_only
            missing[item.id] = is_missing
            n_missing += int(is_missing)

    n_input_reasons = len(reasons)  # invalid values; the rest come from the pipeline
    scales: dict[str, float] = {}
    for sc in spec.scales:
        m = len(sc.components)
        noun = "items" if all(c.ref in points for c in sc.components) else "components"
        nmiss = 0
        lost = 0.0
        total = 0.0
        best = -math.inf
        any_answered = False
        sub_bad = False
        for comp in sc.components:
            w = comp.weight
            if comp.ref in points:
                if missing[comp.ref]:
                    nmiss += 1
                    lost += abs(w)
                    continue
                value = points[comp.ref]
            else:
                value = scales[comp.ref]
                if math.isnan(value):
                    reasons.append((scale_message("sub", sc.id, sub=comp.ref), "invalid"))
                    sub_bad = True
                    continue
            any_answered = True
            total += w * value
            best = max(best, w * value)
        total_w = sum(abs(c.weight) for c in sc.components)
        answered_w = total_w - lost
        rule = sc.missing
        value = _NAN
        too_many = nmiss > rule.max_missing
        some = 0 < nmiss and not too_many
        if sc.method == "sum":
            none_answered = some and rule.policy == "prorate" and answered_w <= 0
            if some and rule.policy == "prorate" and not none_answered:
                value = reference_round(total * (total_w / answered_w), rule.rounding)
            else:
                value = total
            note = "prorate" if rule.policy == "prorate" else "zero"
        elif sc.method == "mean":
            none_answered = answered_w <= 0
            value = total / answered_w if not none_answered else _NAN
            note = "answered"
        else:
            none_answered = not any_answered and nmiss >= m
            value = best
            note = "answered"
        if too_many:
            reasons.append(
                (
                    scale_message(
                        "too_many", sc.id, k=nmiss, m=m, noun=noun, max_missing=rule.max_missing
                    ),
                    "invalid",
                )
            )
        elif none_answered:
            reasons.append((scale_message("none_answered", sc.id, noun=noun), "invalid"))
        if some and not none_answered and not sub_bad:
            reasons.append((scale_message(note, sc.id, k=nmiss, m=m, noun=noun), "prorated"))
        if too_many or none_answered or sub_bad:
            value = _NAN
        if sc.lookup and not math.isnan(value):
            mapped = _NAN
            for e in sc.lookup:
                if e.raw_min - _TOL <= value <= e.raw_max + _TOL:
                    mapped = e.scaled
                    break
            if math.isnan(mapped):
                reasons.append((scale_message("lookup", sc.id, score=value), "invalid"))
            value = mapped
        scales[sc.id] = value + 0.0
        out[sc.id] = scales[sc.id]
        out[f"{sc.id}_missing"] = nmiss

    from ..spec.expressions import parse_expression

    env: dict[str, float] = dict(raw)
    env.update(scales)
    derived: dict[str, float] = {}
    for d in spec.derived:
        value = _evaluate_one(parse_expression(d.expression), env)
        if not math.isfinite(value):
            value = _NAN
        derived[d.id] = value
        env[d.id] = value
        out[d.id] = value
    flagged: set[str] = set()

    def need_derived(name: str) -> None:
        if name not in flagged:
            flagged.add(name)
            reasons.append((derived_message(name), "invalid"))

    numeric: dict[str, float] = {**scales, **derived}
    for mdl in spec.models:
        if mdl.type == "rule_list":
            value: Any = _NAN
            which = _NAN
            for k, rule in enumerate(mdl.rules):
                expr = parse_expression(rule.if_)
                cond = _evaluate_one(expr, env)
                if math.isnan(cond):
                    missing_names = [n for n in sorted(expr.names) if math.isnan(env[n])]
                    reasons.append((rule_message(mdl.id, k + 1, missing_names), "invalid"))
                    break
                if cond != 0:
                    value, which = rule.then, float(k + 1)
                    break
            else:
                value, which = mdl.else_, float(len(mdl.rules) + 1)
            if mdl.labelled:
                out[mdl.id] = None if isinstance(value, float) and math.isnan(value) else value
            else:
                out[mdl.id] = float(value)
                numeric[mdl.id] = out[mdl.id]
            out[f"{mdl.id}_rule"] = which
            continue
        lp = 0.0
        undefined = False
        for t in mdl.terms:
            if t.ref in scales:
                value = scales[t.ref]
            elif t.ref in derived:
                value = derived[t.ref]
            elif t.ref in points:
                value = points[t.ref]
            else:  # unscored numeric item: its recorded value
                value = raw[t.ref]
            if math.isnan(value):
                undefined = True
                if t.ref in derived:
                    need_derived(t.ref)
                elif t.ref in points or t.ref in raw:
                    reasons.append((model_item_message(mdl.id, t.ref), "invalid"))
                continue
            lp += t.coefficient * value
        if undefined:
            lp = _NAN
            if not any(
                s == "invalid" for _, s in reasons
            ):  # pragma: no cover - always has a reason
                reasons.append((f"model '{mdl.id}' is undefined", "invalid"))
        if mdl.type == "additive":
            out[mdl.id] = mdl.intercept + lp + 0.0
            numeric[mdl.id] = out[mdl.id]
            continue
        out[f"{mdl.id}_lp"] = lp + 0.0
        numeric[f"{mdl.id}_lp"] = lp
        for h in mdl.horizons:
            if undefined:
                p = _NAN
            elif mdl.type == "logistic":
                p = _expit(h.intercept + lp)
            else:
                p = _survival_p(h.baseline_survival, lp, mdl.centre)
            out[f"{mdl.id}_p_{h.label}"] = p
            numeric[f"{mdl.id}_p_{h.label}"] = p

    band_ids = {b.id for b in spec.bands}
    labelled = {m.id for m in spec.models if m.type == "rule_list" and m.labelled}
    primary = spec.primary_band or (spec.bands[0].id if spec.bands else None)
    for b in spec.bands:
        value = raw[b.on] if b.on in raw else numeric[b.on]
        label = None
        if math.isnan(value):
            if b.on in derived:
                need_derived(b.on)
            elif b.on in raw:
                reasons.append((band_item_message(b.id, b.on), "invalid"))
        else:
            for cut in b.cuts:
                if cut.upper is None or (
                    value <= cut.upper if b.upper_inclusive else value < cut.upper
                ):
                    label = cut.label
                    break
        out[b.id] = label
        if b.id == primary:
            out["band"] = label

    refusal_reasons = []
    for rf in spec.refusals:
        cond = _evaluate_one(parse_expression(rf.when), env)
        if not math.isnan(cond) and cond != 0:
            refusal_reasons.append((rf.reason, "invalid"))
    if refusal_reasons:  # no score at all: blank every output, keep only input problems
        counts = {"n_missing"} | {f"{sc.id}_missing" for sc in spec.scales}
        for key in out:
            if key in counts:
                continue
            if key in band_ids or key == "band":
                out[key] = None
            elif key in labelled:
                out[key] = None
            else:
                out[key] = _NAN
        reasons = refusal_reasons + reasons[:n_input_reasons]

    statuses = {s for _, s in reasons}
    out["n_missing"] = n_missing
    out["status"] = (
        STATUS_LABELS[2]
        if "invalid" in statuses
        else STATUS_LABELS[1]
        if "prorated" in statuses
        else STATUS_LABELS[0]
    )
    out["reason"] = "; ".join(msg for msg, _ in reasons)
    return out
