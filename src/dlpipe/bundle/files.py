"""The bundle's files, and the feature transformer (and a scikit-learn family's estimator) stored
with ``skops.io`` instead of a pickle.

A pickle runs whatever code it names when loaded; a skops file names its types, and loading
it refuses any type not trusted. The trusted types are exactly those the file names, and only
if every one of them is on :data:`ALLOWED`: the types :func:`dlpipe.features.make_transformer`
builds from, and the fitted trees of gradient boosting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler

from dlpipe import encoders, features, imports
from dlpipe.errors import DataError

MODEL = "model.keras"  # the fitted network
# its own answers to a few random rows, which a NumPy pass read from MODEL is held to
NETWORK_ANSWERS = "network_answers.json"
ESTIMATOR = "model.skops"  # or a scikit-learn family's fitted estimator (the select stage's)
FAMILY = "family.json"  # which family the bundle serves: {"family": ..., "model": ...}
TRANSFORMER = "preprocess.skops"  # the fitted feature transformer
SCHEMA = "schema.json"  # the input columns, class names and target (serving.schema)
NETWORK = "network"  # the family of a bundle without a family file


def _name(kind: Any) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


# Named from the objects themselves, so a module moved inside scikit-learn cannot silently
# widen or break the list.
ALLOWED: frozenset[str] = frozenset(_name(kind) for kind in (
    Pipeline, ColumnTransformer, SimpleImputer, StandardScaler, MinMaxScaler, OneHotEncoder,
    FunctionTransformer,
    np.dtype, np.ndarray, np.float32, np.float64, np.int64,
    features.ColumnBlockImputer, features.Passthrough, features.PixelScaler,
    features.as_text, encoders.TextTfidf,
    encoders.TextTokens, encoders.DateParts,
    TreePredictor))  # gradient-boosted trees' fitted trees (skops trusts the estimators)


def model_file(family: str) -> str:
    """The bundle file that holds the family's fitted model."""
    return MODEL if family == NETWORK else ESTIMATOR


def _skops():
    """skops.io, loaded without PyTorch (:mod:`dlpipe.imports` says why)."""
    with imports.without("torch"):
        import skops.io
    return skops.io


def dump_transformer(path: str | Path, transformer: Any) -> None:
    """Write ``transformer`` to ``path`` (the caller makes the write atomic)."""
    _skops().dump(transformer, path)


def load_transformer(path: str | Path) -> Any:
    """The transformer stored in ``path``; a :class:`DataError` naming the file and the types
    if it names any type outside :data:`ALLOWED`, or if it cannot be read."""
    skops_io = _skops()
    path = Path(path)
    try:
        named = skops_io.get_untrusted_types(file=path)
    except Exception as error:  # not a zip, no schema: not a skops file
        raise DataError(f"{path}: not a readable skops file ({type(error).__name__}: {error})"
                        ) from error
    refused = sorted(set(named) - ALLOWED)
    if refused:
        raise DataError(f"{path}: refused to load: it names types outside the feature "
                        f"transformer's allow-list: {refused}")
    return skops_io.load(path, trusted=named)
