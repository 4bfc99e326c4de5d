"""The decision: the served model and the new one scored on the same holdout rows, compared by
the paired test of :mod:`dlpipe.insight.comparison`; the new one is promoted only if it is
significantly better. And the record of each decision, one JSON line per retraining."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from dlpipe.insight.comparison import CHALLENGER_BETTER, Comparison, compare_accuracy, compare_rmse
from dlpipe.monitoring.labelled import LabelledRow
from dlpipe.retraining.rows import frame_of

RECORDS = "retrain.jsonl"  # beside the prediction log of the project


def outcomes(bundle, rows: list[LabelledRow]) -> np.ndarray:
    """Each holdout row's outcome for ``bundle``: right or wrong (classes), or its error,
    predicted minus true (a value). The rows were served, so they passed the input check."""
    proba = bundle.probabilities(frame_of([r.input for r in rows], bundle.schema.names))
    if bundle.has_values:
        return proba[:, 0].astype(np.float64) - np.array([float(r.truth) for r in rows])
    return bundle.label_names(proba) == np.array([r.truth for r in rows], dtype=object)


def decide(served, candidate, holdout: list[LabelledRow], alpha: float,
           min_rows: int) -> Comparison:
    """The served bundle (champion) against the ``candidate`` on the ``holdout`` rows,
    paired."""
    first, second = outcomes(served, holdout), outcomes(candidate, holdout)
    test = compare_rmse if served.has_values else compare_accuracy
    return test(first, second, True, alpha, min_rows)


def promoted(comparison: Comparison) -> bool:
    return comparison.decision == CHALLENGER_BETTER


def appended_keys(directory: Path) -> set[tuple[str, int]]:
    """The rows earlier promoted retrainings added to the data (request id, row)."""
    path = Path(directory) / RECORDS
    if not path.is_file():
        return set()
    keys: set[tuple[str, int]] = set()
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["decision"] == "promoted":
            keys |= {(key[0], key[1]) for key in record["appended"]}
    return keys


def write_record(directory: Path, record: dict) -> None:
    """Append ``record`` to the project's retraining records, on disk before returning."""
    directory.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(Path(directory) / RECORDS, "a") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
