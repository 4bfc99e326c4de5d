"""Multiclass task: the ten digits with SVC (one-vs-one), OneVsRest(SVC), SGD without and with
StandardScaler and KNN (optionally tuned with Optuna). Test accuracy, macro/weighted scores and
timings for every model; per-class precision/recall and the confusion matrix of the best one."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe.metrics import ROW_COLUMNS, confusion_long, per_class, rows
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import as_images, build, subsample, timed, training_set
from dlpipe.params.tasks import KnnModel, MulticlassParams
from dlpipe.tasks.tuning import tune_knn

log = logging.getLogger(__name__)
TASK = "multiclass"
N_CLASSES = 10


def class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    labels = np.arange(N_CLASSES)
    out = {"accuracy": float(skm.accuracy_score(y_true, y_pred)),
           "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        for kind, func in (("f1", skm.f1_score), ("precision", skm.precision_score),
                           ("recall", skm.recall_score)):
            out[f"{kind}_{average}"] = float(func(y_true, y_pred, average=average, labels=labels,
                                                  zero_division=0))
    return out


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: MulticlassParams, seed: int, project: str = "mnist") -> TaskResult:
    start = time.perf_counter()
    y_train, y_test = np.asarray(y_train).astype(int), np.asarray(y_test).astype(int)
    train, test = as_images(X_train), as_images(X_test)
    out_rows: list[pd.DataFrame] = []
    per_model: dict[str, dict[str, Any]] = {}
    predictions: dict[str, np.ndarray] = {}
    plot_data: dict[str, pd.DataFrame] = {}

    for name, spec in cfg.models.items():
        extra: dict[str, float] = {}
        info: dict[str, Any] = {"kind": spec.kind}
        if isinstance(spec, KnnModel) and spec.tune is not None:
            tuning, tune_seconds = timed(lambda: tune_knn(train, y_train, spec, seed))
            spec = spec.model_copy(update=tuning.best)
            extra["tune_seconds"] = tune_seconds
            info["tuning"] = {"best": tuning.best, "cv_accuracy": tuning.best_value,
                              "rows": tuning.rows, "trials": int(len(tuning.trials)),
                              "seconds": tune_seconds}
            plot_data[f"tuning_{name}"] = tuning.trials
        index = subsample(y_train, spec.train_rows, seed)
        X_fit, y_fit = training_set(train, y_train, index, spec)
        model, fit_seconds = timed(lambda: build(spec, seed).fit(X_fit, y_fit))
        X_te = test.get(spec.deskew)
        y_pred, predict_seconds = timed(lambda: model.predict(X_te))
        y_pred = np.asarray(y_pred).astype(int)
        predictions[name] = y_pred
        test_m = class_scores(y_test, y_pred)
        info.update({"params": _knobs(spec), "train_rows": int(len(index)),
                     "fit_rows": int(len(y_fit)), "test": test_m, "fit_seconds": fit_seconds,
                     "predict_seconds": predict_seconds,
                     "per_class": per_class(y_test, y_pred, N_CLASSES).to_dict(orient="records")})
        per_model[name] = info
        log.info("multiclass %s: accuracy %.4f, fit %.1f s, predict %.1f s", name,
                 test_m["accuracy"], fit_seconds, predict_seconds)
        out_rows += [rows(project, TASK, name, "train", {"fit_seconds": fit_seconds, **extra}),
                     rows(project, TASK, name, "test", {**test_m,
                                                        "predict_seconds": predict_seconds})]
        del X_fit, y_fit, model

    best = max(per_model, key=lambda n: per_model[n]["test"]["accuracy"])
    plot_data["confusion"] = confusion_long(y_test, predictions[best])
    plot_data["per_class"] = per_class(y_test, predictions[best], N_CLASSES)
    metrics = {"n_train": int(len(y_train)), "n_test": int(len(y_test)), "best_model": best,
               "best": {"accuracy": per_model[best]["test"]["accuracy"],
                        "f1_macro": per_model[best]["test"]["f1_macro"]},
               "models": per_model}
    best_pred = predictions[best]
    figures = {
        "confusion": lambda p: _confusion(y_test, best_pred, best, p),
        "accuracy_by_model": lambda p: _accuracy_bars(per_model, p),
    }
    table = pd.concat(out_rows, ignore_index=True)[ROW_COLUMNS]
    return TaskResult(TASK, table, metrics, plot_data, figures, time.perf_counter() - start)


def _knobs(spec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude={"tune"})


def _confusion(y_true, y_pred, name, out) -> None:
    from dlpipe import plots

    plots.confusion(y_true, y_pred, N_CLASSES, f"digits: {name} on the test set "
                    f"(accuracy {np.mean(y_true == y_pred):.4f})", out)


def _accuracy_bars(per_model, out) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlpipe.io import save_figure

    names = list(per_model)
    acc = [per_model[n]["test"]["accuracy"] for n in names]
    secs = [per_model[n]["fit_seconds"] + per_model[n]["predict_seconds"] for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.45 * len(names)))
    ax.barh(names, acc)
    for y, (a, s) in enumerate(zip(acc, secs)):
        ax.text(a, y, f" {a:.4f} ({s:.0f} s)", va="center", fontsize=8)
    ax.set(xlim=(min(acc) - 0.02, 1.0), xlabel="test accuracy",
           title="digits: test accuracy by model (fit + predict seconds)")
    ax.invert_yaxis()
    save_figure(out, fig)
