"""The live figures of a served project, per bundle version: accuracy (a numeric target: RMSE)
over the latest labelled rows, and the accuracy estimated from the model's confidence over the
latest rows served, labelled or not (labels often come back late, or never)."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from typing import Callable

import numpy as np

from dlpipe.monitoring.feedback import Outcome

# confidences of served rows -> (estimated accuracy, its standard error)
Estimator = Callable[[np.ndarray], tuple[float, float]]


class LiveFigures:
    """Bounded windows (``window_rows`` each) of labelled outcomes and of served confidences,
    per version; ``estimator`` is None where no estimate can be made (a numeric target, or no
    reference to calibrate on). Thread-safe."""

    def __init__(self, window_rows: int, estimator: Estimator | None = None):
        self.window_rows, self.estimator = window_rows, estimator
        self._outcomes: dict[str, deque[Outcome]] = defaultdict(self._window)
        self._confidences: dict[str, deque[float]] = defaultdict(self._window)
        self._lock = threading.Lock()

    def _window(self) -> deque:
        return deque(maxlen=self.window_rows)

    def served(self, version: str, confidences: np.ndarray) -> None:
        """Rows answered: the probability the model gave each row's predicted class."""
        if self.estimator is None:
            return
        with self._lock:
            self._confidences[version].extend(confidences.tolist())

    def labelled(self, outcomes: list[Outcome]) -> None:
        with self._lock:
            for outcome in outcomes:
                self._outcomes[outcome.version].append(outcome)

    def figures(self) -> dict[str, dict[str, float]]:
        """Per version: ``labelled_rows`` and ``accuracy`` or ``rmse`` over them (when any),
        and ``estimated_accuracy`` with ``estimated_accuracy_se`` (when rows were served)."""
        with self._lock:
            outcomes = {v: list(window) for v, window in self._outcomes.items()}
            confidences = {v: np.array(window) for v, window in self._confidences.items()}
        out: dict[str, dict[str, float]] = defaultdict(dict)
        for version, rows in outcomes.items():
            out[version]["labelled_rows"] = len(rows)
            if rows and rows[0].correct is not None:
                out[version]["accuracy"] = float(np.mean([o.correct for o in rows]))
            elif rows:
                out[version]["rmse"] = math.sqrt(float(np.mean([o.error ** 2 for o in rows])))
        for version, values in confidences.items():
            if len(values) and self.estimator is not None:
                estimate, error = self.estimator(values)
                out[version]["estimated_accuracy"] = estimate
                out[version]["estimated_accuracy_se"] = error
        return dict(out)
