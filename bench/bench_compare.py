"""``dlpipe compare``'s statistics by simulation: false alarms of A/A runs (two versions of the
same accuracy, or the same error spread) against alpha, and the power of A/B runs with a known
accuracy gap at the rows the module says are needed, for both designs.

Paired runs draw each version's rows independently (the discordance ``rows_needed`` assumes by
default). Targets: false alarms at most alpha (0.05) over at least 500 runs; power at least 0.8
for a 3-point gap at the rows reported as needed. Prints each figure with its 95 % binomial
interval next to its target. Nothing is read or written.

    python bench/bench_compare.py [--runs 2000] [--accuracy 0.9]
"""

from __future__ import annotations

import argparse

from _common import REPO  # noqa: F401  (puts src/ on the path)
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from dlpipe.insight.comparison import (CHALLENGER_BETTER, NO_DIFFERENCE,  # noqa: E402
                                       compare_accuracy, compare_rmse, rows_needed)

ALPHA, POWER, GAP = 0.05, 0.8, 0.03


def interval(hits: int, runs: int) -> str:
    low, high = stats.binomtest(hits, runs).proportion_ci(0.95)
    return f"{hits / runs:.3f} [{low:.3f}, {high:.3f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--accuracy", type=float, default=0.9)
    args = parser.parse_args()
    rng, p = np.random.default_rng(0), args.accuracy
    for paired in (False, True):
        design = "paired" if paired else "split"
        n = rows_needed(p, GAP, ALPHA, POWER, paired)
        alarms = sum(compare_accuracy(rng.random(n) < p, rng.random(n) < p, paired,
                                      ALPHA).decision != NO_DIFFERENCE for _ in range(args.runs))
        errors = sum(compare_rmse(rng.normal(0, 1, n), rng.normal(0, 1, n), paired,
                                  ALPHA).decision != NO_DIFFERENCE for _ in range(args.runs))
        found = sum(compare_accuracy(rng.random(n) < p, rng.random(n) < p + GAP, paired,
                                     ALPHA).decision == CHALLENGER_BETTER
                    for _ in range(args.runs))
        print(f"{design:6s} rows needed per version for a {GAP:.0%} gap at accuracy {p}: {n}")
        print(f"{design:6s} A/A accuracy false alarms: {interval(alarms, args.runs)} "
              f"(target <= {ALPHA}) over {args.runs} runs")
        print(f"{design:6s} A/A RMSE false alarms:     {interval(errors, args.runs)} "
              f"(target <= {ALPHA})")
        print(f"{design:6s} A/B power, {GAP:.0%} gap:        {interval(found, args.runs)} "
              f"(target >= {POWER})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
