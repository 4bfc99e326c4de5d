"""``dlpipe drift PROJECT --input ROWS``: new rows against the project's drift
reference (``models/<p>-reference/``, the reference stage's output). Prints a short table;
writes the report (JSON) and its rows (CSV) if asked. Exit 0: no drift, 1: drift, 2: bad input
rows, params or a missing bundle or reference (one line per problem, nothing written)."""

from __future__ import annotations

import argparse
from pathlib import Path

from dlpipe import io
from dlpipe.cli.options import (EXIT_DRIFT, command_parser, csv_options, drift_params,
                                params_option, read_params, refuse, root_option)
from dlpipe.errors import DataError, DlpipeError, InputError

SHOWN_TESTS = 15  # result rows the printed table shows (the smallest p-values)


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("drift", "Check whether new rows still look like the rows "
        "the project's model was trained and tested on: one test per input column and per "
        "model output, against the reference the reference stage writes (models/PROJECT-"
        "reference/). Exit 0: no drift, 1: drift, 2: bad input, params or missing files.")
    parser.add_argument("project", help="the project whose bundle and reference to use")
    parser.add_argument("--input", required=True,
                        help="a .csv or .parquet file of new rows with the project's feature "
                             "columns (at least drift.min_rows of them); an image project also "
                             "takes a folder of image files")
    parser.add_argument("--output", default=None, help="write the report here (.json)")
    parser.add_argument("--table", default=None,
                        help="write the report's rows here (.csv): column, test, statistic, "
                             "p_value, effect, drifted")
    params_option(parser, ": the project's drift section (defaults.drift for a "
                          "project without a section) and its CSV options")
    root_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe.insight.drift import summary_text

    try:
        for path, suffix in ((args.output, ".json"), (args.table, ".csv")):
            if path is not None and Path(path).suffix != suffix:
                raise DlpipeError(f"{path}: expected a {suffix} file")
        report = _report(args)
    except DlpipeError as exc:
        return refuse(exc, args.input)
    print(summary_text(report, SHOWN_TESTS))
    _write(report, args.output, args.table)
    return EXIT_DRIFT if report["drift"] else 0


def _report(args: argparse.Namespace) -> dict:
    """The report of the input rows; raises what the user can fix."""
    from dlpipe.bundle.graph import as_graph
    from dlpipe.bundle.inference import load_bundle
    from dlpipe.bundle.rows import read_input
    from dlpipe.insight.drift import drift_report, load_reference, too_few

    params = read_params(args.params)
    sep, na_values = csv_options(params, args.project)
    settings = drift_params(params, [args.project])[args.project]
    # the model's outputs on every row are most of a check's time; the graph gives the eager
    # network's numbers several times faster on a large batch (MNIST: 10 000 images)
    bundle = as_graph(load_bundle(args.project, args.root))
    reference = load_reference(args.project, args.root)
    frame, _ = read_input(args.input, bundle.schema, sep, na_values)
    problems = bundle.check(frame)
    if problems:
        raise InputError(problems)
    reason = too_few(len(frame), settings)
    if reason is not None:
        raise DataError(f"{args.input}: {reason}; nothing written")
    return drift_report(bundle, reference, frame, settings)


def _write(report: dict, output: str | None, rows: str | None) -> None:
    from dlpipe.insight.drift import table

    if output is not None:
        io.write_json(output, report)
        print(f"wrote {output}")
    if rows is not None:
        io.write_csv(rows, table(report))
        print(f"wrote {rows}")
