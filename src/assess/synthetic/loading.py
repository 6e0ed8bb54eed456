"""Find, read and validate scenario files, with located errors.

Scenario files are YAML read by the instrument loader's safe YAML reader (YAML 1.2 core schema,
duplicate keys refused, no tags; see :mod:`assess.spec.loader`), which also records the line and
column of every value. A scenario may start from another with ``extends: <name>``: mappings that hold
mappings are merged key by key (the extending file wins); flat mappings (proportions, a Weibull's
scale and shape, one item's settings...), lists and single values are replaced whole; the id,
name and description are never inherited. Every
problem is reported as a :class:`ScenarioError` (a :class:`~assess.spec.errors.SpecError`) naming
the file, line, column and field path, e.g.
``synthetic_data/dif.yaml:12:5: dif[0].level: group 'ethnicity' has no level 'blak'; did you mean 'black'?``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assess.spec.errors import SpecError, SpecIssue
from assess.spec.loader import (
    YAML_SUFFIXES,
    data_path,
    display_path,
    existing_yaml_file,
    model_at,
    named_yaml_file,
)
from assess.spec.models import format_path

from .scenario import Scenario, ScenarioReferenceError

__all__ = [
    "ENV_VAR",
    "ScenarioError",
    "UnknownScenarioError",
    "builtin_scenario_dir",
    "list_scenarios",
    "load_scenario",
    "load_scenario_text",
    "scenario_dirs",
]

ENV_VAR = "ASSESS_SCENARIO_PATH"
MAX_FILE_BYTES = 1024 * 1024
PathT = tuple[str | int, ...]


class ScenarioError(SpecError):
    """A scenario could not be loaded or compiled; ``issues`` lists every located problem."""


class UnknownScenarioError(ScenarioError, LookupError):
    """No scenario with the requested name was found."""


# --------------------------------------------------------------------------- where scenarios live


def builtin_scenario_dir() -> Path:
    """The repository's ``synthetic_data/`` folder (src layout), or an installed data copy."""
    repo = Path(__file__).resolve().parents[3] / "synthetic_data"
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parents[1] / "data" / "synthetic_data"


def scenario_dirs() -> list[Path]:
    """Folders searched for scenarios, in priority order (``ASSESS_SCENARIO_PATH`` first)."""
    dirs = [
        Path(p.strip()).expanduser()
        for p in os.environ.get(ENV_VAR, "").split(os.pathsep)
        if p.strip()
    ]
    dirs.append(builtin_scenario_dir())
    out: list[Path] = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def list_scenarios() -> list[str]:
    """Names of the available scenarios (file names without ``.yaml``), sorted.

    >>> "baseline" in list_scenarios()
    True
    """
    names: set[str] = set()
    for d in scenario_dirs():
        if d.is_dir():
            names.update(
                p.stem for p in d.iterdir() if p.suffix.lower() in YAML_SUFFIXES and p.is_file()
            )
    return sorted(names)


def _find(name: str, first: Path | None = None) -> Path:
    dirs = ([first] if first is not None else []) + scenario_dirs()
    found = named_yaml_file(name, dirs)
    if found is not None:
        return found
    available = list_scenarios()
    close = difflib.get_close_matches(name, available, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    searched = "; ".join(str(d) for d in scenario_dirs())
    raise UnknownScenarioError.single(
        name,
        f"unknown scenario {name!r}{hint} Available: {', '.join(available) or 'none'}. Searched: {searched}. "
        f"Add folders with the {ENV_VAR} environment variable, or give a path to a .yaml file.",
    )


def _resolve(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    path = Path(text).expanduser()
    looks_like_path = (
        isinstance(source, os.PathLike)
        or path.suffix.lower() in YAML_SUFFIXES
        or os.sep in text
        or "/" in text
    )
    if not looks_like_path:
        return _find(text)
    return existing_yaml_file(text, "scenario", ScenarioError)


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class _Pos:
    file: str
    line: int
    column: int
    key_line: int | None
    key_column: int | None
    kind: str


class SourceMap:
    """Where every value of a (possibly merged) scenario came from: path -> file, line, column."""

    def __init__(self, positions: dict[PathT, _Pos] | None = None, file: str = "<scenario>"):
        self.positions: dict[PathT, _Pos] = positions or {}
        self.file = file

    def locate(self, path: PathT, *, key: bool = False) -> tuple[str, int | None, int | None]:
        """File, line and column of ``path`` (or of its nearest located parent)."""
        for k in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:k]))
            if pos is None:
                continue
            exact = k == len(path)
            if pos.key_line is not None and (key or pos.kind != "scalar" or not exact):
                return pos.file, pos.key_line, pos.key_column
            return pos.file, pos.line, pos.column
        return self.file, None, None

    def issue(self, path: PathT, message: str, *, key: bool = False) -> SpecIssue:
        file, line, col = self.locate(path, key=key)
        return SpecIssue(file, line, col, format_path(path) if path else "<root>", message)


def scenario_issue(
    scenario: Scenario, path: PathT, message: str, *, key: bool = False
) -> SpecIssue:
    """A located issue for a field of a loaded scenario (unlocated if built in code)."""
    source = (
        scenario._source
        if isinstance(scenario._source, SourceMap)
        else SourceMap(file=f"scenario {scenario.id!r}")
    )
    return source.issue(tuple(path), message, key=key)


# --------------------------------------------------------------------------- reading


def _read(path: Path, shown: str) -> tuple[dict[str, Any], SourceMap]:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError.single(
            shown,
            f"the file is {size / 1e6:.1f} MB; scenario files over 1 MB are refused (is this the right file?)",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError.single(
            shown, "the file is not UTF-8 text; save it with UTF-8 encoding", line=line
        ) from None
    return _parse(text, shown)


def _parse(text: str, shown: str) -> tuple[dict[str, Any], SourceMap]:
    from assess.spec.loader import (
        compose_yaml as _compose,  # safe YAML reader that records positions
    )

    if not [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]:
        raise ScenarioError.single(
            shown,
            "the file is empty; expected a mapping of the scenario's fields (id, name, description, instruments, population, latents, items, outcome, ...)",
        )
    try:
        data, located = _compose(text, shown)
    except SpecError as exc:
        issues = []
        for i in exc.issues:
            msg = i.message
            if i.path == "<root>":
                msg = msg.replace(
                    "instrument's fields (id: ..., version: ..., items: ...)",
                    "scenario's fields (id: ..., instruments: ..., outcome: ...)",
                )
            issues.append(SpecIssue(i.file, i.line, i.column, i.path, msg))
        raise ScenarioError(issues) from None
    positions = {
        p: _Pos(shown, m.line, m.column, m.key_line, m.key_column, m.kind)
        for p, m in located.marks.items()
    }
    return data, SourceMap(positions, shown)


def _merge(
    parent: dict[str, Any], pmap: SourceMap, child: dict[str, Any], cmap: SourceMap
) -> tuple[dict[str, Any], SourceMap]:
    """Deep-merge ``child`` onto ``parent`` (mappings merge, anything else is replaced)."""

    data = _merged(parent, child)
    positions = dict(cmap.positions)
    for p, pos in pmap.positions.items():
        if p in positions:
            continue
        # keep a parent position unless the child replaced a value on its path
        replaced = False
        cur_p: Any = parent
        cur_c: Any = child
        for part in p:
            if not isinstance(cur_c, dict) or part not in cur_c:
                break
            if not _merges(cur_p.get(part) if isinstance(cur_p, dict) else None, cur_c[part]):
                replaced = True
                break
            cur_p, cur_c = cur_p[part], cur_c[part]
        if not replaced:
            positions[p] = pos
    return data, SourceMap(positions, cmap.file)


def _merges(a: Any, b: Any) -> bool:
    """True if ``b`` (extending file) merges into ``a`` (base) key by key: both are mappings and
    at least one holds a mapping. Flat tables (proportions, a Weibull's scale and shape, an
    item's settings, effects per latent...) are replaced whole, so no stale key survives."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    return any(isinstance(v, dict) for v in (*a.values(), *b.values()))


def _merged(a: Any, b: Any) -> Any:
    if _merges(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merged(a[k], v) if k in a else v
        return out
    return b


def _load_data(path: Path, chain: list[Path]) -> tuple[dict[str, Any], SourceMap]:
    shown = display_path(path)
    data, smap = _read(path, shown)
    if path.resolve() in chain:
        cycle = " -> ".join(display_path(p) for p in [*chain, path.resolve()])
        raise ScenarioError(
            [smap.issue(("extends",), f"scenarios extend each other in a cycle: {cycle}")]
        )
    base = data.get("extends")
    if base is None:
        return data, smap
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(
            [smap.issue(("extends",), "expected the name of a scenario (or a path to its file)")]
        )
    try:
        if base.endswith(YAML_SUFFIXES) or "/" in base:
            parent_path = (path.parent / base).resolve()
            if not parent_path.is_file():
                raise ScenarioError(
                    [smap.issue(("extends",), f"file not found: {str(parent_path)!r}")]
                )
        else:
            parent_path = _find(base, first=path.parent)
    except UnknownScenarioError as exc:
        raise ScenarioError([smap.issue(("extends",), exc.issues[0].message)]) from None
    pdata, pmap = _load_data(parent_path, [*chain, path.resolve()])
    return _merge(*_without_identity(pdata, pmap), data, smap)


def _without_identity(data: dict[str, Any], smap: SourceMap) -> tuple[dict[str, Any], SourceMap]:
    """A base scenario's data without its id, name and description (never inherited)."""
    own = ("id", "name", "description")
    kept = {k: v for k, v in data.items() if k not in own}
    positions = {p: pos for p, pos in smap.positions.items() if not (p and p[0] in own)}
    return kept, SourceMap(positions, smap.file)


# --------------------------------------------------------------------------- validation messages


def _model_at(loc: tuple) -> Any:
    """The pydantic model class at a pydantic ``loc`` (None if the path leaves the models)."""
    return model_at(Scenario, loc)


#: Names pydantic gives the members of the plain unions used by the scenario models.
_UNION_MEMBERS = frozenset({"float", "int", "str", "list[str]", "dict[str,float]"})


def _data_path(loc: tuple, data: Any) -> PathT:
    """Map a pydantic location onto the data (see :func:`assess.spec.loader.data_path`)."""
    return data_path(loc, data, union_members=_UNION_MEMBERS)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return (
        "a list"
        if isinstance(value, list)
        else "a mapping"
        if isinstance(value, dict)
        else type(value).__name__
    )


def _message(err: dict[str, Any]) -> str:
    etype, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    field = str(loc[-1]) if loc else "value"
    got = _describe(err.get("input"))
    if etype == "missing":
        return f"missing required field {field!r}"
    if etype == "extra_forbidden":
        model = _model_at(tuple(loc[:-1]))
        if model is not None:
            allowed = list(model.model_fields)
            close = difflib.get_close_matches(field, allowed, n=1)
            if close:
                return f"unknown field {field!r}; did you mean {close[0]!r}?"
            return f"unknown field {field!r}; allowed fields here: {', '.join(allowed)}"
        return f"unknown field {field!r}"
    if etype == "literal_error":
        return f"expected {ctx.get('expected', 'one of the allowed values')}, got {got}"
    if etype == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if "_" in pattern and "-" not in pattern:
            return f"{got} is not a valid name: use lower-case letters, digits and underscores, starting with a letter"
        return f"{got} is not a valid id: use lower-case letters, digits and hyphens"
    if etype in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if etype in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if etype == "finite_number":
        return f"expected a finite number, got {got}"
    if etype in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if etype == "string_type":
        return f"expected text, got {got}" + (
            "; put it in quotes" if isinstance(err.get("input"), (int, float)) else ""
        )
    if etype in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (lines of 'key: value'), got {got}"
    if etype == "string_too_short":
        return "must not be empty"
    if etype in ("too_short", "too_long"):
        word, key = (
            ("at least", "min_length") if etype == "too_short" else ("at most", "max_length")
        )
        return f"needs {word} {ctx.get(key)} entries, got {ctx.get('actual_length')}"
    bounds = {
        "greater_than": ("greater than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    if etype in bounds:
        words, key = bounds[etype]
        return f"must be {words} {ctx.get(key)}, got {got}"
    msg = str(err.get("msg", etype))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


_TYPE_ERRORS = {
    "float_type",
    "float_parsing",
    "int_type",
    "int_parsing",
    "list_type",
    "string_type",
}
_MAPPING_ERRORS = {"dict_type", "model_type", "model_attributes_type"}


def _issues(exc: ValidationError, data: Any, smap: SourceMap) -> list[SpecIssue]:
    found: list[tuple[PathT, str, bool]] = []
    raw = exc.errors()
    for err in raw:
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ScenarioReferenceError):
            base = _data_path(tuple(err["loc"]), data)
            for path, message in cause.problems:
                found.append(((*base, *path), message, len(path) > 0 and isinstance(path[-1], str)))
            continue
        path = _data_path(tuple(err["loc"]), data)
        found.append((path, _message(err), err["type"] == "extra_forbidden"))
    # a value that fits no member of a union gets one error per member: keep the relevant one
    by_path: dict[PathT, list[int]] = {}
    for i, (p, _, _) in enumerate(found):
        by_path.setdefault(p, []).append(i)
    drop: set[int] = set()
    for p, idx in by_path.items():
        if len(idx) < 2:
            continue
        value = _value_at(data, p)
        for i in idx:
            etype = raw[i]["type"] if i < len(raw) else ""
            if isinstance(value, dict) and etype in _TYPE_ERRORS:
                drop.add(i)
            elif not isinstance(value, dict) and etype in _MAPPING_ERRORS:
                drop.add(i)
    issues = [smap.issue(p, m, key=k) for i, (p, m, k) in enumerate(found) if i not in drop]
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.file, i.line or 0, i.column or 0))


def _value_at(data: Any, path: PathT) -> Any:
    cur = data
    for part in path:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _validate(data: dict[str, Any], smap: SourceMap, base_dir: Path | None) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_issues(exc, data, smap)) from None
    scenario._source = smap
    scenario._base_dir = base_dir
    return scenario


# --------------------------------------------------------------------------- public API


def load_scenario_text(
    text: str, file: str = "<string>", base_dir: str | os.PathLike[str] | None = None
) -> Scenario:
    """Validate a scenario given as YAML text (``extends`` is resolved among the known scenarios
    and ``base_dir``); ``file`` names it in error messages."""
    data, smap = _parse(text, file)
    if data.get("extends") is not None:
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        parent = data["extends"]
        if not isinstance(parent, str):
            raise ScenarioError([smap.issue(("extends",), "expected the name of a scenario")])
        try:
            ppath = (
                (base / parent).resolve()
                if parent.endswith(YAML_SUFFIXES)
                else _find(parent, first=base)
            )
        except UnknownScenarioError as exc:
            raise ScenarioError([smap.issue(("extends",), exc.issues[0].message)]) from None
        pdata, pmap = _load_data(ppath, [])
        data, smap = _merge(*_without_identity(pdata, pmap), data, smap)
    return _validate(data, smap, Path(base_dir) if base_dir is not None else None)


def load_scenario(source: str | os.PathLike[str] | Scenario) -> Scenario:
    """Load and validate a scenario: a :class:`Scenario` (returned as is), the name of a shipped
    scenario (``"baseline"``; see :func:`list_scenarios`) or a path to a ``.yaml`` file.

    Raises :class:`ScenarioError` naming the file, line, column and field path of every problem.

    >>> s = load_scenario("baseline")
    >>> s.id, s.outcome.baseline.shape > 0
    ('baseline', True)
    """
    if isinstance(source, Scenario):
        return source
    path = _resolve(source)
    data, smap = _load_data(path, [])
    data.setdefault("id", path.stem)
    return _validate(data, smap, path.parent)
