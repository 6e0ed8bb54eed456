"""Build the cohort a suite validates on: a synthetic scenario, a data file or a named dataset.

The outcome and group columns named by the suite are checked here, once: a missing column, a
missing or impossible outcome value is a :class:`~assess.harness.loader.SuiteError` pointing at
the suite field that named the column (rows are never dropped or reordered silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from assess.spec.errors import SpecError

from .loader import LoadedSuite, did_you_mean

__all__ = ["Cohort", "build_cohort"]


@dataclass
class Cohort:
    """The data of a run, with where it came from.

    ``frame`` holds one row per person in source order, with the suite's column names applied
    (``cohort.columns``). ``label`` describes it in one line (``results.csv``'s ``cohort``
    column); ``provenance`` is JSON-able (scenario, n, seed or file path and sha256);
    ``published`` holds a dataset's published figures (or ``None``).
    """

    frame: pd.DataFrame
    label: str
    provenance: dict[str, Any] = field(default_factory=dict)
    published: pd.DataFrame | None = None
    citation: str | None = None


def _scenario(loaded: LoadedSuite) -> Cohort:
    from assess.synthetic import simulate

    c = loaded.suite.cohort
    name = c.scenario
    assert name is not None
    looks_like_path = name.endswith((".yaml", ".yml")) or "/" in name
    source = str(loaded.resolve_path(name)) if looks_like_path else name
    try:
        frame = simulate(source, n=c.n, seed=c.seed)
    except SpecError as exc:
        detail = "\n  ".join(str(i) for i in exc.issues)
        if len(exc.issues) == 1 and exc.issues[0].line is None:
            detail = exc.issues[0].message
        raise loaded.error(("cohort", "scenario"), detail) from None
    label = f"synthetic scenario '{name}' (n={len(frame)}, seed={c.seed})"
    return Cohort(frame, label, {"kind": "synthetic", "scenario": name, "n": len(frame), "seed": c.seed})


def _categorical_items(loaded: LoadedSuite) -> list[str]:
    out: list[str] = []
    for ri in loaded.instruments.values():
        out += [it.id for it in ri.instrument.spec.items if it.response.type == "categorical"]
    mapping = loaded.suite.cohort.columns  # suite name -> file column
    return list(dict.fromkeys(mapping.get(c, c) for c in out))


def _file(loaded: LoadedSuite) -> Cohort:
    from assess.io import TableFormatError, file_sha256, read_table

    c = loaded.suite.cohort
    assert c.file is not None
    path = loaded.resolve_path(c.file)
    if not path.is_file():
        raise loaded.error(("cohort", "file"), f"data file not found: {str(path.resolve())!r}")
    digest = file_sha256(path)
    if c.sha256 is not None and digest.lower() != c.sha256.lower():
        raise loaded.error(("cohort", "sha256"), f"the file's SHA-256 is {digest}, not the {c.sha256} the suite expects: the data have changed (or the wrong file is named)")
    try:
        frame = read_table(path, string_columns=_categorical_items(loaded))
    except (TableFormatError, FileNotFoundError) as exc:
        raise loaded.error(("cohort", "file"), str(exc)) from None
    label = f"file {c.file} (n={len(frame)}, sha256 {digest[:12]})"
    return Cohort(frame, label, {"kind": "file", "file": str(path), "sha256": digest, "n": len(frame)})


def _dataset(loaded: LoadedSuite) -> Cohort:
    c = loaded.suite.cohort
    try:
        from assess.datasets import DatasetError, load_dataset
    except ImportError:
        raise loaded.error(("cohort", "dataset"), "real datasets need the assess.datasets module, which this installation lacks") from None
    path = None if c.path is None else loaded.resolve_path(c.path)
    try:
        ds = load_dataset(c.dataset, path=path)
    except FileNotFoundError as exc:
        where = ("cohort", "path") if c.path is not None else ("cohort", "dataset")
        raise loaded.error(where, str(exc).strip("'\"")) from None
    except (DatasetError, LookupError, ValueError) as exc:
        raise loaded.error(("cohort", "dataset"), str(exc).strip("'\"")) from None
    frame = ds.frame
    sha = getattr(ds, "sha256", None)
    label = f"dataset '{c.dataset}' (n={len(frame)}" + (f", sha256 {sha[:12]})" if sha else ")")
    prov = {"kind": "dataset", "dataset": c.dataset, "path": str(getattr(ds, "path", "") or ""),
            "sha256": sha, "n": len(frame), "citation": getattr(ds, "citation", None)}
    published = getattr(ds, "published", None)
    return Cohort(frame, label, prov, published if isinstance(published, pd.DataFrame) else None,
                  getattr(ds, "citation", None))


def _apply_columns(loaded: LoadedSuite, cohort: Cohort) -> None:
    mapping = loaded.suite.cohort.columns
    if not mapping:
        return
    frame = cohort.frame
    cols = [str(c) for c in frame.columns]
    for name, source in mapping.items():
        if source not in frame.columns:
            raise loaded.error(("cohort", "columns", name), f"the data have no column {source!r}" + did_you_mean(source, cols))
    clash = [n for n, src in mapping.items() if n in frame.columns and n not in mapping.values() and n != src]
    if clash:
        raise loaded.error(("cohort", "columns", clash[0]), f"the data already have a column {clash[0]!r}; mapping another column onto it would hide it")
    cohort.frame = frame.rename(columns={src: name for name, src in mapping.items()})


def _positions(mask: np.ndarray, index: pd.Index, limit: int = 5) -> str:
    rows = index[np.flatnonzero(mask)[:limit]].tolist()
    more = int(mask.sum()) - len(rows)
    return ", ".join(map(repr, rows)) + (f" and {more} more" if more > 0 else "")


def _check_columns(loaded: LoadedSuite, frame: pd.DataFrame) -> None:
    s = loaded.suite
    cols = [str(c) for c in frame.columns]
    o = s.outcome
    need: list[tuple[tuple, str]] = []
    if o.is_survival:
        need += [(("outcome", "time"), o.time), (("outcome", "event"), o.event)]
    else:
        need.append((("outcome", "binary"), o.binary))
    need += [(("groups", "columns", i), g) for i, g in enumerate(s.groups.columns)]
    for path, col in need:
        if col not in frame.columns:
            raise loaded.error(path, f"the cohort has no column {col!r}" + did_you_mean(col, cols))
    idx = frame.index
    if o.is_survival:
        t = pd.to_numeric(frame[o.time], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(t) | (t < 0)
        if bad.any():
            raise loaded.error(("outcome", "time"), f"column {o.time!r} must hold finite follow-up times >= 0; rows {_positions(bad, idx)} do not")
        if not (t > 0).any():
            raise loaded.error(("outcome", "time"), f"column {o.time!r} holds no positive follow-up time")
    for path, col in ([(("outcome", "event"), o.event)] if o.is_survival else [(("outcome", "binary"), o.binary)]):
        v = frame[col].infer_objects()
        if pd.api.types.is_bool_dtype(v):
            num = v.to_numpy(dtype=float, na_value=np.nan)
        else:
            num = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isin(num, (0.0, 1.0))
        if bad.any():
            raise loaded.error(path, f"column {col!r} must be 0/1 (or true/false) in every row; rows {_positions(bad, idx)} are not (missing outcomes are not dropped silently: remove or fix those rows)")
    for key, label in s.groups.reference.items():
        levels = [str(x) for x in pd.unique(frame[key].dropna())]
        if label not in levels:
            raise loaded.error(("groups", "reference", key), f"column {key!r} has no group {label!r}" + did_you_mean(label, levels))


def build_cohort(loaded: LoadedSuite) -> Cohort:
    """Read or simulate the suite's cohort and check its outcome and group columns."""
    c = loaded.suite.cohort
    if c.scenario is not None:
        cohort = _scenario(loaded)
    elif c.file is not None:
        cohort = _file(loaded)
    else:
        cohort = _dataset(loaded)
    _apply_columns(loaded, cohort)
    if not cohort.frame.index.is_unique:
        cohort.frame = cohort.frame.reset_index(drop=True)
    _check_columns(loaded, cohort.frame)
    return cohort
