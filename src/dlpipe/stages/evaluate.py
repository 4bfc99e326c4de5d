"""evaluate: test-set metrics, per-class scores, confusion matrix (CSV for DVC, PNG), score rows;
for a numeric target the value metrics, the same tables per quantile group of its value, and
predicted vs actual.

The interim test rows go through the project's bundle (the transformer preprocess fitted on the
training part, the network train fitted), so the model is scored exactly as it would see new
rows. Test rows are not held to the schema's check: a category or a missing value training never
saw is the transformer's to handle, and part of the score.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from dlpipe import plots
from dlpipe.errors import DataError
from dlpipe.frames import split_xy
from dlpipe.metrics import (class_rows, confusion_long, decision_rows, per_class, score_rows,
                            scores, task_of, value_scores)
from dlpipe.params import EvaluateParams
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.input_schema import Schema



def features_of(test: pd.DataFrame, transformer, schema: Schema
                ) -> tuple[np.ndarray, np.ndarray]:
    """The transformed features (float32) and the label codes of raw test rows."""
    X, y = split_xy(test)
    missing = [c for c in schema.names if c not in X.columns]
    if missing:
        raise DataError(f"evaluate: the test rows lack the feature columns {missing}")
    return transformer.transform(X[schema.names]), y


def evaluate(test: pd.DataFrame, bundle: dict, cv: dict, fit: dict, evaluate: EvaluateParams,
             project: str) -> dict:
    """Score the bundle's model on the interim test part, transformed by the bundle's
    transformer; classes appear by name. A two-class model is also scored on its positive
    class at the bundle's threshold, and a row states both."""
    from dlpipe.models.training import predict_proba

    schema = Schema.from_dict(bundle[bundle_files.SCHEMA])
    X_test, y_test = features_of(test, bundle[bundle_files.TRANSFORMER], schema)
    classes = schema.classes
    started = time.perf_counter()
    proba = predict_proba(bundle[bundle_files.MODEL], X_test, batch_size=256)
    predict_seconds = time.perf_counter() - started
    if not classes:
        return values_evaluated(y_test, proba[:, 0], predict_seconds, cv, fit, evaluate, project)
    decision = schema.decision
    y_pred = decision.labels(proba)
    test_scores = scores(evaluate.metrics, evaluate.binary_metrics, y_test, proba, decision)
    name, task = f"keras_{fit['model']['kind']}", task_of(classes)
    table = per_class(y_test, y_pred, classes)
    return {
        "metrics": {"test": test_scores},
        "per_class": table,
        "confusion": confusion_long(y_test, y_pred, classes),
        "confusion_png": plots.confusion(y_test, y_pred, classes,
                                         f"{project}: {name} on the test set"),
        "scores": pd.concat([
            *network_rows(project, task, name, cv, fit, test_scores, predict_seconds),
            class_rows(project, task, name, table),
            decision_rows(project, task, name, classes, decision)],
            ignore_index=True)}


def network_rows(project: str, task: str, name: str, cv: dict, fit: dict,
                 test_scores: dict[str, float], predict_seconds: float) -> list[pd.DataFrame]:
    """The network's CV (mean and std per metric), fit time and test score rows."""
    summary = cv["summary"]
    return [score_rows(project, task, name, "cv", {m: s["mean"] for m, s in summary.items()},
                       {m: s["std"] for m, s in summary.items()}),
            score_rows(project, task, name, "train", {"fit_seconds": fit["fit_seconds"]}),
            score_rows(project, task, name, "test",
                       {**test_scores, "predict_seconds": predict_seconds})]


def value_groups(actual: np.ndarray, groups: int) -> tuple[np.ndarray, list[str]]:
    """Edges between ``groups`` quantiles of the actual values, and a name per group."""
    edges = np.unique(np.quantile(actual, np.linspace(0, 1, groups + 1)[1:-1]))
    bounds = [float(actual.min()), *edges.tolist(), float(actual.max())]
    names = [f"q{k + 1} [{bounds[k]:.4g}, {bounds[k + 1]:.4g}{']' if k == len(edges) else ')'}"
             for k in range(len(edges) + 1)]
    return edges, names


def values_evaluated(actual: np.ndarray, predicted: np.ndarray, predict_seconds: float,
                     cv: dict, fit: dict, evaluate: EvaluateParams, project: str) -> dict:
    """A numeric target's evaluation: the value metrics; per quantile group of the actual
    value its rows, RMSE, MAE and bias (``per_class``); actual and predicted values binned
    into those groups (``confusion``, the layout the confusion plot reads); predicted vs
    actual and residuals (``confusion_png``)."""
    test_scores = value_scores(evaluate.metrics, actual, predicted)
    edges, names = value_groups(actual, evaluate.value_groups)
    group = np.searchsorted(edges, actual, side="right")
    errors = predicted - actual
    table = pd.DataFrame([{"class": name, "rows": int((group == k).sum()),
                           "rmse": float(np.sqrt(np.mean(errors[group == k] ** 2))),
                           "mae": float(np.mean(np.abs(errors[group == k]))),
                           "bias": float(np.mean(errors[group == k]))}
                          for k, name in enumerate(names)])
    binned = np.asarray(names, dtype=object)
    name, task = f"keras_{fit['model']['kind']}", "regression"
    return {
        "metrics": {"test": test_scores},
        "per_class": table,
        "confusion": pd.DataFrame({"actual": binned[group],
                                   "predicted": binned[np.searchsorted(edges, predicted,
                                                                       side="right")]}),
        "confusion_png": plots.predicted_vs_actual(actual, predicted,
                                                   f"{project}: {name} on the test set"),
        "scores": pd.concat(network_rows(project, task, name, cv, fit, test_scores,
                                         predict_seconds), ignore_index=True)}
