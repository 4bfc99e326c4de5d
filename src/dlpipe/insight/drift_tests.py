"""Drift statistics: does a sample of new values come from the reference's distribution?

Each function compares one column (or the images, or one of the model's outputs) and returns
one result row: ``column``, ``test``, ``statistic``, ``p_value`` and ``effect`` (how far apart,
on a scale that does not grow with the number of rows). :func:`decide` applies one threshold
to every row: ``alpha`` divided by the number of tests (Bonferroni), so ``alpha`` bounds the
false-alarm rate of the whole check, not of each test.

- numbers: two-sample Kolmogorov-Smirnov; effect the Wasserstein distance over the reference's
  standard deviation. Missing values are dropped here and compared by :func:`missing_test`.
  KS is exact for continuous values and conservative for discrete ones (ties).
- categories and counts: chi-square test of homogeneity of the reference's and the new counts
  (both are samples: a test against fixed proportions would ignore the reference's own noise,
  which matters for a reference of a few hundred rows). Categories the reference lacks share
  one "other" cell, and the rarest cells join it until every expected count reaches
  :data:`MIN_EXPECTED` (below that the chi-square approximation is unreliable). Effect: the
  Jensen-Shannon distance (base 2, 0..1) of the unpooled proportions.
- images: a test per pixel would treat the pixels of one image as independent rows; the KS
  test compares each image's mean intensity instead, and the effect is the Jensen-Shannon
  distance of the pixel-intensity histograms.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

MIN_EXPECTED = 5.0  # Cochran's rule for the chi-square approximation
OTHER = "(other)"  # the cell of categories the reference lacks, and of the rarest ones
MISSING = "(missing)"  # a missing value, as a category of its own
EFFECTS = {"ks": "Wasserstein distance / reference standard deviation",
           "chi2": "Jensen-Shannon distance of the proportions (0..1)",
           "missing": "Jensen-Shannon distance of the missing fractions (0..1)",
           "ks_image_mean": "Jensen-Shannon distance of the pixel-intensity histograms (0..1)"}


def result(column: str, test: str, statistic: float, p_value: float, effect: float) -> dict:
    return {"column": column, "test": test, "statistic": float(statistic),
            "p_value": float(p_value), "effect": float(effect)}


def numeric_test(column: str, reference: np.ndarray, new: np.ndarray, scale: float,
                 test: str = "ks") -> dict | None:
    """KS test of the present values; effect the Wasserstein distance over ``scale`` (the
    distance itself if ``scale`` is 0: a constant reference column). None if a side has no
    value."""
    reference = np.asarray(reference, dtype=np.float64)
    new = np.asarray(new, dtype=np.float64)
    reference, new = reference[~np.isnan(reference)], new[~np.isnan(new)]
    if not len(reference) or not len(new):
        return None
    ks = stats.ks_2samp(reference, new)
    distance = stats.wasserstein_distance(reference, new)
    return result(column, test, ks.statistic, ks.pvalue, distance / scale if scale > 0 else
                  distance)


def counts_test(column: str, reference: Mapping[str, int], new: Mapping[str, int],
                test: str = "chi2") -> dict:
    """Chi-square test of homogeneity of two count tables (category -> count), rare cells
    pooled; p-value 1 when pooling leaves a single cell (nothing to compare)."""
    names = sorted(set(reference) | set(new))
    ref = np.array([reference.get(k, 0) for k in names], dtype=np.float64)
    cur = np.array([new.get(k, 0) for k in names], dtype=np.float64)
    effect = jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2)
    table = pooled(ref, cur)
    if table.shape[1] < 2:
        return result(column, test, 0.0, 1.0, effect)
    chi2 = stats.chi2_contingency(table)
    return result(column, test, chi2.statistic, chi2.pvalue, effect)


def pooled(reference: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The 2 x cells table: cells the reference lacks, then the rarest ones, joined into one
    until every expected count is at least :data:`MIN_EXPECTED` (or one cell is left)."""
    seen = reference > 0
    other = np.array([0.0, new[~seen].sum()])
    cells = np.vstack([reference[seen], new[seen]])
    cells = cells[:, np.argsort(cells.sum(axis=0), kind="stable")]
    rows = np.array([reference.sum(), new.sum()])
    # the smaller sample has the smallest expected counts: total * cell total / all
    need = MIN_EXPECTED * rows.sum() / rows.min()
    while cells.shape[1] > 0:
        small = other.sum() > 0 and other.sum() < need
        if not small and cells[:, 0].sum() >= need:
            break
        other, cells = other + cells[:, 0], cells[:, 1:]
    return np.column_stack([cells, other]) if other.sum() > 0 else cells


def missing_test(column: str, reference: np.ndarray, new: np.ndarray) -> dict:
    """The missing fraction of the new values against the reference's (``reference`` and
    ``new`` are masks, True where a value is missing)."""
    def counts(mask: np.ndarray) -> dict[str, int]:
        return {MISSING: int(mask.sum()), "(present)": int((~mask).sum())}

    return counts_test(column, counts(np.asarray(reference)), counts(np.asarray(new)),
                       test="missing")


def category_counts(values) -> dict[str, int]:
    """Category -> count of a sequence of texts; a missing value (None, NaN) counts as
    :data:`MISSING`."""
    out: dict[str, int] = {}
    for value in values:
        key = MISSING if value is None or value != value else str(value)
        out[key] = out.get(key, 0) + 1
    return out


def image_test(column: str, reference: np.ndarray, new: np.ndarray, bins: int) -> dict:
    """KS test of the images' mean intensities (rows of flattened pixels); effect the
    Jensen-Shannon distance of the pixel-intensity histograms, ``bins`` bins over 0 to the
    reference's largest pixel (larger new pixels count in the last bin)."""
    reference = np.asarray(reference, dtype=np.float64)
    new = np.asarray(new, dtype=np.float64)
    top = max(float(reference.max()), 1.0)
    edges = np.linspace(0.0, top, bins + 1)
    hist_ref = np.histogram(np.clip(reference, 0.0, top), edges)[0].astype(np.float64)
    hist_new = np.histogram(np.clip(new, 0.0, top), edges)[0].astype(np.float64)
    effect = jensenshannon(hist_ref / hist_ref.sum(), hist_new / hist_new.sum(), base=2)
    ks = stats.ks_2samp(reference.mean(axis=1), new.mean(axis=1))
    return result(column, "ks_image_mean", ks.statistic, ks.pvalue, effect)


def decide(rows: list[dict], alpha: float) -> dict:
    """Every row marked ``drifted`` when its p-value is below ``alpha`` / the number of rows;
    drift when any is."""
    threshold = alpha / max(len(rows), 1)
    marked = [{**row, "drifted": bool(row["p_value"] < threshold)} for row in rows]
    return {"alpha": alpha, "tests": len(rows), "threshold": threshold,
            "drift": any(row["drifted"] for row in marked), "results": marked}
