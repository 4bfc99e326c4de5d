"""The MNIST task node mlp: a Keras MLP on x/255 pixels (the work is in :mod:`dlpipe.tasks.mlp`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params import KerasModel
from dlpipe.stages.tasks import run
from dlpipe.tasks import TaskResult


def mlp(train: pd.DataFrame, test: pd.DataFrame, seed: int, mlp: KerasModel | None,
       project: str) -> dict[str, Any]:
    if mlp is None:
        return TaskResult.skipped("mlp", project)
    from dlpipe.tasks import mlp as task  # scikit-learn and the rest: for a task that runs

    return run(task, mlp, train, test, seed, project)
