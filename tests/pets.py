"""A tiny project, "pets": rows as a user's CSV file has them (numbers, text categories,
missing values, an ID column params drop, a label column of class names)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROJECT = "pets"
TARGET = "kind"
CLASSES = ["cat", "dog", "eel"]


def raw_rows(n: int = 90, seed: int = 0) -> pd.DataFrame:
    """Rows as a user's CSV file has them: the class shows in size, legs and colour."""
    rng = np.random.default_rng(seed)
    kind = np.arange(n) % 3
    size = np.round(kind * 2.0 + rng.normal(0, 0.4, n), 2)
    size[rng.random(n) < 0.1] = np.nan  # training has missing sizes: imputed
    colour = np.where(kind == 0, "red", np.where(kind == 1, "green", "blue")).astype(object)
    colour[rng.random(n) < 0.1] = None  # and missing colours
    return pd.DataFrame({
        "id": np.arange(1000, 1000 + n),
        "size": size,
        "legs": np.array([4, 4, 0])[kind],  # never missing in training
        "colour": colour,
        "coat": np.where(rng.random(n) < 0.5, "short", "long"),  # never missing either
        TARGET: np.asarray(CLASSES)[kind]})
