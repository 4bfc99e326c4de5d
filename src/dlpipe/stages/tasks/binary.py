"""The MNIST task node binary: 'is it a 5' (the work is in :mod:`dlpipe.tasks.binary`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dlpipe.params.tasks import BinaryParams
from dlpipe.stages.tasks import run
from dlpipe.tasks import binary as task


def binary(train: pd.DataFrame, test: pd.DataFrame, seed: int, binary: BinaryParams | None,
          project: str) -> dict[str, Any]:
    return run(task, binary, train, test, seed, project)
