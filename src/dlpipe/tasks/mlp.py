"""The Keras MLP on the digits: x/255 pixels through the project's network builder, early stopping
on a seeded validation slice of the training part, test metrics and learning curves. Its rows sit
with the multiclass task's models (task ``multiclass``, model ``keras_mlp``)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from dlpipe import plots
from dlpipe.features import PixelScaler
from dlpipe.metrics import SCORE_COLUMNS, score_rows, score
from dlpipe.params import KerasModel
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import N_CLASSES, timed

log = logging.getLogger(__name__)
TASK = "multiclass"
MODEL = "keras_mlp"
METRICS = ("accuracy", "f1_macro", "precision_macro", "recall_macro", "roc_auc_ovr")


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             spec: KerasModel, seed: int, project: str) -> TaskResult:
    from dlpipe.models import training  # imports TensorFlow

    fitted, fit_seconds = timed(lambda: training.fit(
        spec, PixelScaler().transform(X_train), y_train, N_CLASSES, True, seed))
    proba, predict_seconds = timed(lambda: training.predict_proba(
        fitted.model, PixelScaler().transform(X_test), spec.batch_size))
    test = {m: score(m, y_test, proba) for m in METRICS}
    log.info("mlp: test accuracy %.4f after %d epochs (%.0f s)", test["accuracy"],
             fitted.epochs, fit_seconds)
    table = pd.concat([
        score_rows(project, TASK, MODEL, "train", {"fit_seconds": fit_seconds}),
        score_rows(project, TASK, MODEL, "test", {**test, "predict_seconds": predict_seconds})],
        ignore_index=True)[SCORE_COLUMNS]
    info = {"model": MODEL, "epochs": fitted.epochs, "n_train": int(len(y_train)),
            "n_test": int(len(y_test)), "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds, "spec": spec.model_dump(mode="json")}
    figures = {"learning_curves.png": plots.learning_curves(fitted.history,
                                                            f"{project}: Keras MLP")}
    tables = {f"{name}.csv": frame for name, frame in plots.epoch_series(fitted.history).items()}
    return TaskResult(table, {MODEL: {"test": test}}, info,
                      {"history.csv": fitted.history, **tables}, figures)
