"""The labelled rows of a prediction log: each row that feedback labelled, with its input and
every version's answer to it, as ``dlpipe compare`` and ``dlpipe retrain`` need them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlpipe.errors import DataError
from dlpipe.monitoring import log_files
from dlpipe.monitoring.prediction_log import FEEDBACK, PREDICTIONS


@dataclass
class LabelledRow:
    truth: Any  # the true class name, or value
    answered: str  # the version whose answer was returned
    key: tuple[str, int] = ("", 0)  # request id and row
    input: Any = None  # the row as logged: column -> value (an image: its pixels)
    answers: dict[str, Any] = field(default_factory=dict)  # version -> its answer (shadows too)


def truths(directory: Path) -> dict[tuple[str, int], Any]:
    """(request id, row) -> the true label (value) feedback gave it, in the log under
    ``directory``."""
    return {(r["id"], r["row"]): r.get("label", r.get("value"))
            for r in log_files.read(directory, FEEDBACK)}


def labelled_rows(directory: Path) -> tuple[list[LabelledRow], bool]:
    """Every labelled row of the log under ``directory``, and whether any request was
    shadowed (then versions answered the same rows: a paired design)."""
    labels = truths(directory)
    if not labels:
        raise DataError(f"{directory}: no feedback labels yet (POST /v2/models/<p>/feedback, "
                        "or `dlpipe feedback`)")
    rows: dict[tuple[str, int], LabelledRow] = {}
    shadowed = False
    for record in log_files.read(directory, PREDICTIONS):
        key = (record["id"], record["row"])
        if key not in labels:
            continue
        row = rows.setdefault(key, LabelledRow(labels[key], record["version"], key,
                                               record.get("input")))
        row.answers[record["version"]] = record.get("label", record.get("value"))
        if record.get("shadow"):
            shadowed = True
        else:
            row.answered = record["version"]
    return list(rows.values()), shadowed
