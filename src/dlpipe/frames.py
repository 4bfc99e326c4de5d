"""The tables that flow between stages: features in their own columns, the label in ``target``."""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "target"


def split_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of a raw/interim table."""
    return frame.drop(columns=[TARGET]), frame[TARGET].to_numpy()
