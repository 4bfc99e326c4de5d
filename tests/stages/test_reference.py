"""reference: a seeded sample of the training rows (the model's inputs only, categories as text),
the model's outputs on the test part and the training part's standard deviations; the report
it feeds names the one column shifted by half a standard deviation in 1000 rows, and flags
nothing in an i.i.d. sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.params import DriftParams, KerasModel
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.inference import Bundle
from dlpipe.insight.drift import OUTPUTS, ROWS, SUMMARY, drift_report
from dlpipe.stages.preprocess import preprocess
from dlpipe.stages.reference import reference
from dlpipe.stages.train import schema_of
from support import feature_params, repo_params

NAMES = ["low", "mid", "high"]
PARAMS = DriftParams(alpha=0.05, reference_rows=1500, bins=10, window_rows=1000, min_rows=30)


def softmax(width: int):
    """A fitted network stand-in, a real Keras model (the stage traces it): the class follows
    the first feature (``a`` scaled); the others weigh nothing."""
    import keras

    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(3, activation="softmax")])
    weights = np.zeros((width, 3), dtype=np.float32)
    weights[0] = [-4.0, 0.0, 4.0]
    model.layers[0].set_weights([weights, np.zeros(3, dtype=np.float32)])
    return model


def rows(n: int, seed: int) -> pd.DataFrame:
    """``a`` carries the class, ``b`` is noise with missing values, ``colour`` a category."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    b = rng.normal(5.0, 2.0, n)
    b[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"a": y + rng.normal(0.0, 0.7, n), "b": b,
                         "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
                         "target": pd.Categorical.from_codes(y, NAMES)})


@pytest.fixture(scope="module")
def made():
    train, test = rows(2000, seed=0), rows(600, seed=1)
    processed = preprocess(train, test, feature_params(label_encoding="integer"))
    width = processed["test"].shape[1] - 1
    spec = KerasModel.model_validate(repo_params()["defaults"]["model"])
    schema = schema_of("toy", train, processed["transformer"], NAMES, "target", width, spec)
    bundle = {bundle_files.MODEL: softmax(width), bundle_files.TRANSFORMER: processed["transformer"],
              bundle_files.SCHEMA: schema.to_dict()}
    out = reference(train, test, bundle, seed=3, drift=PARAMS, project="toy")
    return out["reference"], Bundle.from_outputs("toy", bundle), train, test


def test_a_seeded_sample_of_the_training_inputs(made):
    files, bundle, train, test = made
    assert set(files) == {ROWS, OUTPUTS, SUMMARY}
    sample = files[ROWS]
    assert list(sample.columns) == ["a", "b", "colour"] and len(sample) == 1500
    assert set(sample["a"]) <= set(train["a"]) and sample["a"].nunique() == 1500
    again = reference(train, test, {bundle_files.MODEL: bundle.model,
                                    bundle_files.TRANSFORMER: bundle.transformer,
                                    bundle_files.SCHEMA: bundle.schema.to_dict()},
                      seed=3, drift=PARAMS, project="toy")["reference"]
    pd.testing.assert_frame_equal(again[ROWS], sample)
    other = reference(train, test, {bundle_files.MODEL: bundle.model,
                                    bundle_files.TRANSFORMER: bundle.transformer,
                                    bundle_files.SCHEMA: bundle.schema.to_dict()},
                      seed=4, drift=PARAMS, project="toy")["reference"]
    assert not other[ROWS]["a"].equals(sample["a"])
    assert sample["colour"].map(type).eq(str).all()


def test_the_model_outputs_on_the_test_part_and_the_training_std(made):
    files, bundle, train, test = made
    proba = bundle.probabilities(test)
    assert np.allclose(files[OUTPUTS]["confidence"], proba.max(axis=1))
    assert files[OUTPUTS]["predicted"].tolist() == [NAMES[k] for k in proba.argmax(axis=1)]
    assert files[OUTPUTS]["actual"].tolist() == test["target"].astype(str).tolist()
    assert np.allclose(files[OUTPUTS]["predicted_probability"], proba.max(axis=1))  # argmax
    summary = files[SUMMARY]
    assert summary["std"] == pytest.approx({"a": train["a"].std(), "b": train["b"].std()})
    assert (summary["rows"], summary["train_rows"], summary["test_rows"]) == (1500, 2000, 600)


def test_fewer_training_rows_than_asked_keeps_them_all(made):
    _, bundle, train, test = made
    few = reference(train.head(40), test, {bundle_files.MODEL: bundle.model,
                                           bundle_files.TRANSFORMER: bundle.transformer,
                                           bundle_files.SCHEMA: bundle.schema.to_dict()},
                    seed=0, drift=PARAMS, project="toy")["reference"]
    assert sorted(few[ROWS]["a"]) == sorted(train["a"].head(40))


def test_a_half_std_shift_of_one_column_is_named_and_an_iid_sample_passes(made):
    files, bundle, train, _ = made
    same = drift_report(bundle, files, rows(1000, seed=5), PARAMS)
    assert same["drift"] is False and same["drifted"] == []
    assert same["tests"] == 6  # a, b, b's missing fraction, colour, confidence, predicted
    shifted = rows(1000, seed=5)
    shifted["b"] += 0.5 * train["b"].std()
    found = drift_report(bundle, files, shifted, PARAMS)
    assert found["drift"] is True and found["drifted"] == ["b"]  # b weighs nothing
    effect = {r["column"]: r["effect"] for r in found["results"] if r["test"] == "ks"}
    assert effect["b"] == pytest.approx(0.5, abs=0.1)


def test_a_shift_of_the_informative_column_moves_the_outputs_too(made):
    files, bundle, train, _ = made
    shifted = rows(1000, seed=6)
    shifted["a"] += 1.0 * train["a"].std()
    found = drift_report(bundle, files, shifted, PARAMS)
    assert {"a", "(predicted class)"} <= set(found["drifted"])
    assert "b" not in found["drifted"] and "colour" not in found["drifted"]


def test_a_category_shift_and_more_missing_values_are_found(made):
    files, bundle, _, _ = made
    new = rows(1000, seed=7)
    new["colour"] = np.random.default_rng(8).choice(["red", "green", "blue"], 1000,
                                                    p=[0.3, 0.3, 0.4])
    assert drift_report(bundle, files, new, PARAMS)["drifted"] == ["colour"]
    new = rows(1000, seed=7)
    new.loc[new.index[:300], "b"] = np.nan
    found = drift_report(bundle, files, new, PARAMS)
    assert [(r["column"], r["test"]) for r in found["results"] if r["drifted"]] == [
        ("b", "missing")]


def test_a_numeric_target_s_reference_keeps_its_predicted_values(diabetes_bundle):
    _, out, train, test = diabetes_bundle
    files = reference(train, test, out["bundle"], seed=0, drift=PARAMS,
                      project="diabetes")["reference"]
    bundle = Bundle.from_outputs("diabetes", out["bundle"])
    predicted = bundle.probabilities(test.drop(columns="target"))[:, 0]
    assert list(files[OUTPUTS].columns) == ["value", "actual"]
    np.testing.assert_allclose(files[OUTPUTS]["value"], predicted)
    np.testing.assert_array_equal(files[OUTPUTS]["actual"], test["target"])
    same = drift_report(bundle, files, test.drop(columns="target"), PARAMS)
    assert not same["drift"] and "(predicted value)" in [r["column"] for r in same["results"]]
    heavier = test.drop(columns="target").assign(bmi=lambda t: t["bmi"] + 0.08)
    found = drift_report(bundle, files, heavier, PARAMS)
    assert "bmi" in found["drifted"] and "(predicted value)" in found["drifted"]
