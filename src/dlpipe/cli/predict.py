"""``dlpipe predict PROJECT --input ROWS --output FILE``: the class of every input row, by the
project's bundle; rows that do not fit its schema are refused, one line per problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from dlpipe.cli.options import command_parser, csv_options, params_option, read_params, refuse
from dlpipe.errors import DlpipeError


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("predict", "Predict the class of every input row with the "
        "project's bundle models/PROJECT/ (the select stage writes it). Rows that do not fit "
        "the bundle's schema are refused, one line per problem, and nothing is written.")
    parser.add_argument("project", help="the project whose bundle predicts")
    parser.add_argument("--input", required=True,
                        help="a .csv or .parquet file of rows with the project's feature "
                             "columns; its label column and dropped columns are ignored. An "
                             "image project also takes an image file (PNG or JPEG) or a "
                             "folder of them, read as its training images were")
    parser.add_argument("--output", required=True,
                        help="the predictions (.csv or .parquet): label, then proba_<class> "
                             "for every class, one row per input row in the input's order "
                             "(images: a file column first, in sorted order)")
    parser.add_argument("--ignore", action="append", default=[], metavar="COL",
                        help="a column of the input the model does not read (e.g. an ID): "
                             "left out before the rows are checked (repeatable)")
    parser.add_argument("--log", action="store_true",
                        help="also append every row and its answer to the project's prediction "
                             "log (serve.monitor.log_dir), as the server does, so feedback "
                             "labels can refer to them; the request id is printed")
    params_option(parser, ": a CSV input is read with the project's data.sep and "
                          "data.na_values, as its data file is; pandas' defaults if the file "
                          "is absent or lacks the project; --log reads serve.monitor")
    return parser


def main(argv: list[str]) -> int:
    """``dlpipe predict``: problems with the rows on stderr, one line each (capped)."""
    args = _parser().parse_args(argv)
    from dlpipe import io

    writers = {".csv": io.write_csv, ".parquet": io.write_parquet}
    try:
        write = writers.get(Path(args.output).suffix)
        if write is None:
            raise DlpipeError(f"{args.output}: the output must be a .csv or .parquet file")
        if Path(args.output).resolve() == Path(args.input).resolve():
            raise DlpipeError(f"{args.output}: is the input; predictions go to another file")
        params = read_params(args.params, required=args.log)
        sep, na_values = csv_options(params, args.project)
        from dlpipe.bundle.inference import load_bundle
        from dlpipe.bundle.rows import read_input

        bundle = load_bundle(args.project)
        rows, files = read_input(args.input, bundle.schema, sep, na_values)
        rows = _without(rows, args.ignore, bundle.schema, args.input)
        proba = bundle.predict_proba(rows)
        predictions = bundle.table(proba, rows.index)
        if files is not None:
            predictions.insert(0, "file", files)
        request_id = _log(bundle, rows, proba, params) if args.log else None
    except DlpipeError as exc:
        return refuse(exc, args.input)
    write(args.output, predictions)
    print(f"wrote {len(predictions)} predictions to {args.output}")
    if request_id is not None:
        print(f"logged as request {request_id} (rows 0..{len(predictions) - 1})")
    return 0


def _log(bundle, rows, proba, params) -> str:
    """Log the rows and the bundle's answers ``proba`` as one request; its id."""
    from dlpipe.monitoring.prediction_log import PredictionLog, log_directory

    monitor = params.serve.monitor
    if monitor.log_dir is None:
        raise DlpipeError("--log: serve.monitor.log_dir is null in the params file: no log to "
                          "append to")
    prediction_log = PredictionLog(log_directory(".", monitor.log_dir, bundle.project),
                                   monitor, "predict")
    try:
        return prediction_log.record(bundle, rows, proba)
    finally:
        prediction_log.close()


def _without(rows, ignore: list[str], schema, path: str):
    """``rows`` without the ``--ignore`` columns, each of which must be in the file and not
    one the model reads."""
    features = {column.name for column in schema.columns}
    for column in ignore:
        if column not in rows.columns:
            raise DlpipeError(f"--ignore {column}: no such column in {path} (its columns: "
                              f"{[str(c) for c in rows.columns][:20]})")
        if column in features:
            raise DlpipeError(f"--ignore {column}: the model reads that column; it cannot be "
                              "left out")
    return rows.drop(columns=list(dict.fromkeys(ignore)))
