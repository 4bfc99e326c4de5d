"""The compiled predictor answers as the bundle does: the same labels and probabilities within
TOLERANCE, for every shape of bundle (two classes, many, a numeric target, categories with
missing values, dates, text, a scikit-learn family); it says which path it took; it refuses
what the bundle refuses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from dlpipe.bundle.compiled import TOLERANCE, compile_bundle
from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import Bundle
from dlpipe.errors import InputError
from dlpipe.frames import with_target
from dlpipe.row_columns import RowColumns
from pets import PROJECT, TARGET
from support import feature_params, keras_loaded, train_bundle

pytest.importorskip("dlpipe.models.network")


def same_answers(bundle: Bundle, frame: pd.DataFrame):
    """Assert the compiled predictor's answers equal the bundle's on ``frame``; the compiled
    predictor."""
    compiled = compile_bundle(bundle)
    expected, got = bundle.predict_proba(frame), compiled.predict_proba(frame)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= TOLERANCE * max(1.0, np.abs(expected).max())
    if bundle.classes:
        assert list(bundle.label_names(got)) == list(bundle.label_names(expected))
    for k in range(min(3, len(frame))):  # a single row, as the server mostly sees them
        one = frame.iloc[[k]]
        assert np.max(np.abs(compiled.predict_proba(one) - bundle.predict_proba(one))) <= \
            TOLERANCE * max(1.0, np.abs(expected).max())
    return compiled


def dated_rows(n: int, seed: int) -> pd.DataFrame:
    """Two classes shown by a number, a category with missing values and a date's month."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    when = when.where(~((y == 1) & (rng.random(n) < 0.5)), when + pd.DateOffset(months=6))
    size = np.round(y * 1.5 + rng.normal(0, 0.5, n), 2)
    size[rng.random(n) < 0.1] = np.nan
    shade = np.where(y == 0, "light", "dark").astype(object)
    shade[rng.random(n) < 0.15] = None
    return pd.DataFrame({"size": size, "shade": shade,
                         "when": when.strftime("%Y-%m-%d").to_numpy(dtype=object),
                         "answer": np.array(["no", "yes"])[y]})


def noted_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    words = np.array([["dull grey stone", "quiet grey day"], ["bright red fire", "loud red sun"]])
    note = words[y, rng.integers(0, 2, n)].astype(object)
    return pd.DataFrame({"note": note, "weight": rng.normal(0, 1, n) + y,
                         "answer": np.array(["no", "yes"])[y]})


def fitted(rows: pd.DataFrame, project: str, features, **model) -> Bundle:
    table = with_target(rows, "answer", f"{project}.csv")
    train_part, test_part = table.iloc[:60].reset_index(drop=True), table.iloc[60:].reset_index(
        drop=True)
    out = train_bundle(train_part, test_part, features, "answer", project, units=8, epochs=3,
                       patience=1, learning_rate=0.05, **model)
    return as_graph(Bundle.from_outputs(project, out))


@pytest.fixture(scope="module")
def dated() -> Bundle:
    return fitted(dated_rows(80, seed=0), "dated",
                  feature_params(scaler="minmax", datetime=["when"]), n_layers=2,
                  activation="tanh", batch_norm=True, dropout=0.2)


def test_many_classes_with_categories_and_missing_values(trained, rows):
    bundle = as_graph(keras_loaded(PROJECT, trained.root))
    frame = rows.drop(columns=[TARGET]).assign(size=[np.nan] + rows["size"].tolist()[1:])
    compiled = same_answers(bundle, frame)
    assert compiled.fully_compiled and compiled.path == "transformer: numpy; model: numpy"


def test_a_category_training_never_saw_is_refused_as_the_bundle_refuses_it(trained, rows):
    bundle = keras_loaded(PROJECT, trained.root)
    frame = rows.drop(columns=[TARGET]).assign(colour="purple")
    with pytest.raises(InputError) as expected:
        bundle.predict_proba(frame)
    with pytest.raises(InputError) as got:
        compile_bundle(bundle).predict_proba(frame)
    assert got.value.problems == expected.value.problems


def test_the_test_parts_rows_with_unseen_categories_are_all_zeros_as_in_the_bundle(trained):
    bundle = keras_loaded(PROJECT, trained.root)
    frame = trained.test.drop(columns=["target"]).assign(coat=["velvet", *trained.test["coat"][1:]])
    compiled = compile_bundle(bundle)
    assert np.array_equal(compiled.features(frame), bundle.features(frame))


def test_two_classes_with_a_date_batch_norm_and_dropout(dated):
    frame = dated_rows(30, seed=5).drop(columns=["answer"])
    compiled = same_answers(dated, frame)
    assert compiled.transformer_path.startswith("numpy, datetime:when by scikit-learn")
    assert compiled.network_path == "numpy"


def test_a_numeric_target(diabetes_bundle):
    root, _, _, test_part = diabetes_bundle
    bundle = as_graph(keras_loaded("diabetes", root))
    frame = test_part.drop(columns=["target"])
    compiled = same_answers(bundle, frame)
    assert compiled.fully_compiled and compiled.plain_numbers(frame) is not None
    rows = RowColumns({name: frame[name].to_numpy() for name in frame.columns})
    np.testing.assert_array_equal(compiled.plain_numbers(rows), compiled.plain_numbers(frame))
    np.testing.assert_array_equal(compiled.predict_proba(rows), compiled.predict_proba(frame))


def test_numeric_rows_that_need_the_check_take_it(diabetes_bundle):
    root, _, _, test_part = diabetes_bundle
    bundle = keras_loaded("diabetes", root)
    compiled = compile_bundle(bundle)
    frame = test_part.drop(columns=["target"]).head(4)
    as_text = frame.astype({"bmi": str})  # numbers as text: read as numbers by the check
    assert compiled.plain_numbers(as_text) is None
    same_answers(bundle, as_text)
    reordered = frame[frame.columns[::-1]]
    assert compiled.plain_numbers(reordered) is None
    same_answers(bundle, reordered)
    for bad in (frame.assign(bmi=[np.nan, 0.1, 0.2, 0.3]),  # training had no missing bmi
                frame.assign(bmi=["tall", "0.1", "0.2", "0.3"]), frame.drop(columns=["age"])):
        with pytest.raises(InputError) as expected:
            bundle.predict_proba(bad)
        with pytest.raises(InputError) as got:
            compiled.predict_proba(bad)
        assert got.value.problems == expected.value.problems
        columns = RowColumns({name: bad[name].to_numpy() for name in bad.columns})
        assert compiled.plain_numbers(columns) is None
        with pytest.raises(InputError) as got:
            compiled.predict_proba(columns)
        assert got.value.problems == expected.value.problems


def test_text_runs_its_fitted_step():
    bundle = fitted(noted_rows(80, seed=1), "noted", feature_params(text=["note"]),
                    activation="sigmoid")
    compiled = same_answers(bundle, noted_rows(20, seed=2).drop(columns=["answer"]))
    assert compiled.transformer_path == "numpy, text:note by scikit-learn"
    assert compiled.network_path == "numpy"


def test_a_scikit_learn_family_runs_its_estimator(trained, rows):
    network = keras_loaded(PROJECT, trained.root)
    X = network.features(trained.train.drop(columns=["target"]))
    estimator = LogisticRegression(max_iter=200).fit(X, trained.train["target"].cat.codes)
    bundle = dataclasses.replace(network, model=estimator, family="linear",
                                 family_model="logistic")
    compiled = same_answers(bundle, rows.drop(columns=[TARGET]))
    assert compiled.path == "transformer: numpy; model: scikit-learn logistic"


def test_a_layer_it_does_not_know_keeps_the_network(dated):
    import keras

    inner = getattr(dated.model, "model", dated.model)  # the Graph's network, or the network
    odd = keras.Sequential([keras.Input(shape=(inner.input_shape[-1],)), *inner.layers[:-1],
                            keras.layers.LayerNormalization(), inner.layers[-1]])
    bundle = dataclasses.replace(dated, model=odd)
    compiled = same_answers(bundle, dated_rows(10, seed=6).drop(columns=["answer"]))
    assert compiled.network_path == "Keras"
    assert any("LayerNormalization" in note for note in compiled.notes)


def test_no_rows_no_outputs(dated):
    empty = dated_rows(3, seed=1).drop(columns=["answer"]).head(0)
    assert compile_bundle(dated).predict_proba(empty).shape == (0, 2)
