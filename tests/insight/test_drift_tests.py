"""Drift statistics on synthetic data with known answers: a half-standard-deviation shift of one
column in 1000 rows is found and named, an i.i.d. sample is not flagged, a shift of category
proportions and of the missing fraction are found, images are compared as images, and the
Bonferroni threshold divides alpha by the number of tests."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.insight.drift_tests import (MISSING, OTHER, category_counts, counts_test, decide,
                                  image_test, missing_test, numeric_test, pooled)

ALPHA = 0.05
COLUMNS = ["a", "b", "c", "d", "e"]


def numeric_rows(reference: np.ndarray, new: np.ndarray) -> list[dict]:
    scales = reference.std(axis=0, ddof=1)
    return [numeric_test(name, reference[:, j], new[:, j], scales[j])
            for j, name in enumerate(COLUMNS)]


def test_a_half_std_shift_of_one_column_is_detected_and_named():
    rng = np.random.default_rng(0)
    reference = rng.normal(0.0, 2.0, (5000, 5))
    new = rng.normal(0.0, 2.0, (1000, 5))
    new[:, 2] += 0.5 * 2.0
    report = decide(numeric_rows(reference, new), ALPHA)
    assert report["drift"] is True
    assert [row["column"] for row in report["results"] if row["drifted"]] == ["c"]
    shifted = report["results"][2]
    assert shifted["effect"] == pytest.approx(0.5, abs=0.1)  # the shift, in reference stds
    assert shifted["p_value"] < 1e-6


def test_an_iid_sample_is_not_flagged():
    rng = np.random.default_rng(1)
    reference = rng.normal(3.0, 1.0, (5000, 5))
    new = rng.normal(3.0, 1.0, (1000, 5))
    report = decide(numeric_rows(reference, new), ALPHA)
    assert report["drift"] is False
    assert all(row["effect"] < 0.1 for row in report["results"])


def test_false_alarms_stay_near_alpha_over_many_iid_samples():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(2000, 5))
    alarms = sum(decide(numeric_rows(reference, rng.normal(size=(300, 5))), ALPHA)["drift"]
                 for _ in range(100))
    assert alarms <= 12  # 5 expected; Bonferroni keeps the whole check near alpha


def test_a_shift_of_category_proportions_is_detected():
    rng = np.random.default_rng(3)
    reference = category_counts(rng.choice(["x", "y", "z"], 5000, p=[0.5, 0.3, 0.2]))
    same = category_counts(rng.choice(["x", "y", "z"], 1000, p=[0.5, 0.3, 0.2]))
    moved = category_counts(rng.choice(["x", "y", "z"], 1000, p=[0.4, 0.3, 0.3]))
    kept, found = counts_test("k", reference, same), counts_test("k", reference, moved)
    assert kept["p_value"] > 0.01 and found["p_value"] < 1e-6
    assert found["effect"] > kept["effect"]


def test_unseen_and_rare_categories_share_the_other_cell():
    reference = np.array([500.0, 300.0, 2.0, 0.0])  # a rare category, one the reference lacks
    new = np.array([100.0, 60.0, 1.0, 40.0])
    table = pooled(reference, new)
    # rarest cell first; the rare category joins the unseen one in "other", the last cell
    assert table.tolist() == [[300, 500, 2], [60, 100, 41]]
    found = counts_test("k", dict(zip("abcd", reference)), dict(zip("abcd", new)))
    assert found["p_value"] < 1e-6  # 40 rows of a new category
    assert OTHER == "(other)"


def test_a_single_cell_left_after_pooling_gives_no_evidence():
    found = counts_test("k", {"a": 3, "b": 1}, {"a": 1, "b": 2})
    assert found["p_value"] == 1.0 and found["statistic"] == 0.0


def test_missing_values_count_as_their_own_category_and_fraction():
    assert category_counts(["a", None, float("nan"), "a"]) == {"a": 2, MISSING: 2}
    rng = np.random.default_rng(4)
    reference = rng.random(5000) < 0.1
    assert missing_test("m", reference, rng.random(1000) < 0.1)["p_value"] > 0.01
    assert missing_test("m", reference, rng.random(1000) < 0.3)["p_value"] < 1e-6


def test_missing_numbers_are_dropped_before_the_ks_test():
    rng = np.random.default_rng(5)
    reference, new = rng.normal(size=2000), rng.normal(size=500)
    new[:100] = np.nan
    assert numeric_test("n", reference, new, 1.0)["p_value"] > 0.01
    assert numeric_test("n", reference, np.full(10, np.nan), 1.0) is None


def images(n: int, seed: int, brightness: float) -> np.ndarray:
    """Flattened 8x8 images: a bright square at a random place on a dark background."""
    rng = np.random.default_rng(seed)
    out = rng.integers(0, 30, (n, 8, 8)).astype(np.float64)
    for k, (r, c) in enumerate(rng.integers(0, 5, (n, 2))):
        out[k, r:r + 3, c:c + 3] = brightness
    return out.reshape(n, 64)


def test_images_are_compared_by_their_mean_intensity_and_histogram():
    reference = images(2000, 6, 250.0)
    same = image_test("(image)", reference, images(500, 7, 250.0), bins=10)
    dimmer = image_test("(image)", reference, images(500, 8, 180.0), bins=10)
    assert same["p_value"] > 0.01 and dimmer["p_value"] < 1e-6
    assert dimmer["effect"] > 5 * same["effect"]
    assert dimmer["test"] == "ks_image_mean"


def test_the_threshold_is_alpha_over_the_number_of_tests():
    rows = [{"column": c, "test": "ks", "statistic": 0.1, "p_value": p, "effect": 0.0}
            for c, p in zip("abcd", [0.5, 0.02, 0.011, 0.3])]
    report = decide(rows, 0.05)
    assert report["threshold"] == pytest.approx(0.0125) and report["tests"] == 4
    assert [row["drifted"] for row in report["results"]] == [False, False, True, False]
    assert report["drift"] is True
    assert decide(rows[:1] + rows[3:], 0.05)["drift"] is False
