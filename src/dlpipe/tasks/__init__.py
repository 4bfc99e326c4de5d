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
from typing import TYPE_CHECKING, Any

import pandas as pd

from dlpipe.frames import SCORE_COLUMNS

if TYPE_CHECKING:
    from dlpipe.plots import Figure

# task -> (its tables drawn by `dvc plots`, whether it makes other tables: the stage's tables
# output); here, apart from the tasks' modules, so a task a project leaves out costs no import
# of scikit-learn or matplotlib
DECLARED: dict[str, tuple[tuple[str, ...], bool]] = {
    "binary": (("pr", "roc", "confusion"), False),
    "multiclass": (("confusion",), True),
    "multilabel": ((), True),
    "denoise": ((), True),
    "mlp": (("metric_curve", "loss_curve"), True)}


@dataclass
class TaskResult:
    """What a task produced.

    scores   score rows (:data:`dlpipe.metrics.SCORE_COLUMNS`), one number each
    metrics  the numbers that measure a model, nested by model and split: the scores without
             seconds and settings (a ``dvc metrics`` file)
    info     everything else worth keeping: settings, tuned values, thresholds, row counts,
             seconds, confusion matrices, per-class rows
    tables   CSV file name -> frame: curves and confusion data (``<name>.csv`` for each of the
             task's plot tables in :data:`DECLARED`, which ``dvc plots`` draws) and other tables
    figures  PNG file name -> figure
    """

    scores: pd.DataFrame
    metrics: dict[str, Any]
    info: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, Figure] = field(repr=False)

    def outputs(self, task: str) -> dict[str, Any]:
        """The stage outputs, by name: each of the task's plot tables is its own output, the
        other tables go together (if the task has that output)."""
        plots, tables = DECLARED[task]
        other = {k: v for k, v in self.tables.items() if k[:-4] not in plots}
        return {"metrics": self.metrics, "info": self.info, "scores": self.scores,
                "figures": self.figures, **({"tables": other} if tables else {}),
                **{name: self.tables[f"{name}.csv"] for name in plots}}

    @staticmethod
    def skipped(task: str, project: str) -> dict[str, Any]:
        """The outputs of a task the project leaves out (``tasks.<task>: null``): empty, with a
        note saying why in place of its tables and its figures."""
        plots, tables = DECLARED[task]
        note = f"{project} runs no {task} task (its params set tasks.{task} to null)\n"
        return {"metrics": {}, "info": {"ran": False, "why": note.strip()},
                "scores": pd.DataFrame(columns=SCORE_COLUMNS), "figures": {"README.md": note},
                **({"tables": {"README.md": note}} if tables else {}),
                **{name: pd.DataFrame() for name in plots}}
