"""The CV folds every family is scored on: shuffled (stratified on classes) or ordered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.models.families import splits


def test_shuffled_folds_are_stratified_seeded_and_cover_every_row():
    X, y = pd.DataFrame({"x": np.arange(60)}), np.arange(60) % 3
    folds = splits(X, y, 3, seed=0, method="shuffled")
    assert sorted(np.concatenate([val for _, val in folds]).tolist()) == list(range(60))
    for _, val in folds:  # each class's 20 rows spread 7, 7, 6 over the folds
        assert sorted(np.bincount(y[val], minlength=3)) == [6, 7, 7]
    again = splits(X, y, 3, seed=0, method="shuffled")
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    assert not np.array_equal(folds[0][1], splits(X, y, 3, seed=1, method="shuffled")[0][1])


def test_ordered_folds_score_each_block_after_the_rows_they_learn_from():
    X, y = pd.DataFrame({"x": np.arange(40)}), np.linspace(0.0, 1.0, 40)
    folds = splits(X, y, 3, seed=0, method="ordered")
    assert len(folds) == 3
    for train_rows, val_rows in folds:
        assert train_rows.max() < val_rows.min()  # the past only
        assert np.array_equal(train_rows, np.arange(len(train_rows)))  # all of it
    assert [len(val) for _, val in folds] == [10, 10, 10]
    assert folds[-1][1][-1] == 39


def test_ordered_folds_refuse_a_fold_that_never_saw_a_class():
    X = pd.DataFrame({"x": np.arange(30)})
    y = np.r_[np.zeros(15, int), np.ones(10, int), np.full(5, 2)]  # class 2 only at the end
    with pytest.raises(DataError) as info:
        splits(X, y, 2, seed=0, method="ordered")
    assert str(info.value) == (
        "cv.method ordered: the training rows of fold 1 (the first 10 rows) hold no row of "
        "class code(s) [1, 2]: lower cv.folds, or set cv.method: shuffled")
