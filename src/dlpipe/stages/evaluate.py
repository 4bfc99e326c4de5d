"""evaluate: test-set metrics, per-class scores, confusion matrix (CSV for DVC, PNG), tidy rows."""

from __future__ import annotations

import time

import pandas as pd

from dlpipe import plots
from dlpipe.features import decode_labels
from dlpipe.metrics import confusion_long, per_class, rows, score
from dlpipe.params import EvaluateParams

TASK = "multiclass"


def evaluate(test: pd.DataFrame, model, cv: dict, fit: dict, evaluate: EvaluateParams,
             project: str) -> dict:
    """Score the trained model on the processed test part."""
    from dlpipe.models.training import predict_proba

    X_test, y_test = decode_labels(test)
    started = time.perf_counter()
    proba = predict_proba(model, X_test, batch_size=256)
    predict_seconds = time.perf_counter() - started
    y_pred = proba.argmax(axis=1)
    n_classes = proba.shape[1]
    scores = {name: score(name, y_test, proba) for name in evaluate.metrics}
    name = f"keras_{fit['model']['kind']}"
    summary = cv["summary"]
    cv_means = {m: s["mean"] for m, s in summary.items()}
    cv_stds = {m: s["std"] for m, s in summary.items()}
    return {
        "metrics": {"test": scores},
        "per_class": per_class(y_test, y_pred, n_classes),
        "confusion": confusion_long(y_test, y_pred),
        "confusion_png": plots.confusion(y_test, y_pred, n_classes,
                                         f"{project}: {name} on the test set"),
        "scores": pd.concat([
            rows(project, TASK, name, "cv", cv_means, cv_stds),
            rows(project, TASK, name, "train", {"fit_seconds": fit["fit_seconds"]}),
            rows(project, TASK, name, "test", {**scores, "predict_seconds": predict_seconds})],
            ignore_index=True)}
