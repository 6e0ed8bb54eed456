"""Input checking and group encoding for the fairness functions.

Everything a researcher can get wrong is checked here, at the API edge, with a message that
names the column and the rows involved. Rows are never dropped or reordered silently: missing
scores or outcomes raise unless ``missing="drop"`` is asked for, and then the number dropped is
recorded in the result's notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Label given to rows whose group value is missing (they form their own, visible group).
MISSING_GROUP = "(missing)"

#: Separator between attribute values in an intersection label, e.g. ``"F & Black"``.
INTERSECTION_SEP = " & "


def _first_rows(mask: np.ndarray, k: int = 5) -> str:
    rows = np.flatnonzero(mask)[:k].tolist()
    more = "" if mask.sum() <= k else ", ..."
    return ", ".join(str(r) for r in rows) + more


def column(data: pd.DataFrame | None, value: Any, name: str, n: int | None = None) -> np.ndarray:
    """Return ``data[value]`` if ``value`` is a column name, else ``value`` as an array.

    Raises a ``KeyError`` naming the missing column, or a ``ValueError`` on a length mismatch.
    """
    if isinstance(value, str):
        if data is None:
            raise TypeError(f"{name}={value!r} is a column name but no data frame was given")
        if value not in data.columns:
            raise KeyError(f"{name} column {value!r} is not in the data; columns are {list(data.columns)}")
        arr = data[value].to_numpy()
    else:
        arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but the data have {n} rows")
    return arr


def numeric(arr: np.ndarray, name: str) -> np.ndarray:
    """Convert to float, naming the argument if that fails (``None`` becomes NaN)."""
    try:
        return np.asarray(pd.to_numeric(pd.Series(arr), errors="raise"), dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None


def binary(arr: np.ndarray, name: str) -> np.ndarray:
    """Check a 0/1 (or boolean) outcome; returns float with NaN kept for missing values."""
    if arr.dtype == bool:
        return arr.astype(float)
    values = numeric(arr, name)
    finite = values[~np.isnan(values)]
    bad = ~np.isin(finite, (0.0, 1.0))
    if bad.any():
        shown = np.unique(finite[bad])[:5].tolist()
        raise ValueError(f"{name} must be 0/1 or boolean; found other values {shown}")
    return values


@dataclass(frozen=True)
class Grouping:
    """One way of splitting the rows: a single attribute or an intersection of attributes.

    ``member[s]`` is the index (into ``labels``) of the group that finest stratum ``s`` belongs to.
    """

    name: str
    attributes: tuple[str, ...]
    labels: tuple[str, ...]
    member: np.ndarray  # (n_strata,) int

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def indicator(self) -> np.ndarray:
        """(n_strata, n_groups) 0/1 matrix mapping strata to groups."""
        out = np.zeros((self.member.size, self.n_groups))
        out[np.arange(self.member.size), self.member] = 1.0
        return out


@dataclass(frozen=True)
class GroupDesign:
    """Rows coded into finest strata (the intersection of every attribute) and the groupings
    (each attribute on its own, then the intersection when there are two or more)."""

    stratum: np.ndarray  # (n,) int code of each row's finest cell
    n_strata: int
    attributes: tuple[str, ...]
    groupings: tuple[Grouping, ...]
    stratum_values: tuple[tuple[str, ...], ...] = field(default=())

    def grouping(self, name: str) -> Grouping:
        for g in self.groupings:
            if g.name == name:
                return g
        raise KeyError(f"no grouping {name!r}; groupings are {[g.name for g in self.groupings]}")


def _labels(arr: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer codes and string labels for one attribute, missing values as their own group."""
    series = pd.Series(arr)
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in series.cat.categories]
        codes = series.cat.codes.to_numpy().astype(np.int64)
    else:
        try:
            codes, uniq = pd.factorize(series, sort=True)
        except TypeError:  # mixed types that do not sort: order by their text
            codes, uniq = pd.factorize(series.astype(object).where(~missing, None).map(lambda v: v if v is None else str(v)), sort=True)
        codes = np.asarray(codes, dtype=np.int64)
        cats = [str(u) for u in uniq]
        if len(set(cats)) != len(cats):
            raise ValueError(f"group values {list(uniq)} are not distinct once written as text")
    if missing.any():
        if MISSING_GROUP in cats:
            raise ValueError(f"a group is literally called {MISSING_GROUP!r}; rename it")
        codes = np.where(codes < 0, len(cats), codes)
        cats.append(MISSING_GROUP)
    return codes, cats


def group_design(
    data: pd.DataFrame | None,
    groups: str | Sequence[str] | Mapping[str, Any],
    n: int,
    intersections: bool = True,
) -> GroupDesign:
    """Code the group attributes of ``n`` rows.

    ``groups`` is a column name, a list of column names, or a mapping ``name -> values``.
    Missing values form their own group labelled :data:`MISSING_GROUP`, so no row is lost.
    """
    if isinstance(groups, str):
        groups = [groups]
    if isinstance(groups, Mapping):
        items = [(str(k), column(data, v, f"groups[{k!r}]", n)) for k, v in groups.items()]
    else:
        groups = list(groups)
        if not groups:
            raise ValueError("groups must name at least one column")
        items = [(str(g), column(data, g, "groups", n)) for g in groups]
    names = [k for k, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"group attributes must be distinct, got {names}")
    coded = [_labels(v) for _, v in items]
    # finest strata: unique combinations of the attribute codes, in lexicographic order
    # (one mixed-radix integer key, so no row-wise sort of a 2-d array)
    sizes = [max(len(cats), 1) for _, cats in coded]
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        key = np.zeros(n, dtype=np.int64)
        for (c, _), size in zip(coded, sizes, strict=True):
            key = key * size + c
        uniq, stratum = np.unique(key, return_inverse=True)
        combos = np.zeros((uniq.size, len(sizes)), dtype=np.int64)
        rest = uniq.copy()
        for j in range(len(sizes) - 1, -1, -1):
            combos[:, j] = rest % sizes[j]
            rest //= sizes[j]
    else:  # astronomically many combinations: sort the code rows instead
        combos, stratum = np.unique(np.column_stack([c for c, _ in coded]), axis=0, return_inverse=True)
    stratum = stratum.reshape(-1).astype(np.int64)
    groupings: list[Grouping] = []
    for j, (name, (_, cats)) in enumerate(zip(names, coded, strict=True)):
        used = np.unique(combos[:, j])
        relabel = np.full(len(cats), -1)
        relabel[used] = np.arange(used.size)
        groupings.append(
            Grouping(
                name=name,
                attributes=(name,),
                labels=tuple(cats[i] for i in used),
                member=relabel[combos[:, j]],
            )
        )
    values = tuple(tuple(coded[j][1][combos[s, j]] for j in range(len(names))) for s in range(combos.shape[0]))
    if intersections and len(names) > 1:
        groupings.append(
            Grouping(
                name=INTERSECTION_SEP.join(names),
                attributes=tuple(names),
                labels=tuple(INTERSECTION_SEP.join(v) for v in values),
                member=np.arange(combos.shape[0]),
            )
        )
    return GroupDesign(
        stratum=stratum,
        n_strata=combos.shape[0],
        attributes=tuple(names),
        groupings=tuple(groupings),
        stratum_values=values,
    )
