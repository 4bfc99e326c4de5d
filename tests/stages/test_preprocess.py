"""preprocess: one transformer fitted on the training part only, label encodings, class
names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.features import decode_labels
from dlpipe.stages.preprocess import preprocess
from support import feature_params

NAMES = ["Iris setosa", "Iris versicolor", "Iris virginica"]


def named(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its integer labels turned into a Categorical of class names."""
    return frame.assign(target=pd.Categorical.from_codes(frame["target"], NAMES))


def test_the_transformer_sees_only_the_training_part(three_class_frame):
    train, test = three_class_frame.iloc[:45], three_class_frame.iloc[45:].copy()
    test["a"] += 1000.0  # a test-only shift must not move the fitted scaling
    out = preprocess(train, test, feature_params(scaler="standard", label_encoding="integer"))
    processed_train, processed_test, names = out["train"], out["test"], out["names"]
    scaler = out["transformer"].named_steps["columns"].named_transformers_["numeric"][-1]
    assert scaler.mean_[0] == pytest.approx(train["a"].mean())
    assert processed_train["a"].mean() == pytest.approx(0.0, abs=1e-6)
    assert processed_test["a"].min() > 100
    assert names == {"columns": ["a", "b"], "classes": ["0", "1", "2"]}


def test_onehot_labels_round_trip_with_class_names(three_class_frame):
    frame = named(three_class_frame)
    out = preprocess(frame, frame, feature_params(scaler="minmax", label_encoding="onehot"))
    processed, names = out["train"], out["names"]
    assert list(processed.columns) == ["a", "b", "y_0", "y_1", "y_2"]
    X, y = decode_labels(processed)
    assert X.shape == (60, 2) and X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(y, three_class_frame["target"].to_numpy())
    assert names["classes"] == NAMES


def test_pixel_scaling_is_fixed(three_class_frame):
    frame = three_class_frame.assign(a=255.0, b=51.0)
    processed = preprocess(frame, frame, feature_params(scaler="pixel",
                                                        label_encoding="integer"))["train"]
    assert processed["a"].unique().tolist() == [1.0]
    assert processed["b"].unique().tolist() == pytest.approx([0.2])


def test_imputation_and_categories_come_from_the_training_part(three_class_frame):
    frame = named(three_class_frame).assign(colour=["red", "blue"] * 30)
    train, test = frame.iloc[:45].copy(), frame.iloc[45:].copy().reset_index(drop=True)
    train.loc[3, "a"] = np.nan
    test.loc[0, "a"] = np.nan
    test.loc[1, "colour"] = "green"  # a colour only the test part has
    test.loc[2, "colour"] = None
    out = preprocess(train, test, feature_params(scaler="none", label_encoding="integer"))
    processed = out["test"]
    assert list(processed.columns) == ["a", "b", "colour_blue", "colour_red", "y"]
    assert processed.loc[0, "a"] == pytest.approx(train["a"].median())
    assert processed.loc[1, ["colour_blue", "colour_red"]].tolist() == [0.0, 0.0]
    assert processed.loc[2, ["colour_blue", "colour_red"]].sum() == 1.0  # most frequent
    assert processed["y"].tolist() == test["target"].cat.codes.tolist()


def test_a_row_without_a_class_is_refused(three_class_frame):
    names = ["setosa", "versicolor", "virginica"]
    target = pd.Categorical.from_codes(three_class_frame["target"], names)
    frame = three_class_frame.assign(target=target)
    frame.loc[3, "target"] = None  # code -1: a row that belongs to no class
    with pytest.raises(DataError, match=r"labels must be codes 0\.\.2 of the classes"):
        preprocess(frame, frame, feature_params())


def test_a_numeric_target_passes_through_as_its_values():
    from dlpipe.frames import with_target

    raw = pd.DataFrame({"a": np.arange(10.0), "colour": ["red", "blue"] * 5,
                        "price": np.linspace(1.5, 99.0, 10)})
    table = with_target(raw, "price", "t.csv", values=True)
    out = preprocess(table.iloc[:8], table.iloc[8:], feature_params(scaler="standard"))
    assert out["names"]["classes"] == []
    assert out["train"]["y"].dtype == np.float64 and "y_0" not in out["train"]
    X, y = decode_labels(out["test"])
    assert X.dtype == np.float32 and y.tolist() == table["target"].iloc[8:].tolist()
