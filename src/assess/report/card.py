"""Instrument cards: a readable Markdown summary of a spec (provenance, items, scoring, rule
lists, bands, refusals)."""

from __future__ import annotations

from assess.spec.models import (
    BinaryResponse,
    CategoricalResponse,
    CountResponse,
    InstrumentSpec,
    Item,
    NumberResponse,
    OrdinalResponse,
    PointsBand,
    RuleListModel,
)

__all__ = ["instrument_card", "describe_response"]


def _num(x: float) -> str:
    return f"{x:g}"


def _band_range(b: PointsBand) -> str:
    lo = "" if b.lower is None else _num(b.lower)
    hi = "" if b.upper is None else _num(b.upper)
    if b.lower is None:
        return f"< {hi}"
    if b.upper is None:
        return f">= {lo}"
    return f"{lo} to < {hi}"


def describe_response(item: Item) -> str:
    """One-line description of how an item is recorded and scored."""
    r = item.response
    if isinstance(r, BinaryResponse):
        text = f"binary: present {_num(r.points_present)}, absent {_num(r.points_absent)}"
    elif isinstance(r, OrdinalResponse):
        text = "ordinal: " + ", ".join(f"{lv.value} {lv.label} ({_num(lv.points)})" for lv in r.levels)
    elif isinstance(r, CountResponse):
        rng = f"{r.min}..{'' if r.max is None else r.max}"
        if r.bands:
            text = f"count {rng}: " + ", ".join(f"{_band_range(b)} ({_num(b.points)})" for b in r.bands)
        else:
            text = f"count {rng}" + (": points = the count" if item.is_scored else "")
    elif isinstance(r, NumberResponse):
        rng = f"{'' if r.min is None else _num(r.min)}..{'' if r.max is None else _num(r.max)}"
        text = f"number {rng}"
        if r.bands:
            text += ": " + ", ".join(f"{_band_range(b)} ({_num(b.points)})" for b in r.bands)
    elif isinstance(r, CategoricalResponse):
        text = "categorical: " + ", ".join(
            f"{c.value} ({_num(c.points)}" + ("" if c.code is None else f"; code {_num(c.code)}") + ")"
            for c in r.categories
        )
    else:  # pragma: no cover - exhaustive
        text = r.type
    flags = []
    if item.reverse:
        flags.append("reverse-keyed")
    if item.protective_only:
        flags.append("protective only")
    if not item.is_scored:
        flags.append("not scored")
    return text + (f" [{', '.join(flags)}]" if flags else "")


def _value(v: float | str) -> str:
    return f'"{v}"' if isinstance(v, str) else _num(v)


def _rule_list_lines(m: RuleListModel) -> list[str]:
    """A rule list as numbered if / else-if lines (the first rule that holds decides)."""
    title = f" {m.label}" if m.label else ""
    lines = [
        f"- `{m.id}`{title} (rule list: the first rule whose condition holds decides; "
        f"`{m.id}_rule` gives its number; a rule whose condition is missing while no earlier "
        "rule holds leaves the row invalid):",
        "",
    ]
    for k, rule in enumerate(m.rules, 1):
        word = "if" if k == 1 else "else if"
        lines.append(f"  {k}. {word} `{rule.if_}` then {_value(rule.then)}")
    lines.append(f"  {len(m.rules) + 1}. else {_value(m.else_)}")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def instrument_card(spec: InstrumentSpec, spec_hash: str | None = None) -> str:
    """Markdown card for an instrument: identity, provenance, domains and items, scales,
    derived variables, models (rule lists as numbered if / else-if lines), bands and refusals."""
    out: list[str] = [f"# {spec.name}", ""]
    out.append(f"**{spec.id}** version {spec.version}, status **{spec.status}**")
    if spec_hash:
        out.append(f"  \nspec hash `{spec_hash[:16]}`")
    out += ["", spec.description.strip(), "", "## Provenance", ""]
    out.append(f"- Licence: {spec.licence}")
    if spec.source:
        out.append(f"- Source: {spec.source}")
    if spec.supersedes:
        out.append(f"- Supersedes: {', '.join(spec.supersedes)}")
    for c in spec.citations:
        extra = f" <{c.url}>" if c.url else ""
        extra += f" doi:{c.doi}" if c.doi else ""
        out.append(f"- {c.text}{extra}")

    out += ["", "## Items", ""]
    for dom in spec.domains:
        items = [it for it in spec.items if it.domain == dom.id]
        out += [f"### {dom.label} (`{dom.id}`, {len(items)} items)", ""]
        if dom.description:
            out += [dom.description, ""]
        out += ["| item | label | role | kind | response and points |", "|---|---|---|---|---|"]
        for it in items:
            out.append(
                f"| `{it.id}` | {_cell(it.label)} | {it.role} | {it.kind} | {_cell(describe_response(it))} |"
            )
        out.append("")

    if spec.scales:
        out += ["## Scales", "", "| scale | role | method | components | missing rule | lookup |", "|---|---|---|---|---|---|"]
        for sc in spec.scales:
            comps = ", ".join(
                c.ref if c.weight == 1 else f"{_num(c.weight)} x {c.ref}" for c in sc.components
            )
            m = sc.missing
            rule = (
                "none allowed"
                if m.max_missing == 0
                else f"up to {m.max_missing} missing, {m.policy}"
                + (f" (round {m.rounding})" if m.policy == "prorate" else "")
            )
            lookup = f"{len(sc.lookup)} entries" if sc.lookup else "-"
            out.append(f"| `{sc.id}` {_cell(sc.label)} | {sc.role} | {sc.method} | {_cell(comps)} | {rule} | {lookup} |")
        out.append("")

    if spec.derived:
        out += ["## Derived variables", ""]
        for d in spec.derived:
            out.append(f"- `{d.id}` = `{d.expression}`" + (f": {d.label}" if d.label else ""))
        out.append("")

    if spec.models:
        out += ["## Models", ""]
        for m in spec.models:
            if m.type == "rule_list":
                out += _rule_list_lines(m)
                continue
            terms = " + ".join(f"{_num(t.coefficient)} x {t.ref}" for t in m.terms)
            if m.type == "additive":
                out.append(f"- `{m.id}` (additive): {_num(m.intercept)} + {terms}")
            elif m.type == "logistic":
                hs = ", ".join(f"{h.label} (t={_num(h.time)} {spec.time_unit}, intercept {_num(h.intercept)})" for h in m.horizons)
                out.append(f"- `{m.id}` (logistic): lp = {terms}; horizons {hs}")
            else:
                hs = ", ".join(f"{h.label} (t={_num(h.time)} {spec.time_unit}, S0={_num(h.baseline_survival)})" for h in m.horizons)
                out.append(f"- `{m.id}` (survival): lp = {terms}, centre {_num(m.centre)}; horizons {hs}")
        out.append("")

    if spec.bands:
        out += ["## Bands", ""]
        primary = spec.primary_band or spec.bands[0].id
        for b in spec.bands:
            op = "<=" if b.upper_inclusive else "<"
            parts = []
            for c in b.cuts:
                parts.append(f"{c.label} ({op} {_num(c.upper)})" if c.upper is not None else f"{c.label} (above)")
            star = " (primary)" if b.id == primary else ""
            out.append(f"- `{b.id}` on `{b.on}`{star}: " + ", ".join(parts))
        out.append("")

    if spec.refusals:
        out += [
            "## Refusals",
            "",
            "A row meeting any of these conditions gets no score at all (every output missing, "
            "status `invalid`, the reason given); a condition that cannot be evaluated because "
            "inputs are missing does not refuse.",
            "",
        ]
        for rf in spec.refusals:
            out.append(f"- when `{rf.when}`: {rf.reason}")
        out.append("")

    out.append(f"{len(spec.test_vectors)} embedded test vectors.")
    return "\n".join(out)
