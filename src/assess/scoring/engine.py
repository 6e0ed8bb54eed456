"""The vectorised scoring engine: :class:`Instrument` and :func:`load_instrument`.

``Instrument(spec)`` compiles a spec once (:mod:`assess.scoring.compiler`) and scores whole
DataFrames with numpy: no per-row Python anywhere. Rows are processed in blocks of
:data:`BLOCK_ROWS` so intermediate arrays stay in cache; blocks are independent, so results do
not depend on the block size.

Semantics (the contract the tests and :mod:`assess.scoring.reference` check)
----------------------------------------------------------------------------
**Rows.** The score frame has exactly one row per input row, with the same index (duplicates,
strings and MultiIndex kept) in the same order. A row is never dropped: what cannot be scored is
NaN with a reason.

**Items** (:mod:`assess.scoring.inputs` for what is valid). ``<item>_points`` comes from the
response type: binary ``points_absent``/``points_present``; ordinal the level's points; count
and number the points of the band holding the value (a scored number item without bands scores
its raw value); categorical the category's points. Reverse keying replaces points ``p`` by
``max + min - p`` over the item's possible points. An invalid value is reported and then treated
like a missing response. A missing response scores NaN and counts in ``n_missing`` (the number
of missing or invalid scored items), except for protective-only items: a missing *or absent*
response (binary 0, the lowest ordinal level) scores 0 and is never counted as missing.

**Scales** (in spec order; components are scored items or earlier scales, each with a weight).
With ``k`` missing item components:

* ``k > max_missing`` -> NaN, row ``invalid``: ``scale 'x': 3 of 8 items missing (at most 2
  allowed)``.
* ``0 < k <= max_missing`` -> row ``prorated`` (reason says how):

  - ``sum`` + ``prorate``: ``S * W / A`` where ``S`` is the weighted sum over answered components,
    ``W`` the total absolute weight and ``A`` the answered absolute weight; then rounded by
    ``rounding`` (see :func:`round_score`). No answered weight -> NaN, ``invalid``.
    Prorating imputes each missing component at the answered components' mean weighted
    points, so when items have different point ranges a prorated score can exceed the largest
    score a complete response could reach; it is reported as computed, not clamped.
  - ``sum`` + ``zero``: missing components count 0 points (no rounding).
  - ``mean``: ``sum(w * x) / sum(|w|)`` over answered components; ``max``: ``max(w * x)`` over
    answered components. No answered component -> NaN, ``invalid``.

* A component *scale* without a score (NaN) makes this scale NaN and the row ``invalid``
  (``needs scale 'y', which has no score``). Component scales never count as missing: the
  missing-data rule (``max_missing``, prorating) applies to item components only, since a
  component scale's own missing items were handled when it was scored. ``<scale>_missing``
  counts the missing item components of this scale.
* A lookup table then maps the score (inclusive ranges, tolerance :data:`LOOKUP_TOLERANCE`);
  a score outside every entry -> NaN, ``invalid``.

**Derived variables** are evaluated over raw item values (numeric items; missing/invalid = NaN;
binary 0/1), scale scores and earlier derived variables (:mod:`assess.spec.expressions`). NaN
(missing or out-of-domain) does not by itself invalidate a row; it does when a model term or a
band set uses the variable: ``derived 'x' is undefined (missing or out-of-domain inputs)``.

**Models.** ``lp = sum(coefficient * value)`` (scored item terms use the item's points; an
unscored numeric item uses its recorded value). Additive:
``<m> = intercept + lp``. Logistic: ``<m>_lp = lp`` and ``<m>_p_<h> = expit(intercept_h + lp)``.
Survival: ``<m>_lp = lp`` and ``<m>_p_<h> = 1 - S0(h) ** exp(lp - centre)`` (computed as
``-expm1(log S0(h) * exp(lp - centre))``). Any NaN term makes every output of the model NaN and
the row ``invalid`` (reason names a missing item or an undefined derived variable; a NaN scale
already has its own reason).

**Rule lists** (``type: rule_list``): conditions are evaluated in order over raw item values
(coded categorical items give their category's ``code``), scales and derived variables; the
first that holds decides ``<m>`` (its value; labelled lists give a Categorical) and ``<m>_rule``
(its 1-based number; ``len(rules) + 1`` for ``else``). A condition that is missing (NaN) while no
earlier rule holds leaves both NaN and the row ``invalid``: ``model 'm': rule 2 needs priors,
which is missing`` (or ``rule 2 is undefined (out-of-domain inputs)``). Kleene logic means a
condition can be decided despite a missing input (``false and missing`` is false).

**Bands**: on a scale, derived variable, model output or an item's recorded value (a missing
one invalidates the row, like an undefined derived variable); ``searchsorted`` on the cut-offs; ``upper_inclusive`` puts a value equal to a cut-off
in the lower band. NaN -> no band (NaN in the ordered Categorical). ``band`` repeats the
primary band set (``primary_band``, default the first).

**Status**: ``invalid`` if any reason invalidates the row, else ``prorated`` if any scale was
scored with missing items, else ``ok``. ``reason`` joins every reason with ``'; '`` in pipeline
order (items, then scales, models, bands); it is empty exactly when the status is ``ok``.

**Refusals**: where a refusal's ``when`` is true (nonzero, not missing) the row gets no score:
item points, scales, derived variables, model outputs and bands are NaN/missing (``n_missing``
and ``<scale>_missing`` keep their counts), the status is ``invalid`` and ``reason`` is the
refusals' texts (in spec order) followed by any invalid-value reasons; the pipeline's other
reasons for the row are dropped. A missing ``when`` does not refuse.

**Strict mode** (``strict=True``) raises one :class:`~assess.scoring.inputs.ScoringInputError`
listing every invalid input value (row label, item, value) and every refusal (row label,
reason); missing responses are not errors in either mode. A missing column for a required item is an error in both modes.

Example
-------
>>> from assess.scoring import load_instrument          # doctest: +SKIP
>>> inst = load_instrument("rnr-general")               # doctest: +SKIP
>>> result = inst.score(cohort, keep=["person_id"])    # doctest: +SKIP
>>> result.frame[["person_id", "total", "band", "status"]].head()   # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import expit

from ..spec.loader import spec_hash
from ..spec.models import (
    CategoricalResponse,
    CountResponse,
    InstrumentSpec,
    NumberResponse,
    OrdinalResponse,
)
from .compiler import LOOKUP_TOLERANCE, CompiledInstrument, CompiledItem, compile_spec
from .inputs import (
    SHOWN_PROBLEMS,
    PreparedColumn,
    ScoringInputError,
    _empty_problems,
    check_columns,
    invalid_value_message,
    prepare_column,
    read_item,
)
from .result import STATUS_LABELS, Mismatch, ScoreResult, TestVectorResult

__all__ = [
    "BLOCK_ROWS",
    "InputColumn",
    "Instrument",
    "format_score",
    "load_instrument",
    "round_score",
    "rule_message",
    "scale_message",
]

#: Rows scored per block (keeps temporaries in cache; results do not depend on it).
BLOCK_ROWS = 1 << 15

#: Prorated values within this relative distance of a multiple of 0.5 are treated as exactly it.
ROUNDING_SNAP = 1e-9

_DERIVED_UNDEFINED = "derived '{}' is undefined (missing or out-of-domain inputs)"


# --------------------------------------------------------------------------- small helpers


def round_score(x: np.ndarray, rule: str) -> np.ndarray:
    """Round prorated scores by a spec ``rounding`` rule (vectorised).

    ``half_up`` rounds halves away from zero (2.5 -> 3, -2.5 -> -3), ``down`` is floor, ``up``
    is ceiling, ``nearest_even`` rounds halves to the even neighbour, ``none`` leaves the value.
    Floating-point noise from prorating (e.g. 2.4999999999999996 for 2.5) must not flip a
    decision, so values within a relative 1e-9 of a multiple of 0.5 are first snapped to it.

    >>> round_score(np.array([2.5, -2.5, 7 * 0.35 * 2 / 2, 1.2]), "half_up")
    array([ 3., -3.,  2.,  1.])
    """
    x = np.asarray(x, dtype=np.float64)
    if rule == "none":
        return x
    half = np.round(x * 2.0) / 2.0
    y = np.where(np.abs(x - half) <= ROUNDING_SNAP * np.maximum(1.0, np.abs(x)), half, x)
    if rule == "half_up":
        out = np.copysign(np.floor(np.abs(y) + 0.5), y)
    elif rule == "down":
        out = np.floor(y)
    elif rule == "up":
        out = np.ceil(y)
    elif rule == "nearest_even":
        out = np.round(y)
    else:
        raise ValueError(f"unknown rounding rule {rule!r}")
    return out + 0.0  # no negative zero


def format_score(x: float) -> str:
    """Show a score in a message: integers without decimals, others with up to 10 digits."""
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return f"{x:.10g}"


def scale_message(
    kind: str,
    scale_id: str,
    *,
    k: int = 0,
    m: int = 0,
    noun: str = "items",
    max_missing: int = 0,
    sub: str = "",
    score: float = 0.0,
) -> str:
    """Text of a scale-level reason (shared with :mod:`assess.scoring.reference`)."""
    if kind == "too_many":
        return f"scale '{scale_id}': {k} of {m} {noun} missing (at most {max_missing} allowed)"
    if kind == "none_answered":
        return f"scale '{scale_id}': no answered {noun}"
    if kind == "prorate":
        return f"scale '{scale_id}': {k} of {m} {noun} missing, score prorated"
    if kind == "zero":
        return f"scale '{scale_id}': {k} of {m} {noun} missing, counted as 0 points"
    if kind == "answered":
        return f"scale '{scale_id}': {k} of {m} {noun} missing, score from the answered {noun}"
    if kind == "sub":
        return f"scale '{scale_id}': needs scale '{sub}', which has no score"
    if kind == "lookup":
        return f"scale '{scale_id}': score {format_score(score)} is outside its lookup table"
    raise ValueError(kind)


def model_item_message(model_id: str, item_id: str) -> str:
    """Reason given when a model term's item has no valid response."""
    return f"model '{model_id}': item '{item_id}' has no valid response"


def band_item_message(band_id: str, item_id: str) -> str:
    """Reason given when a band set on an item's recorded value finds no valid response."""
    return f"band set '{band_id}': item '{item_id}' has no valid response"


def rule_message(model_id: str, rule: int, missing: Sequence[str]) -> str:
    """Reason given when rule ``rule`` (1-based) of a rule list cannot be decided for a row."""
    if not missing:
        return f"model '{model_id}': rule {rule} is undefined (out-of-domain inputs)"
    names = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
    verb = "is" if len(missing) == 1 else "are"
    return f"model '{model_id}': rule {rule} needs {names}, which {verb} missing"


def derived_message(derived_id: str) -> str:
    """Reason given when a model or band set needs an undefined derived variable."""
    return _DERIVED_UNDEFINED.format(derived_id)


class InputColumn(NamedTuple):
    """An input column the instrument reads: item id, response type, role, whether it is scored,
    whether the data must contain it, and what values it accepts."""

    name: str
    type: str
    role: str
    scored: bool
    required: bool
    allowed: str


class _Messages:
    """Distinct reason texts of one scoring run; reasons are stored as integer codes."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._code: dict[str, int] = {}

    def code(self, text: str) -> int:
        c = self._code.get(text)
        if c is None:
            c = self._code[text] = len(self.texts)
            self.texts.append(text)
        return c

    def codes(self, texts: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.code(t) for t in texts), dtype=np.int64, count=len(texts))


@dataclass
class _Part:
    """Reasons of one kind for some rows of a block (positions are global; ``codes`` index the
    run's message texts: one code for all rows, or one per row)."""

    positions: np.ndarray
    codes: np.ndarray | int
    item: str
    values: np.ndarray | None
    status: str  # "invalid" or "prorated"
    stage: str  # "input" or "pipeline"
    key: tuple[int, ...]  # static place in the pipeline: orders reasons within a row


# --------------------------------------------------------------------------- the instrument


#: Rounds of redrawing refused rows in :meth:`Instrument.template`.
TEMPLATE_REDRAWS = 20

class Instrument:
    """A compiled instrument: score cohorts, list its inputs, run its embedded test vectors.

    Parameters
    ----------
    spec:
        A validated :class:`~assess.spec.models.InstrumentSpec`, a dict to validate, or an
        instrument id / YAML path passed to :func:`assess.spec.loader.load_spec`.

    Attributes: ``spec``, ``id``, ``version``, ``spec_hash`` (SHA-256 of the canonical JSON of
    the spec, see :func:`assess.spec.loader.spec_hash`), ``compiled``.
    """

    def __init__(self, spec: InstrumentSpec | Mapping[str, Any] | str | os.PathLike[str]):
        if isinstance(spec, InstrumentSpec):
            pass
        elif isinstance(spec, Mapping):
            spec = InstrumentSpec.model_validate(dict(spec))
        elif isinstance(spec, (str, os.PathLike)):
            from ..spec.loader import load_spec

            spec = load_spec(spec)
        else:
            raise TypeError(
                f"expected an InstrumentSpec, a dict, an id or a path, got {type(spec).__name__}"
            )
        self.spec: InstrumentSpec = spec
        self.compiled: CompiledInstrument = compile_spec(spec)
        self.spec_hash: str = spec_hash(spec)

    # ------------------------------------------------------------------ identity

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def label(self) -> str:
        """``instrument 'id' version`` for messages."""
        return f"instrument '{self.id}' {self.version}"

    def __repr__(self) -> str:
        c = self.compiled
        return (
            f"Instrument('{self.id}' {self.version}: {len(c.items)} items, {len(c.scales)} scales, "
            f"{len(c.derived)} derived, {len(c.models)} models, {len(c.bands)} band sets)"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instrument) and other.spec_hash == self.spec_hash

    def __hash__(self) -> int:
        return hash(self.spec_hash)

    def __reduce__(self):  # pickle by spec (for joblib / multiprocessing)
        return (Instrument, (self.spec,))

    # ------------------------------------------------------------------ columns

    def input_columns(self) -> list[InputColumn]:
        """Every item column the instrument reads (scored and unscored), in spec order."""
        required = set(self.compiled.required_items)
        return [
            InputColumn(
                it.id, it.response.type, it.role, it.is_scored, it.id in required, ci.allowed
            )
            for it, ci in zip(self.spec.items, self.compiled.items, strict=True)
        ]

    def output_columns(self) -> list[str]:
        """Columns of the score frame (without ``keep`` columns), in order."""
        return self.spec.output_columns()

    @property
    def numeric_output_columns(self) -> list[str]:
        """Output columns holding numbers (everything but band columns, status and reason)."""
        skip = {b.id for b in self.spec.bands} | {"band", "status", "reason"}
        skip |= {m.id for m in self.compiled.models if m.labels is not None}
        return [c for c in self.output_columns() if c not in skip]

    # ------------------------------------------------------------------ scoring

    def score(
        self,
        data: pd.DataFrame,
        strict: bool = False,
        keep: Sequence[Hashable] | Hashable | None = None,
    ) -> ScoreResult:
        """Score every row of ``data`` (one column per item, named by item id).

        ``strict=False`` keeps every row: invalid values make the row ``invalid`` with a reason.
        ``strict=True`` raises :class:`ScoringInputError` listing every invalid value.
        ``keep`` names input columns (e.g. ``"person_id"``) copied to the front of the frame.
        See the module docstring for the full semantics.
        """
        keep_cols = _as_keep(keep)
        check_columns(data, self.compiled.required_items, self.label, keep=keep_cols)
        clash = [k for k in keep_cols if k in set(self.output_columns())]
        if clash:
            raise ScoringInputError(
                "keep= columns would clash with output columns: "
                + ", ".join(repr(c) for c in clash)
            )
        run = _Run(self, data)
        run.score_all()
        index = data.index
        if strict and any(p.stage in ("input", "refusal") for p in run.parts):
            problems = _problems_frame(run.parts, run.messages, index)
            inputs = (
                problems[problems["stage"].isin(("input", "refusal"))]
                .drop(columns="stage")
                .reset_index(drop=True)
            )
            raise ScoringInputError(_strict_message(inputs, self.label), inputs)
        reason = _join_reasons(run.parts, run.messages, len(data))
        frame = run.out.frame(data, keep_cols, reason)
        parts, messages = run.parts, run.messages
        c = self.compiled
        return ScoreResult(
            frame=frame,
            problems_source=lambda: _problems_frame(parts, messages, index).drop(columns="stage"),
            instrument_id=self.id,
            version=self.version,
            spec_hash=self.spec_hash,
            scale_ids=tuple(s.id for s in c.scales),
            band_ids=tuple(b.id for b in c.bands),
        )

    # ------------------------------------------------------------------ test vectors

    def run_test_vectors(self) -> list[TestVectorResult]:
        """Score each embedded test vector and compare every expected output.

        Numbers match within the vector's ``tolerance`` (absolute); ``null`` expects NaN/missing;
        strings (band labels, status, reason) must match exactly.
        """
        results = []
        required = set(self.compiled.required_items)
        for tv in self.spec.test_vectors:
            row: dict[str, list] = {}
            for it in self.spec.items:
                if it.id in tv.inputs:
                    row[it.id] = [tv.inputs[it.id]]
                elif it.id in required:
                    row[it.id] = [None]
            frame = self.score(pd.DataFrame(row, index=[0])).frame
            mismatches = []
            for column, expected in tv.expect.items():
                actual = frame[column].iloc[0]
                if not _matches(expected, actual, tv.tolerance):
                    mismatches.append(Mismatch(column, expected, _plain(actual)))
            results.append(TestVectorResult(tv.name, not mismatches, mismatches))
        return results

    # ------------------------------------------------------------------ template

    def template(self, n: int = 10, seed: int = 0) -> pd.DataFrame:
        """``n`` random *valid* rows, one column per item (scored and unscored), for trying the
        instrument out or as a data-entry template. Reproducible from ``seed``.

        Every value is within its item's response. Rows that one of the instrument's
        ``refusals`` rejects (for example a first conviction after the assessment) are drawn
        again from the same generator, up to :data:`TEMPLATE_REDRAWS` times. Rows still refused
        after that (a refusal that rejects most of the ranges, such as OGRS3's whole-years rule
        for ages drawn with decimals) are kept, and a :class:`UserWarning` says how many and why.
        """
        rng = np.random.default_rng(seed)
        frame = self._template_rows(rng, n)
        if not self.spec.refusals or n == 0:
            return frame
        refused = np.arange(n)  # rows to check: all at first, then only the redrawn ones
        for attempt in range(TEMPLATE_REDRAWS + 1):
            problems = self.score(frame.iloc[refused]).problems
            hit = problems[problems["item"].astype(str).str.startswith("refusals[")]
            refused = refused[np.unique(hit["position"].to_numpy())]
            if refused.size == 0:
                return frame
            if attempt == TEMPLATE_REDRAWS:
                break
            redraw = self._template_rows(rng, refused.size)
            for col in frame.columns:
                values = frame[col].to_numpy(copy=True)
                values[refused] = redraw[col].to_numpy()
                frame[col] = values
        reasons = "; ".join(dict.fromkeys(hit["message"].astype(str)))
        warnings.warn(
            f"template: {refused.size} of {n} rows of instrument {self.spec.id!r} are still refused "
            f"after {TEMPLATE_REDRAWS} redraws ({reasons})",
            UserWarning,
            stacklevel=2,
        )
        return frame

    def _template_rows(self, rng: np.random.Generator, n: int) -> pd.DataFrame:
        cols: dict[str, Any] = {}
        for it in self.spec.items:
            r = it.response
            if r.type == "binary":
                cols[it.id] = rng.integers(0, 2, size=n)
            elif isinstance(r, OrdinalResponse):
                cols[it.id] = rng.choice(
                    np.asarray([lv.value for lv in r.levels], dtype=np.int64), size=n
                )
            elif isinstance(r, CategoricalResponse):
                cols[it.id] = rng.choice(
                    np.asarray([cat.value for cat in r.categories], dtype=object), size=n
                )
            elif isinstance(r, CountResponse):
                lo, hi = _template_range(r.min, r.max, r.bands)
                cols[it.id] = rng.integers(int(lo), int(hi) + 1, size=n)
            elif isinstance(r, NumberResponse):
                lo, hi = _template_range(r.min, r.max, r.bands)
                cols[it.id] = np.round(rng.uniform(lo, hi, size=n), 1).clip(lo, hi)
        return pd.DataFrame(cols, index=pd.RangeIndex(n))


def load_instrument(id_or_path: str | os.PathLike[str]) -> Instrument:
    """Load a spec (built-in id such as ``"rnr-general"`` or ``"rnr-general@1.0.0"``, or a YAML
    path) and compile it."""
    from ..spec.loader import load_spec

    return Instrument(load_spec(id_or_path))


# --------------------------------------------------------------------------- one scoring run


class _Run:
    """State of one ``Instrument.score`` call: prepared columns, outputs, reasons."""

    def __init__(self, inst: Instrument, data: pd.DataFrame):
        self.c = c = inst.compiled
        self.n = len(data)
        self.prepared: dict[str, PreparedColumn] = {
            it.id: prepare_column(data[it.id], it) for it in c.items if it.id in data.columns
        }
        self.out = _Outputs(c, self.n)
        self.parts: list[_Part] = []
        self.messages = _Messages()
        self.scored_index = {c.items[i].id: k for k, i in enumerate(c.scored_items)}
        self._text_cache: dict[tuple, np.ndarray] = {}
        self.invalid_cells: dict[int, list[np.ndarray]] = {}

    def score_all(self) -> None:
        for start in range(0, max(self.n, 1), BLOCK_ROWS):
            self.block(slice(start, min(self.n, start + BLOCK_ROWS)))
        for i in sorted(self.invalid_cells):
            self.report_invalid(i, np.concatenate(self.invalid_cells[i]))

    # ------------------------------------------------------------------ reasons

    def add(
        self,
        key: tuple[int, ...],
        where: np.ndarray,
        base: int,
        codes: np.ndarray | int,
        item: str,
        status: str = "invalid",
    ) -> None:
        """Record a reason for rows ``where + base``; ``key`` is its static place in the pipeline
        (the same in every block), which orders the reasons within a row."""
        self.parts.append(_Part(where + base, codes, item, None, status, "pipeline", key))

    def count_texts(self, key: tuple, make) -> np.ndarray:
        """Codes of a per-count message family (``k`` of ``m`` items missing...), cached."""
        codes = self._text_cache.get(key)
        if codes is None:
            codes = self._text_cache[key] = self.messages.codes(
                [make(k) for k in range(key[-1] + 1)]
            )
        return codes

    def note_invalid(self, i: int, where: np.ndarray, base: int) -> None:
        """Remember invalid cells of item ``i``; they are reported once per item at the end."""
        self.invalid_cells.setdefault(i, []).append(where + base)

    def report_invalid(self, i: int, pos: np.ndarray) -> None:
        it = self.c.items[i]
        col = self.prepared[it.id]
        values = col.bad_values(pos)
        codes = _value_codes(it, col, values, self.messages)
        self.parts.append(_Part(pos, codes, it.id, values, "invalid", "input", (0, i, 0, 0)))

    # ------------------------------------------------------------------ one block of rows

    def block(self, s: slice) -> None:
        c, out = self.c, self.out
        base = s.start
        m = s.stop - s.start
        invalid = np.zeros(m, dtype=bool)
        prorated = np.zeros(m, dtype=bool)
        env: dict[str, np.ndarray] = {}
        first_part = len(self.parts)  # reasons of this block start here
        points = out.points[:, s]
        filled = out.filled_buf[:, :m]
        item_missing = out.missing_buf[:, :m]

        dense = self._dense_items(s, points, filled, item_missing, invalid, env)
        if dense is not None:  # every scored item is dense: the 2-D results are the matrices
            filled, item_missing = dense
        self._sparse_items(s, points, filled, item_missing, invalid, env)
        n_missing = (
            item_missing.sum(axis=0, dtype=_count_dtype(len(c.scored_items)))
            if c.scored_items
            else np.zeros(m, dtype=np.int64)
        )

        scale_values = self._scales(s, points, filled, item_missing, invalid, prorated, env)
        derived_values = self._derived(s, env)
        numeric: dict[str, np.ndarray] = {sc.id: scale_values[j] for j, sc in enumerate(c.scales)}
        numeric.update({did: derived_values[d] for d, did in enumerate(c.derived_ids)})
        numeric.update({name: env[name] for name in c.raw_needed})
        flagged = [np.zeros(m, dtype=bool) for _ in c.derived_ids]

        def need_derived(key: tuple[int, ...], d: int, nan: np.ndarray) -> None:
            new = nan & ~flagged[d]
            if new.any():
                flagged[d] |= nan
                self.add(
                    key,
                    np.flatnonzero(new),
                    base,
                    self.messages.code(derived_message(c.derived_ids[d])),
                    c.derived_ids[d],
                )
            invalid[:] |= nan

        self._models(s, points, scale_values, derived_values, numeric, invalid, need_derived)
        for bi, b in enumerate(c.bands):
            v = numeric[b.on]
            if b.on_derived is not None or b.on_item:
                nan = np.isnan(v)
                if nan.any():
                    if b.on_derived is not None:
                        need_derived((3, bi, 0, 0), b.on_derived, nan)
                    else:
                        code = self.messages.code(band_item_message(b.id, b.on))
                        self.add((3, bi, 0, 0), np.flatnonzero(nan), base, code, b.id)
                        invalid |= nan
            out.bands[bi][s] = b.codes(v)

        if c.refusals:
            self._refusals(s, numeric, invalid, first_part)
        out.n_missing[s] = n_missing
        out.status[s] = np.where(invalid, 2, np.where(prorated, 1, 0))

    def _refusals(self, s, numeric, invalid, first_part: int) -> None:
        """Rows where a refusal's condition is true get no score: every output of the block's
        row is blanked, the pipeline's reasons for it are dropped (input problems stay) and the
        refusal reasons are added first."""
        c, out = self.c, self.out
        base = s.start
        m = s.stop - s.start
        refused = np.zeros(m, dtype=bool)
        for r, rf in enumerate(c.refusals):
            with np.errstate(all="ignore"):
                v = np.asarray(rf.condition.evaluate(numeric), dtype=np.float64)
            if v.shape != (m,):
                v = np.broadcast_to(v, (m,))
            hit = (v != 0) & ~np.isnan(v)
            if hit.any():
                self.parts.append(
                    _Part(
                        np.flatnonzero(hit) + base,
                        self.messages.code(rf.reason),
                        f"refusals[{r}]",
                        None,
                        "invalid",
                        "refusal",
                        (-1, r, 0, 0),
                    )
                )
                refused |= hit
        if not refused.any():
            return
        keep_rows = ~refused
        for k in range(first_part, len(self.parts)):
            p = self.parts[k]
            if p.stage != "pipeline":
                continue
            ok = keep_rows[p.positions - base]
            if not ok.all():
                codes = p.codes if np.ndim(p.codes) == 0 else np.asarray(p.codes)[ok]
                self.parts[k] = _Part(
                    p.positions[ok], codes, p.item, p.values, p.status, p.stage, p.key
                )
        self.parts[first_part:] = [p for p in self.parts[first_part:] if p.positions.size]
        rows = np.flatnonzero(refused)
        out.points[:, s][:, rows] = np.nan
        for arrays in (out.scales, out.derived, *out.models):
            for a in arrays:
                a[s][rows] = np.nan
        for b in out.bands:
            b[s][rows] = -1
        invalid |= refused

    def _dense_items(self, s, points, filled, item_missing, invalid, env):
        """Binary and small ordinal items, all at once as 2-D arrays (see ``DenseGroup``).

        Every 2-D step writes into preallocated buffers (no large temporaries). Returns
        ``(filled, missing)`` matrices when the dense items are exactly the scored items in order,
        else writes the rows of the block's work matrices.
        """
        c, out, g = self.c, self.out, self.c.dense
        if not g.items:
            return None
        m = s.stop - s.start
        values = out.value_buf[:, :m]
        for r, i in enumerate(g.items):
            col = self.prepared.get(c.items[i].id)
            if col is None:
                values[r] = np.nan  # optional unscored column absent
            else:
                values[r] = col.values[s]
        if g.zero_lo:
            off = values
        else:
            off = out.off_buf[:, :m]
            np.subtract(values, g.lo, out=off)
        offi = out.int_buf[:, :m]
        with np.errstate(invalid="ignore"):
            np.copyto(offi, off, casting="unsafe")  # NaN/inf/huge -> garbage, caught below
        u = out.slot_buf[:, :m]
        np.minimum(offi.view(np.uint64), g.span1, out=u)
        if g.contiguous:
            u += g.table_base
            slot = u.view(np.int64)
        else:
            u += g.lut_base
            slot = g.lut[u]
        ne = out.mask_buf[:, :m]
        np.not_equal(offi, off, out=ne)  # not a whole number (or NaN)
        np.copyto(slot, g.missing_slot, where=ne)
        at_missing = out.missing_slot_buf[:, :m]
        np.equal(slot, g.missing_slot, out=at_missing)
        bad = out.nan_buf[:, :m]
        np.isnan(values, out=bad)
        np.greater(at_missing, bad, out=bad)  # no valid level, yet not missing
        bad_rows = np.flatnonzero(bad.any(axis=1))
        if bad_rows.size:
            for r in bad_rows:
                self.note_invalid(g.items[r], np.flatnonzero(bad[r]), s.start)
            invalid |= bad.any(axis=0)
        if out.dense_rows is not None:
            if out.dense_is_scored_order:
                for r in range(slot.shape[0]):  # row by row: contiguous targets are much faster
                    np.take(g.points, slot[r], out=points[r], mode="clip")
                    np.take(g.filled, slot[r], out=filled[r], mode="clip")
                miss = at_missing if g.counts_row.all() else at_missing & g.counts_row
            else:
                rows, ks = out.dense_rows
                sl = slot[rows]
                points[ks] = g.points.take(sl, mode="clip")
                filled[ks] = g.filled.take(sl, mode="clip")
                item_missing[ks] = at_missing[rows] & g.counts_row[rows]
        for r, i in enumerate(g.items):
            if c.items[i].id in c.raw_needed:
                env[c.items[i].id] = np.where(at_missing[r], np.nan, values[r])
        if out.dense_is_scored_order:
            return filled, miss
        return None

    def _sparse_items(self, s, points, filled, item_missing, invalid, env) -> None:
        """Count, number, categorical and sparse ordinal items, one at a time."""
        c = self.c
        for i in c.sparse_items:
            it = c.items[i]
            col = self.prepared.get(it.id)
            if col is None:
                continue  # optional unscored column absent
            blk = read_item(it, col, s, want_raw=it.id in c.raw_needed)
            if blk.invalid.any():
                pos = np.flatnonzero(blk.invalid)
                invalid[pos] = True
                self.note_invalid(i, pos, s.start)
            if it.id in c.raw_needed:
                if it.category_codes is not None:  # index -1 (missing/invalid) -> trailing NaN
                    env[it.id] = it.category_codes[blk.index]
                else:
                    env[it.id] = blk.raw
            if it.scored:
                k = self.scored_index[it.id]
                points[k] = blk.raw if it.points_are_raw else it.points_table[blk.index]
                if it.protective_only:
                    item_missing[k] = False
                    filled[k] = points[k]
                else:
                    np.less(blk.index, 0, out=item_missing[k])
                    filled[k] = np.where(item_missing[k], 0.0, points[k])

    def _scales(self, s, points, filled, item_missing, invalid, prorated, env) -> list[np.ndarray]:
        c, out = self.c, self.out
        base = s.start
        m = s.stop - s.start
        scale_values: list[np.ndarray] = []
        for j, sc in enumerate(c.scales):
            n_comp = len(sc.kinds)
            sub_bad = None  # rows where a component scale has no score
            if sc.item_positions is not None:
                idx = sc.item_positions
                miss = item_missing[idx]
                nmiss = miss.sum(axis=0, dtype=_count_dtype(n_comp))
                if sc.method == "max":
                    cand = points[idx] * sc.weights[:, None]
                    cand[miss] = -np.inf
                    acc = cand.max(axis=0)
                else:
                    f = filled[idx]
                    if not sc.unit_weights:
                        f = f * sc.weights[:, None]
                    acc = f[0].copy()
                    for row in f[1:]:  # sequential, in component order
                        acc += row
                if sc.unit_weights:
                    lost = nmiss
                else:
                    lost = np.zeros(m)
                    for w, mrow in zip(sc.weights, miss, strict=True):
                        lost += abs(w) * mrow
            else:
                nmiss = np.zeros(m, dtype=np.int64)
                lost = np.zeros(m)
                acc = np.full(m, -np.inf) if sc.method == "max" else np.zeros(m)
                for ci, (kind, pos_, w) in enumerate(
                    zip(sc.kinds, sc.positions, sc.weights, strict=True)
                ):
                    if kind == "item":
                        mrow = item_missing[pos_]
                        nmiss += mrow
                        lost += abs(w) * mrow
                        if sc.method == "max":
                            np.fmax(acc, np.where(mrow, -np.inf, w * points[pos_]), out=acc)
                        else:
                            acc += w * filled[pos_]
                    else:
                        sv = scale_values[pos_]
                        bad = np.isnan(sv)
                        if bad.any():
                            code = self.messages.code(
                                scale_message("sub", sc.id, sub=c.scales[pos_].id)
                            )
                            self.add((1, j, ci, 0), np.flatnonzero(bad), base, code, sc.id)
                            sub_bad = bad if sub_bad is None else sub_bad | bad
                        contribution = w * sv
                        if sc.method == "max":
                            np.fmax(acc, np.where(bad, -np.inf, contribution), out=acc)
                        else:
                            acc += np.where(bad, 0.0, contribution)
            value = acc
            dead = None  # rows without a score
            too_many = nmiss > sc.max_missing
            if too_many.any():
                dead = too_many
                where = np.flatnonzero(too_many)
                codes = self.count_texts(
                    ("too_many", sc.id, n_comp),
                    lambda k, sc=sc, n_comp=n_comp: scale_message(
                        "too_many", sc.id, k=k, m=n_comp, noun=sc.noun, max_missing=sc.max_missing
                    ),
                )
                self.add((1, j, n_comp, 1), where, base, codes[nmiss[where]], sc.id)
                some = (nmiss > 0) & ~too_many
            else:
                some = nmiss > 0
            some_rows = np.flatnonzero(some)
            none_answered = None  # rows where nothing was answered (and that is allowed)
            note = "answered"
            if sc.method == "sum":
                note = sc.policy
                if sc.policy == "prorate" and some_rows.size:
                    answered_w = sc.total_weight - lost[some_rows]
                    if (answered_w <= 0).any():
                        none_answered = np.zeros(m, dtype=bool)
                        none_answered[some_rows] = answered_w <= 0
                    with np.errstate(divide="ignore", invalid="ignore"):
                        value[some_rows] = round_score(
                            acc[some_rows] * (sc.total_weight / answered_w), sc.rounding
                        )
            elif sc.method == "mean":
                answered_w = sc.total_weight - lost
                if (answered_w <= 0).any():
                    none_answered = answered_w <= 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = acc / answered_w
            elif (nmiss >= n_comp).any():
                none_answered = nmiss >= n_comp
            if none_answered is not None:
                na = none_answered if dead is None else none_answered & ~dead
                if na.any():
                    self.add(
                        (1, j, n_comp, 2),
                        np.flatnonzero(na),
                        base,
                        self.messages.code(scale_message("none_answered", sc.id, noun=sc.noun)),
                        sc.id,
                    )
                dead = none_answered if dead is None else dead | none_answered
            if some_rows.size:
                noted = some
                if none_answered is not None:
                    noted = noted & ~none_answered
                if sub_bad is not None:
                    noted = noted & ~sub_bad
                where = some_rows if noted is some else np.flatnonzero(noted)
                if where.size:
                    codes = self.count_texts(
                        (note, sc.id, n_comp),
                        lambda k, sc=sc, note=note, n_comp=n_comp: scale_message(
                            note, sc.id, k=k, m=n_comp, noun=sc.noun
                        ),
                    )
                    self.add(
                        (1, j, n_comp, 3),
                        where,
                        base,
                        codes[nmiss[where]],
                        sc.id,
                        status="prorated",
                    )
                    prorated[where] = True
            if sub_bad is not None:
                dead = sub_bad if dead is None else dead | sub_bad
            if dead is not None:
                invalid |= dead
                value = np.where(dead, np.nan, value)
            if sc.lookup_min is not None:
                value = self._lookup(j, sc, value, base, invalid)
            target = out.scales[j][s]
            np.add(value, 0.0, out=target)  # no negative zero
            out.scale_missing[j][s] = nmiss
            scale_values.append(target)
            env[sc.id] = target
        return scale_values

    def _lookup(self, j: int, sc, value: np.ndarray, base: int, invalid: np.ndarray) -> np.ndarray:
        tol = LOOKUP_TOLERANCE
        idx = np.searchsorted(sc.lookup_min - tol, value, side="right") - 1
        safe = np.clip(idx, 0, sc.lookup_min.size - 1)
        defined = ~np.isnan(value)
        covered = defined & (idx >= 0) & (value <= sc.lookup_max[safe] + tol)
        uncovered = defined & ~covered
        if uncovered.any():
            where = np.flatnonzero(uncovered)
            uniq, inv = np.unique(value[where], return_inverse=True)
            codes = self.messages.codes([scale_message("lookup", sc.id, score=u) for u in uniq])
            self.add((1, j, len(sc.kinds), 4), where, base, codes[inv], sc.id)
            invalid |= uncovered
        return np.where(covered, sc.lookup_scaled[safe], np.nan)

    def _derived(self, s, env) -> list[np.ndarray]:
        c, out = self.c, self.out
        m = s.stop - s.start
        values: list[np.ndarray] = []
        for d, (did, expr) in enumerate(zip(c.derived_ids, c.derived, strict=True)):
            with np.errstate(all="ignore"):
                r = np.asarray(expr.evaluate(env), dtype=np.float64)
            if r.shape != (m,):
                r = np.broadcast_to(r, (m,))
            target = out.derived[d][s]
            target[...] = np.where(np.isfinite(r), r, np.nan)
            values.append(target)
            env[did] = target
        return values

    def _models(
        self, s, points, scale_values, derived_values, numeric, invalid, need_derived
    ) -> None:
        c, out = self.c, self.out
        base = s.start
        m = s.stop - s.start
        for mi, mdl in enumerate(c.models):
            if mdl.type == "rule_list":
                self._rule_list(s, mi, mdl, numeric, invalid)
                continue
            lp = np.zeros(m)
            undefined = np.zeros(m, dtype=bool)
            for ti, t in enumerate(mdl.terms):
                if t.kind == "item":
                    val = points[t.position]
                elif t.kind == "raw":
                    val = numeric[t.ref]
                elif t.kind == "scale":
                    val = scale_values[t.position]
                else:
                    val = derived_values[t.position]
                nan = np.isnan(val)
                if nan.any():
                    undefined |= nan
                    if t.kind in ("item", "raw"):
                        self.add(
                            (2, mi, ti, 0),
                            np.flatnonzero(nan),
                            base,
                            self.messages.code(model_item_message(mdl.id, t.ref)),
                            mdl.id,
                        )
                    elif t.kind == "derived":
                        need_derived((2, mi, ti, 0), t.position, nan)
                lp += t.coefficient * val
            invalid |= undefined
            lp[undefined] = np.nan
            cols = out.models[mi]
            if mdl.type == "additive":
                cols[0][s] = mdl.intercept + lp + 0.0
                numeric[mdl.id] = cols[0][s]
                continue
            cols[0][s] = lp + 0.0
            numeric[f"{mdl.id}_lp"] = cols[0][s]
            for h, const in enumerate(mdl.horizon_constants):
                if mdl.type == "logistic":
                    p = expit(const + lp)
                else:
                    with np.errstate(over="ignore", invalid="ignore"):
                        p = -np.expm1(const * np.exp(lp - mdl.centre))
                cols[h + 1][s] = p
                numeric[f"{mdl.id}_p_{mdl.horizon_labels[h]}"] = cols[h + 1][s]


    def _rule_list(self, s, mi, mdl, numeric, invalid) -> None:
        """First rule whose condition holds decides; a missing condition (while no earlier rule
        holds) leaves the row without a value and makes it invalid."""
        out = self.out
        base = s.start
        m = s.stop - s.start
        value = np.full(m, np.nan)
        which = np.full(m, np.nan)
        open_ = np.ones(m, dtype=bool)  # no rule has decided yet and none was missing
        for k, cond in enumerate(mdl.conditions):
            with np.errstate(all="ignore"):
                v = np.asarray(cond.evaluate(numeric), dtype=np.float64)
            if v.shape != (m,):
                v = np.broadcast_to(v, (m,))
            nan = np.isnan(v)
            stuck = open_ & nan
            fire = open_ & ~nan & (v != 0)
            value[fire] = mdl.rule_values[k]
            which[fire] = k + 1
            if stuck.any():
                where = np.flatnonzero(stuck)
                names = sorted(cond.names)
                # which of the condition's names are missing, per row, as a bit pattern
                pattern = np.zeros(where.size, dtype=np.int64)
                for bit, name in enumerate(names):
                    pattern |= np.isnan(numeric[name][where]).astype(np.int64) << bit
                uniq, inv = np.unique(pattern, return_inverse=True)
                texts = [
                    rule_message(mdl.id, k + 1, [n for b, n in enumerate(names) if u >> b & 1])
                    for u in uniq.tolist()
                ]
                self.add((2, mi, k, 0), where, base, self.messages.codes(texts)[inv], mdl.id)
                invalid |= stuck
            open_ &= ~(fire | stuck)
        n = len(mdl.conditions)
        value[open_] = mdl.rule_values[n]
        which[open_] = n + 1
        out.models[mi][0][s] = value
        out.models[mi][1][s] = which
        if mdl.labels is None:
            numeric[mdl.id] = out.models[mi][0][s]


# --------------------------------------------------------------------------- outputs


class _Outputs:
    """Preallocated output arrays, filled block by block, and per-block work buffers."""

    def __init__(self, c: CompiledInstrument, n: int):
        self.c = c
        self.n = n
        self.points = np.empty((len(c.scored_items), n))
        self.scales = [np.empty(n) for _ in c.scales]
        self.scale_missing = [np.empty(n, dtype=np.int64) for _ in c.scales]
        self.derived = [np.empty(n) for _ in c.derived_ids]
        self.models = [[np.empty(n) for _ in m.output_columns] for m in c.models]
        self.bands = [
            np.empty(n, dtype=np.int8 if len(b.labels) < 127 else np.int64) for b in c.bands
        ]
        self.n_missing = np.empty(n, dtype=np.int64)
        self.status = np.empty(n, dtype=np.int8)
        rows = min(n, BLOCK_ROWS)
        k = len(c.scored_items)
        self.filled_buf = np.empty((k, rows))
        self.missing_buf = np.empty((k, rows), dtype=bool)
        g = len(c.dense.items)
        self.value_buf = np.empty((g, rows))
        self.off_buf = np.empty((g, rows)) if not c.dense.zero_lo else None
        self.int_buf = np.empty((g, rows), dtype=np.int64)
        self.slot_buf = np.empty((g, rows), dtype=np.uint64)
        self.mask_buf = np.empty((g, rows), dtype=bool)
        self.missing_slot_buf = np.empty((g, rows), dtype=bool)
        self.nan_buf = np.empty((g, rows), dtype=bool)
        scored_pos = {i: kk for kk, i in enumerate(c.scored_items)}
        pairs = [(r, scored_pos[i]) for r, i in enumerate(c.dense.items) if i in scored_pos]
        self.dense_rows = (
            (
                np.array([p[0] for p in pairs], dtype=np.intp),
                np.array([p[1] for p in pairs], dtype=np.intp),
            )
            if pairs
            else None
        )
        self.dense_is_scored_order = tuple(c.dense.items) == tuple(c.scored_items)

    def frame(self, data: pd.DataFrame, keep: list[Hashable], reason: np.ndarray) -> pd.DataFrame:
        c = self.c
        cols: dict[Hashable, Any] = {}
        for k in keep:
            cols[k] = data[k].array
        for k, i in enumerate(c.scored_items):
            cols[f"{c.items[i].id}_points"] = self.points[k]
        for j, sc in enumerate(c.scales):
            cols[sc.id] = self.scales[j]
            cols[f"{sc.id}_missing"] = self.scale_missing[j]
        for d, did in enumerate(c.derived_ids):
            cols[did] = self.derived[d]
        for mi, mdl in enumerate(c.models):
            for name, arr in zip(mdl.output_columns, self.models[mi], strict=True):
                cols[name] = arr
            if mdl.labels is not None:
                codes = np.where(np.isnan(self.models[mi][0]), -1, self.models[mi][0])
                cols[mdl.id] = pd.Categorical.from_codes(
                    codes.astype(np.int64), categories=list(mdl.labels)
                )
        for bi, b in enumerate(c.bands):
            dtype = pd.CategoricalDtype(list(b.labels), ordered=True)
            cols[b.id] = pd.Categorical.from_codes(self.bands[bi], dtype=dtype)
        if c.bands:
            cols["band"] = cols[c.bands[c.primary_band or 0].id]
        cols["n_missing"] = self.n_missing
        cols["status"] = np.asarray(STATUS_LABELS, dtype=object)[self.status]
        cols["reason"] = reason
        # copy=False keeps each array as its own block: no 0.5 GB consolidation copy at 1e6 rows
        return pd.DataFrame(cols, index=data.index, copy=False)


def _count_dtype(n: int) -> type:
    """Smallest integer type that counts up to ``n`` (cheaper accumulation than int64)."""
    return np.int16 if n < 2**15 else np.int64


def _as_keep(keep: Sequence[Hashable] | Hashable | None) -> list[Hashable]:
    if keep is None:
        return []
    if isinstance(keep, (str, bytes)) or not isinstance(keep, Sequence):
        return [keep]
    return list(keep)


def _value_codes(
    item: CompiledItem, col: PreparedColumn, values: np.ndarray, messages: _Messages
) -> np.ndarray:
    """Message code for each offending value, formatting each distinct value once."""
    if not col.object_values:  # one Python type per column: factorize is safe
        fcodes, uniques = pd.factorize(values, use_na_sentinel=False)
        return messages.codes([invalid_value_message(item, u) for u in uniques])[fcodes]
    cache: dict[tuple[type, Any], int] = {}
    out = np.empty(values.size, dtype=np.int64)
    for j, v in enumerate(values):  # only the invalid cells of an object column
        try:
            key = (type(v), v)
            code = cache.get(key)
            if code is None:
                code = cache[key] = messages.code(invalid_value_message(item, v))
        except TypeError:  # unhashable
            code = messages.code(invalid_value_message(item, v))
        out[j] = code
    return out


def _sorted_codes(parts: list[_Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions and message codes of every reason ordered by row (pipeline order within a row),
    and the permutation used."""
    sizes = [p.positions.size for p in parts]
    positions = np.concatenate([p.positions for p in parts])
    codes = np.concatenate(
        [
            np.broadcast_to(np.asarray(p.codes, dtype=np.int64), (k,))
            for p, k in zip(parts, sizes, strict=True)
        ]
    )
    rank = {k: r for r, k in enumerate(sorted({p.key for p in parts}))}
    keys = np.repeat(np.array([rank[p.key] for p in parts], dtype=np.int64), sizes)
    order = np.lexsort((keys, positions))
    return positions[order], codes[order], order


def _merged(parts: list[_Part]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Parts with the same pipeline key (one per block) merged, in pipeline order."""
    groups: dict[tuple[int, ...], list[_Part]] = {}
    for p in parts:
        groups.setdefault(p.key, []).append(p)
    merged = []
    for key in sorted(groups):
        ps = groups[key]
        positions = np.concatenate([p.positions for p in ps])
        codes = np.concatenate(
            [np.broadcast_to(np.asarray(p.codes, dtype=np.int64), p.positions.shape) for p in ps]
        )
        merged.append((positions, codes))
    return merged


def _join_reasons(parts: list[_Part], messages: _Messages, n: int) -> np.ndarray:
    """``'; '``-join every row's reasons in pipeline order (rows without reasons get '').

    Vectorised over rows: reasons are applied in pipeline order (input problems by item, then
    scales, models, bands) and each row carries a key for its text so far; each step maps the
    distinct (text so far, new reason) pairs to keys, so only distinct combinations are ever
    concatenated in Python and rows with the same reasons share one string object.
    """
    texts: list[str] = [""] + messages.texts  # key 0 = no reason yet; key 1 + code = one reason
    width = len(messages.texts) + 1
    reason_key = np.zeros(n, dtype=np.int64)
    for rows, codes in _merged(parts):
        prev = reason_key[rows]
        first = prev == 0
        reason_key[rows[first]] = codes[first] + 1  # the row's first reason
        later = ~first
        if not later.any():
            continue
        rows, codes = rows[later], codes[later]
        inv, uniq = pd.factorize(prev[later] * width + codes)  # hash-based, O(n)
        new = np.empty(uniq.size, dtype=np.int64)
        for j, u in enumerate(uniq.tolist()):
            before, code = divmod(u, width)
            new[j] = len(texts)
            texts.append(texts[before] + "; " + messages.texts[code])
        reason_key[rows] = new[inv]
    table = np.empty(len(texts), dtype=object)
    table[:] = texts
    return table[reason_key]


def _problems_frame(parts: list[_Part], messages: _Messages, index: pd.Index) -> pd.DataFrame:
    if not parts:
        frame = _empty_problems()
        frame["stage"] = pd.Series(dtype=object)
        return frame
    pos, codes, order = _sorted_codes(parts)
    sizes = [p.positions.size for p in parts]
    values = np.concatenate(
        [
            p.values if p.values is not None else np.full(k, None, dtype=object)
            for p, k in zip(parts, sizes, strict=True)
        ]
    )

    def per_part(attr: str) -> np.ndarray:
        return np.repeat(np.array([getattr(p, attr) for p in parts], dtype=object), sizes)[order]

    texts = np.asarray(messages.texts, dtype=object)
    return pd.DataFrame(
        {
            "row": index.take(pos).to_numpy(dtype=object),
            "position": pos.astype(np.int64),
            "item": per_part("item"),
            "value": values[order],
            "message": texts[codes],
            "status": per_part("status"),
            "stage": per_part("stage"),
        }
    )


def _strict_message(problems: pd.DataFrame, label: str) -> str:
    n = len(problems)
    rows = problems["position"].nunique()
    is_refusal = problems["item"].astype(str).str.startswith("refusals[").to_numpy()
    n_ref = int(is_refusal.sum())
    n_bad = n - n_ref
    what = []
    if n_bad:
        what.append(f"{n_bad} invalid value{'s' if n_bad != 1 else ''}")
    if n_ref:
        what.append(f"{n_ref} refusal{'s' if n_ref != 1 else ''} (no score)")
    lines = [
        f"{' and '.join(what)} in {rows} row{'s' if rows != 1 else ''} for {label} (strict mode):"
    ]
    for r, msg, ref in zip(
        problems["row"].iloc[:SHOWN_PROBLEMS],
        problems["message"].iloc[:SHOWN_PROBLEMS],
        is_refusal[:SHOWN_PROBLEMS],
        strict=True,
    ):
        lines.append(f"  row {r!r}: {'refused: ' if ref else ''}{msg}")
    if n > SHOWN_PROBLEMS:
        lines.append(f"  ... and {n - SHOWN_PROBLEMS} more (see the error's .problems DataFrame)")
    lines.append(
        "Fix these values, or score with strict=False to keep the rows with status 'invalid'."
    )
    return "\n".join(lines)


def _template_range(lo: float | None, hi: float | None, bands) -> tuple[float, float]:
    if bands:
        edges = [b.lower for b in bands if b.lower is not None] + [
            b.upper for b in bands if b.upper is not None
        ]
        b_lo, b_hi = min(edges), max(edges)
        span = max(b_hi - b_lo, 1.0)
        lo = b_lo - span / 4 if lo is None else lo
        hi = b_hi + span / 4 if hi is None else min(hi, b_hi + span)
    else:
        lo = 0.0 if lo is None else lo
        hi = lo + 100.0 if hi is None else hi
    return float(lo), float(max(hi, lo))


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x


def _matches(expected: Any, actual: Any, tol: float) -> bool:
    actual = _plain(actual)
    if expected is None:
        return actual is None or (isinstance(actual, float) and np.isnan(actual)) or actual is pd.NA
    if isinstance(expected, bool):
        return actual == expected
    if isinstance(expected, (int, float)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        if np.isnan(expected) or np.isnan(actual):
            return bool(np.isnan(expected) and np.isnan(actual))
        return abs(float(actual) - float(expected)) <= tol or actual == expected
    return actual == expected
