"""Validation of item responses at the edge of the scoring engine (vectorised, never coercing).

Rules for one cell of an item column
------------------------------------
* **Missing** is ``NaN``, ``None``, ``pd.NA`` (or ``NaT``). Nothing else is missing: an empty
  string or ``"NA"`` in an object column is an invalid value, not a missing one (see
  :mod:`assess.io` for how CSV files are read).
* **binary**: ``0`` or ``1`` as an integer, an integral float (``1.0``) or a boolean.
* **ordinal**: a number equal to one of the declared level values (``2.0`` is fine, ``1.5`` is not).
* **count**: a whole number (``3`` or ``3.0``) within ``[min, max]``.
* **number**: a finite number within ``[min, max]``.
* **categorical**: a string exactly equal to one of the declared categories (no case folding, no
  trimming; a close match is suggested in the message).
* Booleans are accepted only for binary items. Strings are never converted to numbers: ``'2'``
  in an object column is an invalid value for an ordinal item, not the level 2.

A column for a *required* item (every scored item, and any item a derived expression reads) must
exist; otherwise :class:`MissingColumnsError` lists all missing columns with close matches
among the frame's columns. Columns of other unscored items (responsivity, context) are optional
and validated when present.

Each column is first *prepared* once (:func:`prepare_column`; dtype dispatch: numpy numbers and
booleans are used as they are; nullable and Arrow dtypes are converted with ``to_numpy``; object
columns are classified with ``pandas.api.types.infer_dtype`` and only truly mixed object columns
are inspected element by element). Prepared numeric columns hold NaN for missing cells and
:data:`WRONG_TYPE` for cells of the wrong type, so that the level/range checks alone decide
validity. The engine then checks binary and small ordinal items for a block of rows all at once
(see :class:`~assess.scoring.compiler.DenseGroup`) and the other items with :func:`read_item`.
Values are never logged; they appear only in the problems table and messages returned to the
caller.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from .compiler import CompiledItem

__all__ = [
    "MissingColumnsError",
    "PreparedColumn",
    "PROBLEM_COLUMNS",
    "ScoringInputError",
    "WRONG_TYPE",
    "check_columns",
    "describe_value",
    "invalid_value_message",
    "prepare_column",
    "read_item",
]

#: Columns of a problems table (``ScoreResult.problems``, ``ScoringInputError.problems``).
PROBLEM_COLUMNS = ("row", "position", "item", "value", "message", "status")

#: How many problems a strict-mode error message shows before summarising.
SHOWN_PROBLEMS = 20


class ScoringInputError(ValueError):
    """The data cannot be scored as given.

    ``problems`` is a DataFrame with one row per problem (columns :data:`PROBLEM_COLUMNS`: the
    row's index label, its 0-based position, the item, the offending value, a message and the
    status it implies); the message shows the first :data:`SHOWN_PROBLEMS` and the count.
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else _empty_problems()


class MissingColumnsError(ScoringInputError, KeyError):
    """Required item columns are absent from the data (an error in strict and lenient mode)."""

    def __init__(self, message: str, missing: Sequence[str]):
        ScoringInputError.__init__(self, message)
        self.missing = list(missing)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS}).astype(
        {"position": np.int64}
    )


# --------------------------------------------------------------------------- columns present


def check_columns(
    frame: pd.DataFrame,
    required: Sequence[str],
    instrument: str,
    *,
    keep: Sequence[Hashable] = (),
) -> None:
    """Raise :class:`MissingColumnsError` naming every required column the frame lacks (with
    close matches), or :class:`ScoringInputError` if a needed column name is duplicated."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"expected a pandas DataFrame of item responses, got {type(frame).__name__}"
        )
    present = [str(c) for c in frame.columns]
    columns = set(frame.columns)
    missing = [c for c in required if c not in columns]
    if missing:
        parts = []
        for name in missing:
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
            if not close:
                lowered = {p.lower(): p for p in present}
                if name.lower() in lowered:
                    close = [lowered[name.lower()]]
            parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        noun = "column" if len(missing) == 1 else "columns"
        raise MissingColumnsError(
            f"the data lack {len(missing)} {noun} that {instrument} needs: {', '.join(parts)}. "
            "Every scored item needs a column (use NaN/None for missing responses).",
            missing,
        )
    absent_keep = [k for k in keep if k not in columns]
    if absent_keep:
        parts = []
        for name in absent_keep:
            close = difflib.get_close_matches(str(name), present, n=1, cutoff=0.6)
            parts.append(repr(name) + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise MissingColumnsError(
            f"keep= names columns the data lack: {', '.join(parts)}", [str(k) for k in absent_keep]
        )
    if not frame.columns.is_unique:
        dup = frame.columns[frame.columns.duplicated()].unique()
        needed = [c for c in dup if c in set(required) or c in set(keep)]
        if needed:
            raise ScoringInputError(
                "the data have more than one column named "
                + ", ".join(repr(c) for c in needed)
                + "; rename or drop the extra columns"
            )


# --------------------------------------------------------------------------- values and messages


def describe_value(value: object, item: CompiledItem) -> str:
    """Show an offending value for a message: its repr plus a note when its type is wrong."""
    numeric = item.numeric
    if isinstance(value, (bool, np.bool_)):
        note = " (true/false, not a number)" if numeric else " (true/false, not text)"
        return f"{bool(value)}{note}"
    if isinstance(value, (int, np.integer)):
        return str(int(value)) + ("" if numeric else " (a number, not text)")
    if isinstance(value, (float, np.floating)):
        return repr(float(value) + 0.0) + ("" if numeric else " (a number, not text)")
    if isinstance(value, str):
        return repr(str(value)) + (" (text, not a number)" if numeric else "")
    return f"{reprlib.repr(value)} ({type(value).__name__})"


def _suggest_category(value: object, item: CompiledItem) -> str:
    if not isinstance(value, str) or item.categories is None:
        return ""
    cats = [str(c) for c in item.categories]
    folded = {c.strip().casefold(): c for c in cats}
    hit = folded.get(value.strip().casefold())
    if hit is None:
        close = difflib.get_close_matches(value, cats, n=1, cutoff=0.75)
        hit = close[0] if close else None
    return f" (did you mean {hit!r}?)" if hit is not None else ""


def invalid_value_message(item: CompiledItem, value: object) -> str:
    """The reason given for an invalid cell, e.g.
    ``item 'attitudes': invalid value 1.5; expected one of the levels 0, 1, 2``."""
    return (
        f"item '{item.id}': invalid value {describe_value(value, item)}; expected {item.allowed}"
        + _suggest_category(value, item)
    )


# --------------------------------------------------------------------------- preparing columns

_NUMBER, _BOOL, _TEXT, _OTHER = 1, 2, 3, 4

#: Stand-in stored for cells of the wrong type (text, booleans on non-binary items, objects):
#: no item accepts it, so the cell is reported as invalid with its original value.
WRONG_TYPE = np.inf


def _kind_code(value: object) -> int:
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _NUMBER
    if isinstance(value, str):
        return _TEXT
    return _OTHER


_kind_ufunc = np.frompyfunc(_kind_code, 1, 1)


def _safe_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")  # type: ignore[operator]
    except (TypeError, ValueError):
        return WRONG_TYPE


_float_ufunc = np.frompyfunc(_safe_float, 1, 1)


@dataclass(frozen=True, eq=False)
class PreparedColumn:
    """One item column in canonical form.

    Numeric items: ``values`` is int64 (nothing missing) or float64 where NaN marks a missing cell
    and :data:`WRONG_TYPE` a cell of the wrong type. Categorical items: ``values`` holds the
    position of the declared category (``-1`` = none) and ``missing`` marks missing cells.
    ``series`` is the original column, used only to show offending values.
    """

    series: pd.Series
    values: np.ndarray
    missing: np.ndarray | None = None
    object_values: bool = False

    def bad_values(self, positions: np.ndarray) -> np.ndarray:
        """The original cells at ``positions`` as an object array of Python values."""
        return self.series.iloc[positions].to_numpy(dtype=object)


def _floats_from_objects(arr: np.ndarray, missing: np.ndarray) -> np.ndarray:
    tmp = np.where(missing, np.nan, arr)
    try:
        return tmp.astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return _float_ufunc(tmp).astype(np.float64)


def _prepare_numeric(series: pd.Series, bools_ok: bool) -> PreparedColumn:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        plain = pd.Series(series.to_numpy(dtype=object), index=series.index)
        return PreparedColumn(series, _prepare_numeric(plain, bools_ok).values, None, True)
    if pd.api.types.is_bool_dtype(dtype):  # numpy, nullable and Arrow booleans
        if isinstance(dtype, np.dtype):
            values = (
                series.to_numpy().astype(np.int64) if bools_ok else np.full(len(series), WRONG_TYPE)
            )
            return PreparedColumn(series, values)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if not bools_ok:
            values[~np.isnan(values)] = WRONG_TYPE
        return PreparedColumn(series, values)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        values = series.to_numpy()
        if dtype.kind == "u" and dtype.itemsize == 8:
            values = values.astype(np.float64)
        elif dtype != np.int64:
            values = values.astype(np.int64)
        return PreparedColumn(series, values)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return PreparedColumn(series, series.to_numpy().astype(np.float64, copy=False))
    if (
        pd.api.types.is_numeric_dtype(dtype) and getattr(dtype, "kind", "") != "c"
    ):  # Int64, Float64, Arrow
        return PreparedColumn(series, series.to_numpy(dtype=np.float64, na_value=np.nan))
    if dtype == np.dtype(object):
        arr = series.to_numpy()
        missing = pd.isna(arr)
        inferred = infer_dtype(arr, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "empty"):
            return PreparedColumn(series, _floats_from_objects(arr, missing), None, True)
        if inferred == "boolean":
            values = _floats_from_objects(arr, missing)
            if not bools_ok:
                values[~missing] = WRONG_TYPE
            return PreparedColumn(series, values, None, True)
        if inferred == "string":
            return PreparedColumn(series, np.where(missing, np.nan, WRONG_TYPE), None, True)
        kinds = _kind_ufunc(arr).astype(np.int8)
        usable = (kinds == _NUMBER) | ((kinds == _BOOL) if bools_ok else False)
        values = _floats_from_objects(arr, missing | ~usable)
        values[~missing & ~usable] = WRONG_TYPE
        return PreparedColumn(series, values, None, True)
    # strings (StringDtype/Arrow), datetimes, complex, intervals...: no cell is a valid number
    missing = series.isna().to_numpy()
    return PreparedColumn(series, np.where(missing, np.nan, WRONG_TYPE))


def _prepare_categorical(series: pd.Series, item: CompiledItem) -> PreparedColumn:
    declared = pd.Index(item.categories, dtype=object)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories.to_numpy(dtype=object)
        cat_map = np.array(
            [declared.get_loc(c) if isinstance(c, str) and c in declared else -1 for c in cats],
            dtype=np.intp,
        )
        codes = series.cat.codes.to_numpy()
        missing = codes < 0
        values = (
            cat_map[np.where(missing, 0, codes)]
            if cats.size
            else np.zeros(codes.size, dtype=np.intp)
        )
        return PreparedColumn(series, np.where(missing, -1, values).astype(np.intp), missing, True)
    if dtype == np.dtype(object) or pd.api.types.is_string_dtype(dtype):
        arr = series.to_numpy(dtype=object)
        missing = pd.isna(arr)
        try:
            values = declared.get_indexer(arr)
        except TypeError:  # unhashable cells
            lookup = {c: i for i, c in enumerate(item.categories)}
            values = np.array(
                [lookup.get(v, -1) if isinstance(v, str) else -1 for v in arr], dtype=np.intp
            )
        values = np.where(missing, -1, values).astype(np.intp)
        return PreparedColumn(series, values, missing, dtype == np.dtype(object))
    missing = series.isna().to_numpy()
    return PreparedColumn(series, np.full(len(series), -1, dtype=np.intp), missing)


def prepare_column(series: pd.Series, item: CompiledItem) -> PreparedColumn:
    """Convert an item's column once into the canonical arrays the engine reads (no row loops
    except for genuinely mixed object columns, whose cells are classified one by one)."""
    if item.type == "categorical":
        return _prepare_categorical(series, item)
    return _prepare_numeric(series, bools_ok=item.type == "binary")


# --------------------------------------------------------------------------- reading a row range


@dataclass(frozen=True, eq=False)
class ItemBlock:
    """Responses of one item over a row range."""

    index: np.ndarray  # response index (intp); -1 = missing or invalid
    raw: np.ndarray | None  # float64 raw value (NaN = missing or invalid); numeric items only
    invalid: np.ndarray  # cell holds a value the item does not accept


def read_item(
    item: CompiledItem, col: PreparedColumn, s: slice, *, want_raw: bool = False
) -> ItemBlock:
    """Validate rows ``s`` of an item column and map them to response indexes (vectorised).

    Dense items (binary, small ordinal) are normally read in bulk by the engine; this function
    handles every type and is the per-item path.
    """
    v = col.values[s]
    if item.type == "categorical":
        ok = v >= 0
        return ItemBlock(v, None, ~ok & ~col.missing[s])

    is_int = v.dtype.kind == "i"
    if item.type in ("binary", "ordinal"):
        levels = item.level_values
        if item.level_lut is not None:
            lo = int(item.lo)
            span = item.level_lut.size - 1
            off = v - lo
            if is_int:
                offi = off
                ok = (off >= 0) & (off <= span)
            else:
                with np.errstate(invalid="ignore"):
                    offi = off.astype(np.int64)
                ok = (offi == off) & (offi >= 0) & (offi <= span)
            idx = item.level_lut[np.where(ok, offi, 0)]
            ok &= idx >= 0
        else:
            pos = np.minimum(np.searchsorted(levels, v), levels.size - 1)
            ok = levels[pos] == v
            idx = pos
        idx = np.where(ok, idx, -1).astype(np.intp, copy=False)
    else:  # count / number
        fv = v.astype(np.float64, copy=False)
        if is_int:
            ok = (fv >= item.lo) & (fv <= item.hi)
        else:
            ok = np.isfinite(fv) & (fv >= item.lo) & (fv <= item.hi)
            if item.type == "count":
                ok &= fv == np.floor(fv)
        if item.band_edges is not None:
            idx = np.where(ok, np.searchsorted(item.band_edges, fv, side="right"), -1).astype(
                np.intp
            )
        else:
            idx = np.where(ok, 0, -1).astype(np.intp)
    invalid = ~ok if is_int else ~ok & ~np.isnan(v)
    raw = None
    if want_raw or item.points_are_raw:
        raw = np.where(ok, v, np.nan).astype(np.float64, copy=False)
    return ItemBlock(idx, raw, invalid)
