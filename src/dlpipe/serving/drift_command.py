"""``python -m dlpipe drift PROJECT --input ROWS``: new rows against the project's drift
reference (``models/<p>-reference/``, the reference stage's output). Prints a short table;
writes the report (JSON) and its rows (CSV) if asked. Exit 0: no drift, 1: drift, 2: bad input
rows, params or a missing bundle or reference (one line per problem, nothing written)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from dlpipe import io
from dlpipe.errors import DataError, DlpipeError, InputError, ParamsError
from dlpipe.params import DriftParams, load_params

EXIT_DRIFT, EXIT_USAGE = 1, 2
MAX_PROBLEMS = 20  # problem lines printed for bad input rows before "and N more"
SHOWN_TESTS = 15  # result rows the printed table shows (the smallest p-values)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlpipe drift", description="Check whether new rows still look like the rows "
        "the project's model was trained and tested on: one test per input column and per "
        "model output, against the reference the reference stage writes (models/PROJECT-"
        "reference/). Exit 0: no drift, 1: drift, 2: bad input, params or missing files.")
    parser.add_argument("project", help="the project whose bundle and reference to use")
    parser.add_argument("--input", required=True,
                        help="a .csv or .parquet file of new rows with the project's feature "
                             "columns (at least drift.min_rows of them)")
    parser.add_argument("--output", default=None, help="write the report here (.json)")
    parser.add_argument("--table", default=None,
                        help="write the report's rows here (.csv): column, test, statistic, "
                             "p_value, effect, drifted")
    parser.add_argument("--params", default="params.yaml",
                        help="params file: the project's drift section (defaults.drift for a "
                             "project without a section) and its CSV options (default "
                             "params.yaml)")
    parser.add_argument("--root", default=".",
                        help="the repository holding models/ (default .)")
    return parser


def drift(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe.serving.drift import summary_text

    try:
        for path, suffix in ((args.output, ".json"), (args.table, ".csv")):
            if path is not None and Path(path).suffix != suffix:
                raise DlpipeError(f"{path}: expected a {suffix} file")
        report = _report(args)
    except InputError as exc:
        print(exc.report(args.input, MAX_PROBLEMS), file=sys.stderr)
        return EXIT_USAGE
    except DlpipeError as exc:
        print(f"dlpipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary_text(report, SHOWN_TESTS))
    _write(report, args.output, args.table)
    return EXIT_DRIFT if report["drift"] else 0


def _report(args: argparse.Namespace) -> dict:
    """The report of the input rows; raises what the user can fix."""
    from dlpipe.serving.bundle import as_graph, load_bundle, read_rows
    from dlpipe.serving.drift import drift_report, load_reference, too_few

    params, sep, na_values = settings(args.params, args.project)
    # the model's outputs on every row are most of a check's time; the graph gives the eager
    # network's numbers several times faster on a large batch (MNIST: 10 000 images)
    bundle = as_graph(load_bundle(args.project, args.root))
    reference = load_reference(args.project, args.root)
    frame = read_rows(args.input, bundle.schema, sep, na_values)
    problems = bundle.check(frame)
    if problems:
        raise InputError(problems)
    reason = too_few(len(frame), params)
    if reason is not None:
        raise DataError(f"{args.input}: {reason}; nothing written")
    return drift_report(bundle, reference, frame, params)


def _write(report: dict, output: str | None, rows: str | None) -> None:
    from dlpipe.serving.drift import table

    if output is not None:
        io.write_json(output, report)
        print(f"wrote {output}")
    if rows is not None:
        io.write_csv(rows, table(report))
        print(f"wrote {rows}")


def settings(path: str | Path, project: str) -> tuple[DriftParams, str, list[str]]:
    """The project's drift params and how its CSV data is parsed (separator, missing-value
    markers; pandas' defaults for a project without a section or a CSV source)."""
    params = load_params(path)
    section = params.sections.get(project)
    if section is None:
        return drift_params(path, [project])[project], ",", []
    data = section.data
    return section.drift, getattr(data, "sep", ","), list(getattr(data, "na_values", []))


def drift_params(path: str | Path, projects: list[str]) -> dict[str, DriftParams]:
    """Each project's drift params from the params file: its own section's, or the file's
    ``defaults.drift`` for a project the file has no section for (a bundle served from
    elsewhere)."""
    params = load_params(path)
    out = {p: params.sections[p].drift for p in projects if p in params.sections}
    missing = [p for p in projects if p not in out]
    if missing:
        raw = yaml.safe_load(Path(path).read_text())
        try:
            fallback = DriftParams.model_validate(raw["defaults"]["drift"])
        except (KeyError, TypeError, ValidationError) as error:
            first = str(error).splitlines()[0]
            raise ParamsError(f"{path}: defaults.drift: needed for {missing[0]!r} (no section "
                              f"of its own), but it is absent or invalid ({first})") from None
        out.update({p: fallback for p in missing})
    return out
