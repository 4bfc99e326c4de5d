"""What the tests of the family stages (baseline, gbdt) share: a labelled table and a watch on
the CV folds they split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from support import SPLIT

NAMES = ["setosa", "versicolor", "virginica"]


@pytest.fixture
def labelled(three_class_frame) -> pd.DataFrame:
    """The three-class frame with named classes, a categorical column and a missing value."""
    frame = three_class_frame.assign(
        target=pd.Categorical.from_codes(three_class_frame["target"], NAMES),
        colour=np.where(three_class_frame.index % 2, "red", "blue"))
    frame.loc[4, "a"] = None
    return frame


@pytest.fixture
def seen_folds(monkeypatch) -> list[tuple[int, ...]]:
    """The validation rows of every stratified split made while the test runs, in order."""
    seen: list[tuple[int, ...]] = []

    def spy(self, X, y=None, groups=None):
        for train_rows, val_rows in SPLIT(self, X, y, groups):
            seen.append(tuple(val_rows))
            yield train_rows, val_rows

    monkeypatch.setattr(StratifiedKFold, "split", spy)
    return seen

