"""Tests of the built-in illustrative instruments.

Covers ``instruments/rnr-general.yaml``, ``instruments/desistance-strengths.yaml`` and
``instruments/rnr-desistance-integrated.yaml``: the files validate (plain YAML + pydantic and the
located loader), ids match file names, the integrated instrument shares its items exactly with its
two parts, labels are unique and non-empty, every band set can reach its first and last band,
and the embedded test vectors agree with (a) a small independent reference scorer written here
from the spec docstrings and (b) the scoring engine in :mod:`assess.scoring`.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path

import pytest
import yaml

from assess.spec.models import InstrumentSpec, Item

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT_DIR = ROOT / "instruments"
RNR, STRENGTHS, INTEGRATED = "rnr-general", "desistance-strengths", "rnr-desistance-integrated"
NAMES = [RNR, STRENGTHS, INTEGRATED]
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # plain YAML 1.1 safe loading
PROPRIETARY = ("lsi", "ls/cmi", "oasys", "saprof", "compas", "ogrs", "hcr-20", "static-99")


def _plain(name: str) -> InstrumentSpec:
    """Validate with plain YAML + pydantic, independent of the located loader."""
    with open(INSTRUMENT_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return InstrumentSpec.model_validate(yaml.load(fh, Loader=_YAML_LOADER))


@pytest.fixture(scope="module")
def specs() -> dict[str, InstrumentSpec]:
    return {name: _plain(name) for name in NAMES}


# --------------------------------------------------------------------------- validation and provenance


@pytest.mark.parametrize("name", NAMES)
def test_file_validates_and_id_matches_file_name(name):
    spec = _plain(name)
    assert spec.id == name
    assert spec.version == {"rnr-general": "1.1.0", "rnr-desistance-integrated": "1.1.0"}.get(name, "1.0.0")


@pytest.mark.parametrize("name", NAMES)
def test_located_loader_reads_the_same_spec(name, specs):
    from assess.spec.loader import load_spec

    assert load_spec(INSTRUMENT_DIR / f"{name}.yaml") == specs[name]
    assert load_spec(name) == specs[name]  # through the registry, by id


@pytest.mark.parametrize("name", NAMES)
def test_marked_illustrative_with_provenance(name, specs):
    spec = specs[name]
    assert spec.status == "illustrative"
    text = " ".join(spec.description.split()).lower()
    assert "illustrative" in text
    assert "not calibrated on real data" in text
    assert "do not use this instrument to make decisions about people" in text
    assert spec.licence.startswith("CC-BY-4.0")
    assert spec.source == "assess project, written for illustration"
    assert len(spec.citations) >= 2


def test_readme_describes_every_instrument():
    readme = (INSTRUMENT_DIR / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"`{name}.yaml`" in readme
    for status in ("`draft`", "`illustrative`", "`published`"):
        assert status in readme
    assert "not calibrated on real data" in readme


# --------------------------------------------------------------------------- labels and content


def _all_labels(spec: InstrumentSpec):
    for it in spec.items:
        yield it.label
        r = it.response
        for lv in getattr(r, "levels", None) or []:
            yield lv.label
        for cat in getattr(r, "categories", None) or []:
            yield cat.label or cat.value
        for b in getattr(r, "bands", None) or []:
            yield b.label or ""


@pytest.mark.parametrize("name", NAMES)
def test_labels_unique_and_not_empty(name, specs):
    spec = specs[name]
    for group in (spec.domains, spec.items, spec.scales, spec.bands):
        labels = [x.label for x in group]
        assert all(lab and lab.strip() for lab in labels)
        assert len(set(labels)) == len(labels), f"repeated label in {labels}"
    for it in spec.items:
        r = it.response
        inner = [lv.label for lv in getattr(r, "levels", None) or []]
        inner += [c.label or "" for c in getattr(r, "categories", None) or []]
        inner += [b.label or "" for b in getattr(r, "bands", None) or []]
        assert all(lab.strip() for lab in inner), it.id
        assert len(set(inner)) == len(inner), it.id
    assert all(lab.strip() for lab in _all_labels(spec))
    assert len({tv.name for tv in spec.test_vectors}) == len(spec.test_vectors)


@pytest.mark.parametrize("name", NAMES)
def test_no_proprietary_instrument_named_in_items(name, specs):
    for it in specs[name].items:
        text = " ".join([it.label, it.description or "", *_all_labels_of(it)]).lower()
        assert not any(word in text for word in PROPRIETARY), it.id


def _all_labels_of(it: Item) -> list[str]:
    r = it.response
    return [lv.label for lv in getattr(r, "levels", None) or []] + [
        c.label or "" for c in getattr(r, "categories", None) or []
    ]


@pytest.mark.parametrize("name", NAMES)
def test_ordinal_points_rise_with_recorded_value(name, specs):
    # Reverse keying is declared with `reverse: true`, never by listing points backwards.
    for it in specs[name].items:
        levels = getattr(it.response, "levels", None)
        if levels:
            points = [lv.points for lv in levels]
            assert points == sorted(points), it.id
            assert min(points) == 0, it.id


# --------------------------------------------------------------------------- structure of each instrument


def _domain_scales_match_items(spec: InstrumentSpec, total_id: str, role: str) -> None:
    scored = [it for it in spec.items if it.is_scored and it.role == role]
    by_domain: dict[str, list[str]] = {}
    for it in scored:
        by_domain.setdefault(it.domain, []).append(it.id)
    scales = {s.id: s for s in spec.scales}
    for domain, item_ids in by_domain.items():
        sc = scales[domain]
        assert [c.ref for c in sc.components] == item_ids
        assert all(c.weight == 1 for c in sc.components)
        assert sc.method == "sum" and sc.missing.max_missing == 1
        assert sc.missing.policy == "prorate" and sc.missing.rounding == "half_up"
    total = scales[total_id]
    assert [c.ref for c in total.components] == [it.id for it in scored]
    assert total.role == role and total.missing.max_missing == 3


def test_rnr_general_structure(specs):
    spec = specs[RNR]
    assert 24 <= len(spec.items) <= 32
    scored = [it for it in spec.items if it.is_scored]
    assert {it.role for it in scored} == {"risk"}
    assert {it.domain for it in scored} == {
        "criminal_history", "antisocial_cognition", "antisocial_associates", "antisocial_personality",
        "family_marital", "education_employment", "leisure_recreation", "substance_misuse",
    }
    assert all(it.kind == "static" for it in scored if it.domain == "criminal_history")
    types = {it.response.type for it in spec.items}
    assert {"ordinal", "binary", "count", "number", "categorical"} <= types
    assert spec.item("prior_convictions").response.type == "count"
    unscored = [it for it in spec.items if not it.is_scored]
    assert {it.role for it in unscored} == {"context", "responsivity"}
    _domain_scales_match_items(spec, "risk_total", "risk")
    model = spec.models[0]
    assert model.type == "logistic" and [t.ref for t in model.terms] == ["risk_total"]
    assert [(h.label, h.time) for h in model.horizons] == [("1y", 1), ("2y", 2)]


def test_desistance_strengths_structure(specs):
    spec = specs[STRENGTHS]
    assert {it.role for it in spec.items} == {"strength"}
    assert {it.domain for it in spec.items} == {
        "prosocial_ties", "housing", "work_learning", "hope_agency", "prosocial_identity",
        "coping_self_control", "readiness_change", "community_ties",
    }
    protective = [it for it in spec.items if it.protective_only]
    assert {it.response.type for it in protective} == {"binary", "ordinal"}
    assert all(min(it.point_values()) == 0 for it in protective)
    assert any(it.reverse for it in spec.items)
    _domain_scales_match_items(spec, "strength_total", "strength")


def test_integrated_shares_items_exactly(specs):
    integ, rnr, strengths = specs[INTEGRATED], specs[RNR], specs[STRENGTHS]
    part_items = rnr.items + strengths.items
    assert [it.id for it in integ.items] == [it.id for it in part_items]
    for it in part_items:
        assert integ.item(it.id) == it, f"item {it.id!r} differs from its source instrument"
    assert list(integ.domains) == list(rnr.domains) + list(strengths.domains)
    integ_scales = {s.id: s for s in integ.scales}
    for sc in rnr.scales + strengths.scales:
        assert integ_scales[sc.id] == sc, f"scale {sc.id!r} differs from its source instrument"
    integ_bands = {b.id: b for b in integ.bands}
    for b in (rnr.bands[0], strengths.bands[0]):
        assert integ_bands[b.id].cuts == b.cuts and integ_bands[b.id].upper_inclusive == b.upper_inclusive
    assert integ.derived == rnr.derived


def test_integrated_declares_its_integration_rule(specs):
    spec = specs[INTEGRATED]
    net = next(s for s in spec.scales if s.id == "net_score")
    assert net.role == "net"
    assert [(c.ref, c.weight) for c in net.components] == [("risk_total", 1), ("strength_total", -0.5)]
    assert net.missing.max_missing == 0
    model = next(m for m in spec.models if m.type == "logistic")
    coefs = {t.ref: t.coefficient for t in model.terms}
    assert set(coefs) == {"risk_total", "strength_total"}
    assert coefs["risk_total"] > 0 > coefs["strength_total"]
    assert [(h.label, h.time) for h in model.horizons] == [("1y", 1), ("2y", 2)]
    text = " ".join(spec.description.split()).lower()
    for word in ("additionality", "dilution", "wong and horan (2021)"):
        assert word in text
    assert any("Wong" in c.text and "2021" in c.text for c in spec.citations)
    assert spec.primary_band == "net_band"


# --------------------------------------------------------------------------- band reachability


def _item_range(it: Item) -> tuple[float, float]:
    pts = it.point_values()
    return min(pts), max(pts)


def _ranges(spec: InstrumentSpec) -> dict[str, tuple[float, float]]:
    """Smallest and largest possible value of every scale and model probability."""
    out: dict[str, tuple[float, float]] = {it.id: _item_range(it) for it in spec.items if it.is_scored}
    for sc in spec.scales:
        assert sc.method == "sum" and sc.lookup is None
        lo = sum(c.weight * (out[c.ref][0] if c.weight > 0 else out[c.ref][1]) for c in sc.components)
        hi = sum(c.weight * (out[c.ref][1] if c.weight > 0 else out[c.ref][0]) for c in sc.components)
        out[sc.id] = (lo, hi)
    for m in spec.models:
        assert m.type == "logistic"
        lo = sum(t.coefficient * out[t.ref][0 if t.coefficient > 0 else 1] for t in m.terms)
        hi = sum(t.coefficient * out[t.ref][1 if t.coefficient > 0 else 0] for t in m.terms)
        for h in m.horizons:
            out[f"{m.id}_p_{h.label}"] = (_expit(h.intercept + lo), _expit(h.intercept + hi))
    return out


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _band_label(band, x: float) -> str:
    for cut in band.cuts:
        if cut.upper is None or (x <= cut.upper if band.upper_inclusive else x < cut.upper):
            return cut.label
    raise AssertionError("unreachable")


def test_known_score_ranges(specs):
    assert _ranges(specs[RNR])["risk_total"] == (0, 44)
    assert _ranges(specs[STRENGTHS])["strength_total"] == (0, 32)
    r = _ranges(specs[INTEGRATED])
    assert (r["risk_total"], r["strength_total"], r["net_score"]) == ((0, 44), (0, 32), (-16, 44))


@pytest.mark.parametrize("name", NAMES)
def test_every_band_set_spans_its_range(name, specs):
    spec = specs[name]
    ranges = _ranges(spec)
    for band in spec.bands:
        lo, hi = ranges[band.on]
        assert _band_label(band, lo) == band.cuts[0].label, band.id
        assert _band_label(band, hi) == band.cuts[-1].label, band.id
        uppers = [c.upper for c in band.cuts[:-1]]
        assert all(lo <= u < hi for u in uppers), f"{band.id}: a cut-off lies outside {lo}..{hi}"


# --------------------------------------------------------------------------- test vectors


@pytest.mark.parametrize("name", NAMES)
def test_vectors_cover_the_required_cases(name, specs):
    spec = specs[name]
    vectors = spec.test_vectors
    assert len(vectors) >= 4
    statuses = [tv.expect.get("status") for tv in vectors]
    assert {"ok", "prorated", "invalid"} <= set(statuses)
    all_items = {it.id for it in spec.items}
    for tv in vectors:
        assert set(tv.inputs) == all_items, f"{tv.name}: give every item (null when missing)"
        assert tv.tolerance <= 1e-6
    # the lowest and highest possible totals are among the vectors
    ranges = _ranges(spec)
    for total in ("risk_total", "strength_total", "net_score"):
        if total in ranges:
            seen = {tv.expect.get(total) for tv in vectors}
            assert set(ranges[total]) <= seen, f"{total}: no vector at its minimum and maximum"


def _half_up(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _reference_valid(it: Item, value) -> bool:
    """Whether a recorded value is allowed (missing is allowed; an invalid value is not)."""
    r = it.response
    if value is None:
        return True
    if r.type == "binary":
        return value in (0, 1)
    if r.type == "ordinal":
        return value in [lv.value for lv in r.levels]
    if r.type == "categorical":
        return value in [c.value for c in r.categories]
    if r.type == "count" and value != int(value):
        return False
    return (r.min is None or value >= r.min) and (r.max is None or value <= r.max)


def _reference_points(it: Item, value):
    """Points of one item, written independently of the engine from the spec docstrings."""
    r = it.response
    if value is None:
        return 0.0 if it.protective_only else None
    if r.type == "binary":
        pts = r.points_present if int(value) == 1 else r.points_absent
    elif r.type == "ordinal":
        pts = {lv.value: lv.points for lv in r.levels}[int(value)]
    else:
        pts = next(
            b.points
            for b in r.bands
            if (b.lower is None or value >= b.lower) and (b.upper is None or value < b.upper)
        )
    if it.reverse:
        lo, hi = _item_range(it)
        pts = hi + lo - pts
    return pts


def _reference_score(spec: InstrumentSpec, inputs: dict) -> dict:
    """Score one row with the rules used by these three specs (sum scales, prorate half_up)."""
    out: dict = {}
    values: dict = {}
    invalid = prorated = False
    for it in spec.items:
        value = inputs[it.id]
        if not _reference_valid(it, value):  # reported, then treated as missing
            invalid = True
            value = None
        if it.is_scored:
            values[it.id] = out[f"{it.id}_points"] = _reference_points(it, value)
    out["n_missing"] = sum(v is None for v in values.values())
    item_ids = set(values)
    for sc in spec.scales:
        comps = [(c.weight, values[c.ref]) for c in sc.components]
        # <scale>_missing counts missing *items*; a component scale without a score is not
        # "missing" (its own items were handled) but leaves this scale without a score
        n_miss = sum(values[c.ref] is None for c in sc.components if c.ref in item_ids)
        out[f"{sc.id}_missing"] = n_miss
        if any(values[c.ref] is None for c in sc.components if c.ref not in item_ids):
            values[sc.id] = None
            invalid = True
        elif n_miss > sc.missing.max_missing:
            values[sc.id] = None
            invalid = True
        else:
            total = sum(w * v for w, v in comps if v is not None)
            if n_miss:
                total *= sum(w for w, _ in comps) / sum(w for w, v in comps if v is not None)
                total = _half_up(total)
                prorated = True
            values[sc.id] = total
        out[sc.id] = values[sc.id]
    for d in spec.derived:  # these specs use only differences of raw item values
        a, b = (name.strip() for name in d.expression.split(" - "))
        out[d.id] = None if inputs[a] is None or inputs[b] is None else inputs[a] - inputs[b]
    for m in spec.models:
        lp = None
        if all(values[t.ref] is not None for t in m.terms):
            lp = sum(t.coefficient * values[t.ref] for t in m.terms)
        out[f"{m.id}_lp"] = lp
        for h in m.horizons:
            out[f"{m.id}_p_{h.label}"] = None if lp is None else _expit(h.intercept + lp)
    for band in spec.bands:
        x = out[band.on]
        out[band.id] = None if x is None else _band_label(band, x)
    out["band"] = out[spec.primary_band or spec.bands[0].id]
    out["status"] = "invalid" if invalid else "prorated" if prorated else "ok"
    for rf in spec.refusals:  # these specs refuse on "a > b" between two raw item values
        a, b = (name.strip() for name in rf.when.split(" > "))
        if inputs[a] is not None and inputs[b] is not None and inputs[a] > inputs[b]:
            # no score: every output blank; the missing-item counts stay
            for key in out:
                if not (key == "n_missing" or key.endswith("_missing")):
                    out[key] = None
            out["status"], out["reason"] = "invalid", rf.reason
            break
    return out


def _vector_cases():
    for name in NAMES:
        for tv in _plain(name).test_vectors:
            yield pytest.param(name, tv, id=f"{name}:{tv.name}")


@pytest.mark.parametrize(("name", "tv"), list(_vector_cases()))
def test_vector_expectations_match_reference_scorer(name, tv, specs):
    got = _reference_score(specs[name], tv.inputs)
    for column, want in tv.expect.items():
        if want is None or isinstance(want, str):
            assert got[column] == want, column
        else:
            assert got[column] == pytest.approx(want, abs=tv.tolerance, rel=0), column


# --------------------------------------------------------------------------- the scoring engine


ENGINE_MODULE = "assess.scoring.engine"


def _instrument_class():
    """``assess.scoring.Instrument``, or None while the engine module does not exist.

    Only a missing module skips; if the module exists, any import error fails the test.
    """
    if importlib.util.find_spec(ENGINE_MODULE) is None:
        return None
    return importlib.import_module("assess.scoring").Instrument


@pytest.mark.parametrize("name", NAMES)
def test_vectors_pass_in_scoring_engine(name, specs):
    instrument = _instrument_class()
    if instrument is None:
        pytest.skip(
            f"ENGINE MISSING: {ENGINE_MODULE} does not exist yet, so the test vectors of {name} "
            "are checked only against the reference scorer in this file"
        )
    results = instrument(specs[name]).run_test_vectors()
    assert len(results) == len(specs[name].test_vectors)
    failures = [r for r in results if not r.passed]
    assert not failures, "\n".join(str(r) for r in failures)


@pytest.mark.parametrize("name", NAMES)
def test_engine_scores_vectors_as_one_frame(name, specs):
    """All vectors scored together in one DataFrame give the same outputs as the reference."""
    instrument = _instrument_class()
    if instrument is None:
        pytest.skip(f"ENGINE MISSING: {ENGINE_MODULE} does not exist yet")
    import numpy as np
    import pandas as pd

    spec = specs[name]
    rows = [tv.inputs for tv in spec.test_vectors]
    frame = instrument(spec).score(pd.DataFrame(rows, index=[f"v{i}" for i in range(len(rows))])).frame
    assert list(frame.index) == [f"v{i}" for i in range(len(rows))]
    for i, inputs in enumerate(rows):
        want = _reference_score(spec, inputs)
        for column, value in want.items():
            got = frame[column].iloc[i]
            if value is None:
                assert pd.isna(got), (i, column)
            elif isinstance(value, str):
                assert got == value, (i, column)
            else:
                assert np.isclose(got, value, rtol=0, atol=1e-12), (i, column)
