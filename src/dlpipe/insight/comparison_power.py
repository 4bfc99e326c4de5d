"""How likely :mod:`dlpipe.insight.comparison`'s accuracy tests are to find a challenger's gap,
and the labelled rows per version they need for a wanted power.

The power is exact under the model it states, not a normal approximation: the counts are
binomial, and the normal formulas with or without a continuity correction miss the exact
tests' power by a few points at the row counts that matter. Paired (a shadow), the rows the
two versions disagree on are binomial with the discordance's probability, and among them the
challenger's wins are binomial; the exact McNemar test decides. Split, each version's right
answers are binomial over its own rows; the pooled z-test decides. Power counts only the
decisions "challenger better", not a significant result the wrong way round.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

WINDOW = 12  # standard deviations kept either side of a binomial's mean: the rest weighs < 1e-30
LARGEST = 2 ** 40  # rows beyond any real log: the search stops there instead of looping


def independent_discordance(accuracy: float, gap: float) -> float:
    """The share of rows exactly one version gets right if the versions' errors were
    independent. Two versions trained alike err on the same hard rows and disagree less, so
    this default overstates the rows a shadow needs; pass the discordance a shadow measured."""
    challenger = accuracy + gap
    return accuracy * (1 - challenger) + challenger * (1 - accuracy)


def _check(accuracy: float, gap: float, alpha: float, discordance: float | None) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if not (0 <= accuracy and gap > 0 and accuracy + gap <= 1):
        raise ValueError(f"a gap of {gap} above accuracy {accuracy} is not an accuracy "
                         "(the gap must be positive and the challenger's accuracy at most 1)")
    if discordance is None:
        return independent_discordance(accuracy, gap)
    only_challenger, only_champion = (discordance + gap) / 2, (discordance - gap) / 2
    if not (only_champion >= 0 and only_challenger <= 1 - accuracy
            and only_champion <= accuracy):
        raise ValueError(f"discordance {discordance} is impossible for accuracies {accuracy} "
                         f"and {accuracy + gap}: it lies between the gap and "
                         f"{min(2 - 2 * accuracy - gap, 2 * accuracy + gap):.4g}")
    return discordance


def _around(rows: int, share: float) -> np.ndarray:
    """The counts of a binomial(rows, share) that carry its weight."""
    spread = WINDOW * math.sqrt(rows * share * (1 - share)) + 1
    low, high = max(0, math.floor(rows * share - spread)), min(rows, math.ceil(rows * share +
                                                                                  spread))
    return np.arange(low, high + 1)


def _paired_power(rows: int, gap: float, alpha: float, discordance: float) -> float:
    disagreements = _around(rows, discordance)
    # McNemar's two-sided exact p-value is twice the binomial(., 1/2) tail, so the test says
    # "challenger better" from this many challenger wins among the disagreements on
    below = stats.binom.ppf(alpha / 2, disagreements, 0.5) - 1
    needed = disagreements - below
    wins = (discordance + gap) / (2 * discordance)
    return float(np.sum(stats.binom.pmf(disagreements, rows, discordance)
                        * stats.binom.sf(needed - 1, disagreements, wins)))


def _split_power(rows: int, accuracy: float, gap: float, alpha: float) -> float:
    champion = _around(rows, accuracy).astype(float)
    # the pooled z-statistic rises with the challenger's count above the champion's, so it
    # passes the critical value from the larger root of z**2 = critical**2, a quadratic in it
    square, both = stats.norm.isf(alpha / 2) ** 2, 2.0 * rows
    a = both + square
    b = -2 * both * champion - square * (both - 2 * champion)
    c = both * champion ** 2 - square * champion * (both - champion)
    root = (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0))) / (2 * a)
    needed = np.maximum(np.floor(root) + 1, champion + 1)
    return float(np.sum(stats.binom.pmf(champion, rows, accuracy)
                        * stats.binom.sf(needed - 1, rows, accuracy + gap)))


def detection_power(accuracy: float, gap: float, alpha: float, rows: int, paired: bool,
                    discordance: float | None = None) -> float:
    """The probability that the test at ``alpha`` decides "challenger better" when the
    champion's accuracy is ``accuracy``, the challenger's ``accuracy + gap``, and each version
    has ``rows`` labelled rows (paired: the same rows, ``discordance`` of them answered right
    by exactly one version; by default :func:`independent_discordance`)."""
    discordance = _check(accuracy, gap, alpha, discordance)
    if rows < 1:
        return 0.0
    if paired:
        return _paired_power(int(rows), gap, alpha, discordance)
    return _split_power(int(rows), accuracy, gap, alpha)


def rows_needed(accuracy: float, gap: float, alpha: float, power: float, paired: bool,
                discordance: float | None = None) -> int:
    """Labelled rows per version at which :func:`detection_power` reaches ``power``, found by
    bisection. The exact power ripples by a fraction of a point from one row count to the
    next (the counts are whole numbers), so a few rows more can sit just under ``power``."""
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, not {power}")
    _check(accuracy, gap, alpha, discordance)

    def enough(rows: int) -> bool:
        return detection_power(accuracy, gap, alpha, rows, paired, discordance) >= power

    high = 1
    while not enough(high):
        if high >= LARGEST:
            raise ValueError(f"no row count up to {LARGEST} gives power {power}")
        high *= 2
    low = high // 2  # below it the power is short (or it is 0)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high
