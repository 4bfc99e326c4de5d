"""reference: what the drift check compares new rows with, written beside the bundle
(``models/<p>-reference/``): a seeded sample of the raw training rows, the model's confidence
and predicted class on every test row, the training part's standard deviation per column (see
:mod:`dlpipe.insight.drift`)."""

from __future__ import annotations

import logging

import pandas as pd

from dlpipe.params import DriftParams
from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import Bundle
from dlpipe.insight.drift import OUTPUTS, ROWS, build_reference

log = logging.getLogger(__name__)


def reference(train: pd.DataFrame, test: pd.DataFrame, bundle: dict, seed: int,
              drift: DriftParams, project: str) -> dict:
    """The reference directory's files (name -> content)."""
    model = as_graph(Bundle.from_outputs(project, bundle))
    files = build_reference(model, train, test, seed, drift)
    log.info("%s: %d of %d training rows, outputs on %d test rows", project, len(files[ROWS]),
             len(train), len(files[OUTPUTS]))
    return {"reference": files}
