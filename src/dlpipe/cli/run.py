"""``dlpipe STAGE PROJECT``: load and validate params, then run one job of the stage table
(``dlpipe dag`` writes dvc.yaml from the table).

Known failures (bad params, missing or corrupt data, no network, a full disk) print one line and
exit 2; any failure's traceback is kept in the stage's log file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dlpipe import cpu
from dlpipe.cli.options import command_parser, params_option, refuse
from dlpipe.errors import DlpipeError, ParamsError
from dlpipe.pipeline import job_client, jobs, scheduling
from dlpipe.pipeline.table import BY_NAME, STAGES

log = logging.getLogger("dlpipe")


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "", __doc__.splitlines()[0],
        epilog="dlpipe add NAME --file PATH --target COLUMN: add a project from a CSV file "
               "(dlpipe add --help); dlpipe predict PROJECT --input ROWS --output FILE: predict "
               "with the project's trained bundle (dlpipe predict --help); dlpipe serve "
               "[PROJECT ...]: serve bundles over HTTP (dlpipe serve --help); dlpipe drift PROJECT "
               "--input ROWS: check new rows for drift (dlpipe drift --help)")
    parser.add_argument("stage", choices=[s.name for s in STAGES] + ["dag"],
                        help="stage to run, or 'dag' to write dvc.yaml from the stage table")
    parser.add_argument("project", nargs="?", default=None,
                        help=f"project name from params.yaml ('{jobs.ALL}' for report)")
    parser.add_argument("--worker", default=None,
                        help="tune_worker: this worker's index (0 .. tune.workers-1), or 'all' "
                             "to run every worker of the project at once")
    params_option(parser)
    parser.add_argument("--check", action="store_true",
                        help="dag: exit 1 if dvc.yaml differs from the table instead of writing")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe import logs

    try:
        params = jobs.load(args.params)
        if args.stage == "dag":
            return _dag(args.check)
        stage = BY_NAME[args.stage]
        if stage.scope == "worker" and args.worker == "all":
            return _all_workers(stage, args, params)
        wildcards = _wildcards(stage, args, params)
        threads = scheduling.resources(params, stage).threads
        forked = job_client.preloaded_threads is not None
        if forked and not job_client.fits(threads, _backends(params, stage, wildcards)):
            return job_client.OWN_PROCESS_EXIT  # its libraries are not the server's: run alone
        logs.setup(Path(jobs.log_path(stage, wildcards)), args.verbose)
        if forked:
            log.debug("forked by the job server: its libraries are imported")
        cpu.limit_threads(threads)  # before NumPy loads
        from dlpipe.pipeline import runner

        runner.execute(stage, wildcards, params, args.params)
        return 0
    except DlpipeError as exc:
        log.debug("error detail", exc_info=True)  # the log file keeps the traceback
        return refuse(exc)
    except Exception:
        log.exception("%s %s failed", args.stage, args.project or "")
        return 1


def _backends(params, stage, wildcards: dict) -> set[str]:
    """The Keras backends a job of ``stage`` trains on: those its project's params name, for a
    stage that trains networks (every other stage loads them with TensorFlow)."""
    if not stage.trains or wildcards["project"] == jobs.ALL:
        return set()
    return job_client.backends_named(params.project(wildcards["project"]).model_dump())


def _wildcards(stage, args: argparse.Namespace, params) -> dict:
    """Validate the project (and worker) arguments against the params and the stage's scope."""
    if stage.scope == "all":
        if args.project not in (None, jobs.ALL):
            raise ParamsError(f"stage {stage.name} runs across projects: expected "
                              f"'{jobs.ALL}', got {args.project!r}")
        return {"project": jobs.ALL}
    if args.project not in params.projects:
        raise ParamsError(f"{params.source}: projects: stage {stage.name} expected one of "
                          f"{params.projects}, got {args.project!r}")
    if stage.scope != "worker":
        return {"project": args.project}
    workers = params.project(args.project).tune.workers
    if args.worker not in [str(k) for k in range(workers)]:
        raise ParamsError(f"{params.source}: {args.project}.tune.workers: expected --worker in "
                          f"0..{workers - 1} or 'all', got {args.worker}")
    return {"project": args.project, "worker": int(args.worker)}


def _all_workers(stage, args: argparse.Namespace, params) -> int:
    """Every tuning worker of the project as its own process, at once (how DVC, which runs one
    stage at a time, uses several cores); fails if any worker fails."""
    import subprocess

    if args.project not in params.projects:
        raise ParamsError(f"{params.source}: projects: stage {stage.name} expected one of "
                          f"{params.projects}, got {args.project!r}")
    workers = range(params.project(args.project).tune.workers)
    command = [sys.executable, "-m", "dlpipe", stage.name, args.project, "--params", args.params]
    running = [subprocess.Popen([*command, "--worker", str(k)]) for k in workers]
    codes = [process.wait() for process in running]
    failed = [k for k, code in zip(workers, codes) if code != 0]
    if failed:
        print(f"dlpipe: error: {stage.name} {args.project}: workers {failed} failed (see "
              f"logs/{args.project}/{stage.name}-<k>.log)", file=sys.stderr)
        return max(codes)
    return 0


def _dag(check: bool) -> int:
    from dlpipe.io import write_text
    from dlpipe.pipeline.dvc import dvc_yaml_text

    target = Path("dvc.yaml")
    text = dvc_yaml_text()
    if check:
        same = target.exists() and target.read_text() == text
        print("dvc.yaml is up to date" if same else
              "dvc.yaml differs from the stage table: run `python -m dlpipe dag`")
        return 0 if same else 1
    write_text(target, text)
    print(f"wrote {target}")
    return 0
