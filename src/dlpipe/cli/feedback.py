"""``dlpipe feedback PROJECT --input LABELS.csv``: the true labels (a numeric target: values)
of logged rows, by request id, added to the project's prediction log as the server's
``/v2/models/<p>/feedback`` adds them. The file is checked whole: any unknown request or row,
bad label or row labelled before is named (one line each) and nothing is kept."""

from __future__ import annotations

import argparse
from pathlib import Path

from dlpipe.cli.options import command_parser, params_option, read_params, refuse, root_option
from dlpipe.errors import DataError, DlpipeError

COLUMNS = ("id", "row", "label", "value")


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("feedback", "Add the true labels (a numeric target: values) of "
        "rows in the project's prediction log, by the request id an answer carried. Nothing "
        "is kept if any line is refused.")
    parser.add_argument("project", help="the project whose log the labels belong to")
    parser.add_argument("--input", required=True,
                        help="a CSV file with columns id (the request id), row (the row's "
                             "place in that request; 0 if absent) and label (or value)")
    params_option(parser, ": serve.monitor, where the log is")
    root_option(parser)
    return parser


def read_items(path: str) -> list[dict]:
    """The feedback items of a CSV file: ids and labels as text, rows as integers, values as
    numbers (pandas would read a label column of digits as numbers)."""
    import pandas as pd

    if not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype={"id": str, "label": str}, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if "id" not in frame.columns or ("label" in frame) == ("value" in frame) or unknown:
        raise DataError(f"{path}: expected columns id, row (optional) and one of label or "
                        f"value, got {list(frame.columns)}")
    items = []
    for record in frame.to_dict("records"):
        item = dict(record)
        if "row" in item:
            item["row"] = _integer(item["row"])
        if "value" in item:
            item["value"] = _number(item["value"])
        items.append(item)
    return items


def _integer(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return text  # refused by the check, which names the line


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe.monitoring import feedback
    from dlpipe.monitoring.prediction_log import PredictionLog, log_directory

    try:
        monitor = read_params(args.params).serve.monitor
        if monitor.log_dir is None:
            raise DlpipeError("serve.monitor.log_dir is null in the params file: there is no "
                              "prediction log to attach labels to")
        directory = log_directory(args.root, monitor.log_dir, args.project)
        if not directory.is_dir():
            raise DataError(f"{directory}: no prediction log for project {args.project!r} "
                            "(`dlpipe serve` or `dlpipe predict --log` writes it)")
        items = read_items(args.input)
        prediction_log = PredictionLog.open(directory, monitor, "feedback")
        try:
            feedback.record(prediction_log, items)
        finally:
            prediction_log.close()
    except DlpipeError as exc:
        return refuse(exc)
    print(f"recorded {len(items)} label(s) in {directory}")
    return 0
