"""The MNIST tasks as nodes: one module per task, so a task's job depends on its own code only
(changing the denoising params or code does not retrain the SVC).

Each task node takes the interim train and test tables, the seed, its params section and the
project, and returns ``metrics`` (numbers that measure a model), ``info`` (settings, tuned values,
row counts, seconds, confusion matrices), ``scores`` (score rows), ``tables`` (CSV file name ->
frame), ``figures`` (PNG file name -> figure) and the task's plot data
(:data:`dlpipe.tasks.DECLARED`). A project whose params leave a task out (null) gets that task's
outputs empty, so every project has the same stages under both front ends; such a job imports
neither scikit-learn nor matplotlib. The work is in :mod:`dlpipe.tasks`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from dlpipe.frames import split_xy


def images(train: pd.DataFrame, test: pd.DataFrame
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Raw uint8 pixels and integer labels of the train and test parts."""
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    return X_train.to_numpy(np.uint8), y_train, X_test.to_numpy(np.uint8), y_test


def run(task: ModuleType, section: Any, train: pd.DataFrame, test: pd.DataFrame, seed: int,
        project: str) -> dict[str, Any]:
    """One task's outputs (a task the project leaves out: :meth:`TaskResult.skipped`)."""
    result = task.run_task(*images(train, test), section, seed, project)
    return result.outputs(task.__name__.rsplit(".", 1)[1])
