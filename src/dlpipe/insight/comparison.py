"""Champion against challenger from labelled rows: each version's metric with its interval,
the difference, a two-sided test and a decision at ``alpha``; and the rows a test needs.

Two designs. **Paired** (a shadow: both versions answered the same rows): accuracy by the exact
McNemar test (a binomial test of the rows only one version got right), RMSE by a paired t-test
of the rows' squared-error differences. **Split** (each row answered by one version: two
independent samples): accuracy by the pooled two-proportion z-test, RMSE by Welch's t-test of
the squared errors. Intervals are at ``1 - alpha``: Wilson's for an accuracy, Wald's for a
difference of accuracies (on the paired differences when paired), the delta method for an
RMSE and a difference of RMSEs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

CHAMPION_BETTER, CHALLENGER_BETTER = "champion better", "challenger better"
NO_DIFFERENCE, TOO_FEW = "no significant difference", "too few labelled rows"


@dataclass(frozen=True)
class Comparison:
    metric: str  # accuracy | rmse
    design: str  # paired | split
    rows: tuple[int, int]  # labelled rows behind each version (champion, challenger)
    values: tuple[float, float]
    intervals: tuple[tuple[float, float], tuple[float, float]]
    difference: float  # challenger - champion
    difference_interval: tuple[float, float]
    p_value: float
    alpha: float
    decision: str

    def as_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        """A few lines for a terminal."""
        level = f"{1 - self.alpha:.0%}"
        lines = [f"{self.metric}, {self.design} design, {level} intervals"]
        for name, n, value, (low, high) in zip(("champion", "challenger"), self.rows,
                                               self.values, self.intervals):
            lines.append(f"  {name:10s} {value:.4f} [{low:.4f}, {high:.4f}]  ({n} rows)")
        low, high = self.difference_interval
        lines.append(f"  difference {self.difference:+.4f} [{low:+.4f}, {high:+.4f}] "
                     f"(challenger - champion), p = {self.p_value:.4g}")
        lines.append(f"  decision at alpha {self.alpha:g}: {self.decision}")
        return "\n".join(lines)


def wilson(successes: int, n: int, alpha: float) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def _decide(difference: float, p_value: float, alpha: float, lower_is_better: bool) -> str:
    if not p_value < alpha:
        return NO_DIFFERENCE
    challenger_wins = difference < 0 if lower_is_better else difference > 0
    return CHALLENGER_BETTER if challenger_wins else CHAMPION_BETTER


def compare_accuracy(champion: np.ndarray, challenger: np.ndarray, paired: bool,
                     alpha: float, min_rows: int = 1) -> Comparison:
    """``champion`` and ``challenger``: whether each labelled row was right (booleans; the
    same rows in the same order when ``paired``)."""
    a, b = np.asarray(champion, bool), np.asarray(challenger, bool)
    if paired and len(a) != len(b):
        raise ValueError(f"paired outcomes need the same rows: {len(a)} and {len(b)}")
    z = stats.norm.ppf(1 - alpha / 2)
    pa, pb = (a.mean() if len(a) else math.nan), (b.mean() if len(b) else math.nan)
    if min(len(a), len(b)) < min_rows:
        p_value, low, high = math.nan, math.nan, math.nan
    elif paired:
        only_b, only_a = int((b & ~a).sum()), int((a & ~b).sum())
        p_value = 1.0 if only_a + only_b == 0 else stats.binomtest(
            only_b, only_a + only_b, 0.5).pvalue
        d = b.astype(float) - a.astype(float)
        half = z * d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
        low, high = d.mean() - half, d.mean() + half
    else:
        pooled = (a.sum() + b.sum()) / (len(a) + len(b))
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
        p_value = 1.0 if se0 == 0 else 2 * stats.norm.sf(abs(pb - pa) / se0)
        half = z * math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
        low, high = pb - pa - half, pb - pa + half
    decision = TOO_FEW if math.isnan(p_value) else _decide(pb - pa, p_value, alpha, False)
    return Comparison("accuracy", "paired" if paired else "split", (len(a), len(b)),
                      (float(pa), float(pb)), (wilson(int(a.sum()), len(a), alpha),
                                               wilson(int(b.sum()), len(b), alpha)),
                      float(pb - pa), (float(low), float(high)), float(p_value), alpha, decision)


def _rmse_interval(squared: np.ndarray, z: float) -> tuple[float, float]:
    rmse = math.sqrt(squared.mean())
    half = z * squared.std(ddof=1) / math.sqrt(len(squared)) / (2 * rmse) if rmse else 0.0
    return (max(rmse - half, 0.0), rmse + half)


def compare_rmse(champion: np.ndarray, challenger: np.ndarray, paired: bool, alpha: float,
                 min_rows: int = 2) -> Comparison:
    """``champion`` and ``challenger``: each labelled row's error (predicted - true)."""
    a, b = np.asarray(champion, float) ** 2, np.asarray(challenger, float) ** 2
    if paired and len(a) != len(b):
        raise ValueError(f"paired outcomes need the same rows: {len(a)} and {len(b)}")
    if min(len(a), len(b)) < max(min_rows, 2):
        nan = (math.nan, math.nan)
        return Comparison("rmse", "paired" if paired else "split", (len(a), len(b)),
                          (math.nan, math.nan), (nan, nan), math.nan, nan, math.nan, alpha,
                          TOO_FEW)
    z = stats.norm.ppf(1 - alpha / 2)
    ra, rb = math.sqrt(a.mean()), math.sqrt(b.mean())
    if paired:
        d = b - a
        p_value = 1.0 if not d.any() else stats.ttest_rel(b, a).pvalue
        se_mse = d.std(ddof=1) / math.sqrt(len(d))
    else:
        p_value = 1.0 if a.std() == b.std() == 0 else stats.ttest_ind(b, a,
                                                                      equal_var=False).pvalue
        se_mse = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    # delta method: d(sqrt(m)) = dm / (2 sqrt(m)), at the mean of the two RMSEs
    half = z * se_mse / (ra + rb) if ra + rb else 0.0
    return Comparison("rmse", "paired" if paired else "split", (len(a), len(b)), (ra, rb),
                      (_rmse_interval(a, z), _rmse_interval(b, z)), rb - ra,
                      (rb - ra - half, rb - ra + half), float(p_value), alpha,
                      _decide(rb - ra, float(p_value), alpha, True))


def rows_needed(accuracy: float, gap: float, alpha: float, power: float, paired: bool,
                discordance: float | None = None) -> int:
    """Labelled rows per version for ``power`` to find an accuracy ``gap`` at ``accuracy``.
    Split: the two-proportion z-test's formula. Paired: McNemar's (Connor), for the share of
    rows the two versions disagree on (``discordance``; by default the share if their errors
    were independent, which overstates it for two similar models and so the rows). Both with
    Fleiss' continuity correction."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    p1, p2 = accuracy, accuracy + gap
    if paired:
        psi = discordance if discordance is not None else p1 * (1 - p2) + p2 * (1 - p1)
        n = (za * math.sqrt(psi) + zb * math.sqrt(psi - gap ** 2)) ** 2 / gap ** 2
    else:
        mean = (p1 + p2) / 2
        n = (za * math.sqrt(2 * mean * (1 - mean)) + zb * math.sqrt(
            p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / gap ** 2
    # Fleiss' continuity correction: the counts are discrete, and without it the power falls
    # a little short of its claim
    return math.ceil(n / 4 * (1 + math.sqrt(1 + 4 / (n * gap))) ** 2)
