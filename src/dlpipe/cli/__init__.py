"""The ``dlpipe`` command (``python -m dlpipe``): one module per command.

``dlpipe STAGE PROJECT`` runs one job of the stage table (:mod:`~dlpipe.cli.run`), ``dlpipe
add`` adds a project from a CSV file, ``dlpipe predict`` predicts with a project's bundle,
``dlpipe serve`` serves bundles over HTTP, ``dlpipe drift`` checks new rows for drift,
``dlpipe feedback`` adds true labels to the prediction log, ``dlpipe compare`` compares the
versions that answered them, ``dlpipe retrain`` learns from them and promotes a better model,
``dlpipe experiments`` shows DVC's experiments with the columns a comparison needs, and
``dlpipe preload`` runs a front end with its stage jobs forked from one process that has
imported their libraries. Each
command is imported only when named, so ``serve`` never loads the pipeline and a stage never
loads the server. Known failures print one line per problem and exit 2 (see
:mod:`~dlpipe.cli.options`).
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {"add": "add", "predict": "predict", "serve": "serve", "drift": "drift",
            "image": "image", "manifest": "manifest",
            "feedback": "feedback", "compare": "compare", "retrain": "retrain",
            "experiments": "experiments", "preload": "preload"}


def runs_a_stage(argv: list[str]) -> bool:
    """Whether ``argv`` (the arguments after ``dlpipe``) names a stage job rather than a command."""
    return not argv or argv[0] not in COMMANDS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if runs_a_stage(argv):
        from dlpipe.cli.run import run

        return run(argv)
    return importlib.import_module(f"dlpipe.cli.{COMMANDS[argv[0]]}").main(argv[1:])
