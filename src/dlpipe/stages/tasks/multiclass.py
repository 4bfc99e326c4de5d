"""The MNIST task node multiclass: SVC, SGD, tuned KNN (the work is in :mod:`dlpipe.tasks.multiclass`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import MulticlassParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import TaskResult


def multiclass(train: pd.DataFrame, test: pd.DataFrame, seed: int, multiclass: MulticlassParams | None,
              project: str) -> dict[str, Any]:
    if multiclass is None:
        return TaskResult.skipped("multiclass", project)
    from dlpipe.tasks import multiclass as task  # scikit-learn and the rest: for a task that runs

    return run(task, multiclass, train, test, seed, project)
