"""Metrics named as scikit-learn's scorers, and the tidy rows every result becomes.

A tidy row is (project, task, model, split, metric, value, std): one number per row, so
``reports/summary.csv`` is the one place to read any result.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm

ROW_COLUMNS = ["project", "task", "model", "split", "metric", "value", "std"]


def score(name: str, y_true: np.ndarray, proba: np.ndarray) -> float:
    """Scorer ``name`` from class probabilities (n_rows x n_classes)."""
    labels = np.arange(proba.shape[1])
    y_pred = proba.argmax(axis=1)
    if name == "accuracy":
        return float(skm.accuracy_score(y_true, y_pred))
    if name == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(y_true, y_pred))
    if name == "neg_log_loss":
        return -float(skm.log_loss(y_true, proba, labels=labels))
    if name == "roc_auc_ovr":
        return float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels))
    kind, average = name.rsplit("_", 1)
    func = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[kind]
    return float(func(y_true, y_pred, average=average, labels=labels, zero_division=0))


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
    """Tidy test rows of a :func:`per_class` table: precision, recall and F1 of each class
    under the model name ``<model>:<class>``."""
    return pd.concat([rows(project, task, f"{model}:{row['class']}", "test",
                           {m: row[m] for m in ("precision", "recall", "f1")})
                      for _, row in table.iterrows()], ignore_index=True)


def rows(project: str, task: str, model: str, split: str, values: dict[str, float],
         stds: dict[str, float] | None = None) -> pd.DataFrame:
    """Tidy rows for one (project, task, model, split)."""
    return pd.DataFrame([{"project": project, "task": task, "model": model, "split": split,
                          "metric": metric, "value": float(value),
                          "std": float(stds[metric]) if stds and metric in stds else np.nan}
                         for metric, value in values.items()], columns=ROW_COLUMNS)
