"""``python -m dlpipe STAGE PROJECT``: load and validate params, then run one stage.

Known failures (bad params, missing or corrupt data, no network) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
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
        params = dag.load(args.params)
        if args.stage == "dag":
            return _dag(params, args.check)
        stage = dag.BY_NAME[args.stage]
        wildcards = _wildcards(stage, args, params)
        logs.setup(Path(dag.log_path(stage, wildcards)), args.verbose)
        module = importlib.import_module(stage.entry)
        run = getattr(module, stage.function)
        started = time.perf_counter()
        threads = params.resources[stage.name].threads
        log.info("%s: start (params %s, %d threads)", dag.command(stage, wildcards), args.params,
                 threads)
        # BLAS/OpenMP pools sized from params, not from the front end's environment (Snakemake
        # sets OMP_NUM_THREADS, DVC does not): reductions over 1 or 2 threads differ in the last
        # digits, and both front ends must give the same numbers.
        # TensorFlow's own pools likewise (read when TF starts, i.e. inside the stage): two
        # tuning workers on two cores must not each spread over both.
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=threads):
            run(params, *wildcards.values())
        log.info("%s: done in %.1f s", dag.command(stage, wildcards), time.perf_counter() - started)
        return 0
    except DlpipeError as exc:
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        logging.getLogger("dlpipe").debug("error detail", exc_info=True)
        return EXIT_USAGE


def _wildcards(stage: dag.Stage, args: argparse.Namespace, params) -> dict:
    """Validate the project (and worker) arguments against the params and the stage's scope."""
    if stage.scope == "all":
        if args.project not in (None, dag.ALL):
            raise ParamsError(f"stage {stage.name} runs across projects: expected "
                              f"'{dag.ALL}', got {args.project!r}")
        return {"project": dag.ALL}
    enabled = dag.projects_of(stage, params)
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
