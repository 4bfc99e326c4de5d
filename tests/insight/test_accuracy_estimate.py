"""Accuracy from confidence: calibrated on labelled rows, it tracks the true accuracy of new
rows within its standard error, corrects an over-confident model, follows a covariate shift
down, and calibrates the predicted class's probability (a threshold's class is not always the
most probable one).

The data: two classes, x ~ N(centre, spread), P(class 1 | x) = sigmoid(3x), so the true
probability of every row is known and a perfectly calibrated model reports it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from dlpipe.insight.accuracy_estimate import (Calibration, calibrate, from_reference,
                                              predicted_probability)
from dlpipe.metrics import Decision

CALIBRATION_ROWS, NEW_ROWS = 20_000, 3_000


def two_class_rows(n: int, rng, spread: float = 1.0, centre: float = 0.0):
    """(proba [n, 2] of a calibrated model, labels) for x ~ N(centre, spread)."""
    x = rng.normal(centre, spread, n)
    p1 = 1 / (1 + np.exp(-3 * x))
    return np.column_stack([1 - p1, p1]), (rng.random(n) < p1).astype(int)


def a_model(decision: Decision):
    """The part of a bundle :func:`predicted_probability` reads."""
    return SimpleNamespace(schema=SimpleNamespace(decision=decision))


def fitted(rng, decision: Decision = Decision(), distort=lambda p: p) -> Calibration:
    proba, labels = two_class_rows(CALIBRATION_ROWS, rng)
    said = decision.labels(proba)
    return calibrate(distort(predicted_probability(a_model(decision), proba)), said == labels)


def sampling_error(accuracy: float, rows: int) -> float:
    """The standard error of an accuracy measured on ``rows`` labelled rows."""
    return float(np.sqrt(accuracy * (1 - accuracy) / rows))


def test_the_predicted_class_s_probability_follows_the_decision():
    proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    argmax = predicted_probability(a_model(Decision()), proba)
    assert argmax == pytest.approx([0.8, 0.6, 0.7])
    at_a_threshold = predicted_probability(a_model(Decision(positive=1, threshold=0.3)), proba)
    assert at_a_threshold == pytest.approx([0.8, 0.4, 0.7])  # row 2 is called class 1 at 0.4


def test_the_estimate_is_the_mean_calibrated_correctness_with_its_standard_error():
    identity = Calibration(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    estimate, error = identity.estimate(np.array([0.5, 0.5, 1.0, 1.0]))
    assert estimate == pytest.approx(0.75)
    assert error == pytest.approx(np.sqrt(0.5) / 4)
    assert identity.correct([-1.0, 2.0]) == pytest.approx([0.0, 1.0])  # clipped at the ends
    assert np.isnan(identity.estimate(np.array([]))[0])


def test_a_calibrated_model_s_estimate_tracks_the_accuracy_within_its_standard_error():
    rng = np.random.default_rng(0)
    calibration = fitted(rng)
    misses, covered, truths = [], [], []
    for _ in range(200):
        proba, labels = two_class_rows(500, rng)
        truth = np.mean(proba.argmax(axis=1) == labels)
        estimate, error = calibration.estimate(proba.max(axis=1))
        misses.append(estimate - truth)
        covered.append(abs(estimate - truth) <= 2 * error)
        truths.append(truth)
    # the mean miss: the chunks' scatter and the calibration rows' own sampling error
    spread = np.hypot(np.std(misses) / np.sqrt(len(misses)),
                      sampling_error(np.mean(truths), CALIBRATION_ROWS))
    assert abs(np.mean(misses)) < 3 * spread
    assert 0.90 <= np.mean(covered) <= 0.99  # the standard error is the errors' real size


def test_an_over_confident_model_is_corrected_by_the_calibration():
    rng = np.random.default_rng(1)
    over_confident = lambda p: p ** 0.3  # noqa: E731  (the same ranking, higher numbers)
    calibration = fitted(rng, distort=over_confident)
    proba, labels = two_class_rows(NEW_ROWS, rng)
    truth = np.mean(proba.argmax(axis=1) == labels)
    confidence = over_confident(proba.max(axis=1))
    estimate, error = calibration.estimate(confidence)
    tolerance = 4 * max(error, sampling_error(truth, NEW_ROWS))
    assert abs(estimate - truth) < tolerance
    assert confidence.mean() - truth > 3 * tolerance  # the raw confidence is far off


def test_under_covariate_shift_the_estimate_follows_the_accuracy_down():
    rng = np.random.default_rng(2)
    calibration = fitted(rng)
    before, _ = calibration.estimate(two_class_rows(NEW_ROWS, rng)[0].max(axis=1))
    proba, labels = two_class_rows(NEW_ROWS, rng, spread=0.3)  # rows crowd the boundary
    truth = np.mean(proba.argmax(axis=1) == labels)
    estimate, _ = calibration.estimate(proba.max(axis=1))
    assert truth < before - 0.1
    assert abs(estimate - truth) < 4 * sampling_error(truth, NEW_ROWS)


def test_a_threshold_decision_is_estimated_from_the_predicted_class_s_probability():
    rng = np.random.default_rng(3)
    decision = Decision(positive=1, threshold=0.3)  # class 1 at 0.3: sometimes the less likely
    proba, labels = two_class_rows(CALIBRATION_ROWS, rng)
    right = decision.labels(proba) == labels
    calibration = calibrate(predicted_probability(a_model(decision), proba), right)
    by_largest = calibrate(proba.max(axis=1), right)
    # new rows between the threshold and 0.5: called class 1, the less likely class
    proba, labels = two_class_rows(NEW_ROWS, rng, spread=0.08, centre=-0.14)
    truth = np.mean(decision.labels(proba) == labels)
    estimate, _ = calibration.estimate(predicted_probability(a_model(decision), proba))
    tolerance = 4 * sampling_error(truth, NEW_ROWS)
    assert abs(estimate - truth) < tolerance
    assert abs(by_largest.estimate(proba.max(axis=1))[0] - truth) > 2 * tolerance


def test_a_numeric_target_or_a_reference_without_the_columns_gives_none():
    assert from_reference(pd.DataFrame({"value": [1.0], "actual": [2.0]})) is None
    assert from_reference(pd.DataFrame({"confidence": [0.9], "predicted": ["a"],
                                        "actual": ["a"]})) is None


def test_a_reference_s_outcomes_calibrate_the_predicted_class_s_probability():
    # two classes, "b" predicted from 0.4: the wrong row's largest probability (0.6) exceeds
    # a right row's, its predicted class's probability (0.4) does not
    outputs = pd.DataFrame({"confidence": [0.6, 0.55, 0.9],
                            "predicted": ["b", "b", "a"],
                            "predicted_probability": [0.4, 0.55, 0.9],
                            "actual": ["a", "b", "a"]})
    calibration = from_reference(outputs)
    assert calibration.correct([0.4, 0.55, 0.9]) == pytest.approx([0.0, 1.0, 1.0])
