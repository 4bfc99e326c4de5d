"""Binary task: "is it a 5?" (``cfg.positive_digit``).

For every model: out-of-fold scores on the training part (stratified k-fold), the precision /
recall / F1 / ROC AUC they give, the threshold that reaches ``target_precision`` on those scores
and the recall it keeps; then a fit on the whole training part and the same figures on the test
part (default cut and the chosen threshold). A "never 5" DummyClassifier is the floor.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe.metrics import ROW_COLUMNS, confusion_long, rows
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import (as_images, build, cv_scores, default_cut, scores, subsample,
                                 thin, timed, training_set)
from dlpipe.params.tasks import BinaryParams, DummyModel

log = logging.getLogger(__name__)
TASK = "binary"


def threshold_for_precision(y_true: np.ndarray, scores_: np.ndarray, target: float
                            ) -> tuple[float, float, float] | None:
    """The lowest threshold t with precision(scores >= t) >= ``target`` on these scores.

    Returns (t, precision, recall) at t, or None when no threshold that predicts at least one
    positive reaches the target.
    """
    precision, recall, thresholds = skm.precision_recall_curve(y_true, scores_)
    ok = np.flatnonzero(precision[:-1] >= target)  # the last point has no threshold
    if len(ok) == 0:
        return None
    k = int(ok[0])
    return float(thresholds[k]), float(precision[k]), float(recall[k])


def _binary_scores(y: np.ndarray, s: np.ndarray, cut: float) -> dict[str, float]:
    pred = s > cut
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, zero_division=0)),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "roc_auc": float(skm.roc_auc_score(y, s)) if both else float("nan"),
        "average_precision": float(skm.average_precision_score(y, s)) if both else float("nan"),
    }


def _at(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float, float]:
    pred = s >= t
    return (float(skm.precision_score(y, pred, zero_division=0)),
            float(skm.recall_score(y, pred, zero_division=0)))


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: BinaryParams, seed: int, project: str = "mnist") -> TaskResult:
    start = time.perf_counter()
    yb_train = np.asarray(y_train) == cfg.positive_digit
    yb_test = np.asarray(y_test) == cfg.positive_digit
    train, test = as_images(X_train), as_images(X_test)
    out_rows: list[pd.DataFrame] = []
    per_model: dict[str, dict[str, Any]] = {}
    curves: dict[str, dict[str, np.ndarray]] = {}
    plot_data: dict[str, pd.DataFrame] = {}
    test_pred: dict[str, np.ndarray] = {}

    for name, spec in cfg.models.items():
        index = subsample(np.asarray(y_train), spec.train_rows, seed)
        cv_s, cv_seconds = timed(lambda: cv_scores(spec, train, yb_train, index, cfg.cv_folds,
                                                   seed))
        cv_s, cut = cv_s
        y_cv = yb_train[index]
        cv = _binary_scores(y_cv, cv_s, cut)
        X_fit, y_fit = training_set(train, yb_train, index, spec)
        model, fit_seconds = timed(lambda: build(spec, seed).fit(X_fit, y_fit))
        X_te = test.get(spec.deskew)
        test_s, predict_seconds = timed(lambda: scores(model, X_te))
        test_m = _binary_scores(yb_test, test_s, default_cut(model))
        test_pred[name] = test_s > default_cut(model)

        chosen = None if isinstance(spec, DummyModel) else threshold_for_precision(
            y_cv, cv_s, cfg.target_precision)
        info: dict[str, Any] = {
            "kind": spec.kind, "train_rows": int(len(index)), "fit_rows": int(len(y_fit)),
            "cv": cv, "test": test_m, "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds, "cv_seconds": cv_seconds,
            "cv_confusion": skm.confusion_matrix(y_cv, cv_s > cut, labels=[False, True]).tolist(),
            "test_confusion": skm.confusion_matrix(yb_test, test_pred[name],
                                                   labels=[False, True]).tolist(),
            "threshold": None}
        cv_extra: dict[str, float] = {}
        test_extra: dict[str, float] = {}
        if chosen is not None:
            t, p_cv, r_cv = chosen
            p_te, r_te = _at(yb_test, test_s, t)
            info["threshold"] = {"value": t, "cv_precision": p_cv, "cv_recall": r_cv,
                                 "test_precision": p_te, "test_recall": r_te}
            cv_extra = {"threshold": t, "precision_at_threshold": p_cv,
                        "recall_at_threshold": r_cv}
            test_extra = {"threshold": t, "precision_at_threshold": p_te,
                          "recall_at_threshold": r_te}
        per_model[name] = info
        log.info("binary %s: test f1 %.4f roc_auc %.4f, cv %.1f s, fit %.1f s", name,
                 test_m["f1"], test_m["roc_auc"], cv_seconds, fit_seconds)
        out_rows += [
            rows(project, TASK, name, "cv", {**cv, **cv_extra, "cv_seconds": cv_seconds}),
            rows(project, TASK, name, "train", {"fit_seconds": fit_seconds}),
            rows(project, TASK, name, "test", {**test_m, **test_extra,
                                               "predict_seconds": predict_seconds})]

        precision, recall, thresholds = skm.precision_recall_curve(y_cv, cv_s)
        fpr, tpr, roc_thr = skm.roc_curve(y_cv, cv_s)
        curves[name] = {"precision": precision, "recall": recall, "thresholds": thresholds,
                        "fpr": fpr, "tpr": tpr}
        plot_data[f"pr_{name}"] = thin(pd.DataFrame({
            "threshold": thresholds, "precision": precision[:-1], "recall": recall[:-1]}))
        plot_data[f"roc_{name}"] = thin(pd.DataFrame({"fpr": fpr, "tpr": tpr}))

    best = max((n for n in per_model if per_model[n]["kind"] != "dummy"),
               key=lambda n: per_model[n]["test"]["f1"], default=next(iter(per_model)))
    plot_data["confusion"] = confusion_long(yb_test.astype(int), test_pred[best].astype(int))
    metrics = {"positive_digit": cfg.positive_digit, "target_precision": cfg.target_precision,
               "cv_folds": cfg.cv_folds, "n_train": int(len(yb_train)),
               "n_test": int(len(yb_test)), "best_model": best,
               "best": {"f1": per_model[best]["test"]["f1"],
                        "roc_auc": per_model[best]["test"]["roc_auc"]},
               "models": per_model}
    figures = {
        "pr_curves": lambda p: _pr_figure(curves, per_model, cfg, p),
        "precision_recall_vs_threshold": lambda p: _threshold_figure(curves, per_model, cfg, p),
        "roc_curves": lambda p: _roc_figure(curves, per_model, cfg, p),
        "confusion": lambda p: _confusion_figure(yb_test, test_pred[best], best, cfg, p),
    }
    table = pd.concat(out_rows, ignore_index=True)[ROW_COLUMNS]
    return TaskResult(TASK, table, metrics, plot_data, figures, time.perf_counter() - start)


# --- figures --------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _pr_figure(curves, per_model, cfg: BinaryParams, out: Path) -> None:
    from dlpipe.io import save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, c in curves.items():
        ap = per_model[name]["cv"]["average_precision"]
        if len(c["thresholds"]) == 1:  # a constant score (the dummy): one operating point
            ax.plot(c["recall"][:1], c["precision"][:1], "s", label=f"{name} (AP {ap:.4f})")
            continue
        ax.plot(c["recall"], c["precision"], label=f"{name} (AP {ap:.4f})")
        chosen = per_model[name]["threshold"]
        if chosen is not None:
            ax.plot(chosen["cv_recall"], chosen["cv_precision"], "o", color="k", ms=4)
    ax.axhline(cfg.target_precision, ls=":", color="grey",
               label=f"target precision {cfg.target_precision:g}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01),
           title=f"is it a {cfg.positive_digit}? precision-recall ({cfg.cv_folds}-fold CV)")
    ax.legend(loc="lower left", fontsize=8)
    save_figure(out, fig)


def _threshold_figure(curves, per_model, cfg: BinaryParams, out: Path) -> None:
    from dlpipe.io import save_figure

    plt = _plt()
    names = [n for n in curves if per_model[n]["threshold"] is not None] or list(curves)
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        c = curves[name]
        ax.plot(c["thresholds"], c["precision"][:-1], label="precision")
        ax.plot(c["thresholds"], c["recall"][:-1], label="recall")
        chosen = per_model[name]["threshold"]
        if chosen is not None:
            ax.axvline(chosen["value"], ls=":", color="k")
            ax.set_title(f"{name}: t={chosen['value']:.3g} -> P {chosen['cv_precision']:.3f}, "
                         f"R {chosen['cv_recall']:.3f}", fontsize=9)
        ax.set(xlabel="threshold (score)")
        ax.legend(fontsize=8)
    fig.suptitle(f"precision and recall vs threshold (target precision {cfg.target_precision:g})")
    save_figure(out, fig)


def _roc_figure(curves, per_model, cfg: BinaryParams, out: Path) -> None:
    from dlpipe.io import save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, c in curves.items():
        ax.plot(c["fpr"], c["tpr"], label=f"{name} (AUC {per_model[name]['cv']['roc_auc']:.4f})")
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)",
           title=f"is it a {cfg.positive_digit}? ROC ({cfg.cv_folds}-fold CV)")
    ax.legend(loc="lower right", fontsize=8)
    save_figure(out, fig)


def _confusion_figure(y_true, y_pred, name, cfg: BinaryParams, out: Path) -> None:
    from dlpipe import plots

    plots.confusion(y_true.astype(int), y_pred.astype(int), 2,
                    f"is it a {cfg.positive_digit}? {name} on the test set (1 = yes)", out)
