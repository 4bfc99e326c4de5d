"""``dlpipe compare PROJECT``: the versions that answered a project's labelled rows, compared:
each one's accuracy (a numeric target: RMSE) with its interval, the difference, a two-sided
test and the decision at ``serve.challenger.alpha``, and the labelled rows per version a test
needs to find ``serve.challenger.effect`` with ``power``. A shadowed log is compared row by
row (paired), a split one as two samples."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from dlpipe.cli.options import command_parser, params_option, read_params, refuse, root_option
from dlpipe.errors import DataError, DlpipeError


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("compare", "Compare the versions of a project's model that "
        "answered its labelled rows (a challenger beside the served bundle, or the bundles "
        "before and after a retraining): metric, intervals, test and decision.")
    parser.add_argument("project", help="the project whose prediction log to read")
    parser.add_argument("--champion", default=None, metavar="VERSION",
                        help="the version to beat (default: the one shadowed, else the bundle "
                             "under models/PROJECT, else the one that answered most rows)")
    parser.add_argument("--challenger", default=None, metavar="VERSION",
                        help="the other version (default: the other one that answered)")
    parser.add_argument("--output", default=None, help="also write the comparison here (.json)")
    params_option(parser, ": serve.monitor (the log) and serve.challenger (alpha, power, "
                          "effect, min_rows)")
    root_option(parser)
    return parser


def pick(rows, shadowed: bool, champion: str | None, challenger: str | None,
         served: str | None) -> tuple[str, str]:
    """(champion, challenger) versions among those that answered ``rows``."""
    answered = Counter(v for row in rows for v in row.answers)
    if shadowed and champion is None:
        champion = Counter(row.answered for row in rows if len(row.answers) > 1).most_common(1)[
            0][0]
    if champion is None:
        champion = served if served in answered else answered.most_common(1)[0][0]
    others = [v for v, _ in answered.most_common() if v != champion]
    challenger = challenger or (others[0] if len(others) == 1 else None)
    if challenger is None:
        raise DataError(f"labelled rows were answered by {len(answered)} version(s) "
                        f"{sorted(answered)}: name --champion and --challenger" if others else
                        f"every labelled row was answered by version {champion}: nothing to "
                        "compare it with")
    for version in (champion, challenger):
        if version not in answered:
            raise DataError(f"version {version!r} answered no labelled row (versions: "
                            f"{sorted(answered)})")
    return champion, challenger


def outcomes(rows, version: str) -> np.ndarray:
    """Each row's outcome for ``version``: right (a class) or its error (a value)."""
    values = [(row.answers[version], row.truth) for row in rows]
    if values and isinstance(values[0][1], str):
        return np.array([answer == truth for answer, truth in values], dtype=bool)
    return np.array([float(answer) - float(truth) for answer, truth in values])


def _rows_needed(base: float, knobs, paired: bool, discordance: float | None) -> int:
    """Rows per version for the params' power at their effect; a measured discordance the
    effect cannot have (too small) gives way to the independent-errors assumption."""
    from dlpipe.insight.comparison_power import rows_needed

    try:
        return rows_needed(base, knobs.effect, knobs.alpha, knobs.power, paired, discordance)
    except ValueError:
        return rows_needed(base, knobs.effect, knobs.alpha, knobs.power, paired)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe import io
    from dlpipe.insight.comparison import compare_accuracy, compare_rmse
    from dlpipe.monitoring.labelled import labelled_rows
    from dlpipe.monitoring.prediction_log import log_directory

    try:
        serve = read_params(args.params).serve
        if serve.monitor.log_dir is None:
            raise DlpipeError("serve.monitor.log_dir is null in the params file: no log")
        directory = log_directory(args.root, serve.monitor.log_dir, args.project)
        rows, shadowed = labelled_rows(directory)
        manifest = Path(args.root) / "models" / args.project / io.MANIFEST
        served = io.file_sha256(manifest)[:12] if manifest.is_file() else None
        champion, challenger = pick(rows, shadowed, args.champion, args.challenger, served)
        paired = shadowed and any(len(r.answers) > 1 for r in rows)
        a = [r for r in rows if champion in r.answers and (not paired or challenger in r.answers)]
        b = a if paired else [r for r in rows if challenger in r.answers]
        if not paired:  # each row counts for the version whose answer was returned
            a = [r for r in a if r.answered == champion]
            b = [r for r in b if r.answered == challenger]
        knobs = serve.challenger
        first, second = outcomes(a, champion), outcomes(b, challenger)
        test = compare_accuracy if first.dtype == bool else compare_rmse
        result = test(first, second, paired, knobs.alpha, knobs.min_rows)
    except DlpipeError as exc:
        return refuse(exc)
    print(f"{args.project}: champion {champion}, challenger {challenger}")
    print(result.table())
    summary = {"project": args.project, "champion": champion, "challenger": challenger,
               **result.as_dict()}
    if result.metric == "accuracy" and result.values[0] == result.values[0]:
        # at the champion's accuracy, or as close as a gap above it allows; paired, at the
        # share of rows the two versions disagree on in this log
        base = min(result.values[0], 1 - knobs.effect - 0.001)
        needed = _rows_needed(base, knobs, paired, float(np.mean(first != second))
                              if paired else None)
        summary["rows_needed"] = needed
        print(f"  rows needed per version to find a {knobs.effect:g} gap with power "
              f"{knobs.power:g}: {needed} (have {min(result.rows)})")
    if args.output:
        io.write_json(args.output, summary)
    return 0
