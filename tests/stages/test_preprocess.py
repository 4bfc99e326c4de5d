"""preprocess: scaling fitted on the training part only, label encodings."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.features import decode_labels
from dlpipe.params import FeatureParams
from dlpipe.stages.preprocess import preprocess


def test_scaler_sees_only_the_training_part(three_class_frame):
    train, test = three_class_frame.iloc[:45], three_class_frame.iloc[45:].copy()
    test["a"] += 1000.0  # a test-only shift must not move the fitted scaling
    out = preprocess(train, test, FeatureParams(scaler="standard", label_encoding="integer"))
    processed_train, processed_test, state = out["train"], out["test"], out["transformer"]
    assert state["scaler"].mean_[0] == pytest.approx(train["a"].mean())
    assert processed_train["a"].mean() == pytest.approx(0.0, abs=1e-6)
    assert processed_test["a"].min() > 100


def test_onehot_labels_round_trip(three_class_frame):
    out = preprocess(three_class_frame, three_class_frame,
                     FeatureParams(scaler="minmax", label_encoding="onehot"))
    processed, state = out["train"], out["transformer"]
    assert [c for c in processed.columns if c.startswith("y_")] == ["y_0", "y_1", "y_2"]
    X, y = decode_labels(processed)
    assert X.shape == (60, 2) and X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(y, three_class_frame["target"].to_numpy())
    assert state["n_classes"] == 3


def test_pixel_scaling_is_fixed(three_class_frame):
    frame = three_class_frame.assign(a=255.0, b=51.0)
    processed = preprocess(frame, frame, FeatureParams(scaler="pixel",
                                                       label_encoding="integer"))["train"]
    assert processed["a"].unique().tolist() == [1.0]
    assert processed["b"].unique().tolist() == pytest.approx([0.2])
