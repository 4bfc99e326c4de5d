"""A project's prediction log: one record per answered row, and the index that feedback labels
are checked against.

A record holds the request's id (the server's, one per request), the row's place in the
request, the time, the bundle's version (its content digest), who answered (``serve`` or
``predict``), the client's own id if it sent one, the input row as checked (column -> value;
an image: its pixels as one flat list), and the answer:
``label`` and ``probabilities`` (class -> probability), or a numeric target's ``value``. A
challenger in shadow mode answers the same request too: its records carry the same id, its
own version and ``"shadow": true``.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlpipe.monitoring import log_files
from dlpipe.params import MonitorParams
from dlpipe.row_columns import RowColumns, frame_of

PREDICTIONS, FEEDBACK = "predictions", "feedback"


def log_directory(root: str | Path, log_dir: str, project: str) -> Path:
    return Path(root) / log_dir / project


@dataclass
class Logged:
    """What the index keeps of one logged request: the version whose answer was returned, and
    per version that answered (a shadow's too) each row's answer (a class name, or a value)."""

    version: str
    answers: dict[str, list[Any]]

    @property
    def rows(self) -> int:
        return len(self.answers[self.version])


@dataclass
class PredictionLog:
    """The log of one project: its writers, and in memory the answers of every logged request
    (about 0.1 KB a request) and the rows already labelled, so feedback is checked without
    reading the files again. Thread-safe."""

    directory: Path
    params: MonitorParams
    source: str  # serve | predict
    index: dict[str, Logged] = field(default_factory=dict)
    classes: dict[str, list[str]] = field(default_factory=dict)  # version -> class names
    labelled: set[tuple[str, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        size, fsync = self.params.segment_bytes, self.params.fsync
        self.predictions = log_files.SegmentWriter(self.directory, PREDICTIONS, size, fsync)
        self.feedback = log_files.SegmentWriter(self.directory, FEEDBACK, size, fsync)

    @classmethod
    def open(cls, directory: Path, params: MonitorParams, source: str) -> "PredictionLog":
        """The log under ``directory``, its index rebuilt from the records already there."""
        opened = cls(Path(directory), params, source)
        for record in log_files.read(directory, PREDICTIONS):
            opened._index_record(record)
        for record in log_files.read(directory, FEEDBACK):
            opened.labelled.add((record["id"], record["row"]))
        return opened

    def _index_record(self, record: dict[str, Any]) -> None:
        logged = self.index.get(record["id"])
        if logged is None:
            logged = self.index[record["id"]] = Logged(record["version"], {})
        if not record.get("shadow"):
            logged.version = record["version"]
        answers = logged.answers.setdefault(record["version"], [])
        answers.extend([None] * (record["row"] + 1 - len(answers)))
        answers[record["row"]] = record["label"] if "label" in record else record["value"]
        if "probabilities" in record and record["version"] not in self.classes:
            self.classes[record["version"]] = list(record["probabilities"])

    def record(self, bundle, frame: pd.DataFrame | RowColumns, proba: np.ndarray,
               client_id: str | None = None, shadow: tuple | None = None) -> str:
        """Log the answer to one request (``frame``'s rows, ``proba`` the model's outputs)
        and the ``shadow`` challenger's (its bundle and outputs), and return the request id
        they are logged under."""
        request_id = uuid.uuid4().hex
        records = make_records(request_id, bundle, frame, proba, self.source, client_id)
        if shadow is not None:
            records += [{**r, "shadow": True} for r in make_records(
                request_id, shadow[0], frame, shadow[1], self.source, client_id)]
        self.predictions.write(records)
        with self.lock:
            for record in records:
                self._index_record(record)
        return request_id

    def close(self) -> None:
        self.predictions.close()
        self.feedback.close()


def now() -> str:
    """UTC time to the millisecond, ISO 8601 with a Z."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def make_records(request_id: str, bundle, frame: pd.DataFrame | RowColumns, proba: np.ndarray,
                 source: str, client_id: str | None) -> list[dict[str, Any]]:
    """One record per row of ``frame``: the row's inputs (the model's columns) and answer."""
    stamp = now()
    head = {"id": request_id, "time": stamp, "project": bundle.project,
            "version": bundle.version, "source": source}
    if client_id is not None:
        head["client_id"] = client_id
    inputs = input_rows(bundle.schema, frame)
    if bundle.has_values:
        answers = [{"value": float(v)} for v in proba[:, 0]]
    else:
        labels = bundle.label_names(proba)
        answers = [{"label": str(label), "probabilities": dict(zip(bundle.classes, row.tolist()))}
                   for label, row in zip(labels, proba)]
    return [{**head, "row": i, "input": inputs[i], **answers[i]} for i in range(len(answers))]


def input_rows(schema, rows: pd.DataFrame | RowColumns) -> list:
    """Each row's inputs: column -> value, or an image's pixels as one list. Built from one
    object array (pandas' ``to_dict`` and a column selection each cost about a millisecond per
    request, more than the rest of the log), or numeric :class:`RowColumns`' own values (the
    same Python numbers, without a table)."""
    names = schema.names
    values = (rows.values() if isinstance(rows, RowColumns) and rows.names == names
              and schema.image_shape is None else None)
    if values is not None:
        return [dict(zip(names, row)) for row in values]
    frame = frame_of(rows)
    if list(frame.columns) != names:
        frame = frame[names]
    if schema.image_shape is not None:
        return frame.to_numpy().tolist()
    return [dict(zip(names, row)) for row in frame.to_numpy(dtype=object)]
