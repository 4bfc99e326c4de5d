"""The champion/challenger statistics: each test against scipy's, each interval against scipy's
or a published example, the decision's direction for an error, too few rows, bad inputs, and
seeded simulations: false alarms of A/A runs at alpha, coverage of the difference intervals,
and power at the rows the module says are needed, which its exact power formula matches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from dlpipe.insight.comparison import (CHALLENGER_BETTER, CHAMPION_BETTER, NO_DIFFERENCE,
                                       TOO_FEW, compare_accuracy, compare_rmse,
                                       two_proportion_p)
from dlpipe.insight.comparison_power import (detection_power, independent_discordance,
                                             rows_needed)

ALPHA = 0.05


def paired_rows(both: int, only_champion: int, only_challenger: int, neither: int):
    """(champion, challenger) right-or-wrong per row for the given cell counts."""
    champion = [True] * both + [True] * only_champion + [False] * (only_challenger + neither)
    challenger = [True] * both + [False] * only_champion + [True] * only_challenger + [
        False] * neither
    return np.array(champion), np.array(challenger)


def split_rows(right: int, rows: int) -> np.ndarray:
    return np.arange(rows) < right


def correlated_outcomes(rng, rows: int, accuracy: float, discordance: float, gap: float = 0.0):
    """A shadow's (champion, challenger) outcomes: the four cells drawn per row so that the
    versions disagree on ``discordance`` of the rows and the challenger is ``gap`` better."""
    only_challenger, only_champion = (discordance + gap) / 2, (discordance - gap) / 2
    cell = rng.choice(4, rows, p=[accuracy - only_champion, only_champion, only_challenger,
                                  1 - accuracy - only_challenger])
    return np.isin(cell, (0, 1)), np.isin(cell, (0, 2))


# --- against scipy and published figures ------------------------------------------------------
def test_paired_accuracy_is_mcnemar_s_exact_test_with_newcombe_s_interval():
    # Newcombe's paired example as tabulated by Fagerland, Lydersen and Laake (2017, ch. 8):
    # 59 both right, 6 right only for the first, 16 only for the second, 80 neither;
    # first - second = -0.0621, square-and-add interval (-0.1186, -0.0046)
    champion, challenger = paired_rows(59, 16, 6, 80)
    result = compare_accuracy(champion, challenger, paired=True, alpha=ALPHA)
    assert result.p_value == pytest.approx(stats.binomtest(6, 22, 0.5).pvalue)
    assert result.difference == pytest.approx(-10 / 161) and result.rows == (161, 161)
    assert result.difference_interval == pytest.approx((-0.1186, -0.0046), abs=5e-5)
    # the exact test (p = 0.052) is more cautious than the interval: the decision follows it
    assert result.p_value == pytest.approx(0.0525, abs=1e-4)
    assert result.decision == NO_DIFFERENCE
    for right, interval in zip((75, 65), result.intervals):
        wilson = stats.binomtest(right, 161).proportion_ci(1 - ALPHA, method="wilson")
        assert interval == pytest.approx((wilson.low, wilson.high))


def test_split_accuracy_is_pearson_s_test_with_newcombe_s_hybrid_interval():
    # Newcombe's unpaired example, 56/70 against 48/80: interval (0.0524, 0.3339)
    result = compare_accuracy(split_rows(48, 80), split_rows(56, 70), paired=False, alpha=ALPHA)
    table = [[48, 32], [56, 14]]
    assert result.p_value == pytest.approx(stats.chi2_contingency(table, correction=False)[1])
    assert result.difference_interval == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert result.decision == CHALLENGER_BETTER and result.rows == (80, 70)
    # Fagerland et al.'s 7/34 against 1/34: interval (0.0189, 0.3404)
    small = compare_accuracy(split_rows(1, 34), split_rows(7, 34), paired=False, alpha=ALPHA)
    assert small.difference_interval == pytest.approx((0.0189, 0.3404), abs=5e-5)


def test_no_disagreement_and_no_spread_give_p_one():
    same = split_rows(90, 100)
    assert compare_accuracy(same, same, paired=True, alpha=ALPHA).p_value == 1.0
    assert two_proportion_p(50, 50, 40, 40) == 1.0
    assert compare_rmse([1.0] * 5, [-1.0] * 5, paired=False, alpha=ALPHA).p_value == 1.0
    assert compare_rmse([1.0] * 5, [2.0] * 5, paired=True, alpha=ALPHA).decision == \
        CHAMPION_BETTER


def test_rmse_tests_are_scipy_s_and_the_lower_error_wins():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.0, 400)
    champion, challenger = shared + rng.normal(0, 1.5, 400), shared + rng.normal(0, 0.5, 400)
    split = compare_rmse(champion, challenger, paired=False, alpha=ALPHA)
    assert split.p_value == pytest.approx(
        stats.ttest_ind(challenger ** 2, champion ** 2, equal_var=False).pvalue)
    assert split.values == pytest.approx((np.sqrt(np.mean(champion ** 2)),
                                          np.sqrt(np.mean(challenger ** 2))))
    assert split.difference < 0 and split.better == "lower"
    assert split.decision == CHALLENGER_BETTER
    swapped = compare_rmse(challenger, champion, paired=True, alpha=ALPHA)
    assert swapped.p_value == pytest.approx(stats.ttest_rel(champion ** 2,
                                                            challenger ** 2).pvalue)
    assert swapped.difference > 0 and swapped.decision == CHAMPION_BETTER
    assert swapped.difference_interval[0] > 0


# --- too few rows and bad inputs ----------------------------------------------------------------
def test_too_few_rows_report_the_metrics_and_no_test():
    result = compare_accuracy(split_rows(9, 10), split_rows(20, 20), paired=False, alpha=ALPHA,
                              min_rows=30)
    assert result.decision == TOO_FEW and result.values == (0.9, 1.0)
    as_dict = result.as_dict()
    assert as_dict["p_value"] is None and as_dict["difference_interval"] == [None, None]
    assert json.loads(json.dumps(as_dict, allow_nan=False)) == as_dict
    assert "p = n/a" in result.table() and TOO_FEW in result.table()
    one_row = compare_rmse([1.0], [3.0, 1.0], paired=False, alpha=ALPHA)
    assert one_row.decision == TOO_FEW and one_row.values[0] == 1.0


@pytest.mark.parametrize("compare", [compare_accuracy, compare_rmse])
def test_a_paired_comparison_of_different_rows_is_refused(compare):
    with pytest.raises(ValueError, match="same rows: the champion has 3 rows, the "
                                         "challenger 2"):
        compare([1, 1, 0], [1, 0], paired=True, alpha=ALPHA)


def test_outcomes_that_are_not_right_or_wrong_or_not_finite_are_refused():
    with pytest.raises(ValueError, match="challenger's outcomes must be right or wrong"):
        compare_accuracy([1, 0], [0.5, 1.0], paired=False, alpha=ALPHA)
    with pytest.raises(ValueError, match="champion's errors hold 1 missing"):
        compare_rmse([np.nan, 1.0], [1.0, 2.0], paired=False, alpha=ALPHA)
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        compare_rmse([1.0, 2.0], [1.0, 2.0], paired=False, alpha=5)


# --- simulations ----------------------------------------------------------------------------
@pytest.mark.parametrize("paired", [False, True])
def test_a_a_false_alarms_stay_at_alpha(paired):
    rng, runs, rows = np.random.default_rng(7), 400, 40
    margin = 3 * np.sqrt(ALPHA * (1 - ALPHA) / runs)
    alarms = errors = 0
    for _ in range(runs):
        champion, challenger = (correlated_outcomes(rng, rows, 0.85, 0.1) if paired else
                                (rng.random(rows) < 0.85, rng.random(rows) < 0.85))
        alarms += compare_accuracy(champion, challenger, paired, ALPHA).decision != NO_DIFFERENCE
        shared = rng.normal(0, 1, rows) if paired else 0.0
        errors += compare_rmse(shared + rng.normal(0, 1, rows), shared + rng.normal(0, 1, rows),
                               paired, ALPHA).decision != NO_DIFFERENCE
    assert alarms / runs <= ALPHA + margin and errors / runs <= ALPHA + margin


@pytest.mark.parametrize("paired", [False, True])
def test_difference_intervals_cover_the_true_difference(paired):
    rng, runs, rows = np.random.default_rng(3), 300, 200
    covered = {"accuracy": 0, "rmse": 0}
    for _ in range(runs):
        champion, challenger = (correlated_outcomes(rng, rows, 0.8, 0.12, gap=0.06) if paired
                                else (rng.random(rows) < 0.8, rng.random(rows) < 0.86))
        low, high = compare_accuracy(champion, challenger, paired, ALPHA).difference_interval
        covered["accuracy"] += low <= 0.06 <= high
        shared = rng.normal(0, 2, rows) if paired else 0.0  # correlated squared errors
        low, high = compare_rmse(shared + rng.normal(0, 1, rows), shared + rng.normal(
            0, 0.5, rows), paired, ALPHA).difference_interval
        # the errors' true mean squares: the shared part's 4 (paired) plus each own part's
        truth = np.sqrt(4.25 if paired else 0.25) - np.sqrt(5.0 if paired else 1.0)
        covered["rmse"] += low <= truth <= high
    margin = 3 * np.sqrt(ALPHA * (1 - ALPHA) / runs)  # neither too narrow nor too wide
    assert all(abs(hits / runs - (1 - ALPHA)) <= margin for hits in covered.values()), covered


@pytest.mark.parametrize("paired, discordance", [(False, None), (True, None), (True, 0.12)])
def test_a_b_power_at_the_rows_needed_meets_its_claim(paired, discordance):
    rng, runs = np.random.default_rng(11), 400
    rows = rows_needed(0.8, 0.1, ALPHA, 0.8, paired, discordance)
    spread = discordance or independent_discordance(0.8, 0.1)
    found = 0
    for _ in range(runs):
        champion, challenger = (correlated_outcomes(rng, rows, 0.8, spread, gap=0.1) if paired
                                else (rng.random(rows) < 0.8, rng.random(rows) < 0.9))
        found += compare_accuracy(champion, challenger, paired, ALPHA).decision == \
            CHALLENGER_BETTER
    assert abs(found / runs - 0.8) <= 3 * np.sqrt(0.8 * 0.2 / runs), (rows, found)


# --- the power formula --------------------------------------------------------------------------
def test_power_is_the_exact_sum_over_the_tests_decisions():
    rows, accuracy, gap, discordance = 30, 0.7, 0.15, 0.25
    cells = stats.binom.pmf(np.arange(rows + 1), rows, discordance)
    wins = (discordance + gap) / (2 * discordance)
    paired = sum(cells[d] * stats.binom.pmf(k, d, wins) for d in range(rows + 1)
                 for k in range(d + 1) if 2 * k > d and stats.binomtest(k, d).pvalue < ALPHA)
    assert detection_power(accuracy, gap, ALPHA, rows, True, discordance) == pytest.approx(paired)
    counts = np.arange(rows + 1)
    a, b = np.meshgrid(counts, counts, indexing="ij")
    chances = np.outer(stats.binom.pmf(counts, rows, accuracy),
                       stats.binom.pmf(counts, rows, accuracy + gap))
    split = chances[(two_proportion_p(a, rows, b, rows) < ALPHA) & (b > a)].sum()
    assert detection_power(accuracy, gap, ALPHA, rows, False) == pytest.approx(split)


@pytest.mark.parametrize("paired", [False, True])
def test_rows_needed_is_where_the_power_crosses_its_target(paired):
    rows = rows_needed(0.9, 0.03, ALPHA, 0.8, paired)
    assert detection_power(0.9, 0.03, ALPHA, rows, paired) >= 0.8
    assert detection_power(0.9, 0.03, ALPHA, rows - 1, paired) < 0.8
    assert 1000 < rows < 2000  # near the normal approximation's 1356 (split)


def test_a_shadow_of_similar_versions_needs_fewer_rows():
    independent = rows_needed(0.9, 0.03, ALPHA, 0.8, paired=True)
    assert rows_needed(0.9, 0.03, ALPHA, 0.8, True, discordance=0.06) < independent / 2
    with pytest.raises(ValueError, match="discordance 0.01 is impossible"):
        rows_needed(0.9, 0.03, ALPHA, 0.8, True, discordance=0.01)
    with pytest.raises(ValueError, match="not an accuracy"):
        rows_needed(0.99, 0.03, ALPHA, 0.8, False)
