"""``dlpipe retrain PROJECT``: labelled served rows into a new version of the project's data,
its stages run, and the new model promoted only if the paired test on the holdout rows finds
it better (see :mod:`dlpipe.retraining`). Exit 0: promoted; 3: the served model stays (not
better, or ``--when-needed`` found no reason); 2: refused, nothing changed."""

from __future__ import annotations

import argparse

from dlpipe.cli.options import command_parser, params_option, refuse
from dlpipe.errors import DlpipeError

EXIT_KEPT = 3


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("retrain", "Add a project's labelled served rows (the prediction "
        "log and its feedback) to its data, run its stages, and promote the new model only if "
        "it beats the served one on labelled holdout rows by a paired test; the working copy "
        "is put back otherwise. Run it in the repository, with no other run of the pipeline.")
    parser.add_argument("project", help="the project to retrain")
    parser.add_argument("--when-needed", action="store_true",
                        help="only if the latest served rows drift or their accuracy is below "
                             "retrain.trigger's (for a cron or SLURM job)")
    parser.add_argument("--runner", choices=["snakemake", "dvc"], default=None,
                        help="what runs the stages (default: retrain.runner)")
    parser.add_argument("--restore", action="store_true",
                        help="only put back the state an interrupted retraining kept aside")
    params_option(parser, ": retrain, serve.monitor (the log) and the project's section")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe.retraining.run import restore, retrain

    try:
        if args.restore:
            print(restore(args.project, args.params))
            return 0
        outcome = retrain(args.project, args.params, args.when_needed, args.runner)
    except DlpipeError as exc:
        return refuse(exc)
    print("\n".join(outcome.lines))
    return 0 if outcome.decision == "promoted" else EXIT_KEPT
