"""Metrics named as scikit-learn's scorers, and the score rows every result becomes.

A score row is (project, task, model, split, metric, value, std): one number per row, so
``reports/summary.csv`` is the one place to read any result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dlpipe.errors import DataError
from dlpipe.frames import SCORE_COLUMNS
from dlpipe.params import BINARY_SCORERS, LOWER_IS_BETTER, VALUE_SCORERS



@dataclass(frozen=True)
class Decision:
    """How class probabilities become a predicted class: the most probable one, or, for a
    two-class project, the ``positive`` class (its code) whenever its probability reaches
    ``threshold``."""

    positive: int | None = None
    threshold: float = 0.5

    def labels(self, proba: np.ndarray) -> np.ndarray:
        """The predicted class code of every row of ``proba`` (n_rows x n_classes)."""
        proba = np.asarray(proba)
        if self.positive is None or proba.shape[1] != 2:
            return proba.argmax(axis=1)
        return np.where(proba[:, self.positive] >= self.threshold, self.positive,
                        1 - self.positive)


ARGMAX = Decision()


def decision_for(classes: Sequence[str], positive_class: str | None, threshold: float
                 ) -> Decision:
    """The decision of a project with ``classes`` (in code order): two classes predict the
    positive one (named, else the second) at ``threshold``; more predict the most probable."""
    if len(classes) != 2:
        if positive_class is not None:
            raise DataError(f"decision.positive_class {positive_class!r} is for a two-class "
                            f"project; this one has {len(classes)} classes: set it to null")
        return ARGMAX
    if positive_class is None:
        return Decision(1, threshold)
    if str(positive_class) not in classes:
        raise DataError(f"decision.positive_class: expected one of the classes "
                        f"{list(classes)}, got {positive_class!r}")
    return Decision(list(classes).index(str(positive_class)), threshold)


def score(name: str, y_true: np.ndarray, proba: np.ndarray, decision: Decision = ARGMAX
          ) -> float:
    """Scorer ``name`` from class probabilities (n_rows x n_classes); class labels come from
    ``decision``. The two-class scorers (:data:`BINARY_SCORERS`) are about the positive class.
    A value scorer (:data:`VALUE_SCORERS`) takes a numeric target's predicted values instead."""
    if name in VALUE_SCORERS:
        return value_score(name, y_true, proba)
    labels = np.arange(proba.shape[1])
    y_pred = decision.labels(proba)
    if name in BINARY_SCORERS:
        return _binary(name, y_true, proba, y_pred, decision)
    if name == "accuracy":
        return float(skm.accuracy_score(y_true, y_pred))
    if name == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(y_true, y_pred))
    if name == "neg_log_loss":
        return -float(skm.log_loss(y_true, proba, labels=labels))
    if name == "roc_auc_ovr":
        if proba.shape[1] == 2:  # one-vs-rest of two classes is the plain AUC of either
            return float(skm.roc_auc_score(y_true == 1, proba[:, 1]))
        return float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels))
    kind, average = name.rsplit("_", 1)
    func = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[kind]
    return float(func(y_true, y_pred, average=average, labels=labels, zero_division=0))


def value_score(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Scorer ``name`` of :data:`VALUE_SCORERS` for a numeric target's predicted values (one
    per row, or one column). MAPE needs a target without zeros."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_true))
    if name == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))
    if name == "mae":
        return float(skm.mean_absolute_error(y_true, y_pred))
    if name == "r2":
        return float(skm.r2_score(y_true, y_pred))
    if name == "mape":
        if np.any(y_true == 0):
            raise DataError("metric 'mape' divides by the target, which is 0 in "
                            f"{int(np.sum(y_true == 0))} rows: leave it out of the metrics")
        return float(np.mean(np.abs((y_true - y_pred) / y_true)))
    raise DataError(f"metric {name!r} is not for a numeric target (expected one of "
                    f"{list(VALUE_SCORERS)})")


def value_scores(names: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray
                 ) -> dict[str, float]:
    """Every scorer of ``names`` (:func:`value_score`) for a numeric target's values."""
    return {name: value_score(name, y_true, y_pred) for name in dict.fromkeys(names)}


def direction(name: str) -> str:
    """How a metric improves: ``minimize`` for an error, else ``maximize``."""
    return "minimize" if name in LOWER_IS_BETTER else "maximize"


def _binary(name: str, y_true: np.ndarray, proba: np.ndarray, y_pred: np.ndarray,
            decision: Decision) -> float:
    if decision.positive is None or proba.shape[1] != 2:
        raise DataError(f"metric {name!r} scores the positive class of a two-class project; "
                        f"this one has {proba.shape[1]} classes (use {name}_macro or "
                        "roc_auc_ovr)")
    positive = decision.positive
    is_positive = np.asarray(y_true) == positive
    if name == "roc_auc":
        return float(skm.roc_auc_score(is_positive, proba[:, positive]))
    if name == "average_precision":
        return float(skm.average_precision_score(is_positive, proba[:, positive]))
    func = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[name]
    return float(func(is_positive, y_pred == positive, zero_division=0))


def scores(names: Sequence[str], binary_names: Sequence[str], y_true: np.ndarray,
           proba: np.ndarray, decision: Decision) -> dict[str, float]:
    """Every scorer of ``names``, then, for a two-class project, those of ``binary_names``."""
    wanted = [*names, *(binary_names if proba.shape[1] == 2 else ())]
    return {name: score(name, y_true, proba, decision) for name in dict.fromkeys(wanted)}


def per_class(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]
              ) -> pd.DataFrame:
    """Precision, recall, F1 and support for each class; ``class`` holds its name (codes
    0..k-1 are positions in ``class_names``)."""
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(len(class_names)), zero_division=0)
    return pd.DataFrame({"class": [str(name) for name in class_names], "precision": precision,
                         "recall": recall, "f1": f1, "support": support})


def confusion_long(y_true: np.ndarray, y_pred: np.ndarray,
                   class_names: Sequence[str] | None) -> pd.DataFrame:
    """One row per test example (actual, predicted): the layout ``dvc plots``' confusion reads.
    Classes appear by name, or as their integer codes when ``class_names`` is None."""
    actual, predicted = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    if class_names is not None:
        names = np.asarray([str(name) for name in class_names], dtype=object)
        actual, predicted = names[actual], names[predicted]
    return pd.DataFrame({"actual": actual, "predicted": predicted})


def class_rows(project: str, task: str, model: str, table: pd.DataFrame) -> pd.DataFrame:
    """Test score rows of a :func:`per_class` table: precision, recall and F1 of each class
    under the model name ``<model>:<class>``."""
    return pd.concat([score_rows(project, task, f"{model}:{row['class']}", "test",
                                 {m: row[m] for m in ("precision", "recall", "f1")})
                      for _, row in table.iterrows()], ignore_index=True)


def task_of(classes: Sequence[str]) -> str:
    """The task column of a project's network and its references: ``binary`` for two
    classes, ``regression`` for none (a numeric target), else ``multiclass``."""
    if not classes:
        return "regression"
    return "binary" if len(classes) == 2 else "multiclass"


def decision_rows(project: str, task: str, model: str, classes: Sequence[str],
                  decision: Decision) -> pd.DataFrame | None:
    """A two-class model's decision as a score row: its threshold under the model name
    ``<model>:<positive class>`` (None for more classes)."""
    if decision.positive is None:
        return None
    return score_rows(project, task, f"{model}:{classes[decision.positive]}", "test",
                      {"decision_threshold": decision.threshold})


def score_rows(project: str, task: str, model: str, split: str,
               values: dict[str, float], stds: dict[str, float] | None = None) -> pd.DataFrame:
    """Score rows for one (project, task, model, split)."""
    return pd.DataFrame([{"project": project, "task": task, "model": model, "split": split,
                          "metric": metric, "value": float(value),
                          "std": float(stds[metric]) if stds and metric in stds else np.nan}
                         for metric, value in values.items()], columns=SCORE_COLUMNS)
