"""Binary task: "is it a 5?" (``cfg.positive_digit``).

For every model: out-of-fold scores on the training part (stratified k-fold), the precision /
recall / F1 / ROC AUC they give, the threshold that reaches ``target_precision`` on those scores
and the recall it keeps; then a fit on the whole training part and the same figures on the test
part (default cut and the chosen threshold). A "never 5" DummyClassifier is the floor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe import plots
from dlpipe.features import subsample_rows
from dlpipe.metrics import SCORE_COLUMNS, confusion_long, score_rows
from dlpipe.params.tasks import BinaryParams, DummyModel, ModelSpec
from dlpipe.plots import Figure, curves, plt
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import (Images, build_estimator, decision_scores, default_cut,
                                 out_of_fold_scores, thin, timed, training_set)

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


def binary_scores(y: np.ndarray, s: np.ndarray, cut: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of ``s > cut``; ROC AUC and average precision of ``s``
    (NaN when ``y`` has one class only)."""
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


@dataclass
class Scored:
    """One model's results on the out-of-fold (cv) and test scores.

    threshold  the chosen cut and what it gives (value, cv_precision, cv_recall, test_precision,
               test_recall), or None (the dummy, or no cut reaches the target precision)
    curves     the CV precision-recall and ROC curves
    predicted  test predictions at the model's own cut
    info       row counts, seconds and the CV and test confusion matrices
    """

    kind: str
    cv: dict[str, float]
    test: dict[str, float]
    threshold: dict[str, float] | None
    curves: dict[str, np.ndarray]
    predicted: np.ndarray
    info: dict[str, Any]

    def at_threshold(self, split: str) -> dict[str, float]:
        """Precision and recall at the chosen threshold on ``split`` (cv or test); {} if none."""
        if self.threshold is None:
            return {}
        return {"precision_at_threshold": self.threshold[f"{split}_precision"],
                "recall_at_threshold": self.threshold[f"{split}_recall"]}


def score_model(spec: ModelSpec, train: Images, y_train: np.ndarray, test: Images,
                yb_test: np.ndarray, cfg: BinaryParams, seed: int) -> Scored:
    """Out-of-fold scores on the model's training rows, the threshold, a fit on those rows and
    the test scores. ``y_train`` are the digits (the subsample is stratified by digit)."""
    yb_train = y_train == cfg.positive_digit
    index = subsample_rows(y_train, spec.train_rows, seed)
    (cv_s, cut), cv_seconds = timed(lambda: out_of_fold_scores(spec, train, yb_train, index,
                                                               cfg.cv_folds, seed))
    y_cv = yb_train[index]
    X_fit, y_fit = training_set(train, yb_train, index, spec)
    model, fit_seconds = timed(lambda: build_estimator(spec, seed).fit(X_fit, y_fit))
    X_te = test.get(spec.deskew)
    test_s, predict_seconds = timed(lambda: decision_scores(model, X_te))
    predicted = test_s > default_cut(model)
    chosen = None if isinstance(spec, DummyModel) else threshold_for_precision(
        y_cv, cv_s, cfg.target_precision)
    threshold = None
    if chosen is not None:
        t, p_cv, r_cv = chosen
        p_te, r_te = _at(yb_test, test_s, t)
        threshold = {"value": t, "cv_precision": p_cv, "cv_recall": r_cv,
                     "test_precision": p_te, "test_recall": r_te}
    precision, recall, thresholds = skm.precision_recall_curve(y_cv, cv_s)
    fpr, tpr, _ = skm.roc_curve(y_cv, cv_s)
    info = {"kind": spec.kind, "train_rows": int(len(index)), "fit_rows": int(len(y_fit)),
            "cv_seconds": cv_seconds, "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "cv_confusion": skm.confusion_matrix(y_cv, cv_s > cut, labels=[False, True]).tolist(),
            "test_confusion": skm.confusion_matrix(yb_test, predicted,
                                                   labels=[False, True]).tolist(),
            "threshold": threshold}
    return Scored(spec.kind, binary_scores(y_cv, cv_s, cut),
                  binary_scores(yb_test, test_s, default_cut(model)), threshold,
                  {"precision": precision, "recall": recall, "thresholds": thresholds,
                   "fpr": fpr, "tpr": tpr}, predicted, info)


def model_score_rows(project: str, name: str, s: Scored) -> pd.DataFrame:
    """The cv, train and test score rows of one model."""
    chosen = {} if s.threshold is None else {"threshold": s.threshold["value"]}
    return pd.concat([
        score_rows(project, TASK, name, "cv", {**s.cv, **chosen, **s.at_threshold("cv"),
                                               "cv_seconds": s.info["cv_seconds"]}),
        score_rows(project, TASK, name, "train", {"fit_seconds": s.info["fit_seconds"]}),
        score_rows(project, TASK, name, "test", {**s.test, **chosen, **s.at_threshold("test"),
                                                 "predict_seconds": s.info["predict_seconds"]})],
        ignore_index=True)


def curve_frames(scored: dict[str, Scored]) -> dict[str, pd.DataFrame]:
    """The CV precision-recall (by threshold) and ROC curves of every model, thinned, one
    series per model, for ``dvc plots``."""
    return {
        "pr.csv": curves({name: thin(pd.DataFrame({
            "threshold": s.curves["thresholds"], "precision": s.curves["precision"][:-1],
            "recall": s.curves["recall"][:-1]})) for name, s in scored.items()}),
        "roc.csv": curves({name: thin(pd.DataFrame({"fpr": s.curves["fpr"],
                                                    "tpr": s.curves["tpr"]}))
                           for name, s in scored.items()})}


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: BinaryParams, seed: int, project: str) -> TaskResult:
    y_train = np.asarray(y_train)
    yb_test = np.asarray(y_test) == cfg.positive_digit
    train, test = Images(X_train), Images(X_test)
    scored: dict[str, Scored] = {}
    for name, spec in cfg.models.items():
        s = scored[name] = score_model(spec, train, y_train, test, yb_test, cfg, seed)
        log.info("binary %s: test f1 %.4f roc_auc %.4f, cv %.1f s, fit %.1f s", name,
                 s.test["f1"], s.test["roc_auc"], s.info["cv_seconds"], s.info["fit_seconds"])
    best = max((n for n in scored if scored[n].kind != "dummy"),
               key=lambda n: scored[n].test["f1"], default=next(iter(scored)))
    plot_data = curve_frames(scored)
    # the positive class first, as `dvc plots` sorts the names ("5" before "not 5")
    names = [str(cfg.positive_digit), f"not {cfg.positive_digit}"]
    actual, predicted = ~yb_test, ~np.asarray(scored[best].predicted, dtype=bool)
    plot_data["confusion.csv"] = confusion_long(actual, predicted, names)
    metrics = {name: {"cv": {**s.cv, **s.at_threshold("cv")},
                      "test": {**s.test, **s.at_threshold("test")}}
               for name, s in scored.items()}
    info = {"positive_digit": cfg.positive_digit, "target_precision": cfg.target_precision,
            "cv_folds": cfg.cv_folds, "n_train": int(len(y_train)), "n_test": int(len(yb_test)),
            "best_model": best, "models": {name: s.info for name, s in scored.items()}}
    figures = {
        "pr_curves.png": pr_figure(scored, cfg),
        "precision_recall_vs_threshold.png": threshold_figure(scored, cfg),
        "roc_curves.png": roc_figure(scored, cfg),
        "confusion.png": plots.confusion(
            actual, predicted, names,
            f"is it a {cfg.positive_digit}? {best} on the test set"),
    }
    table = pd.concat([model_score_rows(project, n, s) for n, s in scored.items()],
                      ignore_index=True)[SCORE_COLUMNS]
    return TaskResult(table, metrics, info, plot_data, figures)


# --- figures --------------------------------------------------------------------------------------
def pr_figure(scored: dict[str, Scored], cfg: BinaryParams) -> Figure:
    """Every model's CV precision-recall curve, its chosen operating point and the target."""
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, s in scored.items():
        c, ap = s.curves, s.cv["average_precision"]
        if len(c["thresholds"]) == 1:  # a constant score (the dummy): one operating point
            ax.plot(c["recall"][:1], c["precision"][:1], "s", label=f"{name} (AP {ap:.4f})")
            continue
        ax.plot(c["recall"], c["precision"], label=f"{name} (AP {ap:.4f})")
        if s.threshold is not None:
            ax.plot(s.threshold["cv_recall"], s.threshold["cv_precision"], "o", color="k", ms=4)
    ax.axhline(cfg.target_precision, ls=":", color="grey",
               label=f"target precision {cfg.target_precision:g}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01),
           title=f"is it a {cfg.positive_digit}? precision-recall ({cfg.cv_folds}-fold CV)")
    ax.legend(loc="lower left", fontsize=8)
    return fig


def threshold_figure(scored: dict[str, Scored], cfg: BinaryParams) -> Figure:
    """CV precision and recall against the threshold, one panel per model with a threshold."""
    names = [n for n in scored if scored[n].threshold is not None] or list(scored)
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        c, chosen = scored[name].curves, scored[name].threshold
        ax.plot(c["thresholds"], c["precision"][:-1], label="precision")
        ax.plot(c["thresholds"], c["recall"][:-1], label="recall")
        if chosen is not None:
            ax.axvline(chosen["value"], ls=":", color="k")
            ax.set_title(f"{name}: t={chosen['value']:.3g} -> P {chosen['cv_precision']:.3f}, "
                         f"R {chosen['cv_recall']:.3f}", fontsize=9)
        ax.set(xlabel="threshold (score)")
        ax.legend(fontsize=8)
    fig.suptitle(f"precision and recall vs threshold (target precision {cfg.target_precision:g})")
    return fig


def roc_figure(scored: dict[str, Scored], cfg: BinaryParams) -> Figure:
    """Every model's CV ROC curve with its AUC."""
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, s in scored.items():
        ax.plot(s.curves["fpr"], s.curves["tpr"], label=f"{name} (AUC {s.cv['roc_auc']:.4f})")
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)",
           title=f"is it a {cfg.positive_digit}? ROC ({cfg.cv_folds}-fold CV)")
    ax.legend(loc="lower right", fontsize=8)
    return fig
