"""``dlpipe experiments``: DVC's experiments as a table a person reads in a terminal.

``dvc exp show`` adds every key of params.yaml and every metric of every project as a column
(hundreds of them). This command reads the same data (``dvc exp show --json``) and keeps what
a comparison needs: for each project its tuning metric on the test part and its CV mean, and
the params keys whose values differ between the rows shown, at most :data:`MAX_COLUMNS`
columns in all. Options after ``--`` go to ``dvc exp show`` (``-- --all-commits``, ``-- -n 5``).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from dlpipe.cli.options import command_parser, params_option, read_params, refuse
from dlpipe.errors import DlpipeError

MAX_COLUMNS = 60  # a table a wide terminal shows whole
SHORT_REV = 7


@dataclass(frozen=True)
class Row:
    """One row of the table: the workspace, a commit or an experiment of a commit."""

    name: str
    created: str
    params: dict[str, Any] = field(default_factory=dict)   # params.yaml, flattened
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> flattened


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("experiments", "DVC's experiments (dvc exp show) with the "
        "columns a comparison needs: each project's tuning metric on the test part and its "
        f"CV mean, then the params keys that differ between the rows; at most {MAX_COLUMNS} "
        "columns. Options after -- go to dvc exp show (e.g. -- --all-commits).")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.add_argument("dvc_options", nargs=argparse.REMAINDER,
                        help="-- then options of dvc exp show")
    params_option(parser, ": each project's tune.metric names its headline metric")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    dvc_options = [a for a in args.dvc_options if a != "--"]
    try:
        params = read_params(args.params)
        metric = {p: section.tune.metric for p, section in params.project_params.items()}
        rows = rows_of(_exp_show_json(dvc_options))
    except DlpipeError as exc:
        return refuse(exc)
    header, cells, left_out = table(rows, metric, MAX_COLUMNS)
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows([header, *([row[0].strip(), *row[1:]] for row in cells)])
    else:
        print(aligned(header, cells))
    if left_out:
        print(f"{len(header)} of {len(header) + left_out} columns shown; `dvc exp show "
              "--only-changed` lists every one", file=sys.stderr)
    return 0


def _exp_show_json(options: list[str]) -> list[dict]:
    command = [sys.executable, "-m", "dvc", "exp", "show", "--json", *options]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise DlpipeError(f"dvc exp show failed: {last}")
    return json.loads(done.stdout)


def rows_of(exp_show: list[dict]) -> list[Row]:
    """The rows of ``dvc exp show --json``: each baseline (the workspace, commits), then its
    experiments; a row DVC could not read is left out."""
    rows = []
    for baseline in exp_show:
        name = baseline["rev"] if baseline["rev"] == "workspace" else (
            baseline.get("name") or baseline["rev"][:SHORT_REV])
        rows.extend(_row(name, baseline))
        for exp_range in baseline.get("experiments") or []:
            for state in exp_range["revs"]:
                rows.extend(_row(f"  {state.get('name') or state['rev'][:SHORT_REV]}", state))
    return rows


def _row(name: str, state: dict) -> list[Row]:
    data = state.get("data")
    if not data:
        return []
    params = data["params"].get("params.yaml", {}).get("data", {})
    metrics = {path: flat(found.get("data", {})) for path, found in data["metrics"].items()}
    return [Row(name, (data.get("timestamp") or "")[:16].replace("T", " "), flat(params),
                metrics)]


def flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of nested mappings by dotted key (lists are leaves, as DVC shows them)."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        leaves.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return leaves


def table(rows: list[Row], metric: dict[str, str],
          max_columns: int) -> tuple[list[str], list[list[str]], int]:
    """Header, cells and how many columns were left out: name and time, each project's
    test and CV value of its metric (projects in any row, in params.yaml's order), then the
    params keys whose values differ between the rows."""
    shown = [p for p in metric if any(f"reports/{p}/metrics.json" in r.metrics for r in rows)]
    columns: list[tuple[str, Any]] = []
    for p in shown:
        columns += [(f"{p} test {metric[p]}", lambda r, p=p: r.metrics.get(
                        f"reports/{p}/metrics.json", {}).get(f"test.{metric[p]}")),
                    (f"{p} cv {metric[p]}", lambda r, p=p: r.metrics.get(
                        f"reports/{p}/cv.json", {}).get(f"summary.{metric[p]}.mean"))]
    keys = sorted({k for r in rows for k in r.params}, key=_params_order(rows))
    changed = [k for k in keys if len({json.dumps(r.params.get(k)) for r in rows}) > 1]
    columns += [(k, lambda r, k=k: r.params.get(k)) for k in changed]
    room = max_columns - 2
    header = ["Experiment", "Created", *(name for name, _ in columns[:room])]
    cells = [[r.name, r.created, *(_cell(get(r)) for _, get in columns[:room])] for r in rows]
    return header, cells, max(0, len(columns) - room)


def _params_order(rows: list[Row]):
    """Keys in the order params.yaml has them (the first row that has each)."""
    order: dict[str, int] = {}
    for r in rows:
        for k in r.params:
            order.setdefault(k, len(order))
    return order.__getitem__


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def aligned(header: list[str], cells: list[list[str]]) -> str:
    """A plain text table, one column per header, numbers and text left-aligned."""
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(row, widths)).rstrip()
             for row in [header, *cells]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])
