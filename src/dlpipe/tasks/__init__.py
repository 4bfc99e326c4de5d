"""The scikit-learn MNIST classification study (issue #4).

One module per task (:mod:`binary`, :mod:`multiclass`, :mod:`multilabel`, :mod:`denoise`), each
with a pure ``run_task(X_train, y_train, X_test, y_test, cfg, seed, project) -> TaskResult``;
:mod:`augment` holds the image transforms and :mod:`tuning` the Optuna KNN search. Inputs are the
raw uint8 pixel rows (n x 784) and integer digit labels; every scaling happens inside the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

TASKS = ("binary", "multiclass", "multilabel", "denoise")


@dataclass
class TaskResult:
    """What a task produced; nothing is written until :meth:`write` / :meth:`write_figures`.

    rows       tidy rows (dlpipe.evaluation.ROW_COLUMNS), one number each
    metrics    a JSON-ready dict for ``metrics.json`` (``dvc metrics``)
    plot_data  CSV name (no suffix) -> frame for ``dvc plots`` (curves; confusion as
               ``actual,predicted``)
    figures    PNG name (no suffix) -> function drawing it to the given path
    seconds    wall time of the task
    """

    task: str
    rows: pd.DataFrame
    metrics: dict[str, Any]
    plot_data: dict[str, pd.DataFrame]
    figures: dict[str, Callable[[Path], None]] = field(repr=False)
    seconds: float

    def write_figures(self, out_dir: str | Path) -> list[Path]:
        """Draw every figure as ``out_dir/<name>.png`` (atomic writes); return the paths."""
        written = []
        for name, draw in self.figures.items():
            target = Path(out_dir) / f"{name}.png"
            draw(target)
            written.append(target)
        return written

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``metrics.json``, ``scores.csv``, ``plots/<name>.csv`` and ``figures/<name>.png``
        under ``out_dir`` (e.g. ``reports/mnist/study/binary``); return name -> path."""
        from dlpipe.io import write_csv, write_json

        out = Path(out_dir)
        paths = {"metrics": out / "metrics.json", "scores": out / "scores.csv"}
        write_json(paths["metrics"], self.metrics)
        write_csv(paths["scores"], self.rows)
        for name, frame in self.plot_data.items():
            paths[f"plots/{name}"] = out / "plots" / f"{name}.csv"
            write_csv(paths[f"plots/{name}"], frame)
        for target in self.write_figures(out / "figures"):
            paths[f"figures/{target.stem}"] = target
        return paths
