"""baseline: a logistic regression through the project's preprocessing, on the network's folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.params import CVParams, DecisionParams, EvaluateParams
from dlpipe.params.schema import BaselineParams
from dlpipe.stages import baseline as stage

from support import feature_params, networks_folds

def run(frame: pd.DataFrame, folds: int = 3) -> dict:
    return stage.baseline(train=frame.iloc[:45], test=frame.iloc[45:], seed=0,
                          features=feature_params(),
                          cv=CVParams(folds=folds, method="shuffled",
                                      max_rows=None, metrics=["accuracy"]),
                          evaluate=EvaluateParams(metrics=["accuracy", "f1_macro"],
                                                  binary_metrics=["f1"], value_groups=5),
                          decision=DecisionParams(positive_class=None, threshold=0.5),
                          baseline=BaselineParams(C=1.0, max_iter=200, alpha=1.0),
                          project="iris")


def test_scores_cv_and_test_as_tidy_rows(labelled):
    out = run(labelled)
    assert set(out) == {"model", "metrics", "scores"}
    assert set(out["metrics"]["test"]) == {"accuracy", "f1_macro"}
    assert out["metrics"]["cv"]["accuracy"]["mean"] > 0.8  # three separable blobs
    scores = out["scores"]
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["model"]) == {"logistic_regression"}
    assert set(scores["split"]) == {"cv", "train", "test"}
    predicted = out["model"]["model.skops"].predict(labelled.iloc[45:].drop(columns="target"))
    assert (predicted == labelled["target"].cat.codes.iloc[45:]).mean() == pytest.approx(
        out["metrics"]["test"]["accuracy"])  # the fitted pipeline is the one scored


def test_the_folds_are_the_networks_folds(labelled, seen_folds):
    """The splitter the baseline uses is the one the network's cross_validate uses."""
    run(labelled)
    assert seen_folds == networks_folds(labelled.iloc[:45], folds=3, seed=0)


def test_a_class_smaller_than_the_folds_is_refused(labelled):
    small = labelled[(labelled["target"] != "virginica") | (labelled.index < 42)]
    with pytest.raises(DataError, match=r"'virginica' has 2 rows.*5-fold CV|5-fold CV.*'virginica' has 2 rows"):
        run(small.reset_index(drop=True), folds=5)


def test_a_numeric_target_gets_a_ridge_on_the_networks_folds():
    """The diabetes table: ridge's CV folds are the shuffled k-fold of the network's CV, and
    its scores are scikit-learn's ridge on those folds."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import StandardScaler

    from dlpipe.frames import with_target

    frame = with_target(load_diabetes(as_frame=True).frame, "target", "d.csv", values=True)
    train = frame.iloc[:350].reset_index(drop=True)
    out = stage.baseline(train=train, test=frame.iloc[350:].reset_index(drop=True), seed=0,
                         features=feature_params(scaler="standard"),
                         cv=CVParams(folds=3, method="shuffled",
                                     max_rows=None, metrics=["rmse", "r2"]),
                         evaluate=EvaluateParams(metrics=["rmse", "mae", "r2"], binary_metrics=[],
                                                 value_groups=5),
                         decision=DecisionParams(positive_class=None, threshold=0.5),
                         baseline=BaselineParams(C=1.0, max_iter=200, alpha=1.0),
                         project="diabetes")
    X, y = train.drop(columns=["target"]), train["target"].to_numpy()
    expected = []
    for train_rows, val_rows in KFold(3, shuffle=True, random_state=0).split(X):
        scaler = StandardScaler().fit(X.iloc[train_rows])
        ridge = Ridge(alpha=1.0).fit(scaler.transform(X.iloc[train_rows]), y[train_rows])
        predicted = ridge.predict(scaler.transform(X.iloc[val_rows]))
        expected.append(1 - np.sum((y[val_rows] - predicted) ** 2)
                        / np.sum((y[val_rows] - y[val_rows].mean()) ** 2))
    assert out["metrics"]["cv"]["r2"]["mean"] == pytest.approx(np.mean(expected), rel=1e-6)
    assert set(out["metrics"]["test"]) == {"rmse", "mae", "r2"}
    scores = out["scores"]
    assert set(scores["model"]) == {"ridge_regression"} and set(scores["task"]) == {"regression"}
