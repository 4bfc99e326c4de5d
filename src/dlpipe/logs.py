"""Per-stage logging: to the console and to ``logs/<project>/<stage>.log``.

The log file receives the ``dlpipe`` and Optuna loggers, everything the stage prints (Keras'
epoch lines) and, when the stage fails, the traceback: it is the file Snakemake's
``--show-failed-logs`` shows.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Tee:
    """A text stream that writes to the console stream and to the log file."""

    def __init__(self, console: TextIO, file: TextIO):
        self.console, self.file = console, file

    def write(self, text: str) -> int:
        self.file.write(text)
        self.file.flush()
        return self.console.write(text)

    def flush(self) -> None:
        self.console.flush()
        self.file.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self.console, name)


def setup(log_file: Path | None, verbose: bool = False) -> None:
    """Log to the console (INFO, or DEBUG when ``verbose``) and, when given, to a fresh log file
    (DEBUG: tracebacks of known errors too) that also receives what the stage prints."""
    console = logging.StreamHandler(sys.__stderr__)
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_file, "w")  # stays open for the life of the process
        sys.stdout = Tee(sys.__stdout__, stream)
        sys.stderr = Tee(sys.__stderr__, stream)
        handlers.append(logging.StreamHandler(stream))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for noisy in ("matplotlib", "PIL", "h5py", "absl", "urllib3", "git", "fsspec", "numba",
                  "jax", "pydot", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
