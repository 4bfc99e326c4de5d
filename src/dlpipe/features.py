"""Feature scaling and label encoding, built from params and fitted on training rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from dlpipe.frames import label_codes
from dlpipe.params import FeatureParams


class PixelScaler(TransformerMixin, BaseEstimator):
    """Divide 8-bit pixel intensities by 255 (nothing is learnt, so nothing can leak)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float32) / np.float32(255.0)


class Passthrough(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float32)


def make_scaler(features: FeatureParams) -> TransformerMixin:
    """A fresh, unfitted transformer for ``features.scaler``."""
    return {"standard": StandardScaler, "minmax": MinMaxScaler, "pixel": PixelScaler,
            "none": Passthrough}[features.scaler]()


def encode_labels(y: np.ndarray, n_classes: int, encoding: str) -> pd.DataFrame:
    """Target columns as params say: one-hot ``y_0..y_{k-1}`` or one integer column ``y``."""
    if encoding == "onehot":
        onehot = np.eye(n_classes, dtype=np.float32)[y]
        return pd.DataFrame(onehot, columns=[f"y_{k}" for k in range(n_classes)])
    return pd.DataFrame({"y": y.astype(np.int64)})


def decode_labels(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Split a processed table into float32 features and integer labels (either encoding)."""
    target_cols = [c for c in frame.columns if c == "y" or c.startswith("y_")]
    X = frame.drop(columns=target_cols).to_numpy(dtype=np.float32)
    y = frame["y"].to_numpy() if "y" in frame else frame[target_cols].to_numpy().argmax(axis=1)
    return X, y.astype(np.int64)


def subsample_rows(strata: np.ndarray, rows: int | None, seed: int) -> np.ndarray:
    """Positions of a seeded subsample of ``rows`` rows stratified by ``strata``, in order (all
    positions if ``rows`` is None or not smaller than the data)."""
    n = len(strata)
    if rows is None or rows >= n:
        return np.arange(n)
    keep, _ = train_test_split(np.arange(n), train_size=rows, random_state=seed, stratify=strata)
    return np.sort(keep)


def subsample(frame: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """All rows, or a seeded subsample of ``max_rows`` of them (in their order), stratified on the
    class codes."""
    if max_rows is None or max_rows >= len(frame):
        return frame
    return frame.iloc[subsample_rows(label_codes(frame), max_rows, seed)].reset_index(drop=True)
