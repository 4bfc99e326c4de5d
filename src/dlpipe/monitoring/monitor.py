"""What is kept of a served (or ``predict``-ed) project's answers: its prediction log, when
params give it a directory, and its live figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlpipe.insight import accuracy_estimate
from dlpipe.insight.accuracy_estimate import predicted_probability
from dlpipe.insight.drift import OUTPUTS
from dlpipe.monitoring import feedback
from dlpipe.monitoring.live import LiveFigures
from dlpipe.monitoring.prediction_log import PredictionLog, log_directory
from dlpipe.params import MonitorParams
from dlpipe.row_columns import RowColumns

log = logging.getLogger("dlpipe.serve")


@dataclass
class Monitor:
    bundle: Any
    log: PredictionLog | None
    live: LiveFigures

    def answered(self, bundle, frame: pd.DataFrame | RowColumns, proba: np.ndarray,
                 client_id: str | None = None, shadow: tuple | None = None) -> str | None:
        """Keep one request's answer by ``bundle`` (the project's, or its challenger's) and a
        ``shadow``'s (its bundle and outputs, None if it failed); the request id they are
        logged under (None: no log)."""
        shadows = [] if shadow is None or shadow[1] is None else [shadow]
        if not bundle.has_values:
            for answering, outputs in [(bundle, proba), *shadows]:
                self.live.served(answering.version, predicted_probability(answering, outputs))
        if self.log is None:
            return None
        return self.log.record(bundle, frame, proba, client_id, shadows[0] if shadows else None)

    def feedback(self, items: Any) -> int:
        """Record feedback ``items`` (see :func:`dlpipe.monitoring.feedback.record`); the
        number of rows taken."""
        if self.log is None:
            raise feedback.FeedbackError(503, [
                f"{self.bundle.project}: the server keeps no prediction log "
                "(serve.monitor.log_dir is null), so it has nothing to attach labels to"])
        self.live.labelled(feedback.record(self.log, items))
        return len(items)


def open_monitor(bundle, params: MonitorParams, reference: dict | None, root: str | Path,
                 source: str) -> Monitor:
    """The monitor of ``bundle``: its log reopened (index rebuilt) and live figures whose
    accuracy estimate is calibrated on the reference's test-part outcomes."""
    prediction_log = None
    if params.log_dir is not None:
        prediction_log = PredictionLog.open(log_directory(root, params.log_dir, bundle.project),
                                            params, source)
    return Monitor(bundle, prediction_log, LiveFigures(params.live_window_rows,
                                                       estimator(bundle, reference)))


def estimator(bundle, reference: dict | None):
    """The accuracy estimate of served rows' predicted-class probabilities, calibrated on
    the reference's test-part outcomes; None for a numeric target or without a reference."""
    if bundle.has_values or reference is None:
        return None
    calibration = accuracy_estimate.from_reference(reference[OUTPUTS])
    if calibration is None:
        log.warning("%s: its drift reference predates the accuracy estimate (run the "
                    "reference stage again): no estimated accuracy", bundle.project)
        return None
    return calibration.estimate
