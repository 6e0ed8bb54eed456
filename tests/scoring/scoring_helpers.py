"""Helpers for building small instrument specs in scoring tests (imported by the test modules)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from assess.scoring import Instrument
from assess.spec.models import InstrumentSpec


def item(id: str, response: dict[str, Any], role: str = "risk", **kw: Any) -> dict[str, Any]:
    return {
        "id": id,
        "label": id.replace("_", " "),
        "domain": "d",
        "role": role,
        "kind": "dynamic",
        "response": response,
        **kw,
    }


def binary(id: str, present: float = 1.0, absent: float = 0.0, **kw: Any) -> dict[str, Any]:
    return item(id, {"type": "binary", "points_present": present, "points_absent": absent}, **kw)


def ordinal(id: str, values=(0, 1, 2), points=None, **kw: Any) -> dict[str, Any]:
    points = values if points is None else points
    levels = [
        {"value": v, "label": f"level {v}", "points": p}
        for v, p in zip(values, points, strict=True)
    ]
    return item(id, {"type": "ordinal", "levels": levels}, **kw)


def count(id: str, bands, min: int = 0, max: int | None = None, **kw: Any) -> dict[str, Any]:
    return item(id, {"type": "count", "min": min, "max": max, "bands": bands}, **kw)


def number(id: str, min=None, max=None, bands=None, **kw: Any) -> dict[str, Any]:
    return item(id, {"type": "number", "min": min, "max": max, "bands": bands}, **kw)


def categorical(id: str, categories: dict[str, float], **kw: Any) -> dict[str, Any]:
    cats = [{"value": k, "points": v} for k, v in categories.items()]
    return item(id, {"type": "categorical", "categories": cats}, **kw)


def scale(
    id: str,
    components,
    method: str = "sum",
    max_missing: int = 0,
    policy: str = "prorate",
    rounding: str = "half_up",
    lookup=None,
    **kw: Any,
) -> dict[str, Any]:
    out = {
        "id": id,
        "label": id,
        "method": method,
        "components": list(components),
        "missing": {"max_missing": max_missing, "policy": policy, "rounding": rounding},
        **kw,
    }
    if lookup is not None:
        out["lookup"] = lookup
    return out


def make_spec(
    items, scales=(), derived=(), models=(), bands=(), primary_band=None, **kw: Any
) -> InstrumentSpec:
    data = {
        "id": "test-instrument",
        "version": "1.0.0",
        "name": "Test instrument",
        "status": "draft",
        "description": "Built in a test.",
        "licence": "MIT",
        "domains": [{"id": "d", "label": "Domain"}],
        "items": list(items),
        "scales": list(scales),
        "derived": list(derived),
        "models": list(models),
        "bands": list(bands),
        **kw,
    }
    if primary_band is not None:
        data["primary_band"] = primary_band
    return InstrumentSpec.model_validate(data)


def make_instrument(*args: Any, **kw: Any) -> Instrument:
    return Instrument(make_spec(*args, **kw))


def frame(**columns: Any) -> pd.DataFrame:
    """Object columns keep every value exactly as given (no dtype inference)."""
    n = len(next(iter(columns.values())))
    return pd.DataFrame(
        {k: pd.Series(list(v), dtype=object) for k, v in columns.items()}, index=pd.RangeIndex(n)
    )


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Engine vs reference: identical columns, labels, status and reasons; numbers to 1e-12."""
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    for c in a.columns:
        x, y = a[c], b[c]
        if isinstance(x.dtype, pd.CategoricalDtype):
            assert list(x.cat.categories) == list(y.cat.categories), c
            assert (x.cat.codes.to_numpy() == y.cat.codes.to_numpy()).all(), c
        elif x.dtype == object:
            assert x.tolist() == y.tolist(), c
        else:
            np.testing.assert_allclose(
                x.to_numpy(dtype=float), y.to_numpy(dtype=float), rtol=1e-12, atol=1e-12, err_msg=c
            )
