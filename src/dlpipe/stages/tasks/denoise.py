"""The MNIST task node denoise: multi-output KNN (the work is in :mod:`dlpipe.tasks.denoise`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import DenoiseParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import TaskResult


def denoise(train: pd.DataFrame, test: pd.DataFrame, seed: int, denoise: DenoiseParams | None,
           project: str) -> dict[str, Any]:
    if denoise is None:
        return TaskResult.skipped("denoise", project)
    from dlpipe.tasks import denoise as task  # scikit-learn and the rest: for a task that runs

    return run(task, denoise, train, test, seed, project)
