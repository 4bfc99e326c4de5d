"""The champion/challenger statistics: each test against scipy's, the decision's direction
for an error, too few rows, and seeded A/A and A/B simulations (false alarms at alpha, power at
the rows it says are needed)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dlpipe.insight.comparison import (CHALLENGER_BETTER, CHAMPION_BETTER, NO_DIFFERENCE,
                                       TOO_FEW, compare_accuracy, compare_rmse, rows_needed)


def test_paired_accuracy_is_mcnemar_s_exact_test():
    champion = np.array([1] * 80 + [0] * 20 + [1] * 5 + [0] * 15, bool)
    challenger = np.array([1] * 80 + [0] * 20 + [0] * 5 + [1] * 15, bool)
    result = compare_accuracy(champion, challenger, paired=True, alpha=0.05)
    assert result.p_value == pytest.approx(stats.binomtest(15, 20, 0.5).pvalue)
    assert result.difference == pytest.approx(10 / 120)
    assert result.decision == CHALLENGER_BETTER and result.rows == (120, 120)
    assert result.difference_interval[0] > 0


def test_split_accuracy_is_the_pooled_two_proportion_test():
    champion, challenger = np.r_[np.ones(860), np.zeros(140)], np.r_[np.ones(880), np.zeros(120)]
    result = compare_accuracy(champion, challenger, paired=False, alpha=0.05)
    pooled = 1740 / 2000
    z = 0.02 / np.sqrt(pooled * (1 - pooled) * 2 / 1000)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    low, high = result.intervals[0]
    assert low < 0.86 < high and result.decision == NO_DIFFERENCE


def test_rmse_tests_are_scipy_s_and_lower_error_wins():
    rng = np.random.default_rng(0)
    champion, challenger = rng.normal(0, 2.0, 400), rng.normal(0, 1.5, 400)
    split = compare_rmse(champion, challenger, paired=False, alpha=0.05)
    assert split.p_value == pytest.approx(
        stats.ttest_ind(challenger ** 2, champion ** 2, equal_var=False).pvalue)
    assert split.decision == CHALLENGER_BETTER and split.difference < 0
    paired = compare_rmse(challenger, champion, paired=True, alpha=0.05)
    assert paired.p_value == pytest.approx(stats.ttest_rel(champion ** 2, challenger ** 2).pvalue)
    assert paired.decision == CHAMPION_BETTER


def test_too_few_rows_and_unpaired_lengths():
    assert compare_accuracy([True], [False, True], paired=False, alpha=0.05,
                            min_rows=30).decision == TOO_FEW
    assert compare_rmse([1.0], [1.0], paired=False, alpha=0.05).decision == TOO_FEW
    with pytest.raises(ValueError, match="paired outcomes need the same rows: 3 and 2"):
        compare_accuracy([1, 1, 0], [1, 0], paired=True, alpha=0.05)


@pytest.mark.parametrize("paired", [False, True])
def test_a_a_false_alarms_stay_at_alpha_and_a_b_power_meets_its_claim(paired):
    rng, alpha, runs = np.random.default_rng(7), 0.05, 400
    n = rows_needed(0.85, 0.05, alpha, 0.8, paired)
    alarms = sum(compare_accuracy(rng.random(n) < 0.85, rng.random(n) < 0.85, paired,
                                  alpha).decision != NO_DIFFERENCE for _ in range(runs))
    found = sum(compare_accuracy(rng.random(n) < 0.85, rng.random(n) < 0.90, paired,
                                 alpha).decision == CHALLENGER_BETTER for _ in range(runs))
    margin = 3 * np.sqrt(alpha * (1 - alpha) / runs)
    assert alarms / runs <= alpha + margin
    assert abs(found / runs - 0.8) <= 3 * np.sqrt(0.8 * 0.2 / runs)
