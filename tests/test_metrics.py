"""Scores from probabilities, per-class tables, tidy rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.metrics import confusion_long, per_class, rows, score


def test_scores_from_probabilities():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    assert score("accuracy", y, proba) == 0.75
    assert score("recall_macro", y, proba) == pytest.approx((1 + 1 + 0.5) / 3)
    assert score("f1_macro", y, proba) == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert score("roc_auc_ovr", y, proba) > 0.5
    assert score("neg_log_loss", y, proba) < 0


def test_per_class_and_confusion():
    y, pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    table = per_class(y, pred, 2)
    assert table["recall"].tolist() == [0.5, 1.0] and table["support"].tolist() == [2, 2]
    assert confusion_long(y, pred).values.tolist() == [[0, 0], [0, 1], [1, 1], [1, 1]]


def test_rows_columns():
    frame = rows("p", "t", "m", "test", {"accuracy": 1})
    assert list(frame.columns) == ["project", "task", "model", "split", "metric", "value", "std"]
    assert isinstance(frame, pd.DataFrame)
