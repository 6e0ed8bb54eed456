"""Reading and writing cohort tables (CSV and Parquet) without silent coercion.

CSV conventions: a cell is missing when it is empty or holds exactly ``NA`` (what R writes);
no other marker (``N/A``, ``null``, ``-``...) is treated as missing, so a stray value reaches
the scoring engine's validation and is reported instead of vanishing. Columns named in
``string_columns`` are read as text, so categorical codes like ``"01"`` keep their form.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["read_table", "write_table", "file_sha256", "TableFormatError"]

MISSING_MARKERS = ("", "NA")


class TableFormatError(ValueError):
    """The file cannot be read or written as a table (unknown extension, unreadable)."""


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".csv"] or suffixes[-2:] == [".csv", ".gz"]:
        return "csv"
    if suffixes[-1:] in ([".parquet"], [".pq"]):
        return "parquet"
    raise TableFormatError(
        f"{path}: cannot tell the format from the extension {''.join(path.suffixes) or '(none)'!r}; "
        "use .csv, .csv.gz or .parquet"
    )


def read_table(path: str | os.PathLike[str], *, string_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, keeping every row in file order."""
    p = Path(path)
    fmt = _format(p)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if fmt == "parquet":
        return pd.read_parquet(p)
    dtype = {c: "string" for c in string_columns}
    try:
        return pd.read_csv(p, keep_default_na=False, na_values=list(MISSING_MARKERS), dtype=dtype or None)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TableFormatError(f"{p}: not a readable CSV file: {exc}") from None


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write a DataFrame as CSV or Parquet (chosen by the file extension); returns the path."""
    p = Path(path)
    fmt = _format(p)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.to_parquet(p, index=index)
    else:
        frame.to_csv(p, index=index, na_rep="")
    return p


def file_sha256(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            h.update(block)
    return h.hexdigest()
