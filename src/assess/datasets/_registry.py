"""Registry of the real recidivism datasets, their files, hashes and the checks every load runs.

A dataset is a :class:`DatasetSpec`: the file (relative to the data directory), its expected
SHA-256 and row count, the columns it must have, how to read it, how to prepare the analysis
frame (drop sensitive columns, apply the documented filter, add harmonised outcome columns)
and the published figures the data must reproduce. :func:`load_dataset` resolves the data
directory, checks the file, reads it and returns a :class:`LoadedDataset`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DatasetError",
    "DatasetSpec",
    "LoadedDataset",
    "PUBLISHED_COLUMNS",
    "data_directories",
    "list_datasets",
    "load_dataset",
    "published_frame",
    "register",
]

#: Environment variable naming the data directory (checked before the default locations).
ENV_VAR = "ASSESS_DATA_PATH"

#: Columns of :attr:`LoadedDataset.published`. ``instrument``, ``metric``, ``group``,
#: ``horizon``, ``published`` and ``source`` are the contract with the validation harness;
#: ``tolerance`` is the largest absolute difference that still counts as reproducing the
#: figure at the precision it was published (half a unit in its last printed digit, unless
#: ``note`` says otherwise) and ``note`` says how the figure is computed. ``group`` is
#: ``"overall"`` or ``"<column>=<value>"`` (e.g. ``"race=African-American"``), as in suite
#: checks; ``instrument`` is an instrument id (``compas-decile``), ``"(cohort)"`` for counts
#: that describe the data, or ``"cox:<covariates>"`` for a published regression model;
#: ``horizon`` is ``None`` (binary two-year outcomes and Cox models have no horizon).
PUBLISHED_COLUMNS = ("instrument", "metric", "group", "horizon", "published", "source", "tolerance", "note")

#: Repository root (``src/assess/datasets/_registry.py`` -> four levels up), for the default
#: ``../shared/data`` location next to the checkout.
_REPO_ROOT = Path(__file__).resolve().parents[3]


class DatasetError(Exception):
    """A dataset cannot be loaded as documented: unknown name, missing file, wrong hash,
    missing columns, or a file whose content contradicts its documentation. The message says
    what was expected, what was found and what to do."""


@dataclass(frozen=True)
class LoadedDataset:
    """A real dataset, checked and prepared for analysis.

    Attributes
    ----------
    name:
        Registry name, e.g. ``"compas-broward"``.
    frame:
        The analysis frame: sensitive columns removed, the documented filter applied, the
        file's row order kept, a ``source_row`` column giving each row's 0-based position
        among the data rows of the file (line ``source_row + 2`` of a CSV with a header), and
        harmonised outcome columns where meaningful (``event``; ``time`` for survival data).
    sha256:
        SHA-256 of the file that was read (the expected one unless loaded with ``verify=False``).
    path:
        The file that was read.
    citation:
        Where the data come from and what to cite.
    description:
        What one row is, the outcome and its coding, the columns added or removed.
    filter_description:
        How many rows the documented filter removed and why (``"no filter"`` when none).
    published:
        Published figures this data must reproduce (:data:`PUBLISHED_COLUMNS`); empty when no
        figure from a real source was found.
    time, event:
        Names of the harmonised follow-up time and event columns (``None`` when not defined).
    groups:
        Columns suitable for fairness analyses (e.g. ``race``, ``sex``, ``age_cat``).
    verified:
        ``False`` when the hash check was skipped with ``verify=False``.
    """

    name: str
    frame: pd.DataFrame
    sha256: str
    path: Path
    citation: str
    description: str
    filter_description: str
    published: pd.DataFrame
    time: str | None = None
    event: str | None = None
    groups: tuple[str, ...] = ()
    verified: bool = True

    def __repr__(self) -> str:  # never show the frame's content (real people)
        return (
            f"LoadedDataset(name={self.name!r}, rows={len(self.frame)}, columns={self.frame.shape[1]}, "
            f"path={str(self.path)!r}, sha256={self.sha256[:12]}..., published={len(self.published)} figures)"
        )


@dataclass(frozen=True)
class DatasetSpec:
    """Documentation of one dataset: file, hash, expected shape and how to prepare it."""

    name: str
    file: str
    sha256: str
    rows: int
    required_columns: tuple[str, ...]
    prepare: Callable[[pd.DataFrame], tuple[pd.DataFrame, str]]
    citation: str
    description: str
    origin: str
    published: Callable[[], pd.DataFrame] = field(default=lambda: published_frame([]))
    read_options: Mapping[str, Any] = field(default_factory=dict)
    time: str | None = None
    event: str | None = None
    groups: tuple[str, ...] = ()


_REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a dataset to the registry (names are unique)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"dataset {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def list_datasets() -> list[str]:
    """Names of the registered datasets, sorted."""
    return sorted(_REGISTRY)


def published_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy frame of published figures with the columns :data:`PUBLISHED_COLUMNS`.

    Each row needs ``instrument``, ``metric``, ``published`` and ``source``; ``group``
    defaults to ``"overall"``, ``horizon`` to ``None``, ``tolerance`` to half a unit in the
    last digit of ``decimals`` (a row key) and ``note`` to ``""``.
    """
    out = []
    for r in rows:
        tol = r.get("tolerance")
        if tol is None:
            decimals = r.get("decimals")
            if decimals is None:
                raise ValueError(f"published figure {r.get('metric')!r} needs 'tolerance' or 'decimals'")
            tol = 0.5 * 10.0 ** (-decimals)
        out.append(
            {
                "instrument": r["instrument"],
                "metric": r["metric"],
                "group": r.get("group", "overall"),
                "horizon": r.get("horizon"),
                "published": float(r["published"]),
                "source": r["source"],
                "tolerance": float(tol),
                "note": r.get("note", ""),
            }
        )
    frame = pd.DataFrame(out, columns=list(PUBLISHED_COLUMNS))
    frame["horizon"] = frame["horizon"].astype(object)
    return frame


def data_directories(path: str | os.PathLike[str] | None = None) -> list[Path]:
    """Directories searched for the data files, in order.

    ``path`` when given (only that one); else ``$ASSESS_DATA_PATH`` when set; else
    ``../shared/data`` relative to the current directory and relative to the repository root.
    """
    if path is not None:
        return [Path(path).expanduser()]
    env = os.environ.get(ENV_VAR)
    if env:
        return [Path(env).expanduser()]
    candidates = [Path.cwd() / ".." / "shared" / "data", _REPO_ROOT / ".." / "shared" / "data"]
    seen: list[Path] = []
    for c in candidates:
        c = c.resolve()
        if c not in seen:
            seen.append(c)
    return seen


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_cached(str(path), st.st_size, st.st_mtime_ns)


def _locate(spec: DatasetSpec, path: str | os.PathLike[str] | None) -> Path:
    dirs = data_directories(path)
    for d in dirs:
        f = d / spec.file
        if f.is_file():
            return f
    tried = "\n".join(f"  - {d / spec.file}" for d in dirs)
    if path is None:
        how = f"pass path= (the data directory), or set ${ENV_VAR}"
    elif Path(path).is_file():
        how = f"path= is the data directory, not the file: pass {Path(path).parent} or the directory above it"
    else:
        how = "check the path= argument (it is the data directory that holds the file)"
    raise DatasetError(
        f"dataset {spec.name!r}: data file not found. Looked for:\n{tried}\n"
        f"The file is {spec.file} (sha256 {spec.sha256}), from {spec.origin}. "
        f"Put a byte-identical copy there, or {how}."
    )


def _check_hash(spec: DatasetSpec, file: Path) -> str:
    actual = _sha256(file)
    if actual != spec.sha256:
        raise DatasetError(
            f"dataset {spec.name!r}: {file} does not have the expected content.\n"
            f"  expected sha256 {spec.sha256}\n"
            f"  actual   sha256 {actual}\n"
            f"The file is probably a different version or release of {spec.file} (expected: {spec.origin}), "
            "or it was edited or re-saved (e.g. by a spreadsheet program, which changes line endings, quoting "
            "and number formats). The published figures attached to this dataset are only guaranteed for the "
            "expected file. Restore a byte-identical copy, or pass verify=False to load it anyway "
            "(the loaded dataset is then marked verified=False)."
        )
    return actual


def _read(spec: DatasetSpec, file: Path) -> pd.DataFrame:
    options = {"keep_default_na": False, "na_values": [""], **spec.read_options}
    try:
        raw = pd.read_csv(file, **options)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"dataset {spec.name!r}: {file} is not a readable CSV file: {exc}") from None
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        hints = []
        for c in missing:
            close = difflib.get_close_matches(c, [str(x) for x in raw.columns], n=1)
            hints.append(f"{c!r}" + (f" (found {close[0]!r}: renamed?)" if close else ""))
        raise DatasetError(
            f"dataset {spec.name!r}: {file} lacks {len(missing)} required column(s): {', '.join(hints)}. "
            f"The file has {raw.shape[1]} columns. Expected the file from {spec.origin}."
        )
    if len(raw) != spec.rows:
        raise DatasetError(
            f"dataset {spec.name!r}: {file} has {len(raw)} data rows, the documented file has {spec.rows} "
            f"(a different version or a truncated/edited copy). Expected the file from {spec.origin}."
        )
    return raw


def load_dataset(
    name: str, path: str | os.PathLike[str] | None = None, *, verify: bool = True
) -> LoadedDataset:
    """Load a registered real dataset, checked against its documented file.

    Parameters
    ----------
    name:
        Registry name (see :func:`list_datasets`): ``"compas-broward"`` (ProPublica's two-year
        file with ProPublica's filter, 6172 rows), ``"compas-broward-unfiltered"`` (all 7214
        rows: the population of ProPublica's error-rate tables), ``"compas-broward-violent"``,
        ``"corels-compas-train"``, ``"corels-compas-test"``, ``"rossi"``, ``"rossi-full"``,
        ``"nc-recidivism"``.
    path:
        The data directory (holding e.g. ``compas/compas-scores-two-years.csv``). Default:
        ``$ASSESS_DATA_PATH``, else ``../shared/data`` relative to the current directory and
        to the repository root.
    verify:
        Check the file's SHA-256 against the documented one (default). ``verify=False`` loads a
        different version anyway; the result is marked ``verified=False`` and its published
        figures may not be reproduced.

    Raises
    ------
    DatasetError
        Unknown name (with suggestions), file not found (naming the paths tried and where the
        data come from), wrong hash (expected and actual digests), missing columns (naming
        them), or a row count that contradicts the documentation.

    Examples
    --------
    >>> ds = load_dataset("rossi")                                    # doctest: +SKIP
    >>> ds.frame[["time", "event", "fin"]].describe()                 # doctest: +SKIP
    >>> ds.published                                                  # doctest: +SKIP
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DatasetError(f"unknown dataset {name!r}.{hint} Known datasets: {', '.join(list_datasets())}.")
    spec = _REGISTRY[name]
    file = _locate(spec, path)
    digest = _check_hash(spec, file) if verify else _sha256(file)
    raw = _read(spec, file)
    frame, filter_description = spec.prepare(raw)
    return LoadedDataset(
        name=spec.name,
        frame=frame,
        sha256=digest,
        path=file,
        citation=spec.citation,
        description=spec.description,
        filter_description=filter_description,
        published=spec.published(),
        time=spec.time,
        event=spec.event,
        groups=spec.groups,
        verified=verify or digest == spec.sha256,
    )


# ----------------------------------------------------------------------------- helpers for modules


def add_source_row(raw: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``raw`` with a leading ``source_row`` column (0-based data-row position)."""
    out = raw.copy()
    out.insert(0, "source_row", range(len(out)))
    return out


def drop_duplicate_columns(raw: pd.DataFrame, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Drop pandas' ``col.1`` copies of duplicated headers after checking they equal ``col``."""
    out = raw
    for c in columns:
        dup = f"{c}.1"
        if dup not in out.columns:
            continue
        a, b = out[c], out[dup]
        same = (a == b) | (a.isna() & b.isna())
        if not bool(same.all()):
            bad = int((~same).sum())
            raise DatasetError(
                f"dataset {name!r}: the file's two {c!r} columns differ in {bad} rows; the documented file "
                "has identical copies. The file is probably not the documented version."
            )
        out = out.drop(columns=dup)
    return out


def filter_summary(n_before: int, steps: Sequence[tuple[str, int]], n_after: int, source: str) -> str:
    """Plain-language account of a sequential filter: rows removed at each step and why."""
    parts = [f"{n_before} rows in the file; {n_before - n_after} removed, {n_after} kept ({source}):"]
    for why, removed in steps:
        parts.append(f"  - {removed} removed: {why}")
    return "\n".join(parts)


def is_close(a: float, b: float, tol: float) -> bool:
    """``|a - b| <= tol`` with a little slack for floating-point representation."""
    return math.isfinite(a) and abs(a - b) <= tol * (1 + 1e-9) + 1e-12
