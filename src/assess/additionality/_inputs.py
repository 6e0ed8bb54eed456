"""Input handling for :func:`~assess.additionality.compare`: instruments, scores, outcome and
the horizon. Nothing is dropped silently: every excluded person is counted with a reason."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..scoring.engine import Instrument, load_instrument

__all__ = ["Prepared", "as_instrument", "primary_score", "model_probability", "prepare"]


def as_instrument(x: Any, name: str) -> Instrument:
    """An :class:`Instrument` from an instrument, a built-in id or a spec path."""
    if isinstance(x, Instrument):
        return x
    if isinstance(x, str | os.PathLike):
        return load_instrument(x)
    raise TypeError(f"{name} must be an Instrument, an instrument id or a path to a spec, got {type(x).__name__}")


def primary_score(inst: Instrument) -> str:
    """The column the instrument's primary band set is ``on`` (its headline score)."""
    spec = inst.spec
    if not spec.bands:
        raise ValueError(f"{inst.label} has no band sets, so no primary score: pass base_score= / integrated_score=")
    band_id = spec.primary_band or spec.bands[0].id
    band = next(b for b in spec.bands if b.id == band_id)
    return band.on


def model_probability(inst: Instrument, horizon: float) -> tuple[str, str] | None:
    """``(column, description)`` of the first logistic/survival model output at ``horizon``."""
    for m in inst.spec.models:
        if m.type not in ("logistic", "survival"):
            continue
        for h in m.horizons:
            if math.isclose(h.time, horizon, rel_tol=1e-9, abs_tol=1e-12):
                return f"{m.id}_p_{h.label}", f"{inst.id} {m.type} model '{m.id}' at {h.time:g} {inst.spec.time_unit}"
    return None


def _model_horizons(inst: Instrument) -> set[float]:
    return {float(h.time) for m in inst.spec.models if m.type in ("logistic", "survival") for h in m.horizons}


@dataclass
class Prepared:
    """Everything compare() needs, restricted to the analysed people (in data order)."""

    base: Instrument
    integrated: Instrument
    base_score: str
    integrated_score: str
    frame_a: pd.DataFrame  # score frames, analysed rows
    frame_b: pd.DataFrame
    data: pd.DataFrame  # input rows analysed
    a: np.ndarray
    b: np.ndarray
    survival: bool
    time: np.ndarray | None
    event: np.ndarray | None
    y: np.ndarray | None  # binary outcome (binary mode) -- else None
    horizon: float | None
    horizon_note: str
    n_rows: int
    exclusions: list[str] = field(default_factory=list)
    outcome_description: str = ""

    @property
    def n(self) -> int:
        return int(self.a.size)


def _score_column(frame: pd.DataFrame, data: pd.DataFrame, col: str, inst: Instrument, arg: str) -> np.ndarray:
    if col in frame.columns:
        src = frame[col]
    elif col in data.columns:
        src = data[col]
    else:
        raise ValueError(f"{arg}={col!r} is neither an output column of {inst.label} nor a column of data")
    try:
        return pd.to_numeric(src, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{arg}={col!r} is not numeric") from None


def _binary(values: pd.Series, name: str) -> np.ndarray:
    """0/1 (bool or numeric) with NaN allowed; anything else raises naming the values."""
    v = pd.to_numeric(values, errors="coerce") if values.dtype != bool else values.astype(float)
    bad = v.notna() & ~v.isin([0, 1])
    bad |= values.notna() & v.isna()
    if bad.any():
        shown = pd.unique(values[bad])[:5].tolist()
        raise ValueError(f"column {name!r} must be coded 0/1 (1 = event); found {shown} in {int(bad.sum())} row(s)")
    return v.to_numpy(dtype=float)


def prepare(
    base: Any, integrated: Any, data: pd.DataFrame, *, time: str | None, event: str | None, outcome: str | None,
    horizon: float | None, base_score: str | None, integrated_score: str | None,
) -> Prepared:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    inst_a = as_instrument(base, "base")
    inst_b = as_instrument(integrated, "integrated")
    n_rows = len(data)
    if n_rows == 0:
        raise ValueError("data has no rows")
    # outcome --------------------------------------------------------------------------------
    if outcome is not None:
        if time is not None or event is not None:
            raise ValueError("give either outcome= (a binary column) or time=/event= (survival), not both")
        if outcome not in data.columns:
            raise ValueError(f"outcome={outcome!r} is not a column of data")
        survival = False
    else:
        time = time or "time"
        event = event or "event"
        missing = [c for c in (time, event) if c not in data.columns]
        if missing:
            raise ValueError(
                f"data has no column(s) {missing}: pass time= and event= (time to reoffending and 0/1 event) "
                "or outcome= (a 0/1 column)"
            )
        survival = True
    if horizon is not None and not (isinstance(horizon, int | float) and math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon must be a positive number in the data's time unit, got {horizon!r}")
    # scores ---------------------------------------------------------------------------------
    col_a = base_score or primary_score(inst_a)
    col_b = integrated_score or primary_score(inst_b)
    fa = inst_a.score(data).frame
    fb = fa if inst_b is inst_a else inst_b.score(data).frame
    a = _score_column(fa, data, col_a, inst_a, "base_score")
    b = _score_column(fb, data, col_b, inst_b, "integrated_score")
    keep = np.ones(n_rows, dtype=bool)
    exclusions: list[str] = []

    def exclude(mask: np.ndarray, why: str) -> None:
        k = int((keep & mask).sum())
        if k:
            exclusions.append(f"{k} {'person' if k == 1 else 'people'} {why}")
        keep[mask] = False

    exclude(~np.isfinite(a), f"without a {col_a!r} score under {inst_a.id} (see Instrument.score(...).problems)")
    exclude(~np.isfinite(b), f"without a {col_b!r} score under {inst_b.id} (see Instrument.score(...).problems)")
    t = e = y = None
    if survival:
        t_all = pd.to_numeric(data[time], errors="coerce").to_numpy(dtype=float)
        bad = data[time].notna().to_numpy() & ~np.isfinite(t_all)
        if bad.any():
            raise ValueError(f"column {time!r} must be numeric follow-up times; {int(bad.sum())} value(s) are not")
        if (t_all < 0).any():
            raise ValueError(f"column {time!r} has {int((t_all < 0).sum())} negative time(s)")
        e_all = _binary(data[event], event)
        exclude(np.isnan(t_all), f"with no follow-up time ({time!r} missing)")
        exclude(np.isnan(e_all), f"with no event status ({event!r} missing)")
        t, e = t_all[keep], e_all[keep].astype(bool)
        desc = f"time to event ({time!r}, {event!r})"
    else:
        y_all = _binary(data[outcome], outcome)
        exclude(np.isnan(y_all), f"with no outcome ({outcome!r} missing)")
        y = y_all[keep].astype(bool)
        desc = f"binary outcome {outcome!r}"
    # horizon ---------------------------------------------------------------------------------
    note = ""
    if survival and horizon is None:
        common = sorted(_model_horizons(inst_a) & _model_horizons(inst_b))
        pool = common or sorted(_model_horizons(inst_a) | _model_horizons(inst_b))
        if pool:
            horizon = pool[-1]
            note = f"horizon {horizon:g} chosen as the longest prediction horizon of the instruments' models (pass horizon= to change)"
        else:
            note = "no horizon: pass horizon= for the criteria at a horizon (AUC, calibration, Brier, NRI, net benefit)"
    if horizon is not None:
        desc += f"; binary criteria at horizon {horizon:g}"
    if not keep.any():
        raise ValueError("no person has both scores and an outcome: " + "; ".join(exclusions))
    return Prepared(
        inst_a, inst_b, col_a, col_b, fa[keep].reset_index(drop=True), fb[keep].reset_index(drop=True),
        data[keep].reset_index(drop=True), a[keep], b[keep], survival, t, e, y, horizon, note, n_rows, exclusions, desc,
    )
