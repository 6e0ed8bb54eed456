"""scikit-learn wrappers: clone, pipelines, cross-validation, set_output, sanity checks."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scoring_helpers import make_spec, ordinal, scale
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from assess.scoring import Instrument, InstrumentClassifier, InstrumentTransformer


def small_spec():
    return make_spec(
        [ordinal(f"q{k}") for k in range(4)],
        scales=[scale("a", ["q0", "q1"]), scale("b", ["q2", "q3"]), scale("total", ["a", "b"])],
        models=[
            {"type": "additive", "id": "pts", "terms": [{"ref": "total", "coefficient": 1}]},
            {
                "type": "logistic",
                "id": "risk",
                "terms": [{"ref": "total", "coefficient": 0.6}],
                "horizons": [
                    {"label": "1y", "time": 1, "intercept": -3},
                    {"label": "2y", "time": 2, "intercept": -2},
                ],
            },
        ],
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n = 300
    X = pd.DataFrame({f"q{k}": rng.integers(0, 3, n) for k in range(4)})
    X["person_id"] = [f"p{k}" for k in range(n)]
    total = X[[f"q{k}" for k in range(4)]].sum(axis=1).to_numpy()
    y = (rng.random(n) < expit(-3 + 0.6 * total)).astype(int)
    return X, y


@pytest.mark.parametrize(
    "instrument", [small_spec(), Instrument(small_spec()), small_spec().model_dump(mode="json")]
)
def test_transformer_fit_transform_and_names(data, instrument):
    X, _ = data
    tr = InstrumentTransformer(instrument)
    out = tr.fit(X).transform(X)
    assert out.dtype == np.float64 and out.shape == (len(X), 3)
    assert list(tr.get_feature_names_out()) == ["a", "b", "total"]
    assert list(tr.feature_names_in_) == list(X.columns) and tr.n_features_in_ == X.shape[1]
    frame = Instrument(small_spec()).score(X).frame
    np.testing.assert_array_equal(out, frame[["a", "b", "total"]].to_numpy())


def test_transformer_column_choices(data):
    X, _ = data
    spec = small_spec()
    assert InstrumentTransformer(spec, columns="items").fit(X).transform(X).shape[1] == 4
    assert list(InstrumentTransformer(spec, columns="models").fit(X).get_feature_names_out()) == [
        "pts",
        "risk_lp",
        "risk_p_1y",
        "risk_p_2y",
    ]
    assert list(
        InstrumentTransformer(spec, columns=["total", "risk_p_2y"]).fit(X).get_feature_names_out()
    ) == ["total", "risk_p_2y"]
    with pytest.raises(ValueError, match="labels"):
        InstrumentTransformer(spec, columns=["status"]).fit(X)
    with pytest.raises(ValueError, match="use one of"):
        InstrumentTransformer(spec, columns="everything").fit(X)


def test_set_output_pandas_keeps_index(data):
    X, _ = data
    X2 = X.set_index("person_id")
    tr = InstrumentTransformer(small_spec()).set_output(transform="pandas")
    out = tr.fit_transform(X2)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b", "total"]
    assert out.index.equals(X2.index)


def test_clone_get_set_params_pickle(data):
    X, y = data
    for est in (
        InstrumentTransformer(small_spec(), columns="scales"),
        InstrumentClassifier(small_spec(), horizon="2y"),
    ):
        params = est.get_params()
        c = clone(est)
        assert c.get_params().keys() == params.keys()
        assert type(c) is type(est) and not hasattr(c, "instrument_")
        c.set_params(strict=True)
        assert c.strict is True
        fitted = est.fit(X, y)
        assert fitted is est
        again = pickle.loads(pickle.dumps(fitted))
        np.testing.assert_array_equal(
            getattr(again, "transform", getattr(again, "predict_proba", None))(X),
            getattr(fitted, "transform", getattr(fitted, "predict_proba", None))(X),
        )
        assert "Instrument" in repr(est)


def test_not_fitted_and_bad_input(data):
    X, y = data
    with pytest.raises(NotFittedError):
        InstrumentTransformer(small_spec()).transform(X)
    with pytest.raises(NotFittedError):
        InstrumentClassifier(small_spec()).predict_proba(X)
    with pytest.raises(TypeError, match="matched by name"):
        InstrumentTransformer(small_spec()).fit(X.to_numpy())
    with pytest.raises(KeyError, match="q0"):
        InstrumentTransformer(small_spec()).fit(X.drop(columns="q0"))
    with pytest.raises(ValueError, match="0/1"):
        InstrumentClassifier(small_spec()).fit(X, y + 1)
    with pytest.raises(ValueError, match="no horizon '5y'"):
        InstrumentClassifier(small_spec(), horizon="5y").fit(X, y)
    with pytest.raises(ValueError, match="no model 'nope'"):
        InstrumentClassifier(small_spec(), model="nope").fit(X, y)


def test_classifier_outputs(data):
    X, y = data
    clf = InstrumentClassifier(small_spec(), horizon="2y", threshold=0.3).fit(X, y)
    assert clf.classes_.tolist() == [0, 1] and clf.model_ == "risk"
    total = X[[f"q{k}" for k in range(4)]].sum(axis=1).to_numpy()
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], expit(-2 + 0.6 * total), rtol=1e-14)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.decision_function(X), 0.6 * total)
    np.testing.assert_array_equal(clf.predict(X), (expit(-2 + 0.6 * total) >= 0.3).astype(int))
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    additive = InstrumentClassifier(small_spec(), model="pts", threshold=4).fit(X, y)
    np.testing.assert_array_equal(additive.predict(X), (total >= 4).astype(int))
    with pytest.raises(AttributeError, match="additive"):
        additive.predict_proba(X)


def test_classifier_refuses_to_guess_invalid_rows(data):
    X, y = data
    bad = X.copy().astype({"q0": object})
    bad.loc[3, "q0"] = "2"
    clf = InstrumentClassifier(small_spec()).fit(X, y)
    assert np.isnan(clf.predict_proba(bad)[3]).all()
    with pytest.raises(
        ValueError, match=r"1 of 300 rows cannot be scored.*row 3: item 'q0': invalid value '2'"
    ):
        clf.predict(bad)


def test_pipeline_and_cross_val_score(data):
    X, y = data
    pipe = Pipeline(
        [
            ("scales", InstrumentTransformer(small_spec())),
            ("std", StandardScaler()),
            ("lr", LogisticRegression()),
        ]
    )
    cv = KFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="roc_auc")
    assert scores.shape == (5,) and np.all((scores > 0.4) & (scores <= 1))
    fixed = cross_val_score(InstrumentClassifier(small_spec()), X, y, cv=cv, scoring="roc_auc")
    # the fixed classifier's AUC on each fold equals roc_auc_score on its linear predictor
    for (_, test), got in zip(cv.split(X), fixed, strict=True):
        total = X.iloc[test][[f"q{k}" for k in range(4)]].sum(axis=1)
        assert got == pytest.approx(roc_auc_score(y[test], total))


@pytest.mark.parametrize(
    "check",
    [
        "check_no_attributes_set_in_init",
        "check_get_params_invariance",
        "check_set_params",
        "check_parameters_default_constructible",
        "check_estimator_cloneable",
        "check_do_not_raise_errors_in_init_or_set_params",
    ],
)
@pytest.mark.parametrize(
    "est", [InstrumentTransformer(), InstrumentClassifier()], ids=["transformer", "classifier"]
)
def test_sklearn_api_checks_that_need_no_numpy_data(check, est):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)(type(est).__name__, est)
