"""Scores from probabilities, per-class tables, score rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.metrics import (ARGMAX, SCORE_COLUMNS, Decision, class_rows, confusion_long,
                            decision_for, decision_rows, per_class, score, score_rows, scores,
                            task_of)


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
    assert list(frame.columns) == SCORE_COLUMNS
    assert frame[["model", "split", "metric"]].values.tolist() == [
        ["keras_mlp:a", "test", "precision"], ["keras_mlp:a", "test", "recall"],
        ["keras_mlp:a", "test", "f1"], ["keras_mlp:b", "test", "precision"],
        ["keras_mlp:b", "test", "recall"], ["keras_mlp:b", "test", "f1"]]
    assert frame["value"].tolist() == pytest.approx([0.5, 1.0, 2 / 3, 1.0, 0.5, 2 / 3])


def test_rows_columns():
    frame = score_rows("p", "t", "m", "test", {"accuracy": 1})
    assert list(frame.columns) == ["project", "task", "model", "split", "metric", "value", "std"]
    assert isinstance(frame, pd.DataFrame)


# --- two classes ----------------------------------------------------------------------------------
TWO = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8], [0.55, 0.45]])
Y_TWO = np.array([0, 1, 1, 1, 0])


def test_two_class_probabilities_score_like_scikit_learn():
    from sklearn import metrics as skm

    decision = Decision(positive=1, threshold=0.5)
    assert score("roc_auc_ovr", Y_TWO, TWO) == skm.roc_auc_score(Y_TWO, TWO[:, 1])
    assert score("roc_auc", Y_TWO, TWO, decision) == skm.roc_auc_score(Y_TWO, TWO[:, 1])
    assert score("average_precision", Y_TWO, TWO, decision) == pytest.approx(
        skm.average_precision_score(Y_TWO, TWO[:, 1]))
    assert score("f1", Y_TWO, TWO, decision) == skm.f1_score(Y_TWO, [0, 1, 0, 1, 0])
    assert score("neg_log_loss", Y_TWO, TWO) == -skm.log_loss(Y_TWO, TWO)


def test_the_positive_class_can_be_the_first_code():
    """'recall' is about the named class: class 0 found in both of its rows."""
    decision = Decision(positive=0, threshold=0.5)
    assert score("recall", Y_TWO, TWO, decision) == 1.0
    assert score("precision", Y_TWO, TWO, decision) == pytest.approx(2 / 3)
    assert score("roc_auc", Y_TWO, TWO, decision) == pytest.approx(
        score("roc_auc", Y_TWO, TWO, Decision(1, 0.5)))


def test_the_threshold_decides_the_label():
    assert Decision(1, 0.5).labels(TWO).tolist() == [0, 1, 0, 1, 0]
    assert Decision(1, 0.3).labels(TWO).tolist() == [0, 1, 1, 1, 1]
    assert Decision(1, 0.7).labels(TWO).tolist() == [0, 0, 0, 1, 0]
    assert score("accuracy", Y_TWO, TWO, Decision(1, 0.3)) == 0.8
    assert ARGMAX.labels(TWO).tolist() == [0, 1, 0, 1, 0]


def test_scores_add_the_two_class_scorers_only_for_two_classes():
    three = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]])
    assert list(scores(["accuracy"], ["f1", "roc_auc"], np.array([0, 1]), three, ARGMAX)) == [
        "accuracy"]
    assert list(scores(["accuracy"], ["f1", "roc_auc"], Y_TWO, TWO, Decision(1, 0.5))) == [
        "accuracy", "f1", "roc_auc"]


def test_a_two_class_scorer_on_three_classes_is_refused():
    three = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]])
    with pytest.raises(DataError, match="'f1' scores the positive class.*3 classes.*f1_macro"):
        score("f1", np.array([0, 1]), three)


def test_the_decision_of_a_project():
    assert decision_for(["benign", "malignant"], None, 0.5) == Decision(1, 0.5)
    assert decision_for(["no", "yes"], "no", 0.3) == Decision(0, 0.3)
    assert decision_for(["a", "b", "c"], None, 0.5) == ARGMAX
    with pytest.raises(DataError, match=r"expected one of the classes \['no', 'yes'\], got 'Yes'"):
        decision_for(["no", "yes"], "Yes", 0.5)
    with pytest.raises(DataError, match="'b' is for a two-class project; this one has 3"):
        decision_for(["a", "b", "c"], "b", 0.5)


def test_decision_rows_name_the_positive_class():
    frame = decision_rows("cancer", "binary", "keras_mlp", ["benign", "malignant"],
                          Decision(1, 0.4))
    assert frame[["model", "split", "metric", "value"]].values.tolist() == [
        ["keras_mlp:malignant", "test", "decision_threshold", 0.4]]
    assert decision_rows("iris", "multiclass", "keras_mlp", ["a", "b", "c"], ARGMAX) is None
    assert task_of(["no", "yes"]) == "binary" and task_of(["a", "b", "c"]) == "multiclass"
