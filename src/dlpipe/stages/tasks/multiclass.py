"""The MNIST task node multiclass: SVC, SGD, tuned KNN (the work is in :mod:`dlpipe.tasks.multiclass`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import MulticlassParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import multiclass as task


def multiclass(train: pd.DataFrame, test: pd.DataFrame, seed: int, multiclass: MulticlassParams | None,
              project: str) -> dict[str, Any]:
    return run(task, multiclass, train, test, seed, project)
