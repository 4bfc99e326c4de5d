"""Champion against challenger from labelled rows: each version's metric with its interval, the
difference (challenger - champion), a two-sided test and a decision at ``alpha``.

Two designs. **Paired** (a shadow: both versions answered the same rows, in the same order):
accuracy by the exact McNemar test (a binomial test of the rows only one version got right) with
Newcombe's square-and-add interval for paired proportions; RMSE by the paired t-test of the
rows' differences of squared errors. **Split** (each row answered by one version: two
independent samples): accuracy by the pooled two-proportion z-test with Newcombe's hybrid score
interval; RMSE by Welch's t-test of the squared errors. Each accuracy's interval is Wilson's;
each RMSE's interval and the RMSE difference's come from the delta method on the mean squared
errors (their covariance when paired). Intervals are at ``1 - alpha``. The rows a test needs
for a power come from :mod:`dlpipe.insight.comparison_power`.

The pooled z-test rather than Fisher's exact test: summed exactly over the counts, with equal
rows per version and accuracies 0.5 to 0.99, the z-test's false-alarm rate at alpha 0.05 stays
at most 0.057 from 50 rows (0.065 at 25), while Fisher's at 50 rows and accuracy 0.9 is 0.018,
with half the z-test's power (0.27 against 0.53 for a 9-point gap). The decision follows the
p-value; at its margin a difference interval and the test can disagree, as they rest on
different approximations.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


CHAMPION_BETTER, CHALLENGER_BETTER = "champion better", "challenger better"
NO_DIFFERENCE, TOO_FEW = "no significant difference", "too few labelled rows"
NAN_PAIR = (math.nan, math.nan)


@dataclass(frozen=True)
class Comparison:
    metric: str  # accuracy | rmse
    better: str  # higher | lower: which way the metric improves
    design: str  # paired | split
    rows: tuple[int, int]  # labelled rows behind each version (champion, challenger)
    values: tuple[float, float]
    intervals: tuple[tuple[float, float], tuple[float, float]]
    difference: float  # challenger - champion, in the metric's units
    difference_interval: tuple[float, float]
    test: str
    p_value: float
    alpha: float
    decision: str

    def as_dict(self) -> dict:
        """The fields with tuples as lists and NaN as None, so strict JSON can hold them."""
        def plain(value):
            if isinstance(value, (tuple, list)):
                return [plain(v) for v in value]
            return None if isinstance(value, float) and math.isnan(value) else value
        return {key: plain(value) for key, value in asdict(self).items()}

    def table(self) -> str:
        """A few lines for a terminal; "n/a" where there are too few rows for a figure."""
        def shown(value: float, form: str) -> str:
            return "n/a" if math.isnan(value) else format(value, form)
        lines = [f"{self.metric} ({self.better} is better), {self.design} design, "
                 f"{1 - self.alpha:.0%} intervals"]
        for name, rows, value, (low, high) in zip(("champion", "challenger"), self.rows,
                                                  self.values, self.intervals):
            lines.append(f"  {name:<10} {shown(value, '9.4f')} [{shown(low, '.4f')}, "
                         f"{shown(high, '.4f')}]  {rows} rows")
        low, high = self.difference_interval
        lines.append(f"  difference {shown(self.difference, '+9.4f')} [{shown(low, '+.4f')}, "
                     f"{shown(high, '+.4f')}]  challenger - champion")
        lines.append(f"  {self.test}: p = {shown(self.p_value, '.4g')}")
        lines.append(f"  decision at alpha {self.alpha:g}: {self.decision}")
        return "\n".join(lines)


# --- intervals and the split accuracy test ----------------------------------------------------
def wilson(successes: int, rows: int, alpha: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion at ``1 - alpha``; NaN without rows."""
    if rows == 0:
        return NAN_PAIR
    z2 = float(stats.norm.isf(alpha / 2)) ** 2
    share = successes / rows
    centre = (share + z2 / (2 * rows)) / (1 + z2 / rows)
    half = math.sqrt(z2 * share * (1 - share) / rows + z2 * z2 / (4 * rows * rows)) / (
        1 + z2 / rows)
    return (centre - half, centre + half)


def newcombe_interval(champion_right: int, champion_rows: int, challenger_right: int,
                      challenger_rows: int, alpha: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval of challenger - champion for independent samples."""
    pa, pb = champion_right / champion_rows, challenger_right / challenger_rows
    (la, ua), (lb, ub) = (wilson(champion_right, champion_rows, alpha),
                          wilson(challenger_right, challenger_rows, alpha))
    return (pb - pa - math.hypot(pb - lb, ua - pa), pb - pa + math.hypot(ub - pb, pa - la))


def paired_newcombe_interval(both: int, only_champion: int, only_challenger: int, neither: int,
                             alpha: float) -> tuple[float, float]:
    """Newcombe's square-and-add interval of challenger - champion for paired rows (his
    method 10): Wilson intervals combined with the correlation of the two accuracies, that
    correlation shrunk by the continuity correction when positive."""
    rows = both + only_champion + only_challenger + neither
    pa, pb = (both + only_champion) / rows, (both + only_challenger) / rows
    (la, ua), (lb, ub) = (wilson(both + only_champion, rows, alpha),
                          wilson(both + only_challenger, rows, alpha))
    margins = ((both + only_champion) * (only_challenger + neither)
               * (both + only_challenger) * (only_champion + neither))
    cross = both * neither - only_champion * only_challenger
    shrunk = cross - rows / 2 if cross > rows / 2 else min(cross, 0)
    phi = shrunk / math.sqrt(margins) if margins else 0.0

    def spread(x: float, y: float) -> float:
        return math.sqrt(max(x * x + y * y - 2 * phi * x * y, 0.0))
    return (pb - pa - spread(pb - lb, ua - pa), pb - pa + spread(ub - pb, pa - la))


def two_proportion_p(champion_right, champion_rows, challenger_right, challenger_rows):
    """The pooled two-proportion z-test's two-sided p-value (1 where every row agrees, right
    or wrong); elementwise on arrays of counts."""
    na, nb = np.asarray(champion_rows, float), np.asarray(challenger_rows, float)
    ra, rb = np.asarray(champion_right, float), np.asarray(challenger_right, float)
    pooled = (ra + rb) / (na + nb)
    se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    z = np.abs(rb / nb - ra / na) / np.where(se > 0, se, 1.0)
    return np.where(se > 0, 2 * stats.norm.sf(z), 1.0)


# --- the comparisons ------------------------------------------------------------------------
def _outcomes(values, version: str, kind: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"the {version}'s outcomes must be one value per row, not shape "
                         f"{array.shape}")
    if kind == "right":
        if array.dtype != bool and not np.isin(array, (0, 1)).all():
            raise ValueError(f"the {version}'s outcomes must be right or wrong (booleans, or 0 "
                             "and 1), not other numbers")
        return array.astype(bool)
    errors = array.astype(float)
    if not np.isfinite(errors).all():
        raise ValueError(f"the {version}'s errors hold {int((~np.isfinite(errors)).sum())} "
                         "missing or infinite values")
    return errors


def _checked(champion, challenger, paired: bool, alpha: float, kind: str):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    a, b = _outcomes(champion, "champion", kind), _outcomes(challenger, "challenger", kind)
    if paired and len(a) != len(b):
        raise ValueError(f"the paired design needs both versions' outcomes on the same rows: "
                         f"the champion has {len(a)} rows, the challenger {len(b)}")
    return a, b


def _decided(difference: float, p_value: float, alpha: float, lower_is_better: bool) -> str:
    if math.isnan(p_value):
        return TOO_FEW
    if not p_value < alpha:
        return NO_DIFFERENCE
    challenger_wins = difference < 0 if lower_is_better else difference > 0
    return CHALLENGER_BETTER if challenger_wins else CHAMPION_BETTER


def compare_accuracy(champion, challenger, paired: bool, alpha: float,
                     min_rows: int = 1) -> Comparison:
    """``champion``, ``challenger``: whether each labelled row was answered right (booleans;
    the same rows in the same order when ``paired``). Fewer than ``min_rows`` rows for either
    version: the accuracies and their intervals, no test, the decision :data:`TOO_FEW`."""
    a, b = _checked(champion, challenger, paired, alpha, "right")
    right_a, right_b = int(a.sum()), int(b.sum())
    values = (right_a / len(a) if len(a) else math.nan, right_b / len(b) if len(b) else math.nan)
    p_value, interval = math.nan, NAN_PAIR
    if paired:
        test = "exact McNemar test"
        only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
        if len(a) >= max(min_rows, 1):
            p_value = stats.binomtest(only_b, only_a + only_b).pvalue if only_a + only_b else 1.0
            interval = paired_newcombe_interval(int((a & b).sum()), only_a, only_b,
                                                int((~a & ~b).sum()), alpha)
    else:
        test = "pooled two-proportion z-test"
        if min(len(a), len(b)) >= max(min_rows, 1):
            p_value = float(two_proportion_p(right_a, len(a), right_b, len(b)))
            interval = newcombe_interval(right_a, len(a), right_b, len(b), alpha)
    difference = values[1] - values[0]
    return Comparison("accuracy", "higher", "paired" if paired else "split", (len(a), len(b)),
                      values, (wilson(right_a, len(a), alpha), wilson(right_b, len(b), alpha)),
                      difference, interval, test, float(p_value), alpha,
                      _decided(difference, p_value, alpha, lower_is_better=False))


def _rmse_with_interval(squared: np.ndarray, z: float) -> tuple[float, tuple[float, float]]:
    if len(squared) < 2:
        return (math.sqrt(squared.mean()) if len(squared) else math.nan), NAN_PAIR
    rmse = math.sqrt(squared.mean())
    # delta method: sqrt's slope at the mean squared error is 1 / (2 rmse)
    half = z * squared.std(ddof=1) / math.sqrt(len(squared)) / (2 * rmse) if rmse else 0.0
    return rmse, (max(rmse - float(half), 0.0), rmse + float(half))


def _t_test_p(a: np.ndarray, b: np.ndarray, paired: bool) -> float:
    """The t-test's two-sided p-value of b's mean squared error against a's. With no spread
    the statistic is undefined and the answer certain: 1 for equal means, else 0."""
    spread = (b - a).std() if paired else a.std() + b.std()
    if spread == 0:
        return float(b.mean() == a.mean())
    with warnings.catch_warnings():  # scipy warns of nearly equal values; its p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_rel(b, a) if paired else stats.ttest_ind(b, a, equal_var=False)
    return float(test.pvalue)


def compare_rmse(champion, challenger, paired: bool, alpha: float,
                 min_rows: int = 2) -> Comparison:
    """``champion``, ``challenger``: each labelled row's error (predicted - true; the same rows
    in the same order when ``paired``). The tests compare mean squared errors, which order the
    versions as their RMSEs do. Fewer than ``min_rows`` (at least 2) rows for either version:
    the RMSEs and their intervals, no test, the decision :data:`TOO_FEW`."""
    a, b = _checked(champion, challenger, paired, alpha, "error")
    a, b = a ** 2, b ** 2
    z = float(stats.norm.isf(alpha / 2))
    (ra, interval_a), (rb, interval_b) = _rmse_with_interval(a, z), _rmse_with_interval(b, z)
    slope_a, slope_b = (1 / (2 * r) if r > 0 else 0.0 for r in (ra, rb))
    p_value, interval = math.nan, NAN_PAIR
    if min(len(a), len(b)) >= max(min_rows, 2):
        p_value = _t_test_p(a, b, paired)
        if paired:  # the delta method with the two mean squared errors' covariance
            error = (slope_b * b - slope_a * a).std(ddof=1) / math.sqrt(len(a))
        else:
            error = math.hypot(slope_a * a.std(ddof=1) / math.sqrt(len(a)),
                               slope_b * b.std(ddof=1) / math.sqrt(len(b)))
        interval = (float(rb - ra - z * error), float(rb - ra + z * error))
    test = "paired t-test of squared errors" if paired else "Welch t-test of squared errors"
    return Comparison("rmse", "lower", "paired" if paired else "split", (len(a), len(b)),
                      (ra, rb), (interval_a, interval_b), rb - ra, interval, test,
                      float(p_value), alpha, _decided(rb - ra, p_value, alpha, True))
