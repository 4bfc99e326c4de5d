"""Multiclass task: the ten digits with SVC (one-vs-one), OneVsRest(SVC), SGD without and with
StandardScaler and KNN (optionally tuned with Optuna). Test accuracy, macro/weighted scores and
timings for every model; per-class precision/recall and the confusion matrix of the best one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe import plots
from dlpipe.features import subsample_rows
from dlpipe.metrics import SCORE_COLUMNS, confusion_long, per_class, score_rows
from dlpipe.params.tasks import KnnModel, ModelSpec, MulticlassParams
from dlpipe.plots import Figure, plt
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import (DIGITS, N_CLASSES, Images, build_estimator, timed,
                                 training_set)
from dlpipe.tasks.knn_search import search_knn

log = logging.getLogger(__name__)
TASK = "multiclass"


def class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro / weighted F1, precision and recall."""
    labels = np.arange(N_CLASSES)
    out = {"accuracy": float(skm.accuracy_score(y_true, y_pred)),
           "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        for kind, func in (("f1", skm.f1_score), ("precision", skm.precision_score),
                           ("recall", skm.recall_score)):
            out[f"{kind}_{average}"] = float(func(y_true, y_pred, average=average, labels=labels,
                                                  zero_division=0))
    return out


@dataclass
class Fitted:
    """One model's test predictions and scores.

    train_extra  train-split numbers besides fit_seconds (tune_seconds for a tuned KNN)
    info         settings, tuned values, row counts, seconds and per-class scores
    """

    predicted: np.ndarray
    test: dict[str, float]
    train_extra: dict[str, float]
    info: dict[str, Any]
    trials: pd.DataFrame | None  # the KNN search's trials, if there was one


def fit_model(spec: ModelSpec, train: Images, y_train: np.ndarray, test: Images,
              y_test: np.ndarray, seed: int) -> Fitted:
    """[Tune a KNN,] fit on the model's training rows and predict the test part."""
    info: dict[str, Any] = {"kind": spec.kind}
    train_extra: dict[str, float] = {}
    trials = None
    if isinstance(spec, KnnModel) and spec.tune is not None:
        found, tune_seconds = timed(lambda: search_knn(train, y_train, spec, seed))
        spec = spec.model_copy(update=found.best)
        train_extra["tune_seconds"] = tune_seconds
        info["tuning"] = {"best": found.best, "cv_accuracy": found.best_value,
                          "rows": found.rows, "trials": int(len(found.trials)),
                          "seconds": tune_seconds}
        trials = found.trials
    index = subsample_rows(y_train, spec.train_rows, seed)
    X_fit, y_fit = training_set(train, y_train, index, spec)
    model, fit_seconds = timed(lambda: build_estimator(spec, seed).fit(X_fit, y_fit))
    X_te = test.get(spec.deskew)
    y_pred, predict_seconds = timed(lambda: model.predict(X_te))
    y_pred = np.asarray(y_pred).astype(int)
    test_m = class_scores(y_test, y_pred)
    info.update({"params": spec.model_dump(mode="json", exclude={"tune"}),
                 "train_rows": int(len(index)), "fit_rows": int(len(y_fit)),
                 "fit_seconds": fit_seconds, "predict_seconds": predict_seconds,
                 "per_class": per_class(y_test, y_pred, DIGITS).to_dict(orient="records")})
    return Fitted(y_pred, test_m, train_extra, info, trials)


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: MulticlassParams, seed: int, project: str) -> TaskResult:
    y_train, y_test = np.asarray(y_train).astype(int), np.asarray(y_test).astype(int)
    train, test = Images(X_train), Images(X_test)
    fitted: dict[str, Fitted] = {}
    out_rows: list[pd.DataFrame] = []
    plot_data: dict[str, pd.DataFrame] = {}
    for name, spec in cfg.models.items():
        f = fitted[name] = fit_model(spec, train, y_train, test, y_test, seed)
        log.info("multiclass %s: accuracy %.4f, fit %.1f s, predict %.1f s", name,
                 f.test["accuracy"], f.info["fit_seconds"], f.info["predict_seconds"])
        out_rows += [score_rows(project, TASK, name, "train",
                          {"fit_seconds": f.info["fit_seconds"], **f.train_extra}),
                     score_rows(project, TASK, name, "test",
                          {**f.test, "predict_seconds": f.info["predict_seconds"]})]
        if f.trials is not None:
            plot_data[f"tuning_{name}.csv"] = f.trials

    best = max(fitted, key=lambda n: fitted[n].test["accuracy"])
    best_pred = fitted[best].predicted
    plot_data["confusion.csv"] = confusion_long(y_test, best_pred, DIGITS)
    plot_data["per_class.csv"] = per_class(y_test, best_pred, DIGITS)
    metrics = {name: {"test": f.test} for name, f in fitted.items()}
    info = {"n_train": int(len(y_train)), "n_test": int(len(y_test)), "best_model": best,
            "models": {name: f.info for name, f in fitted.items()}}
    figures = {
        "confusion.png": plots.confusion(
            y_test, best_pred, DIGITS,
            f"digits: {best} on the test set (accuracy {np.mean(y_test == best_pred):.4f})"),
        "accuracy_by_model.png": accuracy_bars(fitted),
    }
    table = pd.concat(out_rows, ignore_index=True)[SCORE_COLUMNS]
    return TaskResult(table, metrics, info, plot_data, figures)


def accuracy_bars(fitted: dict[str, Fitted]) -> Figure:
    """Test accuracy by model, each bar labelled with its fit + predict seconds."""
    names = list(fitted)
    acc = [fitted[n].test["accuracy"] for n in names]
    secs = [fitted[n].info["fit_seconds"] + fitted[n].info["predict_seconds"] for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.45 * len(names)))
    ax.barh(names, acc)
    for y, (a, s) in enumerate(zip(acc, secs)):
        ax.text(a, y, f" {a:.4f} ({s:.0f} s)", va="center", fontsize=8)
    ax.set(xlim=(min(acc) - 0.02, 1.0), xlabel="test accuracy",
           title="digits: test accuracy by model (fit + predict seconds)")
    ax.invert_yaxis()
    return fig
