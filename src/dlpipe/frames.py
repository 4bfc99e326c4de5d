"""The tables that flow between stages: features in their own columns, the label in ``target``.

The label is a pandas Categorical whose categories are the class names (integer labels are read
as they are); the models see its integer codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "target"


def split_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of a raw/interim table: the codes of a Categorical label (int64), an
    integer label as it is."""
    labels = frame[TARGET]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return frame.drop(columns=[TARGET]), labels.cat.codes.to_numpy(dtype=np.int64)
    return frame.drop(columns=[TARGET]), labels.to_numpy()


def class_names(frame: pd.DataFrame) -> list[str]:
    """The class names, in code order: a Categorical label's categories, else the sorted
    distinct labels, as text."""
    labels = frame[TARGET]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return [str(name) for name in labels.cat.categories]
    return [str(name) for name in np.sort(labels.unique())]
