"""Read instrument spec YAML files into validated :class:`~assess.spec.models.InstrumentSpec`.

Reading is safe and strict:

* YAML is *composed* (parsed to nodes) with PyYAML's safe machinery and turned into plain
  Python values here; no object is ever constructed from a tag, and any tag other than the
  standard str/int/float/bool/null/seq/map ones (``!!python/...``, ``!!binary``, local tags) is
  refused with a located message.
* Plain scalars are resolved with the YAML 1.2 core schema: only ``true``/``false`` are booleans
  (``yes``/``no``/``on``/``off`` stay text, so ``on: total`` and ``value: no`` mean what they say),
  numbers are decimal (``017`` is 17), and dates stay text. Fields typed as booleans still accept
  ``yes``/``no`` through validation.
* Duplicate mapping keys are an error naming both lines (PyYAML would silently keep the last).
* Every problem names the file, line, column and field path, e.g.
  ``instruments/x.yaml:23:7: items[3].response.levels[1].points: expected a number, got 'two'``.

Example
-------
>>> spec = load_spec("instruments/demo-risk.yaml")        # doctest: +SKIP
>>> spec = load_spec("demo-risk@1.0.0")                    # built-in, pinned  # doctest: +SKIP
>>> spec_hash(spec)[:12]                                   # doctest: +SKIP
'3f9c0a1b2c4d'
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
import re
import types
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from .errors import SpecError, SpecIssue
from .models import (
    IDENTIFIER,
    INSTRUMENT_ID,
    SEMVER,
    InstrumentSpec,
    SpecReferenceError,
    format_path,
)

__all__ = [
    "MAX_FILE_BYTES",
    "YAML_SUFFIXES",
    "display_path",
    "existing_yaml_file",
    "load_spec",
    "load_spec_text",
    "model_at",
    "named_yaml_file",
    "spec_hash",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Spec files larger than this are refused (5 MB; real specs are a few kB)."""

YAML_SUFFIXES = (".yaml", ".yml")

_MAX_NODES = 100_000  # guards against alias expansion bombs ("billion laughs")

PathT = tuple[str | int, ...]

# --------------------------------------------------------------------------- YAML reading

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader whose implicit resolvers follow the YAML 1.2 core schema (composition only)."""

    yaml_implicit_resolvers: dict = {}  # replaced, not inherited: see class docstring


_SpecLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_SpecLoader.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_SpecLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_SpecLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_SpecLoader.add_implicit_resolver(_MERGE, re.compile(r"^(?:<<)$"), ["<"])


@dataclass(frozen=True)
class _Mark:
    """Where a value (and, for a mapping entry, its key) sits in the file; 1-based."""

    line: int
    column: int
    key_line: int | None
    key_column: int | None
    kind: str  # "scalar" | "seq" | "map"
    raw: str | None  # value of a scalar
    style: str | None  # scalar style: None (plain), "'", '"', "|", ">"


class _Located:
    """Parsed data plus the position of every value, by field path."""

    def __init__(self, file: str, text: str = ""):
        self.file = file
        self.lines = text.splitlines()
        self.marks: dict[PathT, _Mark] = {}
        self.issues: list[SpecIssue] = []
        self._nodes = 0
        self._active: set[int] = set()

    # ---------------------------------------------------------------- issues

    def issue_at_node(self, node: yaml.Node, path: PathT, message: str) -> None:
        m = node.start_mark
        self.issues.append(
            SpecIssue(self.file, m.line + 1, m.column + 1, format_path(path), message)
        )

    def locate(self, path: PathT, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column for ``path``: the value (or key) when present, else the nearest parent."""
        for k in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:k]))
            if mark is None:
                continue
            exact = k == len(path)
            use_key = mark.key_line is not None and (key or mark.kind != "scalar" or not exact)
            if use_key:
                return mark.key_line, mark.key_column
            return mark.line, mark.column
        return None, None

    def raw(self, path: PathT) -> str | None:
        mark = self.marks.get(tuple(path))
        return mark.raw if mark else None

    # ---------------------------------------------------------------- building

    def build(self, node: yaml.Node, path: PathT, key_node: yaml.Node | None = None) -> Any:
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            raise _TooManyNodes
        start = node.start_mark
        kmark = key_node.start_mark if key_node is not None else None
        kind = {yaml.ScalarNode: "scalar", yaml.SequenceNode: "seq", yaml.MappingNode: "map"}[
            type(node)
        ]
        self.marks.setdefault(
            path,
            _Mark(
                start.line + 1,
                start.column + 1,
                kmark.line + 1 if kmark else None,
                kmark.column + 1 if kmark else None,
                kind,
                node.value if kind == "scalar" else None,
                (node.style or None) if kind == "scalar" else None,  # libyaml gives '' for plain
            ),
        )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            self.issue_at_node(
                node,
                path,
                "an alias refers to a mapping or list that contains it (recursive alias); expand it by hand",
            )
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    self._refuse_tag(node, path)
                    return None
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            if node.tag != _MAP:
                self._refuse_tag(node, path)
                return None
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _refuse_tag(self, node: yaml.Node, path: PathT) -> None:
        tag = node.tag
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.issue_at_node(
            node,
            path,
            f"the YAML tag {shown!r} is not allowed: a spec may only hold plain text, numbers, "
            "true/false, null, lists and mappings (nothing is ever run or constructed from a tag); remove the tag",
        )

    def _scalar(self, node: yaml.ScalarNode, path: PathT) -> Any:
        text, tag = node.value, node.tag
        try:
            if tag == _STR:
                return text
            if tag == _NULL:
                if text not in ("", "~", "null", "Null", "NULL"):
                    raise ValueError
                return None
            if tag == _BOOL:
                low = text.lower()
                if low not in ("true", "false"):
                    raise ValueError
                return low == "true"
            if tag == _INT:
                return _parse_int(text)
            if tag == _FLOAT:
                return _parse_float(text)
        except ValueError:
            shown = "!!" + tag[len(_TAG) :]
            self.issue_at_node(node, path, f"cannot read {text!r} as {shown}")
            return None
        self._refuse_tag(node, path)
        return None

    def _mapping(self, node: yaml.MappingNode, path: PathT) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.issue_at_node(
                    key_node, path, "a mapping key must be a plain name, not a list or mapping"
                )
                continue
            if key_node.tag not in (_STR, _INT, _FLOAT, _BOOL, _NULL):
                self._refuse_tag(key_node, path)
                continue
            key = key_node.value  # keys are always text: "on", "1" and "yes" stay as written
            if key in first_seen:
                m1, m2 = first_seen[key].start_mark, key_node.start_mark
                self.issues.append(
                    SpecIssue(
                        self.file,
                        m2.line + 1,
                        m2.column + 1,
                        format_path((*path, key)),
                        f"duplicate key {key!r}: first given on line {m1.line + 1}, again on line "
                        f"{m2.line + 1}; YAML would silently keep only the last one, so remove or "
                        "rename one of them",
                    )
                )
                continue
            first_seen[key] = key_node
            out[key] = self.build(value_node, (*path, key), key_node)
        for (
            merge
        ) in merges:  # "<<: *anchor" or "<<: [*a, *b]"; explicit keys win, earlier merges win
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for src in sources:
                if not isinstance(src, yaml.MappingNode):
                    self.issue_at_node(
                        src,
                        path,
                        "'<<' (merge key) needs an alias to a mapping, e.g. '<<: *defaults'",
                    )
                    continue
                merged = self.build(src, (*path, "<<"))
                if isinstance(merged, dict):
                    for k, v in merged.items():
                        if k not in out:
                            out[k] = v
                            self._copy_marks((*path, "<<"), (*path, k), k)
        return out

    def _copy_marks(self, src_root: PathT, dst: PathT, key: str) -> None:
        prefix = (*src_root, key)
        n = len(prefix)
        for p, m in list(self.marks.items()):
            if p[:n] == prefix:
                self.marks.setdefault((*dst, *p[n:]), m)


class _TooManyNodes(Exception):
    pass


def _parse_int(text: str) -> int:
    t = text.replace("_", "")
    if t.startswith("0o"):
        return int(t[2:], 8)
    if t.startswith("0x"):
        return int(t[2:], 16)
    return int(t, 10)


def _parse_float(text: str) -> float:
    t = text.lower()
    if t in (".inf", "+.inf"):
        return float("inf")
    if t == "-.inf":
        return float("-inf")
    if t == ".nan":
        return float("nan")
    return float(text)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    cm = exc.context_mark
    opened = f" on line {cm.line + 1}" if cm is not None else ""
    hint = ""
    if "found character '\\t'" in problem or "found character '\t'" in problem:
        hint = "a tab character is not allowed here: indent YAML with spaces only"
    elif "mapping values are not allowed" in problem:
        hint = (
            "unexpected ':' here: check the indentation of this line against the lines above, "
            "or put a value that contains ': ' in quotes"
        )
    elif context.startswith("while parsing a flow sequence"):
        hint = f"the '[' opened{opened} is not closed where expected: add the missing ']' or a ',' between entries"
    elif context.startswith("while parsing a flow mapping"):
        hint = f"the '{{' opened{opened} is not closed where expected: add the missing '}}' or a ',' between entries"
    elif "expected <block end>" in problem:
        hint = (
            "the indentation of this line does not match the lines above: align it with its "
            "siblings (same number of spaces) or fix the line before it"
        )
        if "'<scalar>'" in problem:
            hint += "; also check for a quote opened on an earlier line and never closed"
    elif "could not find expected ':'" in problem:
        hint = "a key has no ':' after it, or a quoted text is not closed"
    elif "found undefined alias" in problem:
        hint = "this alias (*name) refers to an anchor (&name) that is not defined above it"
    elif "expected a single document" in problem or "expected a single document" in context:
        hint = "the file holds more than one YAML document ('---'); keep exactly one spec per file"
    elif "while scanning a quoted scalar" in context:
        hint = f"the quoted text opened{opened} is never closed: add the closing quote"
    elif "while scanning a simple key" in context:
        hint = f"the text starting{opened} looks like a key but has no ':' after it (or a quote is not closed)"
    raw = problem if not context else f"{context}{opened}: {problem}"
    return f"{hint} (YAML parser: {raw})" if hint else f"invalid YAML: {raw}"


_CSpecLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):  # same resolvers on libyaml's parser (10-20x faster)

    class _CSpecLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        yaml_implicit_resolvers = _SpecLoader.yaml_implicit_resolvers


_MAX_FLOW_DEPTH = 200
_FLOW_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _flow_depth(text: str) -> int:
    """Upper-bound-ish depth of '[' / '{' nesting (brackets inside quotes are counted too)."""
    brackets = re.findall(r"[\[\]{}]", text)
    return max(itertools.accumulate(_FLOW_STEP[b] for b in brackets), default=0)


def _compose_nodes(text: str) -> yaml.Node | None:
    """Compose with libyaml when available; on any problem redo it in pure Python, whose error
    messages (and marks) the hints above are written for, and which fails cleanly (RecursionError)
    on pathological nesting where libyaml's recursive composer could overflow the C stack."""
    if _CSpecLoader is not None:
        # cheap upper bound on nesting depth: every level needs a '[', '{' or one more
        # character of indentation/indicator on some line
        bound = text.count("[") + text.count("{") + max(map(len, text.splitlines()), default=0)
        if bound <= 2000:
            try:
                return yaml.compose(text, Loader=_CSpecLoader)
            except (yaml.YAMLError, RecursionError):
                pass
    if _flow_depth(text) > _MAX_FLOW_DEPTH:  # PyYAML's scanner is quadratic on deep '[[[...'
        raise RecursionError
    return yaml.compose(text, Loader=_SpecLoader)


def _compose(text: str, file: str) -> tuple[Any, _Located]:
    """Parse YAML text into plain data with positions; raise SpecError for broken YAML."""
    located = _Located(file, text)
    try:
        root = _compose_nodes(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        raise SpecError.single(file, _yaml_message(exc), line=line, column=col) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SpecError.single(
            file,
            f"the file contains a control character (U+{exc.character:04X}) that YAML does not allow; "
            "remove it (was the file saved as text?)",
            line=line,
            column=col,
        ) from None
    except RecursionError:
        raise SpecError.single(file, "the YAML is nested too deeply to be a spec") from None
    if root is None:
        what = "empty" if not text.strip() else "empty (it holds only comments)"
        raise SpecError.single(
            file,
            f"the file is {what}; expected a mapping of the instrument's fields (id, version, name, "
            "status, description, licence, domains, items, ...)",
        )
    if root.tag not in (_MAP, _SEQ, _STR, _INT, _FLOAT, _BOOL, _NULL):
        located._refuse_tag(root, ())
        raise SpecError(located.issues)
    if not isinstance(root, yaml.MappingNode):
        got = (
            "a list" if isinstance(root, yaml.SequenceNode) else f"the single value {root.value!r}"
        )
        m = root.start_mark
        raise SpecError.single(
            file,
            f"the top level must be a mapping of the instrument's fields (id: ..., version: ..., "
            f"items: ...), got {got}",
            line=m.line + 1,
            column=m.column + 1,
            path="<root>",
        )
    try:
        data = located.build(root, ())
    except _TooManyNodes:
        raise SpecError.single(
            file,
            f"the YAML expands to more than {_MAX_NODES:,} values (aliases expanding?); refusing to read it",
        ) from None
    except RecursionError:
        raise SpecError.single(file, "the YAML is nested too deeply to be a spec") from None
    if located.issues:
        raise SpecError(_sorted(located.issues))
    return data, located


# --------------------------------------------------------------------------- validation errors


def _sorted(issues: list[SpecIssue]) -> list[SpecIssue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.line or 0, i.column or 0))


def data_path(loc: tuple, data: Any, *, union_members: Collection[str] = ()) -> PathT:
    """Map a pydantic error location onto the YAML data: drop union tags and internal parts.

    Discriminated-union tags are recognised by the mapping's ``type`` value; names of members of
    plain unions (e.g. ``"float"``) that a model uses are passed as ``union_members``.
    """
    out: list[str | int] = []
    cur: Any = data
    last = len(loc) - 1
    for n, part in enumerate(loc):
        if isinstance(cur, dict):
            if part in cur:
                out.append(part)
                cur = cur[part]
                continue
            if isinstance(part, str) and (cur.get("type") == part or n < last or part in union_members):
                continue  # a discriminated-union tag (or another non-data part)
            out.append(part)
            cur = None
            continue
        if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
            continue
        if cur is None and n == last and isinstance(part, str):
            out.append(part)
        break  # a scalar stands for a structure (e.g. the '- item_id' shorthand)
    return tuple(out)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The pydantic model class whose fields hold a pydantic error ``loc`` below ``root``.

    ``loc`` is walked through model fields, list/tuple indices, dict values and union members
    named by class (pydantic's ``loc`` for plain unions); None where it leaves the models. Used
    by the suite and scenario loaders to suggest field names.
    """
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if _is_model(tp):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif origin in (list, tuple) and isinstance(part, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            named = [m for m in (_unwrap(a) for a in get_args(tp)) if getattr(m, "__name__", None) == part]
            if not named:
                return None
            tp = named[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if _is_model(tp) else None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(tp) if a is not type(None)]
    return [tp]


def _tag_of(model: Any) -> list[str]:
    field = model.model_fields.get("type") if _is_model(model) else None
    if field is None:
        return []
    ann = _unwrap(field.annotation)
    return [str(a) for a in get_args(ann)] if get_origin(ann) is Literal else []


def _type_at(loc: tuple) -> Any:
    """The annotation of the field at a pydantic ``loc`` (which includes union tags), or None."""
    tp: Any = InstrumentSpec
    for part in loc:
        tp = _unwrap(tp)
        members = _union_members(tp)
        if len(members) > 1:
            chosen = [m for m in members if str(part) in _tag_of(m)]
            if not chosen:
                return None
            tp = chosen[0]
            continue
        if _is_model(tp):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
            continue
        origin = get_origin(tp)
        if origin is list and isinstance(part, int):
            tp = get_args(tp)[0]
            continue
        if origin is dict:
            tp = get_args(tp)[1]
            continue
        return None
    return _unwrap(tp)


def _describe(value: Any, raw: str | None = None) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return raw or str(value).lower()
    if isinstance(value, (int, float)):
        return raw or repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _quoted_list(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _close(word: Any, options: list[str]) -> str | None:
    if not isinstance(word, str) or not options:
        return None
    for opt in options:
        if opt.lower() == word.lower():
            return opt
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def _slug(value: str, sep: str) -> str:
    s = re.sub(r"[^a-z0-9]+", sep, value.strip().lower()).strip(sep)
    return s


def _pattern_message(value: Any, pattern: str, field: str) -> str:
    shown = _describe(value)
    if pattern == IDENTIFIER:
        msg = f"{shown} is not a valid id: use lower-case letters, digits and underscores, starting with a letter"
        if isinstance(value, str):
            s = _slug(value, "_")
            if re.match(IDENTIFIER, s):
                msg += f" (e.g. {s!r})"
        return msg
    if pattern == INSTRUMENT_ID:
        msg = (
            f"{shown} is not a valid instrument id: use lower-case letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
        if isinstance(value, str):
            s = _slug(value, "-")
            if re.match(INSTRUMENT_ID, s):
                msg += f" (e.g. {s!r})"
        return msg
    if pattern == SEMVER:
        example = "1.0.0"
        if isinstance(value, str) and re.fullmatch(r"v?\d+(\.\d+){0,2}", value.strip()):
            parts = value.strip().lstrip("v").split(".")
            parts += ["0"] * (3 - len(parts))
            example = ".".join(str(int(p)) for p in parts)
        return f"{shown} is not a semantic version: expected MAJOR.MINOR.PATCH, e.g. {example!r}"
    if pattern == r"^[a-z0-9_]+$":
        return f"{shown} is not a valid {field}: use lower-case letters, digits and underscores (e.g. '2y')"
    return f"{shown} does not have the expected form (pattern {pattern})"


def _belongs_under(model: Any, key: str) -> str | None:
    """Name of a sub-field of ``model`` whose own fields include ``key``."""
    for name, field in model.model_fields.items():
        ann = _unwrap(field.annotation)
        if get_origin(ann) is list:
            ann = _unwrap(get_args(ann)[0])
        for member in _union_members(ann):
            if _is_model(member) and key in member.model_fields:
                return name
    return None


def _friendly(err: dict, value: Any, raw: str | None) -> str:
    """A researcher-facing message for one pydantic error."""
    etype = err["type"]
    loc = err["loc"]
    ctx = err.get("ctx") or {}
    field = str(loc[-1]) if loc and isinstance(loc[-1], str) else "value"
    got = _describe(value, raw)

    if etype == "missing":
        return f"missing required field {field!r}"
    if etype == "extra_forbidden":
        parent = _type_at(loc[:-1])
        msg = f"unknown field {field!r}"
        if _is_model(parent):
            allowed = list(parent.model_fields)
            under = _belongs_under(parent, field)
            if under:
                return f"{msg} here; it belongs under {under!r}"
            close = _close(field, allowed)
            if close:
                return f"{msg}; did you mean {close!r}?"
            return f"{msg}; allowed fields here: {', '.join(allowed)}"
        return msg
    if etype == "literal_error":
        tp = _type_at(loc)
        options = [str(a) for a in get_args(tp)] if get_origin(tp) is Literal else []
        expected = _quoted_list(options) if options else ctx.get("expected", "")
        msg = f"expected one of {expected}, got {got}"
        close = _close(value, options)
        return msg + (f"; did you mean {close!r}?" if close else "")
    if etype == "union_tag_invalid":
        tags = [
            t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()
        ]
        tag = ctx.get("tag")
        msg = f"unknown type {tag!r}; expected one of {_quoted_list(tags)}"
        close = _close(tag, tags)
        return msg + (f"; did you mean {close!r}?" if close else "")
    if etype == "union_tag_not_found":
        tags = [t for m in _union_members(_type_at(loc)) for t in _tag_of(m)]
        disc = str(ctx.get("discriminator", "'type'")).strip("'")
        if not isinstance(value, dict):
            return f"expected a mapping with a {disc!r} field, got {got}"
        return f"missing required field {disc!r}" + (
            f" (one of {_quoted_list(tags)})" if tags else ""
        )
    if etype == "string_type":
        if field == "version" and isinstance(value, (int, float)):
            return f"expected a semantic version in quotes such as '1.0.0', got {got}"
        if isinstance(value, (int, float)):
            return f"expected text, got {got} (read as {'true/false' if isinstance(value, bool) else 'a number'}); put it in quotes"
        return f"expected text, got {got}"
    if etype == "string_too_short":
        return (
            "must not be empty"
            if ctx.get("min_length", 1) == 1
            else f"must have at least {ctx['min_length']} characters"
        )
    if etype == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters, got {len(value) if isinstance(value, str) else '?'}"
    if etype == "string_pattern_mismatch":
        return _pattern_message(value, str(ctx.get("pattern", "")), field)
    if etype in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"expected a whole number, got {got}"
    if etype in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if etype == "finite_number":
        msg = f"expected a finite number, got {got}; NaN and infinity are not allowed here"
        if field in ("upper", "lower"):
            msg += f" (omit '{field}' for an open-ended band)"
        return msg
    if etype in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if etype == "list_type":
        return f"expected a list (lines starting with '- '), got {got}"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (lines of 'key: value'), got {got}"
    if etype in ("too_short", "too_long"):
        n_key = "min_length" if etype == "too_short" else "max_length"
        bound = ctx.get(n_key)
        word = "at least" if etype == "too_short" else "at most"
        kind = "entry" if bound == 1 else "entries"
        return f"needs {word} {bound} {kind}, got {ctx.get('actual_length')}"
    bounds = {
        "greater_than": ("greater than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    if etype in bounds:
        words, key = bounds[etype]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {words} {bound}, got {got}"
    msg = str(err.get("msg", etype))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def _value_at(data: Any, path: PathT) -> Any:
    cur = data
    for part in path:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _validation_issues(exc: ValidationError, data: Any, located: _Located) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, SpecReferenceError):
            for path, message in cause.problems:
                path = tuple(path)
                dpath = data_path(path, data) if path else ()
                line, col = located.locate(dpath, key=_is_dict_key(data, dpath))
                if dpath[:1] == ("derived",) and dpath[-1:] == ("expression",):
                    col = _expression_column(located, dpath, message) or col
                issues.append(SpecIssue(located.file, line, col, format_path(dpath), message))
            continue
        loc = tuple(err["loc"])
        dpath = data_path(loc, data)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found") and isinstance(
            _value_at(data, dpath), dict
        ):
            disc = str((err.get("ctx") or {}).get("discriminator", "'type'")).strip("'")
            dpath = (*dpath, disc)
        value = err.get("input")
        message = _friendly(err, value, located.raw(dpath))
        if err["type"] == "value_error":
            # a model-level check whose message starts with a field name ("reverse keying ...",
            # "protective_only is ...", "lower (3) must ..."): point at that field
            target = _value_at(data, dpath)
            first = re.match(r"[A-Za-z_]+", message)
            if isinstance(target, dict) and first and first.group(0) in target:
                dpath = (*dpath, first.group(0))
        line, col = located.locate(dpath, key=err["type"] == "extra_forbidden")
        issues.append(SpecIssue(located.file, line, col, format_path(dpath), message))
    return issues


def _expression_column(located: _Located, path: PathT, message: str) -> int | None:
    """File column of the problem inside a one-line expression (None if it cannot be placed)."""
    from .expressions import ExpressionError, parse_expression

    mark = located.marks.get(path)
    if mark is None or mark.raw is None or mark.style not in (None, "'", '"') or "\n" in mark.raw:
        return None
    text = mark.raw
    offset = 0 if mark.style is None else 1
    start = mark.column - 1 + offset
    src = located.lines[mark.line - 1] if 0 < mark.line <= len(located.lines) else ""
    if src[start : start + len(text)] != text:  # escapes or folding: columns would not line up
        return None
    pos: int | None = None
    try:
        parse_expression(text)
    except ExpressionError as exc:
        pos = exc.position
    else:
        m = re.search(r"unknown name '([^']+)'", message)
        if m:
            hit = re.search(rf"(?<![A-Za-z0-9_]){re.escape(m.group(1))}(?![A-Za-z0-9_])", text)
            pos = hit.start() if hit else None
    return None if pos is None else start + pos + 1


def _is_dict_key(data: Any, path: PathT) -> bool:
    """True if ``path`` ends in a key of a free-form mapping (test vector inputs/expect)."""
    return len(path) >= 2 and path[-2] in ("inputs", "expect") and isinstance(path[-1], str)


def _validate(data: Any, located: _Located) -> InstrumentSpec:
    try:
        return InstrumentSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_sorted(_validation_issues(exc, data, located))) from exc


# --------------------------------------------------------------------------- public API


def load_spec_text(text: str, file: str = "<string>") -> InstrumentSpec:
    """Validate spec YAML given as text; ``file`` names it in error messages.

    Raises :class:`SpecError` listing every problem with its line, column and field path.
    """
    data, located = _compose(text, file)
    return _validate(data, located)


def display_path(path: Path) -> str:
    """How a file is named in messages: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def named_yaml_file(name: str, folders: Iterable[Path]) -> Path | None:
    """The first ``<folder>/<name>.yaml`` (or ``.yml``) that exists, in folder order, else None."""
    for folder in folders:
        for suffix in YAML_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def existing_yaml_file(text: str, what: str, error: type[SpecError] = SpecError) -> Path:
    """The YAML file ``text`` names, or ``error`` saying it is missing, a folder or not YAML.

    ``what`` names the kind of file in the message (``"suite"``, ``"scenario"``).
    """
    path = Path(text).expanduser()
    if not path.exists():
        raise error.single(text, f"file not found (looked for {str(path.resolve())!r})")
    if path.is_dir():
        raise error.single(text, f"this is a folder; expected a {what} file ending in .yaml or .yml")
    if path.suffix.lower() not in YAML_SUFFIXES:
        raise error.single(
            text, f"expected a YAML {what} file ending in .yaml or .yml, got {path.suffix or 'no extension'!r}"
        )
    return path


_REF = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9](?:@\S+)?$")


def _resolve_source(source: str | os.PathLike[str]) -> tuple[Path, str]:
    if isinstance(source, os.PathLike):
        path = Path(source)
        shown = str(source)
    else:
        shown = str(source)
        path = Path(shown).expanduser()
        if (
            not path.exists()
            and _REF.match(shown)
            and path.suffix.lower() not in (*YAML_SUFFIXES, ".json", ".txt")
        ):
            from .registry import find_instrument

            found = find_instrument(shown)
            return found, display_path(found)
    if not path.exists():
        hint = ""
        for alt in (path.with_suffix(s) for s in YAML_SUFFIXES):
            if alt != path and alt.exists():
                hint = f"; did you mean {str(alt)!r}?"
                break
        raise SpecError.single(shown, f"file not found (looked for {str(path.resolve())!r}){hint}")
    if path.is_dir():
        raise SpecError.single(
            shown, "this is a folder; expected a spec file ending in .yaml or .yml"
        )
    if path.suffix.lower() not in YAML_SUFFIXES:
        raise SpecError.single(
            shown,
            f"expected a YAML spec file ending in .yaml or .yml, got {path.suffix or 'no extension'!r}; "
            "rename the file if it really is a YAML spec",
        )
    return path, shown


def _read_text(path: Path, shown: str) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SpecError.single(
            shown,
            f"the file is {size / 1024 / 1024:.1f} MB; specs larger than {MAX_FILE_BYTES // (1024 * 1024)} MB "
            "are refused (is this the right file?)",
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError.single(
            shown,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it with UTF-8 encoding",
            line=line,
            column=col,
        ) from None


def load_spec(source: str | os.PathLike[str]) -> InstrumentSpec:
    """Load and validate an instrument spec from a YAML file or a built-in id.

    ``source`` is a path to a ``.yaml``/``.yml`` file, or an instrument id from the registry
    (``"demo-risk"``: highest version; ``"demo-risk@1.0.0"``: that version; see
    :func:`assess.spec.registry.find_instrument`).

    Raises :class:`SpecError` whose ``issues`` name the file, line, column and field path of
    every problem (broken YAML, duplicate keys, wrong types, unknown fields, broken
    cross-references...).

    >>> spec = load_spec("instruments/demo-risk.yaml")   # doctest: +SKIP
    """
    path, shown = _resolve_source(source)
    text = _read_text(path, shown)
    return load_spec_text(text, file=shown)


def spec_hash(spec: InstrumentSpec) -> str:
    """SHA-256 (hex) of the canonical JSON of a validated spec.

    Canonical: ``model_dump(mode="json")`` (defaults filled in), keys sorted, no whitespace,
    UTF-8. Two files that validate to the same spec (comments, key order, quoting, omitted
    defaults) share a hash; results carry it so a score can be traced to the exact rules used.
    """
    payload = json.dumps(
        spec.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: Public name of the position-recording YAML reader, for other loaders (e.g. synthetic scenarios)
#: that want the same safety rules and located errors.
compose_yaml = _compose
