"""Multilabel task: two labels per image, [digit >= ``large_from``, digit is odd], predicted
together by one KNN (scikit-learn's KNN takes a 2-column target natively)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe.metrics import ROW_COLUMNS, confusion_long, rows
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import as_images, build, subsample, timed, training_set
from dlpipe.params.tasks import MultilabelParams

TASK = "multilabel"


def labels(y: np.ndarray, large_from: int) -> np.ndarray:
    """(n, 2) booleans: [digit >= large_from, digit is odd]."""
    y = np.asarray(y).astype(int)
    return np.c_[y >= large_from, y % 2 == 1]


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: MultilabelParams, seed: int, project: str = "mnist") -> TaskResult:
    start = time.perf_counter()
    spec = cfg.model
    name = spec.kind
    names = [f"large_ge_{cfg.large_from}", "odd"]
    Y_train, Y_test = labels(y_train, cfg.large_from), labels(y_test, cfg.large_from)
    train, test = as_images(X_train), as_images(X_test)
    index = subsample(np.asarray(y_train), spec.train_rows, seed)  # stratified by digit
    X_fit, Y_fit = training_set(train, Y_train, index, spec)
    model, fit_seconds = timed(lambda: build(spec, seed).fit(X_fit, Y_fit))
    X_te = test.get(spec.deskew)
    P, predict_seconds = timed(lambda: np.asarray(model.predict(X_te)).astype(bool))
    test_m = {
        "f1_macro": float(skm.f1_score(Y_test, P, average="macro", zero_division=0)),
        "f1_weighted": float(skm.f1_score(Y_test, P, average="weighted", zero_division=0)),
        "f1_micro": float(skm.f1_score(Y_test, P, average="micro", zero_division=0)),
        "accuracy": float(skm.accuracy_score(Y_test, P)),  # both labels right (subset accuracy)
        "hamming_loss": float(skm.hamming_loss(Y_test, P)),
    }
    per_label = {}
    for j, label in enumerate(names):
        per_label[label] = {
            "precision": float(skm.precision_score(Y_test[:, j], P[:, j], zero_division=0)),
            "recall": float(skm.recall_score(Y_test[:, j], P[:, j], zero_division=0)),
            "f1": float(skm.f1_score(Y_test[:, j], P[:, j], zero_division=0)),
            "support": int(Y_test[:, j].sum())}
    metrics = {"labels": names, "model": name, "params": spec.model_dump(mode="json"),
               "train_rows": int(len(index)), "fit_rows": int(len(Y_fit)),
               "n_test": int(len(Y_test)), "test": test_m, "per_label": per_label,
               "fit_seconds": fit_seconds, "predict_seconds": predict_seconds}
    table = pd.concat([
        rows(project, TASK, name, "train", {"fit_seconds": fit_seconds}),
        rows(project, TASK, name, "test", {**test_m, "predict_seconds": predict_seconds}),
        *[rows(project, TASK, f"{name}:{label}", "test",
               {k: v for k, v in per_label[label].items() if k != "support"})
          for label in names]], ignore_index=True)[ROW_COLUMNS]
    plot_data = {f"confusion_{label}": confusion_long(Y_test[:, j].astype(int),
                                                      P[:, j].astype(int))
                 for j, label in enumerate(names)}
    figures = {"confusion": lambda p: _confusion(Y_test, P, names, p)}
    return TaskResult(TASK, table, metrics, plot_data, figures, time.perf_counter() - start)


def _confusion(Y_true, P, names, out) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlpipe.io import save_figure

    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8))
    for ax, j, label in zip(np.atleast_1d(axes), range(len(names)), names):
        matrix = skm.confusion_matrix(Y_true[:, j], P[:, j], labels=[False, True])
        ax.imshow(matrix, cmap="Blues")
        for (r, c), v in np.ndenumerate(matrix):
            ax.text(c, r, str(v), ha="center", va="center")
        f1 = skm.f1_score(Y_true[:, j], P[:, j], zero_division=0)
        ax.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual",
               title=f"{label} (F1 {f1:.4f})")
    fig.suptitle("multilabel KNN on the test set")
    save_figure(out, fig)
