"""``python -m dlpipe STAGE PROJECT``: load and validate params, then run one stage's job.

Known failures (bad params, missing or corrupt data, no network) print one line and exit 2; any
failure's traceback is kept in the stage's log file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dlpipe.errors import DlpipeError, ParamsError
from dlpipe.pipeline import jobs
from dlpipe.pipeline.table import BY_NAME, STAGES

log = logging.getLogger("dlpipe")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlpipe", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[s.name for s in STAGES] + ["dag"],
                        help="stage to run, or 'dag' to write dvc.yaml from the stage table")
    parser.add_argument("project", nargs="?", default=None,
                        help=f"project name from params.yaml ('{jobs.ALL}' for report)")
    parser.add_argument("--worker", type=int, default=None,
                        help="tune_worker: this worker's index (0 .. tune.workers-1)")
    parser.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    parser.add_argument("--check", action="store_true",
                        help="dag: exit 1 if dvc.yaml differs from the table instead of writing")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from dlpipe import logs

    try:
        params = jobs.load(args.params)
        if args.stage == "dag":
            return _dag(params, args.check)
        stage = BY_NAME[args.stage]
        wildcards = _wildcards(stage, args, params)
        logs.setup(Path(jobs.log_path(stage, wildcards)), args.verbose)
        from dlpipe.pipeline import runner

        runner.execute(stage, wildcards, params, args.params)
        return 0
    except DlpipeError as exc:
        log.debug("error detail", exc_info=True)  # the log file keeps the traceback
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        log.exception("%s %s failed", args.stage, args.project or "")
        return 1


def _wildcards(stage, args: argparse.Namespace, params) -> dict:
    """Validate the project (and worker) arguments against the params and the stage's scope."""
    if stage.scope == "all":
        if args.project not in (None, jobs.ALL):
            raise ParamsError(f"stage {stage.name} runs across projects: expected "
                              f"'{jobs.ALL}', got {args.project!r}")
        return {"project": jobs.ALL}
    enabled = jobs.projects_of(stage, params)
    if args.project not in enabled:
        raise ParamsError(f"{params.source}: projects: stage {stage.name} expected one of "
                          f"{enabled}, got {args.project!r}")
    if stage.scope != "worker":
        return {"project": args.project}
    workers = params.project(args.project).tune.workers
    if args.worker is None or not 0 <= args.worker < workers:
        raise ParamsError(f"{params.source}: {args.project}.tune.workers: expected --worker in "
                          f"0..{workers - 1}, got {args.worker}")
    return {"project": args.project, "worker": args.worker}


def _dag(params, check: bool) -> int:
    from dlpipe.io import write_text
    from dlpipe.pipeline.dvc import dvc_yaml_text

    target = Path("dvc.yaml")
    text = dvc_yaml_text(params)
    if check:
        same = target.exists() and target.read_text() == text
        print("dvc.yaml is up to date" if same else
              "dvc.yaml differs from the stage table: run `python -m dlpipe dag`")
        return 0 if same else 1
    write_text(target, text)
    print(f"wrote {target}")
    return 0
