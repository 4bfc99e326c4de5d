"""``dlpipe add NAME --file PATH --target COLUMN``: a project from a CSV file in the repository,
its section appended to the params file and its name to ``projects``."""

from __future__ import annotations

import argparse
import sys

from dlpipe.cli.options import command_parser, params_option, refuse
from dlpipe.errors import DlpipeError


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("add", "Add a project from a CSV file in the repository: append "
        "its section (source, target, checksum, feature columns and kinds) to the params file "
        "and its name to projects.")
    parser.add_argument("name", help="the project's name (lower case, digits and _)")
    parser.add_argument("--file", required=True,
                        help="the CSV file, relative to the repository (e.g. data/external/x.csv)")
    parser.add_argument("--target", required=True, help="the label column")
    parser.add_argument("--task", choices=["classification", "regression"],
                        help="what the target holds (default: regression for a numeric target "
                             "of many distinct values, else classification)")
    parser.add_argument("--drop", action="append", default=[], metavar="COL",
                        help="a column to leave out (repeatable)")
    parser.add_argument("--keep", action="append", default=[], metavar="COL",
                        help="a column to keep although it cannot help a model (all missing, "
                             "constant, or an ID): such columns are left out otherwise "
                             "(repeatable)")
    parser.add_argument("--replace", action="store_true",
                        help="write the section of a project that has one anew")
    parser.add_argument("--sep", default=",", help="the field separator (default ',')")
    parser.add_argument("--na-values", action="append", default=[], metavar="TEXT",
                        help="a cell text that means missing (repeatable; default none)")
    params_option(parser)
    return parser


def main(argv: list[str]) -> int:
    """``dlpipe add``: write the section, print it and the next steps; warnings on stderr."""
    args = _parser().parse_args(argv)
    from dlpipe.projects import add

    try:
        added = add(args.name, args.file, args.target, args.drop, args.sep, args.na_values,
                    args.params, keep=args.keep, replace=args.replace, task=args.task)
    except DlpipeError as exc:
        return refuse(exc)
    for warning in added.warnings:
        print(f"dlpipe: warning: {warning}", file=sys.stderr)
    print(f"added project {added.name} to {args.params}:\n\n{added.text}\n"
          f"next: version the data with `dvc add {added.path}`, then run this project's stages "
          f"with `snakemake project_{added.name}` or `dvc repro --glob '*@{added.name}'` "
          "(`make run` runs every project)")
    return 0
