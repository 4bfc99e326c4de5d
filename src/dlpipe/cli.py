"""``python -m dlpipe STAGE PROJECT``: load and validate params, then run one stage's job.
``python -m dlpipe add NAME --file PATH --target COLUMN`` adds a project from a CSV file.
``python -m dlpipe predict PROJECT --input ROWS --output FILE`` predicts with a project's bundle.
``python -m dlpipe serve [PROJECT ...]`` serves the projects' bundles over HTTP.
``python -m dlpipe drift PROJECT --input ROWS`` checks new rows for drift from the training data.

Known failures (bad params, missing or corrupt data, no network) print one line and exit 2; any
failure's traceback is kept in the stage's log file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dlpipe import cpu
from dlpipe.errors import DlpipeError, ParamsError
from dlpipe.pipeline import jobs
from dlpipe.pipeline.table import BY_NAME, STAGES

log = logging.getLogger("dlpipe")
EXIT_USAGE = 2
MAX_PROBLEMS = 20  # problem lines printed for bad input rows before "and N more"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlpipe", description=__doc__.splitlines()[0],
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
    parser.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    parser.add_argument("--check", action="store_true",
                        help="dag: exit 1 if dvc.yaml differs from the table instead of writing")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _add_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlpipe add", description="Add a project from a CSV file in the repository: append "
        "its section (source, target, checksum, feature columns and kinds) to the params file "
        "and its name to projects.")
    parser.add_argument("name", help="the project's name (lower case, digits and _)")
    parser.add_argument("--file", required=True,
                        help="the CSV file, relative to the repository (e.g. data/external/x.csv)")
    parser.add_argument("--target", required=True, help="the label column")
    parser.add_argument("--drop", action="append", default=[], metavar="COL",
                        help="a column to leave out (repeatable)")
    parser.add_argument("--sep", default=",", help="the field separator (default ',')")
    parser.add_argument("--na-values", action="append", default=[], metavar="TEXT",
                        help="a cell text that means missing (repeatable; default none)")
    parser.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    return parser


def _add(argv: list[str]) -> int:
    """``dlpipe add``: write the section, print it and the next steps; warnings on stderr."""
    args = _add_parser().parse_args(argv)
    from dlpipe.projects import add

    try:
        added = add(args.name, args.file, args.target, args.drop, args.sep, args.na_values,
                    args.params)
    except DlpipeError as exc:
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for warning in added.warnings:
        print(f"dlpipe: warning: {warning}", file=sys.stderr)
    print(f"added project {added.name} to {args.params}:\n\n{added.text}\n"
          f"next: version the data with `dvc add {added.path}`, then run `make run` or "
          "`dvc repro`")
    return 0


def _predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlpipe predict", description="Predict the class of every input row with the "
        "project's bundle models/PROJECT/ (the train stage writes it). Rows that do not fit "
        "the bundle's schema are refused, one line per problem, and nothing is written.")
    parser.add_argument("project", help="the project whose bundle predicts")
    parser.add_argument("--input", required=True,
                        help="a .csv or .parquet file of rows with the project's feature "
                             "columns; its label column and dropped columns are ignored")
    parser.add_argument("--output", required=True,
                        help="the predictions (.csv or .parquet): label, then proba_<class> "
                             "for every class, one row per input row in the input's order")
    parser.add_argument("--params", default="params.yaml",
                        help="params file: a CSV input is read with the project's data.sep and "
                             "data.na_values, as its data file is (default params.yaml; "
                             "pandas' defaults if that is absent or lacks the project)")
    return parser


def _predict(argv: list[str]) -> int:
    """``dlpipe predict``: problems with the rows on stderr, one line each (capped)."""
    args = _predict_parser().parse_args(argv)
    from dlpipe import io
    from dlpipe.errors import InputError

    writers = {".csv": io.write_csv, ".parquet": io.write_parquet}
    try:
        write = writers.get(Path(args.output).suffix)
        if write is None:
            raise DlpipeError(f"{args.output}: the output must be a .csv or .parquet file")
        if Path(args.output).resolve() == Path(args.input).resolve():
            raise DlpipeError(f"{args.output}: is the input; predictions go to another file")
        sep, na_values = _csv_options(args.project, args.params)
        from dlpipe.serving.bundle import load_bundle, read_rows

        bundle = load_bundle(args.project)
        predictions = bundle.predict(read_rows(args.input, bundle.schema, sep, na_values))
    except InputError as exc:
        print(exc.report(args.input, MAX_PROBLEMS), file=sys.stderr)
        return EXIT_USAGE
    except DlpipeError as exc:
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    write(args.output, predictions)
    print(f"wrote {len(predictions)} predictions to {args.output}")
    return 0


def _csv_options(project: str, params_file: str) -> tuple[str, list[str]]:
    """How the project's own CSV data is parsed (separator, missing-value markers), or
    pandas' defaults (no params file at the default place, not a project of it, not a CSV)."""
    if params_file == jobs.DEFAULT_PARAMS and not Path(params_file).exists():
        return ",", []
    params = jobs.load(params_file)
    if project not in params.projects:
        return ",", []
    data = params.project(project).data
    return getattr(data, "sep", ","), list(getattr(data, "na_values", []))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["add"]:
        return _add(argv[1:])
    if argv[:1] == ["predict"]:
        return _predict(argv[1:])
    if argv[:1] == ["serve"]:
        from dlpipe.serving.command import serve

        return serve(argv[1:])
    if argv[:1] == ["drift"]:
        from dlpipe.serving.drift_command import drift

        return drift(argv[1:])
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
        logs.setup(Path(jobs.log_path(stage, wildcards)), args.verbose)
        cpu.limit_threads(jobs.resources(params, stage).threads)  # before NumPy loads
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
