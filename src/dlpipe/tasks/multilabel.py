"""Multilabel task: two labels per image, [digit >= ``large_from``, digit is odd], predicted
together by one KNN (scikit-learn's KNN takes a 2-column target natively)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe.features import subsample_rows
from dlpipe.metrics import SCORE_COLUMNS, confusion_long, score_rows
from dlpipe.params.tasks import MultilabelParams
from dlpipe.plots import Figure, ink, plt
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import Images, build_estimator, timed, training_set

TASK = "multilabel"


def labels(y: np.ndarray, large_from: int) -> np.ndarray:
    """(n, 2) booleans: [digit >= large_from, digit is odd]."""
    y = np.asarray(y).astype(int)
    return np.c_[y >= large_from, y % 2 == 1]


def multilabel_scores(Y_true: np.ndarray, P: np.ndarray) -> dict[str, float]:
    """Macro, weighted and micro F1, subset accuracy (both labels right) and Hamming loss."""
    return {
        "f1_macro": float(skm.f1_score(Y_true, P, average="macro", zero_division=0)),
        "f1_weighted": float(skm.f1_score(Y_true, P, average="weighted", zero_division=0)),
        "f1_micro": float(skm.f1_score(Y_true, P, average="micro", zero_division=0)),
        "accuracy": float(skm.accuracy_score(Y_true, P)),
        "hamming_loss": float(skm.hamming_loss(Y_true, P)),
    }


def label_scores(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of one label."""
    return {"precision": float(skm.precision_score(y_true, pred, zero_division=0)),
            "recall": float(skm.recall_score(y_true, pred, zero_division=0)),
            "f1": float(skm.f1_score(y_true, pred, zero_division=0))}


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: MultilabelParams, seed: int, project: str) -> TaskResult:
    spec = cfg.model
    name = spec.kind
    names = [f"large_ge_{cfg.large_from}", "odd"]
    Y_train, Y_test = labels(y_train, cfg.large_from), labels(y_test, cfg.large_from)
    train, test = Images(X_train), Images(X_test)
    index = subsample_rows(np.asarray(y_train), spec.train_rows, seed)  # stratified by digit
    X_fit, Y_fit = training_set(train, Y_train, index, spec)
    model, fit_seconds = timed(lambda: build_estimator(spec, seed).fit(X_fit, Y_fit))
    X_te = test.get(spec.deskew)
    P, predict_seconds = timed(lambda: np.asarray(model.predict(X_te)).astype(bool))
    test_m = multilabel_scores(Y_test, P)
    per_label = {label: label_scores(Y_test[:, j], P[:, j]) for j, label in enumerate(names)}
    metrics = {name: {"test": test_m},
               **{f"{name}:{label}": {"test": per_label[label]} for label in names}}
    info = {"labels": names, "model": name, "params": spec.model_dump(mode="json"),
            "train_rows": int(len(index)), "fit_rows": int(len(Y_fit)),
            "n_test": int(len(Y_test)),
            "support": {label: int(Y_test[:, j].sum()) for j, label in enumerate(names)},
            "fit_seconds": fit_seconds, "predict_seconds": predict_seconds}
    table = pd.concat([
        score_rows(project, TASK, name, "train", {"fit_seconds": fit_seconds}),
        score_rows(project, TASK, name, "test", {**test_m, "predict_seconds": predict_seconds}),
        *[score_rows(project, TASK, f"{name}:{label}", "test", per_label[label])
          for label in names]],
        ignore_index=True)[SCORE_COLUMNS]
    plot_data = {f"confusion_{label}.csv": confusion_long(Y_test[:, j], P[:, j], None)
                 for j, label in enumerate(names)}
    figures = {"confusion.png": confusion_figure(Y_test, P, names)}
    return TaskResult(table, metrics, info, plot_data, figures)


def confusion_figure(Y_true: np.ndarray, P: np.ndarray, names: list[str]) -> Figure:
    """One 2 x 2 confusion matrix per label, with its F1."""
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8))
    for ax, j, label in zip(np.atleast_1d(axes), range(len(names)), names):
        matrix = skm.confusion_matrix(Y_true[:, j], P[:, j], labels=[False, True])
        image = ax.imshow(matrix, cmap="Blues")
        for (r, c), v in np.ndenumerate(matrix):
            ax.text(c, r, str(v), ha="center", va="center", color=ink(image, v))
        f1 = skm.f1_score(Y_true[:, j], P[:, j], zero_division=0)
        ax.set_xticks([0, 1], ["no", "yes"])
        ax.set_yticks([0, 1], ["no", "yes"])
        ax.set(xlabel="predicted", ylabel="actual", title=f"{label} (F1 {f1:.4f})")
    fig.suptitle("multilabel KNN on the test set")
    return fig
