"""Accuracy without labels, from the model's confidence (the approach NannyML calls CBPE).

On the test part, where the labels are known, an isotonic regression maps the probability the
model gives its predicted class to how often that prediction is right. On served rows whose
labels have not come back, the mean of that calibrated probability estimates the accuracy, and
its standard error is ``sqrt(sum c (1 - c)) / n``. The estimate holds while the model's
confidence stays calibrated: under covariate shift (the inputs move, the link from inputs to
labels stays) it follows the accuracy down; under concept shift (the same inputs now mean other
labels) nothing computed from inputs alone can, and only feedback shows it.

The predicted class's probability, not the largest one, is what is calibrated: a two-class
model with a threshold may predict a class that is not the most probable, and correctness is
not monotone in the largest probability there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


def predicted_probability(bundle, proba: np.ndarray) -> np.ndarray:
    """The probability the model gives each row's predicted class (the decision's class)."""
    codes = bundle.schema.decision.labels(proba)
    return proba[np.arange(len(proba)), codes].astype(np.float64)


@dataclass(frozen=True)
class Calibration:
    """A monotone map from a predicted class's probability to P(the prediction is right), kept
    as the isotonic fit's breakpoints (evaluated by linear interpolation, clipped at the
    ends)."""

    x: np.ndarray
    y: np.ndarray

    def correct(self, probability: np.ndarray) -> np.ndarray:
        """P(the prediction is right) of each row, given its predicted class's probability."""
        return np.interp(np.asarray(probability, np.float64), self.x, self.y)

    def estimate(self, probability: np.ndarray) -> tuple[float, float]:
        """(estimated accuracy, its standard error) of rows whose predicted classes have
        these probabilities (NaNs for no rows): the mean calibrated correctness ``c``, and
        ``sqrt(sum c (1 - c)) / n``, the spread of the rows' true accuracy around it.

        It assumes P(right | that probability) is still what the labelled rows showed. A
        covariate shift (the inputs move, P(label | input) stays) keeps it, as far as the
        model is calibrated alike where the inputs move to; a concept shift (the same inputs
        now carry other labels) breaks it, and only returned labels reveal that. The error
        leaves out the calibration's own sampling error, which on a small labelled test part
        can be the larger of the two."""
        c = self.correct(probability)
        if not len(c):
            return math.nan, math.nan
        return float(c.mean()), float(math.sqrt(float((c * (1 - c)).sum())) / len(c))


def calibrate(probability: np.ndarray, correct: np.ndarray) -> Calibration:
    """The isotonic fit of whether each labelled row's prediction was ``correct`` on the
    probability its predicted class had."""
    from sklearn.isotonic import IsotonicRegression

    fit = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    fit.fit(np.asarray(probability, np.float64), np.asarray(correct, np.float64))
    return Calibration(np.asarray(fit.X_thresholds_), np.asarray(fit.y_thresholds_))


def from_reference(outputs: pd.DataFrame) -> Calibration | None:
    """The calibration of a drift reference's test-part outputs; None for a numeric target or
    a reference that lacks the predicted class's probability or the outcomes."""
    if not {"predicted_probability", "predicted", "actual"} <= set(outputs.columns):
        return None
    correct = (outputs["predicted"].astype(str) == outputs["actual"].astype(str)).to_numpy()
    return calibrate(outputs["predicted_probability"].to_numpy(), correct)
