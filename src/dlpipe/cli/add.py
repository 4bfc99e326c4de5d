"""``dlpipe add NAME --file PATH --target COLUMN``: a project from a CSV file in the repository,
its section appended to the params file and its name to ``projects``."""

from __future__ import annotations

import argparse
import sys

from dlpipe.cli.options import command_parser, params_option, refuse
from dlpipe.errors import DlpipeError


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("add", "Add a project from a CSV file or a folder of images in the "
        "repository: append its section (source, target, checksum, feature columns and kinds, "
        "or the images' shape and a CNN) to the params file and its name to projects.")
    parser.add_argument("name", help="the project's name (lower case, digits and _)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file",
                        help="the CSV file, relative to the repository (e.g. data/external/x.csv)")
    source.add_argument("--images", metavar="FOLDER",
                        help="a folder, relative to the repository, with one subfolder of "
                             "images (PNG or JPEG) per class, the subfolder's name the class; "
                             "or a CSV file there with a column 'path' (each image's path "
                             "inside the file's folder) and the class column (--target)")
    parser.add_argument("--target", help="the label column (with --file; with --images "
                                         "FILE.csv, default 'label')")
    parser.add_argument("--size", nargs=2, type=int, default=[32, 32],
                        metavar=("HEIGHT", "WIDTH"),
                        help="with --images: every image resized to this (default 32 32)")
    parser.add_argument("--channels", type=int, choices=[1, 3],
                        help="with --images: 1 (grey) or 3 (RGB); default 3 if any image has "
                             "colour, else 1")
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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.file and not args.target:
        parser.error("--file needs --target (the label column)")
    if args.images and (args.task or args.drop or args.keep):
        parser.error("--images takes no --task, --drop or --keep: the classes are the "
                     "subfolders (or the CSV file's column)")
    if args.images and args.target and not args.images.lower().endswith(".csv"):
        parser.error("--images FOLDER takes no --target: the subfolders are the classes (a CSV "
                     "file of image paths names its class column with --target)")
    if min(args.size) < 1:
        parser.error(f"--size: expected two positive numbers, got {args.size}")
    try:
        if args.images:
            from dlpipe.image_projects import add_images

            added = add_images(args.name, args.images, args.params, tuple(args.size),
                               args.channels, replace=args.replace,
                               target=args.target or "label")
        else:
            from dlpipe.projects import add

            added = add(args.name, args.file, args.target, args.drop, args.sep,
                        args.na_values, args.params, keep=args.keep, replace=args.replace,
                        task=args.task)
    except DlpipeError as exc:
        return refuse(exc)
    for warning in added.warnings:
        print(f"dlpipe: warning: {warning}", file=sys.stderr)
    print(f"added project {added.name} to {args.params}:\n\n{added.text}\n"
          f"next: version the data with `dvc add {added.path}`, then run this project's stages "
          f"with `snakemake project_{added.name}` or `dvc repro --glob '*@{added.name}'` "
          "(`make run` runs every project)")
    return 0
