"""Scores from probabilities, per-class tables, tidy rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.metrics import ROW_COLUMNS, class_rows, confusion_long, per_class, rows, score


def test_scores_from_probabilities():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    assert score("accuracy", y, proba) == 0.75
    assert score("recall_macro", y, proba) == pytest.approx((1 + 1 + 0.5) / 3)
    assert score("f1_macro", y, proba) == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert score("roc_auc_ovr", y, proba) > 0.5
    assert score("neg_log_loss", y, proba) < 0


def test_per_class_and_confusion_by_class_name():
    y, pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    table = per_class(y, pred, ["cat", "dog"])
    assert table["class"].tolist() == ["cat", "dog"]
    assert table["recall"].tolist() == [0.5, 1.0] and table["support"].tolist() == [2, 2]
    assert confusion_long(y, pred, ["cat", "dog"]).values.tolist() == [
        ["cat", "cat"], ["cat", "dog"], ["dog", "dog"], ["dog", "dog"]]


def test_a_class_never_seen_still_has_its_row():
    table = per_class(np.array([0, 0]), np.array([0, 0]), ["a", "b", "c"])
    assert table["class"].tolist() == ["a", "b", "c"] and table["support"].tolist() == [2, 0, 0]


def test_confusion_keeps_codes_without_names():
    frame = confusion_long(np.array([True, False]), np.array([True, True]), None)
    assert frame.values.tolist() == [[1, 1], [0, 1]]


def test_class_rows_name_the_model_and_class():
    table = per_class(np.array([0, 1, 1]), np.array([0, 1, 0]), ["a", "b"])
    frame = class_rows("p", "multiclass", "keras_mlp", table)
    assert list(frame.columns) == ROW_COLUMNS
    assert frame[["model", "split", "metric"]].values.tolist() == [
        ["keras_mlp:a", "test", "precision"], ["keras_mlp:a", "test", "recall"],
        ["keras_mlp:a", "test", "f1"], ["keras_mlp:b", "test", "precision"],
        ["keras_mlp:b", "test", "recall"], ["keras_mlp:b", "test", "f1"]]
    assert frame["value"].tolist() == pytest.approx([0.5, 1.0, 2 / 3, 1.0, 0.5, 2 / 3])


def test_rows_columns():
    frame = rows("p", "t", "m", "test", {"accuracy": 1})
    assert list(frame.columns) == ["project", "task", "model", "split", "metric", "value", "std"]
    assert isinstance(frame, pd.DataFrame)
