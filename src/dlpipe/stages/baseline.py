"""baseline: a logistic regression (a numeric target: a ridge regression) beside every network,
through the same preprocessing and on the same CV folds, so a user sees at once whether deep
learning earns its cost on their data."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline

from dlpipe.features import make_transformer, subsample
from dlpipe.frames import class_names, cv_xy, has_values, is_values, split_xy
from dlpipe.metrics import (Decision, decision_for, decision_rows, score, score_rows, scores,
                            task_of, value_score, value_scores)
from dlpipe.params import CVParams, DecisionParams, EvaluateParams, FeatureParams
from dlpipe.params.schema import BaselineParams

log = logging.getLogger(__name__)
MODEL = "logistic_regression"
RIDGE = "ridge_regression"  # a numeric target's


def classifier(features: FeatureParams, X: pd.DataFrame, baseline: BaselineParams,
               seed: int, values: bool = False):
    """The project's preprocessing, then a multinomial logistic regression, or for a numeric
    target's ``values`` a ridge regression (unfitted)."""
    estimator = (Ridge(alpha=baseline.alpha) if values else
                 LogisticRegression(C=baseline.C, max_iter=baseline.max_iter, random_state=seed))
    return make_pipeline(make_transformer(features, X), estimator)


def outputs(model, X: pd.DataFrame, values: bool) -> np.ndarray:
    """Class probabilities, or a numeric target's predicted values."""
    return model.predict(X) if values else model.predict_proba(X)


def cross_validated(features: FeatureParams, cv: CVParams, baseline: BaselineParams,
                    X: pd.DataFrame, y: np.ndarray, seed: int, decision: Decision
                    ) -> dict[str, list[float]]:
    """Per-fold scores on the folds the network's CV uses (same splitter, seed and rows); the
    preprocessing is fitted on each training fold only."""
    values = is_values(y)
    folds = (KFold if values else StratifiedKFold)(n_splits=cv.folds, shuffle=True,
                                                   random_state=seed)
    per_fold: dict[str, list[float]] = {m: [] for m in cv.metrics}
    for train_rows, val_rows in folds.split(X, y):
        model = classifier(features, X, baseline, seed, values).fit(X.iloc[train_rows],
                                                                    y[train_rows])
        predicted = outputs(model, X.iloc[val_rows], values)
        for metric in cv.metrics:
            per_fold[metric].append(value_score(metric, y[val_rows], predicted) if values
                                    else score(metric, y[val_rows], predicted, decision))
    return per_fold


def baseline(train: pd.DataFrame, test: pd.DataFrame, seed: int, features: FeatureParams,
             cv: CVParams, evaluate: EvaluateParams, decision: DecisionParams,
             baseline: BaselineParams, project: str) -> dict:
    """CV scores on the training part's folds, then a fit on all of it scored on the test part
    (a two-class project's positive class and threshold as the network's)."""
    classes = class_names(train)
    decided = decision_for(classes, decision.positive_class, decision.threshold)
    X, y = cv_xy(subsample(train, cv.max_rows, seed), cv.folds)
    folds = cross_validated(features, cv, baseline, X, y, seed, decided)
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    values = has_values(train)
    started = time.perf_counter()
    model = classifier(features, X_train, baseline, seed, values).fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = outputs(model, X_test, values)
    predict_seconds = time.perf_counter() - started
    test_scores = (value_scores(evaluate.metrics, y_test, predicted) if values
                   else scores(evaluate.metrics, evaluate.binary_metrics, y_test, predicted,
                               decided))
    cv_means = {m: float(np.mean(v)) for m, v in folds.items()}
    cv_stds = {m: float(np.std(v)) for m, v in folds.items()}
    name = RIDGE if values else MODEL
    log.info("%s: CV %s, test %s", name, cv_means, test_scores)
    task = task_of(classes)
    return {
        "metrics": {"cv": {m: {"mean": cv_means[m], "std": cv_stds[m]} for m in cv_means},
                    "test": test_scores},
        "scores": pd.concat([
            score_rows(project, task, name, "cv", cv_means, cv_stds),
            score_rows(project, task, name, "train", {"fit_seconds": fit_seconds}),
            score_rows(project, task, name, "test", {**test_scores,
                                                     "predict_seconds": predict_seconds}),
            decision_rows(project, task, name, classes, decided)],
            ignore_index=True)}
