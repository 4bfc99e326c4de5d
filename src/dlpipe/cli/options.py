"""What the commands share: exit codes, the problem cap, one reading of the params file, and
how a project's CSV files are parsed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlpipe.errors import DlpipeError, InputError
from dlpipe.params import DEFAULT_PARAMS, DriftParams, Params, load_params

EXIT_USAGE = 2  # bad params, input rows or a missing file: one line per problem
EXIT_DRIFT = 1  # ``dlpipe drift``: the rows drifted
MAX_PROBLEMS = 20  # problem lines printed for bad input rows before "and N more"


def command_parser(command: str, description: str, **more) -> argparse.ArgumentParser:
    """The argument parser of ``dlpipe <command>`` (``more``: argparse's other settings)."""
    return argparse.ArgumentParser(prog=f"dlpipe {command}".strip(), description=description,
                                   **more)


def params_option(parser: argparse.ArgumentParser, reads: str = "") -> None:
    """``--params``: the params file, and what of it the command reads (``": ..."``)."""
    parser.add_argument("--params", default=DEFAULT_PARAMS,
                        help=f"params file{reads} (default {DEFAULT_PARAMS})")


def root_option(parser: argparse.ArgumentParser) -> None:
    """``--root``: where the bundles are."""
    parser.add_argument("--root", default=".", help="the repository holding models/ (default .)")


def refuse(error: DlpipeError, source: str | None = None) -> int:
    """Print ``error`` (an InputError: one line per problem of ``source``) and return
    :data:`EXIT_USAGE`."""
    if isinstance(error, InputError) and source is not None:
        print(error.report(source, MAX_PROBLEMS), file=sys.stderr)
    else:
        print(f"dlpipe: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def read_params(path: str | Path, required: bool = True) -> Params | None:
    """The validated params file; None when it is optional, the default and absent."""
    if not required and str(path) == DEFAULT_PARAMS and not Path(path).exists():
        return None
    return load_params(path)


def csv_options(params: Params | None, project: str) -> tuple[str, list[str]]:
    """How the project's own CSV data is parsed (separator, missing-value markers), or pandas'
    defaults (no params, no section for the project, data that is not a CSV file)."""
    section = params.project_params.get(project) if params is not None else None
    data = section.data if section is not None else None
    return getattr(data, "sep", ","), list(getattr(data, "na_values", []))


def drift_params(params: Params, projects: list[str]) -> dict[str, DriftParams]:
    """Each project's drift params: its own section's, or the file's ``defaults.drift`` for a
    project the file has no section for (a bundle served from elsewhere)."""
    own = params.project_params
    return {p: own[p].drift if p in own else params.default_drift for p in projects}
