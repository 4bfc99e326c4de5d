"""The MNIST task node multilabel: KNN on two labels (the work is in :mod:`dlpipe.tasks.multilabel`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import MultilabelParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import TaskResult


def multilabel(train: pd.DataFrame, test: pd.DataFrame, seed: int, multilabel: MultilabelParams | None,
              project: str) -> dict[str, Any]:
    if multilabel is None:
        return TaskResult.skipped("multilabel", project)
    from dlpipe.tasks import multilabel as task  # scikit-learn and the rest: for a task that runs

    return run(task, multilabel, train, test, seed, project)
