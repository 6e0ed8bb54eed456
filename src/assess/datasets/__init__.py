"""Real public recidivism datasets, loaded through adapters that check them.

:func:`load_dataset` finds the data file (``path=``, ``$ASSESS_DATA_PATH``, or
``../shared/data``), checks its SHA-256 and columns against the documented file, drops the
columns that identify real people (names, dates of birth, case numbers), applies the filter
its authors documented, adds harmonised ``event`` (and ``time`` for survival data) columns and
a ``source_row`` column pointing back to the file, and attaches the published figures the data
must reproduce (with their sources and tolerances).

>>> from assess.datasets import list_datasets, load_dataset
>>> list_datasets()                                              # doctest: +SKIP
['compas-broward', 'compas-broward-unfiltered', 'compas-broward-violent', 'corels-compas-test',
 'corels-compas-train', 'nc-recidivism', 'rossi', 'rossi-full']
>>> ds = load_dataset("compas-broward")                          # doctest: +SKIP
>>> len(ds.frame), ds.filter_description                         # doctest: +SKIP
>>> ds.published.head()                                          # doctest: +SKIP
"""

from __future__ import annotations

from . import compas, nc, rossi  # noqa: F401  (registration)
from ._registry import (
    PUBLISHED_COLUMNS,
    DatasetError,
    DatasetSpec,
    LoadedDataset,
    data_directories,
    list_datasets,
    load_dataset,
)

__all__ = [
    "PUBLISHED_COLUMNS",
    "DatasetError",
    "DatasetSpec",
    "LoadedDataset",
    "data_directories",
    "list_datasets",
    "load_dataset",
]
