"""Permutation importance and SHAP on raw columns, with a predict function whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.insight import importance


def rows(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(0, 1, n), "junk": rng.normal(0, 1, n),
                      "colour": rng.choice(["red", "blue", None], n)})
    return X, (X["x"] > 0).to_numpy().astype(int)


def predict(X: pd.DataFrame) -> np.ndarray:
    """Class 1 when x > 0, whatever the other columns say."""
    p1 = 1 / (1 + np.exp(-8 * X["x"].to_numpy(dtype=float)))
    return np.stack([1 - p1, p1], axis=1)


def test_coded_rows_decode_to_the_same_values_missing_included():
    X, _ = rows(20)
    coded = importance.Coded([X], ["colour"])
    back = coded.decode(coded.encode(X))
    assert back["colour"].tolist() == X["colour"].tolist()
    np.testing.assert_array_equal(back["x"].to_numpy(), X["x"].to_numpy())


def test_permutation_ranks_the_column_the_model_reads_and_zeroes_the_others():
    X, y = rows()
    table = importance.permutation(predict, X, y, "accuracy", repeats=5, seed=0)
    ranked = importance.ranked(table, "permutation")
    assert ranked["feature"][0] == "x" and ranked["mean"][0] > 0.3
    assert (ranked["mean"][1:] == 0).all()  # the model never reads them


def test_shap_gives_every_unread_column_zero_and_sums_to_the_prediction_gap():
    X, _ = rows()
    values = importance.shap_values(predict, X.iloc[:20], X.iloc[20:30], ["colour"], 10, 0)
    assert values.shape == (10, 3, 2)
    np.testing.assert_allclose(values[:, 1:, :], 0, atol=1e-12)
    # efficiency: the values of a row add up to its prediction minus the background mean
    gap = predict(X.iloc[20:30]) - predict(X.iloc[:20]).mean(axis=0)
    np.testing.assert_allclose(values.sum(axis=1), gap, atol=1e-6)
