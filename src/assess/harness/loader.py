"""Read validation suites (YAML) into a :class:`LoadedSuite`, with located errors.

Suites are read with the instrument loader's safe YAML reader (:func:`assess.spec.loader.compose_yaml`:
YAML 1.2 core schema, duplicate keys refused, no tags) and validated by
:class:`~assess.harness.models.Suite`. Every problem is a :class:`SuiteError` (a
:class:`~assess.spec.errors.SpecError`) naming the file, line, column and field path, with a
suggestion where one is close, e.g.
``validation/x.yaml:31:13: checks[2].metric: unknown metric 'harel_c'; did you mean 'harrell_c'?``.

Besides field types, the loader checks every cross-reference it can before any data is read:
instrument ids and paths (the specs are loaded), score/model/band names of each instrument,
comparison and check references, metric names, horizons, groupings, and which metrics the
outcome allows. Problems found only once the data are read (a missing column, an unknown group
label) are reported by the runner at the suite field that named them (:meth:`LoadedSuite.error`).

>>> from assess.harness import load_suite
>>> loaded = load_suite("academic-insight")          # validation/academic-insight.yaml  # doctest: +SKIP
>>> loaded.suite.cohort.n                                                                  # doctest: +SKIP
100000
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from assess.spec.errors import SpecError, SpecIssue
from assess.spec.loader import (
    YAML_SUFFIXES,
    compose_yaml,
    data_path,
    display_path,
    existing_yaml_file,
    model_at,
    named_yaml_file,
)
from assess.spec.models import format_path

from .models import (
    CHECK_THRESHOLDS,
    METRIC_KINDS,
    SURVIVAL_KINDS,
    InstrumentEntry,
    Suite,
)

__all__ = [
    "ResolvedInstrument",
    "LoadedSuite",
    "SuiteError",
    "builtin_suite_dir",
    "list_suites",
    "load_suite",
    "load_suite_text",
]

MAX_FILE_BYTES = 1024 * 1024
PathT = tuple[str | int, ...]

#: Names pydantic gives the members of the plain unions used by the suite models.
_UNION_MEMBERS = frozenset({"str", "InstrumentEntry", "FactorTerm", "float", "int", "list[float]", "list[str]"})

#: Metric names of the by-group fairness table (the only ones max_ratio / max_gap apply to).
_GROUP_METRICS = frozenset(METRIC_KINDS["fairness"]) | {"auc", "calibration_in_the_large", "calibration_slope", "harrell_c"}


class SuiteError(SpecError):
    """A suite could not be loaded or run as written; ``issues`` lists every located problem."""


# --------------------------------------------------------------------------- where suites live


def builtin_suite_dir() -> Path:
    """The repository's ``validation/`` folder (src layout), or an installed data copy."""
    repo = Path(__file__).resolve().parents[3] / "validation"
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parents[1] / "data" / "validation"


def list_suites() -> list[str]:
    """Names of the suites under ``validation/`` (file names without ``.yaml``), sorted."""
    d = builtin_suite_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.iterdir() if p.suffix.lower() in YAML_SUFFIXES and p.is_file())


def _resolve(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    path = Path(text).expanduser()
    looks_like_path = (
        isinstance(source, os.PathLike) or path.suffix.lower() in YAML_SUFFIXES or "/" in text or os.sep in text
    )
    if looks_like_path or path.exists():
        return existing_yaml_file(text, "suite", SuiteError)
    found = named_yaml_file(text, [builtin_suite_dir()])
    if found is not None:
        return found
    names = list_suites()
    close = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise SuiteError.single(
        text,
        f"no suite file {text!r} and no suite of that name under {builtin_suite_dir()}{hint} "
        f"Available: {', '.join(names) or 'none'}.",
    )


# --------------------------------------------------------------------------- loaded suite


@dataclass(frozen=True)
class ResolvedInstrument:
    """An instrument of a suite, compiled, with the output columns the metrics use.

    ``probability`` maps each outcome horizon to the predicted-probability column at that
    horizon (absent when the instrument's model has no horizon of that length).
    """

    instrument: Any  # assess.scoring.Instrument
    entry: InstrumentEntry
    index: int
    score: str
    band: str | None
    band_labels: tuple[str, ...]
    model: str | None
    probability: dict[float | None, str]
    cutoff: float | None
    cutoff_text: str

    @property
    def id(self) -> str:
        return self.instrument.id


@dataclass
class LoadedSuite:
    """A validated suite with its instruments compiled and positions kept for later errors."""

    suite: Suite
    file: str
    base_dir: Path
    text_sha256: str
    instruments: dict[str, ResolvedInstrument]
    metric_names: frozenset[str]
    metric_kinds: tuple[str, ...] = ()
    check_instruments: list[str | None] = field(default_factory=list)
    _located: Any = field(repr=False, default=None)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """Line and column of a suite field (or of its nearest parent)."""
        if self._located is None:
            return None, None
        return self._located.locate(tuple(path))

    def issue(self, path: Sequence[str | int], message: str) -> SpecIssue:
        line, col = self.locate(path)
        return SpecIssue(self.file, line, col, format_path(tuple(path)), message)

    def error(self, path: Sequence[str | int], message: str) -> SuiteError:
        """A :class:`SuiteError` pointing at ``path`` in the suite file."""
        return SuiteError([self.issue(path, message)])

    def resolve_path(self, value: str) -> Path:
        """A path named in the suite, relative to the suite file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


# --------------------------------------------------------------------------- messages


def _close(word: Any, options: Sequence[str]) -> str | None:
    if not isinstance(word, str) or not options:
        return None
    for opt in options:
        if opt.lower() == word.lower():
            return opt
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(word: Any, options: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` when a close option exists, else the list of options."""
    close = _close(word, options)
    if close:
        return f"; did you mean {close!r}?"
    shown = ", ".join(repr(o) for o in list(options)[:25])
    return f"; expected one of {shown}" if options else ""


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    """The suite model class whose field holds the last part of ``loc`` (None outside the models)."""
    return model_at(Suite, loc)


def _message(err: dict[str, Any]) -> str:
    etype = err["type"]
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    value = err.get("input")
    fld = str(loc[-1]) if loc and isinstance(loc[-1], str) else "value"
    got = _describe(value)
    if etype == "missing":
        return f"missing required field {fld!r}"
    if etype == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        msg = f"unknown field {fld!r}"
        close = _close(fld, allowed)
        if close:
            return f"{msg}; did you mean {close!r}?"
        return f"{msg}; allowed fields here: {', '.join(allowed)}" if allowed else msg
    if etype == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if fld == "suite_version":
            return f"unsupported suite_version {got}; this version of assess reads suite_version 1"
        msg = f"unknown {'metric kind' if loc[:1] == ('metrics',) else 'value'} {got}"
        return msg + did_you_mean(value, options)
    if etype == "string_pattern_mismatch":
        return f"{got} is not a valid {fld}: use lower-case letters, digits, '-' and '_', starting with a letter or digit"
    if etype in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if etype in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if etype == "finite_number":
        return f"expected a finite number, got {got}"
    if etype in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if etype == "string_type":
        return f"expected text, got {got}" + (" (put it in quotes)" if isinstance(value, (int, float)) else "")
    if etype == "list_type":
        return f"expected a list (e.g. [a, b] or lines starting with '- '), got {got}"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (lines of 'key: value'), got {got}"
    if etype in ("too_short", "too_long"):
        word = "at least" if etype == "too_short" else "at most"
        bound = ctx.get("min_length" if etype == "too_short" else "max_length")
        return f"needs {word} {bound} entr{'y' if bound == 1 else 'ies'}, got {ctx.get('actual_length')}"
    if etype == "string_too_short":
        return "must not be empty"
    bounds = {"greater_than": ("greater than", "gt"), "greater_than_equal": ("at least", "ge"),
              "less_than": ("less than", "lt"), "less_than_equal": ("at most", "le")}
    if etype in bounds:
        words, key = bounds[etype]
        b = ctx.get(key)
        return f"must be {words} {b:g}, got {got}" if isinstance(b, (int, float)) else f"must be {words} {b}, got {got}"
    msg = str(err.get("msg", etype))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def _keep_error(err: dict[str, Any], data: Any) -> bool:
    """Drop the errors of union members that do not match the value's type (a mapping given for
    ``str | InstrumentEntry`` reports the InstrumentEntry errors only)."""
    loc = tuple(err["loc"])
    cur = data
    for part in loc:
        if part in _UNION_MEMBERS and not (isinstance(cur, dict) and part in cur):
            if part == "str" and not isinstance(cur, str):
                return isinstance(cur, (int, float)) and not isinstance(cur, bool)
            if part == "InstrumentEntry" and not isinstance(cur, dict):
                return False
            continue
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return True
    return True


def _validation_issues(exc: ValidationError, data: Any, located: Any) -> list[SpecIssue]:
    issues = []
    for err in exc.errors():
        if not _keep_error(err, data):
            continue
        loc = tuple(err["loc"])
        dpath = data_path(loc, data, union_members=_UNION_MEMBERS)
        message = _message(err)
        if err["type"] == "value_error":
            # a model-level rule whose message starts with a field name: point at that field
            target: Any = data
            for part in dpath:
                try:
                    target = target[part]
                except (KeyError, IndexError, TypeError):
                    target = None
                    break
            first = re.match(r"[A-Za-z_]+", message)
            if isinstance(target, dict) and first and first.group(0) in target:
                dpath = (*dpath, first.group(0))
        line, col = located.locate(dpath, key=err["type"] == "extra_forbidden")
        issues.append(SpecIssue(located.file, line, col, format_path(dpath), message))
    return sorted(dict.fromkeys(issues), key=lambda i: (i.line or 0, i.column or 0))


# --------------------------------------------------------------------------- references


def _band_cutoff(spec: Any, band_id: str) -> tuple[float | None, str]:
    """Default fairness cut-off: the lower edge of the first band in the upper half."""
    import numpy as np

    bs = next(b for b in spec.bands if b.id == band_id)
    k = len(bs.cuts)
    j = k // 2  # first band of the upper half (Low/Medium | High/Very high)
    edge = bs.cuts[j - 1].upper
    if edge is None:
        return None, ""
    label = bs.cuts[j].label
    if bs.upper_inclusive:  # band j holds values > edge
        return float(np.nextafter(edge, np.inf)), f"{band_id} '{label}' or above (score > {edge:g})"
    return float(edge), f"{band_id} '{label}' or above (score >= {edge:g})"


def _resolve_instrument(
    loaded: LoadedSuite, i: int, entry: InstrumentEntry, data_entry: Any, horizons: list[float]
) -> ResolvedInstrument:
    from assess.scoring import Instrument
    from assess.spec.loader import load_spec

    path: PathT = ("instruments", i) if not isinstance(data_entry, dict) else ("instruments", i, "source")
    src = entry.source
    looks_like_path = src.endswith(YAML_SUFFIXES) or "/" in src or os.sep in src
    target: str | Path = loaded.resolve_path(src) if looks_like_path else src
    try:
        spec = load_spec(target)
    except SpecError as exc:
        first = exc.issues[0]
        if first.file == str(target) or first.file == src:
            raise loaded.error(path, first.message) from None
        detail = "\n  ".join(str(x) for x in exc.issues)
        raise loaded.error(path, f"the instrument spec {src!r} is not valid:\n  {detail}") from None
    inst = Instrument(spec)
    outputs = spec.output_columns()
    base = ("instruments", i)

    primary = spec.primary_band or (spec.bands[0].id if spec.bands else None)
    band = entry.band or primary
    band_ids = [b.id for b in spec.bands]
    if entry.band is not None and entry.band not in band_ids:
        raise loaded.error((*base, "band"), f"instrument {spec.id!r} has no band set {entry.band!r}" + did_you_mean(entry.band, band_ids))
    if entry.score is not None:
        if entry.score not in outputs:
            raise loaded.error((*base, "score"), f"instrument {spec.id!r} has no output {entry.score!r}" + did_you_mean(entry.score, outputs))
        score = entry.score
    elif band is not None:
        score = next(b.on for b in spec.bands if b.id == band)
    elif spec.scales:
        score = spec.scales[-1].id
    else:
        raise loaded.error(path, f"instrument {spec.id!r} has no band set or scale to use as its score; give 'score:'")

    models = [m for m in spec.models if getattr(m, "horizons", None)]
    model_ids = [m.id for m in spec.models]
    if entry.model is not None:
        chosen = [m for m in spec.models if m.id == entry.model]
        if not chosen:
            raise loaded.error((*base, "model"), f"instrument {spec.id!r} has no model {entry.model!r}" + did_you_mean(entry.model, model_ids))
        if not getattr(chosen[0], "horizons", None):
            raise loaded.error((*base, "model"), f"model {entry.model!r} gives no probabilities at horizons")
        model = chosen[0]
    else:
        model = models[0] if models else None
    probability: dict[float | None, str] = {}
    if model is not None:
        for h in model.horizons:
            col = f"{model.id}_p_{h.label}"
            if col in outputs and float(h.time) in horizons:
                probability[float(h.time)] = col
    if entry.probability is not None:
        if loaded.suite.outcome.is_survival:
            raise loaded.error((*base, "probability"), "'probability' is for binary outcomes; with follow-up times the model's horizons give the probabilities (choose the model with 'model:')")
        if entry.probability not in outputs:
            raise loaded.error((*base, "probability"), f"instrument {spec.id!r} has no output {entry.probability!r}" + did_you_mean(entry.probability, outputs))
        probability[None] = entry.probability
    elif not loaded.suite.outcome.is_survival and model is not None:
        probability[None] = f"{model.id}_p_{model.horizons[-1].label}"

    labels: tuple[str, ...] = ()
    cutoff: float | None = entry.cutoff
    cutoff_text = f"score >= {entry.cutoff:g}" if entry.cutoff is not None else ""
    if band is not None:
        labels = tuple(c.label for c in next(b for b in spec.bands if b.id == band).cuts)
        if cutoff is None and next(b for b in spec.bands if b.id == band).on == score:
            cutoff, cutoff_text = _band_cutoff(spec, band)
    return ResolvedInstrument(inst, entry, i, score, band, labels, model.id if model else None,
                              probability, cutoff, cutoff_text)


def _check_references(loaded: LoadedSuite, data: dict[str, Any]) -> None:
    s = loaded.suite
    issues: list[SpecIssue] = []
    horizons = [float(h) for h in s.outcome.horizons]
    given_metrics = "metrics" in data

    # instruments
    resolved: dict[str, ResolvedInstrument] = {}
    for i, (entry, raw) in enumerate(zip(s.entries, data.get("instruments", []), strict=True)):
        try:
            ri = _resolve_instrument(loaded, i, entry, raw, horizons)
        except SuiteError as exc:
            issues.extend(exc.issues)
            continue
        if ri.id in resolved:
            issues.append(loaded.issue(("instruments", i), f"instrument {ri.id!r} is listed twice"))
            continue
        resolved[ri.id] = ri
    loaded.instruments = resolved
    ids = list(resolved)

    # metrics vs outcome and groups
    kinds = list(dict.fromkeys(s.metrics))
    if given_metrics:
        for j, k in enumerate(s.metrics):
            if k in SURVIVAL_KINDS and not s.outcome.is_survival:
                issues.append(loaded.issue(("metrics", j), f"metric {k!r} needs follow-up times: give outcome 'time', 'event' and 'horizons' (the outcome is the binary column {s.outcome.binary!r})"))
            if k in ("fairness", "km_by_group") and not s.groups.columns:
                issues.append(loaded.issue(("metrics", j), f"metric {k!r} needs groups: add 'groups: {{columns: [sex, ...]}}'"))
    else:
        kinds = [k for k in kinds if (s.outcome.is_survival or k not in SURVIVAL_KINDS)
                 and (k not in ("fairness", "km_by_group") or s.groups.columns)]
    loaded.metric_kinds = tuple(kinds)  # the metric kinds this run computes
    loaded.metric_names = frozenset(m for k in kinds for m in METRIC_KINDS[k])

    g = s.groups
    for key in g.reference:
        if key not in g.columns:
            issues.append(loaded.issue(("groups", "reference", key), f"{key!r} is not one of the group columns" + did_you_mean(key, g.columns)))
    if g.horizon is not None and float(g.horizon) not in horizons:
        issues.append(loaded.issue(("groups", "horizon"), f"horizon {g.horizon:g} is not one of the outcome horizons ({', '.join(f'{h:g}' for h in horizons)})"))
    if len(set(g.columns)) != len(g.columns):
        issues.append(loaded.issue(("groups", "columns"), "a group column is listed twice"))

    # comparisons
    names: list[str] = []
    for j, c in enumerate(s.comparisons):
        base = ("comparisons", j)
        if c.name in names:
            issues.append(loaded.issue((*base, "name"), f"two comparisons are named {c.name!r}"))
        names.append(c.name)
        for role in ("base", "integrated"):
            ref = getattr(c, role)
            if ids and ref not in ids:
                issues.append(loaded.issue((*base, role), f"{ref!r} is not an instrument of this suite" + did_you_mean(ref, ids)))
        if c.base == c.integrated:
            issues.append(loaded.issue((*base, "integrated"), "base and integrated are the same instrument"))
        for k, grp in enumerate(c.groups or []):
            if grp not in g.columns:
                issues.append(loaded.issue((*base, "groups", k), f"{grp!r} is not one of the group columns" + did_you_mean(grp, g.columns)))
        if c.horizon is not None and float(c.horizon) not in horizons:
            issues.append(loaded.issue((*base, "horizon"), f"horizon {c.horizon:g} is not one of the outcome horizons"))
        if s.outcome.is_survival is False and c.horizon is not None:
            issues.append(loaded.issue((*base, "horizon"), "a binary outcome has no horizons"))

    # fits
    labels: list[str] = []
    for j, f in enumerate(s.fits):
        base = ("fits", j)
        if f.label in labels:
            issues.append(loaded.issue((*base, "name"), f"two fits are named {f.label!r}; give each a distinct 'name'"))
        labels.append(f.label)
        if f.type == "cox" and not s.outcome.is_survival:
            issues.append(loaded.issue((*base, "type"), "a Cox fit needs follow-up times: give outcome 'time', 'event' and 'horizons'"))
        if f.outcome_flagged is not None:
            ri = resolved.get(f.outcome_flagged)
            if ids and ri is None:
                issues.append(loaded.issue((*base, "outcome_flagged"), f"{f.outcome_flagged!r} is not an instrument of this suite" + did_you_mean(f.outcome_flagged, ids)))
            elif ri is not None and ri.cutoff is None:
                issues.append(loaded.issue((*base, "outcome_flagged"), f"{f.outcome_flagged!r} has no cut-off: give 'cutoff' for it under instruments"))

    # checks
    loaded.check_instruments = [ch.instrument for ch in s.checks]
    for j, ch in enumerate(s.checks):
        issues.extend(_check_issues(loaded, j, ch, data["checks"][j], ids, names, horizons))
    if issues:
        raise SuiteError(sorted(dict.fromkeys(issues), key=lambda i: (i.line or 0, i.column or 0)))


def _check_issues(loaded: LoadedSuite, j: int, ch: Any, raw: dict[str, Any], ids: list[str],
                  names: list[str], horizons: list[float]) -> list[SpecIssue]:
    s = loaded.suite
    base = ("checks", j)
    out: list[SpecIssue] = []
    if ch.comparison is not None:
        if ch.comparison not in names:
            out.append(loaded.issue((*base, "comparison"), f"unknown comparison {ch.comparison!r}" + (did_you_mean(ch.comparison, names) if names else "; this suite has no 'comparisons'")))
        if ch.group not in (None, "overall"):
            out.append(loaded.issue((*base, "group"), "comparison checks are on the whole cohort: leave out 'group'"))
        return out
    if ch.instrument is None:
        if len(ids) == 1:
            loaded.check_instruments[j] = ids[0]
        else:
            threshold = next(k for k in CHECK_THRESHOLDS if k in raw)
            out.append(loaded.issue((*base, threshold) if "metric" not in raw else (*base, "metric"),
                                    f"say which 'instrument' (one of {', '.join(map(repr, ids))}) or 'comparison' this check is on"))
            return out
    elif ids and ch.instrument not in ids:
        out.append(loaded.issue((*base, "instrument"), f"{ch.instrument!r} is not an instrument of this suite" + did_you_mean(ch.instrument, ids)))
    metric = ch.metric
    all_names = [m for ms in METRIC_KINDS.values() for m in ms]
    if metric not in all_names:
        out.append(loaded.issue((*base, "metric"), f"unknown metric {metric!r}" + did_you_mean(metric, sorted(loaded.metric_names or all_names))))
        return out
    by_group = "fairness" in loaded.metric_kinds and metric in _GROUP_METRICS and (ch.group or "overall") != "overall"
    if metric not in loaded.metric_names and not by_group:
        kind = next(k for k, ms in METRIC_KINDS.items() if metric in ms)
        out.append(loaded.issue((*base, "metric"), f"metric {metric!r} is not computed by this suite: add {kind!r} to 'metrics'"))
        return out
    if ch.horizon is not None and float(ch.horizon) not in horizons:
        hs = ", ".join(f"{h:g}" for h in horizons) or "none (binary outcome)"
        out.append(loaded.issue((*base, "horizon"), f"horizon {ch.horizon:g} is not one of the outcome horizons ({hs})"))
    cols = list(s.groups.columns)
    if ch.kind in ("max_ratio", "max_gap"):
        if metric not in _GROUP_METRICS or "fairness" not in loaded.metric_kinds:
            out.append(loaded.issue((*base, "metric"), f"{ch.threshold_field} compares groups: use a by-group fairness metric (e.g. 'fpr', 'fnr', 'ppv', 'auc', 'calibration_slope') with 'fairness' in metrics"))
        if ch.group not in (None, "all") and ch.group not in cols:
            out.append(loaded.issue((*base, "group"), f"{ch.group!r} is not a grouping of this suite" + did_you_mean(ch.group, [*cols, "all"])))
        return out
    grp = ch.group or "overall"
    if grp != "overall":
        key = grp.split("=", 1)[0].strip()
        if "=" not in grp:
            out.append(loaded.issue((*base, "group"), f"group {grp!r}: write 'overall' or '<column>=<value>', e.g. '{(cols or ['sex'])[0]}=female'"))
        elif key != "band" and not all(part.split("=", 1)[0].strip() in cols for part in grp.split(" & ")):
            out.append(loaded.issue((*base, "group"), f"{key!r} is not one of the group columns" + did_you_mean(key, [*cols, "band"])))
    return out


# --------------------------------------------------------------------------- public API


def _read_text(path: Path, shown: str) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SuiteError.single(shown, f"the file is {size / 1e6:.1f} MB; suite files over 1 MB are refused (is this the right file?)")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SuiteError.single(shown, "the file is not UTF-8 text; save it with UTF-8 encoding", line=line) from None


def load_suite_text(text: str, file: str = "<suite>", base_dir: str | os.PathLike[str] = ".") -> LoadedSuite:
    """Validate suite YAML given as text (``file`` names it in messages; relative paths in the
    suite are relative to ``base_dir``). Raises :class:`SuiteError` listing located problems."""
    if not [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]:
        raise SuiteError.single(file, "the file is empty; expected a mapping of the suite's fields (name, title, instruments, cohort, outcome, metrics, checks, ...)")
    try:
        data, located = compose_yaml(text, file)
    except SpecError as exc:
        issues = [SpecIssue(i.file, i.line, i.column, i.path, i.message.replace(
            "instrument's fields (id: ..., version: ..., items: ...)",
            "suite's fields (name: ..., instruments: ..., cohort: ..., checks: ...)")) for i in exc.issues]
        raise SuiteError(issues) from None
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(_validation_issues(exc, data, located)) from None
    loaded = LoadedSuite(
        suite=suite,
        file=file,
        base_dir=Path(base_dir),
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        instruments={},
        metric_names=frozenset(),
        _located=located,
    )
    _check_references(loaded, data)
    return loaded


def load_suite(source: str | os.PathLike[str]) -> LoadedSuite:
    """Load and check a suite: a path to a ``.yaml`` file or the name of a suite under
    ``validation/`` (``"academic-insight"``). Raises :class:`SuiteError` with located problems."""
    path = _resolve(source)
    shown = display_path(path)
    text = _read_text(path, shown)
    return load_suite_text(text, file=shown, base_dir=path.parent)
