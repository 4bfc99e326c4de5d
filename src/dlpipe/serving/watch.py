"""What the server keeps to check drift: per project the latest rows it served (a bounded,
thread-safe window) and the reference they are compared with."""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dlpipe.errors import DataError
from dlpipe.params import DriftParams
from dlpipe.row_columns import RowColumns, concat, frame_of, names_of, since
from dlpipe.insight.drift import drift_report, load_reference, too_few

log = logging.getLogger("dlpipe.serve")


class Window:
    """The last ``size`` rows added (tables or :class:`RowColumns`), oldest first. Requests
    add rows from the threadpool while the drift endpoint reads them, so every access holds
    the lock; rows beyond ``size`` are dropped as new ones come, so memory stays bounded."""

    def __init__(self, size: int):
        self.size = size
        self._parts: deque[pd.DataFrame | RowColumns] = deque()
        self._rows = 0
        self._lock = threading.Lock()

    def add(self, frame: pd.DataFrame | RowColumns) -> None:
        if len(frame) > self.size:
            frame = since(frame, len(frame) - self.size)
        with self._lock:
            self._parts.append(frame)
            self._rows += len(frame)
            while self._rows - len(self._parts[0]) >= self.size:
                self._rows -= len(self._parts.popleft())
            extra = self._rows - self.size
            if extra > 0:  # the oldest part holds rows beyond the window: keep its newest
                self._parts[0] = since(self._parts[0], extra)
                self._rows -= extra

    def __len__(self) -> int:
        with self._lock:
            return self._rows

    def frame(self) -> pd.DataFrame:
        with self._lock:
            parts = list(self._parts)
        return concat(parts)


@dataclass
class Watch:
    """A served project's drift check: its reference (None, and ``problem`` saying why, if it
    could not be loaded), its params and the window of rows it served."""

    bundle: object
    reference: dict | None
    params: DriftParams
    problem: str | None = None
    window: Window = field(init=False)

    def __post_init__(self):
        self.window = Window(self.params.window_rows)

    def add(self, rows: pd.DataFrame | RowColumns) -> None:
        """Keep rows served successfully (their input columns, as checked)."""
        if self.reference is not None:
            names = self.bundle.schema.names
            # a request's rows have the input columns in order already: no copy (~0.3 ms)
            self.window.add(rows if names_of(rows) == names else frame_of(rows)[names])

    def report(self) -> dict:
        """The drift report of the window, or ``"drift": None`` and why with too few rows."""
        frame = self.window.frame()
        reason = too_few(len(frame), self.params)
        if reason is not None:
            return {"project": self.bundle.project, "drift": None, "rows": len(frame),
                    "min_rows": self.params.min_rows, "window_rows": self.window.size,
                    "reason": f"{reason}: too few rows served for a verdict"}
        return {**drift_report(self.bundle, self.reference, frame, self.params),
                "window_rows": self.window.size}


def watches(bundles: dict, params: dict[str, DriftParams], root: str | Path = ".") -> dict:
    """A :class:`Watch` per served project; a missing reference is logged and kept as the
    project's ``problem`` (its predictions are served all the same)."""
    out = {}
    for project, bundle in bundles.items():
        try:
            out[project] = Watch(bundle, load_reference(project, root), params[project])
        except DataError as error:
            log.warning("%s: no drift check: %s", project, error)
            out[project] = Watch(bundle, None, params[project], problem=str(error))
    return out
