"""The MNIST task node binary: 'is it a 5' (the work is in :mod:`dlpipe.tasks.binary`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import BinaryParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import TaskResult


def binary(train: pd.DataFrame, test: pd.DataFrame, seed: int, binary: BinaryParams | None,
          project: str) -> dict[str, Any]:
    if binary is None:
        return TaskResult.skipped("binary", project)
    from dlpipe.tasks import binary as task  # scikit-learn and the rest: for a task that runs

    return run(task, binary, train, test, seed, project)
