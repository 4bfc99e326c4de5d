"""``python -m dlpipe STAGE PROJECT``: load and validate params, then run one stage.

Known failures (bad params, missing or corrupt data, no network) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from pathlib import Path

from dlpipe import dag
from dlpipe.errors import DlpipeError, ParamsError

log = logging.getLogger("dlpipe")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlpipe", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[s.name for s in dag.STAGES] + ["dag"],
                        help="stage to run, or 'dag' to write dvc.yaml from the stage table")
    parser.add_argument("project", nargs="?", default=None,
                        help=f"project name from params.yaml ('{dag.ALL}' for report)")
    parser.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    parser.add_argument("--check", action="store_true",
                        help="dag: exit 1 if dvc.yaml differs from the table instead of writing")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from dlpipe import logs
    from dlpipe.params import load_params

    try:
        params = load_params(args.params)
        if args.stage == "dag":
            return _dag(params, args.check)
        stage = dag.BY_NAME[args.stage]
        project = _check_project(stage, args.project, params)
        log_file = Path(dag.resolve(stage, project, params)["log"])
        logs.setup(log_file, args.verbose)
        module = importlib.import_module(f"dlpipe.stages.{stage.name}")
        started = time.perf_counter()
        log.info("%s %s: start (params %s)", stage.name, project, args.params)
        module.run(params, project)
        log.info("%s %s: done in %.1f s", stage.name, project, time.perf_counter() - started)
        return 0
    except DlpipeError as exc:
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        logging.getLogger("dlpipe").debug("error detail", exc_info=True)
        return EXIT_USAGE


def _check_project(stage: dag.Stage, project: str | None, params) -> str:
    if not stage.per_project:
        if project not in (None, dag.ALL):
            raise ParamsError(f"stage {stage.name} runs across projects: expected "
                              f"'{dag.ALL}', got {project!r}")
        return dag.ALL
    if project is None:
        raise ParamsError(f"stage {stage.name}: expected a project (one of {params.projects}), "
                          "got none")
    params.project(project)  # raises with the list of enabled projects
    return project


def _dag(params, check: bool) -> int:
    target = Path("dvc.yaml")
    text = dag.dvc_yaml_text(params)
    if check:
        same = target.exists() and target.read_text() == text
        print("dvc.yaml is up to date" if same else
              "dvc.yaml differs from the stage table: run `python -m dlpipe dag`")
        return 0 if same else 1
    from dlpipe.io import write_text

    write_text(target, text)
    print(f"wrote {target}")
    return 0
