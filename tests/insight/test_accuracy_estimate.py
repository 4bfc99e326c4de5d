"""Accuracy from confidence: calibrated on labelled rows, it tracks the true accuracy of new
rows, corrects an over-confident model, follows a covariate shift down, and calibrates the
predicted class's probability (a threshold's class is not always the most probable)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.insight.accuracy_estimate import calibrate, from_reference


def rows(n: int, rng, spread: float = 1.0):
    """Two classes, x ~ N(0, spread); P(class 1 | x) = sigmoid(3x): (x, labels, P(1|x))."""
    x = rng.normal(0, spread, n)
    p1 = 1 / (1 + np.exp(-3 * x))
    return x, rng.random(n) < p1, p1


def predicted(p1: np.ndarray, threshold: float = 0.5):
    """The predicted class and its probability at ``threshold``."""
    say_one = p1 >= threshold
    return say_one, np.where(say_one, p1, 1 - p1)


def test_the_estimate_tracks_accuracy_and_corrects_over_confidence():
    rng = np.random.default_rng(0)
    _, labels, p1 = rows(20_000, rng)
    say, probability = predicted(p1)
    over = probability ** 0.3  # an over-confident model: the same ranking, higher numbers
    calibration = calibrate(over, say == labels)
    _, new_labels, new_p1 = rows(2_000, rng)
    new_say, new_probability = predicted(new_p1)
    truth = np.mean(new_say == new_labels)
    estimate, error = calibration.estimate(new_probability ** 0.3)
    assert abs(estimate - truth) < 4 * max(error, np.sqrt(truth * (1 - truth) / 2_000))
    assert np.mean(new_probability ** 0.3) - truth > 0.05  # raw confidence would be far off


def test_under_covariate_shift_the_estimate_follows_the_accuracy_down():
    rng = np.random.default_rng(1)
    _, labels, p1 = rows(20_000, rng)
    say, probability = predicted(p1)
    calibration = calibrate(probability, say == labels)
    _, new_labels, new_p1 = rows(3_000, rng, spread=0.3)  # rows crowd the boundary
    new_say, new_probability = predicted(new_p1)
    truth = np.mean(new_say == new_labels)
    estimate, error = calibration.estimate(new_probability)
    assert truth < np.mean(say == labels) - 0.1
    assert abs(estimate - truth) < 4 * np.sqrt(truth * (1 - truth) / 3_000)


def test_a_threshold_decision_calibrates_the_predicted_class_s_probability():
    rng = np.random.default_rng(2)
    _, labels, p1 = rows(20_000, rng)
    say, probability = predicted(p1, threshold=0.3)  # class 1 at 0.3: sometimes the less likely
    calibration = calibrate(probability, say == labels)
    _, new_labels, new_p1 = rows(3_000, rng)
    new_say, new_probability = predicted(new_p1, threshold=0.3)
    truth = np.mean(new_say == new_labels)
    assert abs(calibration.estimate(new_probability)[0] - truth) < 4 * np.sqrt(
        truth * (1 - truth) / 3_000)


def test_a_reference_without_the_columns_or_of_a_numeric_target_gives_none():
    assert from_reference(pd.DataFrame({"value": [1.0], "actual": [2.0]})) is None
    outputs = pd.DataFrame({"confidence": [0.9, 0.6], "predicted": ["a", "b"],
                            "predicted_probability": [0.9, 0.6], "actual": ["a", "a"]})
    calibration = from_reference(outputs)
    assert calibration.correct([0.9, 0.6]) == pytest.approx([1.0, 0.0])
