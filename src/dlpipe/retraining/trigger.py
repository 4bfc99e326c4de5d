"""Whether a project needs retraining, from the latest rows its served model answered: drift
in them (the project's own drift check), or an accuracy below ``retrain.trigger``'s, measured
on those of them already labelled when there are enough, else estimated from the model's
confidence (:mod:`dlpipe.insight.accuracy_estimate`)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from dlpipe.insight.drift import drift_report, too_few
from dlpipe.monitoring import log_files
from dlpipe.monitoring.labelled import truths
from dlpipe.monitoring.monitor import estimator
from dlpipe.monitoring.prediction_log import PREDICTIONS
from dlpipe.params import DriftParams, TriggerParams
from dlpipe.retraining.rows import frame_of


def latest_served(directory: Path, version: str, rows: int) -> list[dict]:
    """The latest ``rows`` records ``version`` answered (not as a shadow)."""
    window: deque = deque(maxlen=rows)
    for record in log_files.read(directory, PREDICTIONS):
        if record["version"] == version and not record.get("shadow"):
            window.append(record)
    return list(window)


def reasons(bundle, reference: dict, directory: Path, window_rows: int, trigger: TriggerParams,
            drift: DriftParams, min_rows: int) -> tuple[list[str], list[str]]:
    """(the reasons to retrain, what was checked and found fine), each a line."""
    served = latest_served(directory, bundle.version, window_rows)
    why, fine = [], []
    if not served:
        return why, [f"version {bundle.version} has answered no logged row yet"]
    if trigger.on_drift:
        few = too_few(len(served), drift)
        if few is not None:
            fine.append(f"drift: {few}")
        else:
            frame = frame_of([r["input"] for r in served], bundle.schema.names)
            report = drift_report(bundle, reference, frame, drift)
            (why if report["drift"] else fine).append(
                f"drift in the latest {len(served)} served rows: "
                f"{'found' if report['drift'] else 'none'} (alpha {drift.alpha:g})")
    if trigger.accuracy_below is not None and not bundle.has_values:
        accuracy, how = _accuracy(bundle, served, directory, reference, min_rows)
        if accuracy == accuracy:
            low = accuracy < trigger.accuracy_below
            (why if low else fine).append(f"accuracy of the latest {len(served)} served rows "
                                          f"{how}: {accuracy:.3f} (trigger below "
                                          f"{trigger.accuracy_below:g})")
        else:
            fine.append(f"accuracy: {how}")
    return why, fine


def _accuracy(bundle, served: list[dict], directory: Path, reference: dict,
              min_rows: int) -> tuple[float, str]:
    labels = truths(directory)
    labelled = [(r["label"], labels[(r["id"], r["row"])]) for r in served
                if (r["id"], r["row"]) in labels]
    if len(labelled) >= min_rows:
        right = np.mean([answer == truth for answer, truth in labelled])
        return float(right), f"measured on {len(labelled)} labelled"
    estimate = estimator(bundle, reference)  # the server's /metrics estimate
    if estimate is None:
        return float("nan"), "no estimate (the drift reference predates it)"
    confidence = np.array([r["probabilities"][r["label"]] for r in served])
    return estimate(confidence)[0], "estimated from the model's confidence"
