"""scikit-learn wrappers: use an instrument as a transformer or as a (fixed) classifier.

Neither estimator learns anything from the data: the instrument's rules are fixed by its spec.
``fit`` only compiles the instrument, checks that the data have the item columns it needs and
records ``feature_names_in_``; this lets instruments sit in ``Pipeline``\\ s, be scored by
``cross_val_score`` and be compared with fitted models on exactly the same folds.

Parameters are kept as given (an instrument id, a YAML path, an ``InstrumentSpec``, a dict or an
:class:`~assess.scoring.engine.Instrument`) and compiled in ``fit``, so ``clone`` works.

Rows the instrument cannot score (status ``invalid``) give NaN features, probabilities and
decision values; :meth:`InstrumentClassifier.predict` refuses to guess a class for them and
raises. Inspect them with ``Instrument.score(X).frame[["status", "reason"]]``.

Example
-------
>>> from sklearn.pipeline import make_pipeline                      # doctest: +SKIP
>>> from sklearn.linear_model import LogisticRegression              # doctest: +SKIP
>>> pipe = make_pipeline(InstrumentTransformer("rnr-general"), LogisticRegression())  # doctest: +SKIP
>>> cross_val_score(InstrumentClassifier("rnr-general"), X, y, scoring="roc_auc")    # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..spec.models import InstrumentSpec
from .engine import Instrument

__all__ = ["InstrumentClassifier", "InstrumentTransformer", "resolve_instrument"]

#: Named column groups for :class:`InstrumentTransformer`.
COLUMN_GROUPS = ("scales", "items", "derived", "models", "all")


def resolve_instrument(instrument: Any) -> Instrument:
    """Compile ``instrument`` (an :class:`Instrument`, ``InstrumentSpec``, dict, id or path)."""
    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, (InstrumentSpec, Mapping, str, os.PathLike)):
        return Instrument(instrument)
    raise TypeError(
        f"instrument must be an Instrument, an InstrumentSpec, a dict, an id or a path; got {type(instrument).__name__}"
    )


def _check_frame(X: Any, inst: Instrument, who: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{who} needs a pandas DataFrame with one column per item (named by item id), got "
            f"{type(X).__name__}; item columns are matched by name, never by position"
        )
    return X


def _group_columns(inst: Instrument, columns: str | Sequence[str]) -> list[str]:
    spec = inst.spec
    numeric = inst.numeric_output_columns
    if isinstance(columns, str):
        if columns == "scales":
            return [s.id for s in spec.scales]
        if columns == "items":
            return [f"{it.id}_points" for it in spec.items if it.is_scored]
        if columns == "derived":
            return [d.id for d in spec.derived]
        if columns == "models":
            model_cols = []
            for m in spec.models:
                if m.type == "additive":
                    model_cols.append(m.id)
                else:
                    model_cols += [f"{m.id}_lp"] + [f"{m.id}_p_{h.label}" for h in m.horizons]
            return model_cols
        if columns == "all":
            return numeric
        raise ValueError(
            f"columns={columns!r}: use one of {', '.join(COLUMN_GROUPS)} or a list of output column names"
        )
    chosen = list(columns)
    unknown = [c for c in chosen if c not in numeric]
    if unknown:
        raise ValueError(
            f"columns {unknown} are not numeric output columns of {inst.label} "
            f"(band, status and reason columns are labels); numeric columns: {', '.join(numeric)}"
        )
    return chosen


class InstrumentTransformer(TransformerMixin, BaseEstimator):
    """Transform item responses into instrument outputs (scales by default) as floats.

    Parameters
    ----------
    instrument:
        Instrument id (``"rnr-general"``), YAML path, ``InstrumentSpec``, dict or ``Instrument``.
    columns:
        ``"scales"`` (default), ``"items"`` (item points), ``"derived"``, ``"models"``, ``"all"``
        (every numeric output) or a list of output column names.
    strict:
        Passed to :meth:`Instrument.score`: raise on invalid values instead of giving NaN.

    Attributes (after ``fit``): ``instrument_``, ``columns_``, ``feature_names_in_``,
    ``n_features_in_``.
    """

    def __init__(
        self,
        instrument: Any = "rnr-general",
        columns: str | Sequence[str] = "scales",
        strict: bool = False,
    ):
        self.instrument = instrument
        self.columns = columns
        self.strict = strict

    def fit(self, X: pd.DataFrame, y: Any = None) -> InstrumentTransformer:
        """Compile the instrument and check that ``X`` has its item columns (nothing is learnt)."""
        inst = resolve_instrument(self.instrument)
        X = _check_frame(X, inst, type(self).__name__)
        from .inputs import check_columns

        check_columns(X, inst.compiled.required_items, inst.label)
        self.instrument_ = inst
        self.columns_ = _group_columns(inst, self.columns)
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The chosen output columns as a float array (NaN where a row cannot be scored)."""
        check_is_fitted(self, "instrument_")
        X = _check_frame(X, self.instrument_, type(self).__name__)
        frame = self.instrument_.score(X, strict=self.strict).frame
        return frame[self.columns_].to_numpy(dtype=np.float64, na_value=np.nan)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns, e.g. the scale ids."""
        check_is_fitted(self, "instrument_")
        return np.asarray(self.columns_, dtype=object)


class InstrumentClassifier(ClassifierMixin, BaseEstimator):
    """An instrument's probability model as a fixed binary classifier.

    Parameters
    ----------
    instrument:
        Instrument id, YAML path, ``InstrumentSpec``, dict or ``Instrument``.
    model:
        Id of the spec's model; default: its first logistic or survival model (else its first
        additive model, which gives scores but no probabilities).
    horizon:
        Horizon label for the probability (e.g. ``"2y"``); default: the model's first horizon.
    threshold:
        ``predict`` gives 1 when the probability (additive models: the score) is ``>= threshold``.
    strict:
        Passed to :meth:`Instrument.score`.

    ``classes_`` is ``[0, 1]``; ``predict_proba`` is ``[1 - p, p]`` with ``p`` the model's
    ``<model>_p_<horizon>``; ``decision_function`` is the linear predictor ``<model>_lp`` (the score
    ``<model>`` for additive models), monotone in ``p`` and so suitable for ranking metrics (AUC).
    """

    def __init__(
        self,
        instrument: Any = "rnr-general",
        model: str | None = None,
        horizon: str | None = None,
        threshold: float = 0.5,
        strict: bool = False,
    ):
        self.instrument = instrument
        self.model = model
        self.horizon = horizon
        self.threshold = threshold
        self.strict = strict

    def fit(self, X: pd.DataFrame, y: Any = None) -> InstrumentClassifier:
        """Compile the instrument, choose the model and horizon, check ``X`` and ``y`` (0/1)."""
        inst = resolve_instrument(self.instrument)
        X = _check_frame(X, inst, type(self).__name__)
        from .inputs import check_columns

        check_columns(X, inst.compiled.required_items, inst.label)
        models = {m.id: m for m in inst.spec.models}
        if not models:
            raise ValueError(f"{inst.label} defines no model; InstrumentClassifier needs one")
        if self.model is None:
            prob = [m for m in inst.spec.models if m.type != "additive"]
            chosen = prob[0] if prob else inst.spec.models[0]
        elif self.model in models:
            chosen = models[self.model]
        else:
            raise ValueError(
                f"{inst.label} has no model {self.model!r}; models: {', '.join(models)}"
            )
        if chosen.type == "additive":
            if self.horizon is not None:
                raise ValueError(f"model {chosen.id!r} is additive: it has no horizons")
            self.horizon_ = None
            self.proba_column_ = None
            self.decision_column_ = chosen.id
        else:
            labels = [h.label for h in chosen.horizons]
            horizon = labels[0] if self.horizon is None else self.horizon
            if horizon not in labels:
                raise ValueError(
                    f"model {chosen.id!r} has no horizon {horizon!r}; horizons: {', '.join(labels)}"
                )
            self.horizon_ = horizon
            self.proba_column_ = f"{chosen.id}_p_{horizon}"
            self.decision_column_ = f"{chosen.id}_lp"
        if y is not None:
            values = pd.unique(pd.Series(np.asarray(y).ravel()).dropna())
            if not set(values.tolist()) <= {0, 1}:
                raise ValueError(
                    f"y must hold 0/1 outcomes (or booleans), got values {sorted(map(str, values))[:10]}"
                )
            if len(np.asarray(y).ravel()) != len(X):
                raise ValueError(f"X has {len(X)} rows but y has {len(np.asarray(y).ravel())}")
        self.instrument_ = inst
        self.model_ = chosen.id
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "instrument_")
        X = _check_frame(X, self.instrument_, type(self).__name__)
        return self.instrument_.score(X, strict=self.strict).frame

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[1 - p, p]`` per row (NaN for rows the instrument cannot score)."""
        check_is_fitted(self, "instrument_")
        if self.proba_column_ is None:
            raise AttributeError(
                f"model {self.model_!r} is additive: it gives scores, not probabilities"
            )
        p = self._frame(X)[self.proba_column_].to_numpy(dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The model's linear predictor (additive models: its score); NaN where undefined."""
        return self._frame(X)[self.decision_column_].to_numpy(dtype=np.float64)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the probability (or additive score) is at least ``threshold``, else 0.

        Raises ``ValueError`` if any row cannot be scored, rather than guessing its class.
        """
        frame = self._frame(X)
        column = self.proba_column_ or self.decision_column_
        values = frame[column].to_numpy(dtype=np.float64)
        bad = np.isnan(values)
        if bad.any():
            first = np.flatnonzero(bad)[:3]
            shown = "; ".join(f"row {frame.index[i]!r}: {frame['reason'].iloc[i]}" for i in first)
            raise ValueError(
                f"{int(bad.sum())} of {len(values)} rows cannot be scored, so no class can be predicted ({shown})"
            )
        return (values >= self.threshold).astype(np.int64)
