"""A fitted feature-transformer part's steps as NumPy array operations: the imputers'
statistics, the standard, min-max and pixel scalers, the text conversion of categories and the
one-hot encoder's categories, read once. :func:`compile_steps` raises :class:`NotCompiled` for
a step (or a setting of one) it does not know."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

Step = Callable[[object], np.ndarray]


class NotCompiled(Exception):
    """A piece the compiler does not know: it runs as the bundle runs it."""


def compile_steps(steps: list) -> Step:
    """One function running a part's fitted steps in order."""
    runs = [_compile_step(step) for _, step in steps]

    def run(block):
        for one in runs:
            block = one(block)
        return block

    return run


def _compile_step(step) -> Step:
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, OneHotEncoder,
                                       StandardScaler)

    from dlpipe import features

    kind = type(step)
    if kind in (SimpleImputer, features.ColumnBlockImputer):
        return _imputer(step)
    if kind is StandardScaler:
        return _standard(step)
    if kind is MinMaxScaler:
        return _minmax(step)
    if kind is features.PixelScaler:
        return lambda X: np.asarray(X, dtype=np.float32) / np.float32(255.0)
    if kind is features.Passthrough:
        return lambda X: np.asarray(X, dtype=np.float32)
    if kind is FunctionTransformer and step.func is features.as_text and not step.kw_args:
        return features.as_text
    if kind is OneHotEncoder:
        return _onehot(step)
    raise NotCompiled(f"step {kind.__name__}")


def _imputer(step) -> Step:
    statistics = np.asarray(step.statistics_)
    missing = step.missing_values
    if step.add_indicator or not (isinstance(missing, float) and np.isnan(missing)):
        raise NotCompiled("SimpleImputer with an indicator or another missing value")
    if statistics.dtype.kind == "f":
        if np.isnan(statistics).any():  # a column training never filled: scikit-learn drops it
            raise NotCompiled("SimpleImputer with an empty training column")
        return lambda X: np.where(np.isnan(X), statistics, X)

    def fill(X):
        X = np.asarray(X, dtype=object)
        return np.where(pd.isna(X), statistics, X)

    return fill


def _standard(step) -> Step:
    mean = step.mean_ if step.with_mean else None
    scale = step.scale_ if step.with_std else None

    def scale_rows(X):
        X = np.array(X, dtype=np.float64)
        if mean is not None:
            X -= mean
        if scale is not None:
            X /= scale
        return X

    return scale_rows


def _minmax(step) -> Step:
    low, high = step.feature_range

    def scale_rows(X):
        X = np.array(X, dtype=np.float64)
        X *= step.scale_
        X += step.min_
        return np.clip(X, low, high) if step.clip else X

    return scale_rows


def _onehot(step) -> Step:
    if (step.drop is not None or step.sparse_output or step.handle_unknown != "ignore"
            or getattr(step, "_infrequent_enabled", False)):
        raise NotCompiled("OneHotEncoder with drop, sparse output, infrequent categories or "
                          "errors on unknown ones")
    offsets = np.cumsum([0, *(len(c) for c in step.categories_)])
    lookups = [{value: k for k, value in enumerate(categories)}
               for categories in step.categories_]
    dtype = step.dtype

    def encode(X):
        X = np.asarray(X, dtype=object)
        out = np.zeros((len(X), offsets[-1]), dtype=dtype)
        for j, lookup in enumerate(lookups):
            for r, value in enumerate(X[:, j]):
                k = lookup.get(value)
                if k is not None:  # an unknown category is all zeros (handle_unknown ignore)
                    out[r, offsets[j] + k] = 1
        return out

    return encode
