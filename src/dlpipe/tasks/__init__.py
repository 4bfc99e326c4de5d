"""The MNIST tasks: the scikit-learn classification chapter and a Keras MLP.

One module per task (:mod:`binary`, :mod:`multiclass`, :mod:`multilabel`, :mod:`denoise`,
:mod:`mlp`), each with a pure ``run_task(X_train, y_train, X_test, y_test, cfg, seed, project)
-> TaskResult``. :mod:`augment` holds the image transforms, :mod:`knn_search` the Optuna KNN
search and :mod:`common` the estimators and training rows the tasks share. Inputs are the raw
uint8 pixel rows (n x 784) and integer digit labels; every scaling happens inside the tasks.
Nothing here reads or writes a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dlpipe.plots import Figure


@dataclass
class TaskResult:
    """What a task produced.

    scores   tidy rows (:data:`dlpipe.metrics.ROW_COLUMNS`), one number each
    metrics  the numbers that measure a model, nested by model and split: the scores without
             seconds and settings (a ``dvc metrics`` file)
    info     everything else worth keeping: settings, tuned values, thresholds, row counts,
             seconds, confusion matrices, per-class rows
    plots    CSV file name -> frame for ``dvc plots`` (curves; confusion as ``actual,predicted``)
    figures  PNG file name -> figure
    """

    scores: pd.DataFrame
    metrics: dict[str, Any]
    info: dict[str, Any]
    plots: dict[str, pd.DataFrame]
    figures: dict[str, Figure] = field(repr=False)

    def outputs(self) -> dict[str, Any]:
        """The stage outputs, by name."""
        return {"metrics": self.metrics, "info": self.info, "scores": self.scores,
                "plots": self.plots, "figures": self.figures}
