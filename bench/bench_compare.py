"""``dlpipe compare``'s statistics by simulation: false alarms of A/A runs (two versions of the
same accuracy, or the same error spread) against alpha, and the power of A/B runs with a known
accuracy gap at the rows per version the module says are needed, for each design.

Three designs: split (each version answers its own rows); paired with independent errors (a
shadow, its discordance the default ``rows_needed`` assumes); paired with a shadow of two
similar versions that disagree on 6 % of the rows, that discordance passed to ``rows_needed``.
Per design, at the rows needed for power 0.8 to find a 3-point gap above accuracy 0.9:

- A/A accuracy: both versions right with probability 0.9. Target: false alarms <= alpha 0.05.
- A/A RMSE: normal errors of spread 1, independent between the versions except for similar
  versions, whose errors are a shared part of spread 1 plus each one's own of spread 0.3 (a
  correlation of 0.92). Target <= 0.05.
- A/B: champion 0.9, challenger 0.93; power counts only "challenger better". Target >= 0.8,
  printed beside the module's exact power at those rows.

Then A/A at 50 rows per version (a small log) for each design. Each rate is printed with its
95 % Clopper-Pearson interval. Verdict: PASS when the interval reaches the target's side (a
rate not significantly above alpha; a power not significantly below 0.8). Seeded; nothing is
read or written.

    python bench/bench_compare.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import time

from _common import verdict  # noqa: E402  (it puts src/ on the path)
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from dlpipe.insight.comparison import (CHALLENGER_BETTER, NO_DIFFERENCE,  # noqa: E402
                                       compare_accuracy, compare_rmse)
from dlpipe.insight.comparison_power import (detection_power,  # noqa: E402
                                             independent_discordance, rows_needed)

ALPHA, POWER, GAP, ACCURACY, SMALL = 0.05, 0.8, 0.03, 0.9, 50
DESIGNS = {"split": (False, None), "paired, independent errors": (True, None),
           "paired, similar versions": (True, 0.06)}


def outcomes(rng, rows: int, paired: bool, discordance: float | None, gap: float):
    """(champion, challenger) right-or-wrong per row: split, independent draws; paired, the
    four cells (both right, only one, neither) drawn so the versions disagree on
    ``discordance`` of the rows and the challenger is ``gap`` better."""
    if not paired:
        return rng.random(rows) < ACCURACY, rng.random(rows) < ACCURACY + gap
    spread = discordance if discordance is not None else independent_discordance(ACCURACY, gap)
    only_challenger, only_champion = (spread + gap) / 2, (spread - gap) / 2
    cell = rng.choice(4, rows, p=[ACCURACY - only_champion, only_champion, only_challenger,
                                  1 - ACCURACY - only_challenger])
    return np.isin(cell, (0, 1)), np.isin(cell, (0, 2))


def errors(rng, rows: int, similar: bool):
    """(champion, challenger) errors of the same spread; correlated for similar versions."""
    if not similar:
        return rng.normal(0, 1, rows), rng.normal(0, 1, rows)
    shared = rng.normal(0, 1, rows)
    return shared + rng.normal(0, 0.3, rows), shared + rng.normal(0, 0.3, rows)


def rate(hits: int, runs: int) -> tuple[str, float, float]:
    interval = stats.binomtest(hits, runs).proportion_ci(0.95)
    return (f"{hits / runs:.3f} [{interval.low:.3f}, {interval.high:.3f}]", interval.low,
            interval.high)


def false_alarms(rng, rows: int, paired: bool, discordance, runs: int, label: str) -> None:
    null_discordance = discordance if discordance is not None else independent_discordance(
        ACCURACY, 0.0)
    alarms = sum(compare_accuracy(*outcomes(rng, rows, paired, null_discordance, 0.0), paired,
                                  ALPHA).decision != NO_DIFFERENCE for _ in range(runs))
    wrong = sum(compare_rmse(*errors(rng, rows, discordance is not None), paired,
                             ALPHA).decision != NO_DIFFERENCE for _ in range(runs))
    for what, hits in (("accuracy", alarms), ("RMSE", wrong)):
        shown, low, _ = rate(hits, runs)
        print(f"  A/A {what:<8} {rows:>5} rows{label}: false alarms {shown} "
              f"(target <= {ALPHA})  {verdict(low <= ALPHA)}")


def design(rng, name: str, paired: bool, discordance, runs: int) -> None:
    rows = rows_needed(ACCURACY, GAP, ALPHA, POWER, paired, discordance)
    claim = detection_power(ACCURACY, GAP, ALPHA, rows, paired, discordance)
    told = "" if discordance is None else f", discordance {discordance}"
    print(f"{name}: rows needed per version for power {POWER} to find a {GAP:.0%} gap above "
          f"{ACCURACY}{told}: {rows}")
    false_alarms(rng, rows, paired, discordance, runs, "")
    found = sum(compare_accuracy(*outcomes(rng, rows, paired, discordance, GAP), paired,
                                 ALPHA).decision == CHALLENGER_BETTER for _ in range(runs))
    shown, _, high = rate(found, runs)
    print(f"  {f'A/B {GAP:.0%} gap':<12} {rows:>5} rows: power {shown} (target >= {POWER}; the "
          f"module's exact power {claim:.3f})  {verdict(high >= POWER)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="simulated runs per figure")
    args = parser.parse_args()
    rng, started = np.random.default_rng(0), time.perf_counter()
    print(f"alpha {ALPHA}, {args.runs} runs per figure, 95 % Clopper-Pearson intervals")
    for name, (paired, discordance) in DESIGNS.items():
        design(rng, name, paired, discordance, args.runs)
    print(f"a small log, {SMALL} labelled rows per version:")
    for name, (paired, discordance) in DESIGNS.items():
        false_alarms(rng, SMALL, paired, discordance, args.runs, f" ({name})")
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
