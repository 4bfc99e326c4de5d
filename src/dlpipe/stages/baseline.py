"""baseline: a logistic regression beside every network, through the same preprocessing and on
the same CV folds, so a user sees at once whether deep learning earns its cost on their data."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from dlpipe.features import make_transformer, subsample
from dlpipe.frames import cv_xy, split_xy
from dlpipe.metrics import rows, score
from dlpipe.params import CVParams, EvaluateParams, FeatureParams
from dlpipe.params.schema import BaselineParams

log = logging.getLogger(__name__)
TASK = "multiclass"
MODEL = "logistic_regression"


def classifier(features: FeatureParams, X: pd.DataFrame, baseline: BaselineParams,
               seed: int):
    """The project's preprocessing, then a multinomial logistic regression (unfitted)."""
    return make_pipeline(make_transformer(features, X),
                         LogisticRegression(C=baseline.C, max_iter=baseline.max_iter,
                                            random_state=seed))


def cross_validated(features: FeatureParams, cv: CVParams, baseline: BaselineParams,
                    X: pd.DataFrame, y: np.ndarray, seed: int) -> dict[str, list[float]]:
    """Per-fold scores on the folds the network's CV uses (same splitter, seed and rows); the
    preprocessing is fitted on each training fold only."""
    folds = StratifiedKFold(n_splits=cv.folds, shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {m: [] for m in cv.metrics}
    for train_rows, val_rows in folds.split(X, y):
        model = classifier(features, X, baseline, seed).fit(X.iloc[train_rows], y[train_rows])
        proba = model.predict_proba(X.iloc[val_rows])
        for metric in cv.metrics:
            scores[metric].append(score(metric, y[val_rows], proba))
    return scores


def baseline(train: pd.DataFrame, test: pd.DataFrame, seed: int, features: FeatureParams,
             cv: CVParams, evaluate: EvaluateParams, baseline: BaselineParams,
             project: str) -> dict:
    """CV scores on the training part's folds, then a fit on all of it scored on the test part."""
    X, y = cv_xy(subsample(train, cv.max_rows, seed), cv.folds)
    folds = cross_validated(features, cv, baseline, X, y, seed)
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    started = time.perf_counter()
    model = classifier(features, X_train, baseline, seed).fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    proba = model.predict_proba(X_test)
    predict_seconds = time.perf_counter() - started
    test_scores = {m: score(m, y_test, proba) for m in evaluate.metrics}
    cv_means = {m: float(np.mean(v)) for m, v in folds.items()}
    cv_stds = {m: float(np.std(v)) for m, v in folds.items()}
    log.info("%s: CV %s, test %s", MODEL, cv_means, test_scores)
    return {
        "metrics": {"cv": {m: {"mean": cv_means[m], "std": cv_stds[m]} for m in cv_means},
                    "test": test_scores},
        "scores": pd.concat([
            rows(project, TASK, MODEL, "cv", cv_means, cv_stds),
            rows(project, TASK, MODEL, "train", {"fit_seconds": fit_seconds}),
            rows(project, TASK, MODEL, "test", {**test_scores,
                                                "predict_seconds": predict_seconds})],
            ignore_index=True)}
