"""The instrument registry: which instrument specs are available, and where.

Specs are looked up in, in this order:

1. the folders listed in the environment variable ``ASSESS_INSTRUMENT_PATH``
   (separated by ``os.pathsep``: ``:`` on Linux/macOS, ``;`` on Windows);
2. the repository's built-in ``instruments/`` folder.

Each folder is scanned (not recursively) for ``*.yaml`` / ``*.yml`` files. The id and version
are read from the file itself; by convention the file is named ``<id>.yaml`` (or
``<id>@<version>.yaml`` / ``<id>-<version>.yaml`` when several versions sit side by side), and a
mismatch is reported by :func:`registry_issues`.

An unpinned id (``"demo-risk"``) resolves to the highest semantic version; ``"demo-risk@1.0.0"``
pins a version. If the same ``id@version`` is found in two folders, the one found first in the
order above wins (so a user folder can override a built-in spec deliberately; results carry
:func:`~assess.spec.loader.spec_hash` to tell them apart).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import SpecIssue, UnknownInstrumentError
from .models import INSTRUMENT_ID, SEMVER

__all__ = [
    "ENV_VAR",
    "InstrumentInfo",
    "builtin_instrument_dir",
    "find_instrument",
    "file_name_problem",
    "instrument_dirs",
    "list_instruments",
    "parse_ref",
    "registry_issues",
    "semver_key",
]

ENV_VAR = "ASSESS_INSTRUMENT_PATH"


@dataclass(frozen=True)
class InstrumentInfo:
    """What the registry knows about one spec file without validating it fully.

    ``problem`` is set when the file's header (id, version, name, status) cannot be read; the
    id then falls back to the file name so that loading it reports the located errors.
    """

    id: str
    version: str
    name: str
    status: str
    path: Path
    problem: str | None = None

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"


def builtin_instrument_dir() -> Path:
    """The repository's ``instruments/`` folder (src layout), or an installed data copy."""
    repo = Path(__file__).resolve().parents[3] / "instruments"
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parents[1] / "data" / "instruments"


def instrument_dirs() -> list[Path]:
    """Folders searched for specs, in priority order (``ASSESS_INSTRUMENT_PATH`` first)."""
    dirs: list[Path] = []
    for part in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()).expanduser())
    dirs.append(builtin_instrument_dir())
    unique: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        key = d.resolve() if d.exists() else d
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


_SEMVER_RE = re.compile(SEMVER)


def semver_key(version: str) -> tuple:
    """Sort key following semantic-versioning precedence (semver.org, section 11).

    ``1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-beta < 1.0.0 < 1.0.1 < 1.10.0``; build metadata
    (``+...``) is ignored. Strings that are not semantic versions sort below all versions.
    """
    m = _SEMVER_RE.match(version or "")
    if not m:
        return (-1,)
    core, _, _build = version.partition("+")
    core, _, pre = core.partition("-")
    major, minor, patch = (int(x) for x in core.split("."))
    if not pre:
        return (major, minor, patch, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, ids)


def parse_ref(ref: str) -> tuple[str, str | None]:
    """Split ``"id"`` or ``"id@version"`` into ``(id, version or None)``."""
    ident, sep, version = str(ref).strip().partition("@")
    return ident.strip(), (version.strip() if sep else None)


# --------------------------------------------------------------------------- scanning

_cache: dict[tuple[str, int, int], InstrumentInfo] = {}


def _read_header(path: Path) -> InstrumentInfo:
    """id, version, name and status from a spec file's top level (cached by mtime and size)."""
    from .loader import MAX_FILE_BYTES, _compose_nodes

    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _cache:
        return _cache[key]

    def fail(problem: str) -> InstrumentInfo:
        return InstrumentInfo(path.stem.split("@")[0], "", "", "", path, problem)

    if st.st_size > MAX_FILE_BYTES:
        info = fail("file too large")
    else:
        try:
            root = _compose_nodes(path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
            info = fail(
                f"cannot be read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            )
        else:
            fields: dict[str, str] = {}
            if isinstance(root, yaml.MappingNode):
                for k, v in root.value:
                    if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode):
                        fields.setdefault(str(k.value), str(v.value))
            ident, version = fields.get("id", ""), fields.get("version", "")
            if not isinstance(root, yaml.MappingNode):
                info = fail("the top level is not a mapping")
            elif not re.match(INSTRUMENT_ID, ident):
                info = fail(f"missing or invalid id {ident!r}")
            elif not _SEMVER_RE.match(version):
                info = InstrumentInfo(
                    ident,
                    version,
                    fields.get("name", ""),
                    fields.get("status", ""),
                    path,
                    f"missing or invalid version {version!r}",
                )
            else:
                info = InstrumentInfo(
                    ident, version, fields.get("name", ""), fields.get("status", ""), path
                )
    if len(_cache) > 1024:
        _cache.clear()
    _cache[key] = info
    return info


def _scan() -> list[InstrumentInfo]:
    """Every spec file found, in search order (duplicates of id@version included)."""
    found: list[InstrumentInfo] = []
    for folder in instrument_dirs():
        if not folder.is_dir():
            continue
        files = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file()
        )
        found.extend(_read_header(p) for p in files)
    return found


def list_instruments() -> list[InstrumentInfo]:
    """All available instrument specs, sorted by id then version (ascending semver).

    Reads only each file's top-level id/version/name/status (fast; a file with errors is listed
    with ``problem`` set). When one ``id@version`` appears in several folders, the first in
    search order (see :func:`instrument_dirs`) is listed.

    >>> [i.ref for i in list_instruments()]   # doctest: +SKIP
    ['demo-risk@1.0.0', 'demo-strengths@0.2.0']
    """
    seen: set[tuple[str, str]] = set()
    out: list[InstrumentInfo] = []
    for info in _scan():
        key = (info.id, info.version if not info.problem else f"\0{info.path}")
        if key in seen:
            continue
        seen.add(key)
        out.append(info)
    return sorted(out, key=lambda i: (i.id, semver_key(i.version), str(i.path)))


def _searched() -> str:
    parts = []
    for d in instrument_dirs():
        parts.append(str(d) + ("" if d.is_dir() else " (missing)"))
    return "; ".join(parts)


def find_instrument(ref: str) -> Path:
    """Path of the spec file for ``"id"`` (highest semantic version) or ``"id@version"``.

    Raises :class:`~assess.spec.errors.UnknownInstrumentError` (a ``SpecError`` and
    ``LookupError``) listing the available ids or versions, with a close-match suggestion.

    >>> find_instrument("demo-risk@1.0.0")   # doctest: +SKIP
    PosixPath('.../instruments/demo-risk.yaml')
    """
    ident, version = parse_ref(ref)
    infos = list_instruments()
    ids = sorted({i.id for i in infos})
    matches = [i for i in infos if i.id == ident]
    if not matches:
        close = difflib.get_close_matches(ident, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        available = ", ".join(ids) if ids else "none"
        raise UnknownInstrumentError.single(
            str(ref),
            f"unknown instrument {ident!r}{hint or '.'} Available: {available}. Searched: {_searched()}. "
            f"Add folders with the {ENV_VAR} environment variable, or give a path to a .yaml file.",
        )
    if version is not None:
        pinned = [i for i in matches if i.version == version]
        if not pinned:
            versions = ", ".join(i.version or "?" for i in matches)
            raise UnknownInstrumentError.single(
                str(ref),
                f"instrument {ident!r} has no version {version!r}; available versions: {versions}",
            )
        return pinned[0].path
    return max(matches, key=lambda i: semver_key(i.version)).path


# --------------------------------------------------------------------------- lint


def file_name_problem(path: str | os.PathLike[str], spec_id: str, version: str) -> str | None:
    """A message if a spec's file name does not follow ``<id>.yaml`` (or ``<id>@<version>``,
    ``<id>-<version>``), else None."""
    p = Path(path)
    allowed = {spec_id, f"{spec_id}@{version}", f"{spec_id}-{version}"}
    if p.stem in allowed and p.suffix.lower() in (".yaml", ".yml"):
        return None
    return (
        f"file name {p.name!r} does not match the instrument id {spec_id!r}; rename it to "
        f"'{spec_id}.yaml' (or '{spec_id}@{version}.yaml' if several versions are kept)"
    )


def registry_issues() -> list[SpecIssue]:
    """Lint the registry: unreadable headers, file names that do not match the id, and the same
    ``id@version`` in several files (the first in search order is used)."""
    issues: list[SpecIssue] = []
    first: dict[tuple[str, str], Path] = {}
    for info in _scan():
        shown = str(info.path)
        if info.problem:
            issues.append(
                SpecIssue(shown, None, None, "", f"cannot list this spec: {info.problem}")
            )
            continue
        problem = file_name_problem(info.path, info.id, info.version)
        if problem:
            issues.append(SpecIssue(shown, None, None, "id", problem))
        key = (info.id, info.version)
        if key in first:
            issues.append(
                SpecIssue(
                    shown,
                    None,
                    None,
                    "version",
                    f"{info.ref} is also defined in {str(first[key])!r}, which takes precedence",
                )
            )
        else:
            first[key] = info.path
    return issues
