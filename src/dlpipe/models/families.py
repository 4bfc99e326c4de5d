"""The scikit-learn model families beside the network: a linear model (logistic regression, or
ridge for a numeric target) and gradient-boosted trees (HistGradientBoosting), each behind the
project's own feature transformer (free text as TF-IDF weights, also where the network reads
word ids), cross-validated on the network's folds (the trees tuned by
:func:`dlpipe.models.tuning.tuned_trees`).

A family's fold scores come from a transformer fitted on that training fold only; the folds'
transformed matrices are made once and shared by every tuning trial.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline

from dlpipe.errors import DataError
from dlpipe.features import make_transformer, subsample
from dlpipe.frames import class_names, cv_xy, has_values, is_values, split_xy
from dlpipe.metrics import (Decision, decision_for, decision_rows, score, score_rows, scores,
                            task_of, value_score, value_scores)
from dlpipe.params import CVParams, DecisionParams, EvaluateParams, FeatureParams
from dlpipe.params.schema import BaselineParams

log = logging.getLogger(__name__)
NAMES = {"linear": ("logistic_regression", "ridge_regression"),  # (classes, a numeric target)
         "gbdt": ("hist_gradient_boosting", "hist_gradient_boosting")}
MODEL = "model.skops"  # a family's fitted pipeline (transformer, estimator)
Estimator = Callable[[dict[str, Any]], Any]  # tuned settings -> an unfitted estimator


def model_name(family: str, values: bool) -> str:
    """The family's model name in score rows and reports."""
    return NAMES[family][values]


def splits(X: pd.DataFrame, y: np.ndarray, folds: int, seed: int, method: str
           ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The CV folds every family is scored on. ``shuffled``: stratified on the classes,
    shuffled k-fold for a numeric target, seeded. ``ordered``: forward chaining in the rows'
    order (time, for a training part sorted by a date): fold k trains on the first k blocks
    of rows and is scored on the next one, so no fold learns from rows later than those it is
    scored on; a DataError if a fold's training rows lack a class."""
    if method == "ordered":
        out = list(TimeSeriesSplit(n_splits=folds).split(X))
        if not is_values(y):
            for k, (train_rows, _) in enumerate(out):
                missing = sorted(set(np.unique(y)) - set(np.unique(y[train_rows])))
                if missing:
                    raise DataError(f"cv.method ordered: the training rows of fold {k + 1} "
                                    f"(the first {len(train_rows)} rows) hold no row of class "
                                    f"code(s) {[int(c) for c in missing]}: lower cv.folds, or "
                                    "set cv.method: shuffled")
        return out
    splitter = (KFold if is_values(y) else StratifiedKFold)(n_splits=folds, shuffle=True,
                                                            random_state=seed)
    return list(splitter.split(X, y))


def linear(baseline: BaselineParams, seed: int, values: bool) -> Estimator:
    """A multinomial logistic regression, or a ridge regression for a numeric target."""
    from sklearn.linear_model import LogisticRegression, Ridge

    def make(settings: dict[str, Any]) -> Any:
        if values:
            return Ridge(alpha=baseline.alpha)
        return LogisticRegression(C=baseline.C, max_iter=baseline.max_iter, random_state=seed)

    return make


def trees(seed: int, values: bool) -> Estimator:
    """HistGradientBoosting with the tuned ``settings`` over scikit-learn's defaults."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingRegressor if values else HistGradientBoostingClassifier
    return lambda settings: kind(random_state=seed, **settings)


def outputs(model: Any, X: Any, values: bool) -> np.ndarray:
    """Class probabilities [rows, classes], or a numeric target's values [rows]."""
    return model.predict(X) if values else model.predict_proba(X)


def scored(metric: str, y: np.ndarray, predicted: np.ndarray, decision: Decision,
           values: bool) -> float:
    return value_score(metric, y, predicted) if values else score(metric, y, predicted,
                                                                  decision)


@dataclass
class Fold:
    """One CV fold, transformed by a transformer fitted on its training rows."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def prepared(train: pd.DataFrame, features: FeatureParams, cv: CVParams,
             decision: DecisionParams, seed: int) -> tuple[Decision, Iterator[Fold]]:
    """The project's decision (a two-class project's positive class and threshold, as the
    network's) and the CV folds of the training part every family is scored on, each
    transformed by a transformer fitted on its training rows. The folds come one at a time:
    one pass holds a single fold's matrices (sentiment's three TF-IDF folds held ~0.7 GB); a
    tuning that scores many settings keeps them in a list."""
    decided = decision_for(class_names(train), decision.positive_class, decision.threshold)
    X, y = cv_xy(subsample(train, cv.max_rows, seed), cv.folds)

    def transformed() -> Iterator[Fold]:
        for train_rows, val_rows in splits(X, y, cv.folds, seed, cv.method):
            transformer = make_transformer(features.as_tfidf(), X).fit(X.iloc[train_rows])
            yield Fold(transformer.transform(X.iloc[train_rows]), y[train_rows],
                       transformer.transform(X.iloc[val_rows]), y[val_rows])

    return decided, transformed()


def cross_validated(make: Estimator, settings: dict[str, Any], folds: Iterable[Fold],
                    metrics: list[str], decision: Decision) -> dict[str, list[float]]:
    """Every metric per fold of an estimator with ``settings``."""
    per_fold: dict[str, list[float]] = {m: [] for m in metrics}
    for fold in folds:
        values = is_values(fold.y_train)
        predicted = outputs(make(settings).fit(fold.X_train, fold.y_train), fold.X_val, values)
        for metric in metrics:
            per_fold[metric].append(scored(metric, fold.y_val, predicted, decision, values))
        del fold  # a lazy next fold is made without this one beside it
    return per_fold


def fitted(make: Estimator, settings: dict[str, Any], features: FeatureParams,
           X: pd.DataFrame, y: np.ndarray):
    """The project's transformer and the estimator, fitted on all of ``X``."""
    return make_pipeline(make_transformer(features.as_tfidf(), X), make(settings)).fit(X, y)


def evaluated(family: str, make: Estimator, settings: dict[str, Any],
              per_fold: dict[str, list[float]], train: pd.DataFrame, test: pd.DataFrame,
              features: FeatureParams, evaluate: EvaluateParams, decision: Decision,
              project: str) -> dict[str, Any]:
    """A family's outputs: its CV summary (mean and population std per metric, as the
    network's), the fit on the whole training part scored on the test part, the fitted
    pipeline (``model.skops``) and its score rows."""
    classes = class_names(train)
    values = has_values(train)
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    started = time.perf_counter()
    model = fitted(make, settings, features, X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = outputs(model, X_test, values)
    predict_seconds = time.perf_counter() - started
    test_scores = (value_scores(evaluate.metrics, y_test, predicted) if values
                   else scores(evaluate.metrics, evaluate.binary_metrics, y_test, predicted,
                               decision))
    cv = {m: {"mean": float(np.mean(v)), "std": float(np.std(v))} for m, v in per_fold.items()}
    name, task = model_name(family, values), task_of(classes)
    log.info("%s: CV %s, test %s", name, {m: s["mean"] for m, s in cv.items()}, test_scores)
    return {
        "model": {MODEL: model},
        "metrics": {"cv": cv, "test": test_scores},
        "scores": pd.concat([
            score_rows(project, task, name, "cv", {m: s["mean"] for m, s in cv.items()},
                       {m: s["std"] for m, s in cv.items()}),
            score_rows(project, task, name, "train", {"fit_seconds": fit_seconds}),
            score_rows(project, task, name, "test", {**test_scores,
                                                     "predict_seconds": predict_seconds}),
            decision_rows(project, task, name, classes, decision)], ignore_index=True)}
