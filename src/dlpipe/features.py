"""Feature preparation and label encoding, built from params and fitted on training rows only.

:func:`make_transformer` turns the feature params and a table's columns into one unfitted
scikit-learn pipeline: numeric columns are imputed then scaled, categorical ones imputed then
one-hot encoded, and the result is float32.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler

from dlpipe.encoders import DateParts, TextTfidf, TextTokens
from dlpipe.errors import DataError
from dlpipe.frames import TARGET, has_values, is_values, label_codes
from dlpipe.params import FeatureParams

LABEL_COLUMN = re.compile(r"y(_\d+)?")  # the label columns of a processed table: y or y_0..y_k
TEXT, DATETIME = "text", "datetime"
KINDS = ("numeric", "categorical", TEXT, DATETIME)  # the column kinds a transformer reads


class Stateless(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A transformer that learns nothing but the number of columns, which it keeps one to one."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self


class PixelScaler(Stateless):
    """Divide 8-bit pixel intensities by 255 (nothing is learnt, so nothing can leak)."""

    def transform(self, X):
        # the division casts to float32 as it goes: one float32 array, not a second beside it
        return np.divide(np.asarray(X), np.float32(255.0), dtype=np.float32)


class Passthrough(Stateless):
    """The values as float32."""

    def transform(self, X):
        return np.asarray(X, dtype=np.float32)


class ColumnBlockImputer(SimpleImputer):
    """scikit-learn's imputer, its medians found a block of columns at a time. NumPy's masked
    median sorts a float64 copy of the whole table with int64 indices beside it (about four
    times the table: 1.5 GB for MNIST's training part); each column's median is the same."""

    BLOCK = 64  # columns

    def _dense_fit(self, X, strategy, missing_values, fill_value):
        if strategy != "median" or self.add_indicator or X.shape[1] <= self.BLOCK:
            return super()._dense_fit(X, strategy, missing_values, fill_value)
        return np.concatenate([super(ColumnBlockImputer, self)._dense_fit(
            X[:, start:start + self.BLOCK], strategy, missing_values, fill_value)
            for start in range(0, X.shape[1], self.BLOCK)])


def make_scaler(features: FeatureParams) -> TransformerMixin:
    """A fresh, unfitted transformer for ``features.scaler``."""
    return {"standard": StandardScaler, "minmax": MinMaxScaler, "pixel": PixelScaler,
            "none": Passthrough}[features.scaler]()


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_categorical(column: pd.Series) -> bool:
    return (isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column)
            or pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column))


def column_kinds(features: FeatureParams, X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The numeric and the categorical columns of ``X``, each in ``X``'s column order.

    A kind named in params is taken as named; a kind left null is detected among the columns
    neither dropped nor named: numeric dtypes are numeric, text, boolean and category columns
    categorical. Raises :class:`DataError` for a named column ``X`` lacks, a named numeric
    column that holds no numbers, a column of another dtype left to detection, no feature, or
    a column beside the text whose word ids a network reads.
    """
    named = [*(features.numeric or []), *(features.categorical or []), *features.text,
             *features.datetime, *features.drop]
    missing = [c for c in named if c not in X.columns]
    if missing:
        raise DataError(f"features: columns {missing} are named in params but not in the data "
                        f"(its columns: {list(X.columns)})")
    free = [c for c in X.columns if c not in set(named)]

    def kind(declared: list[str] | None, detect) -> list[str]:
        if declared is None:
            return [c for c in free if detect(X[c])]
        return [c for c in X.columns if c in set(declared)]

    numeric = kind(features.numeric, _is_numeric)
    categorical = kind(features.categorical, _is_categorical)
    not_numbers = [c for c in numeric if not _is_numeric(X[c])]
    if not_numbers:
        raise DataError(f"features: numeric columns {not_numbers} do not hold numbers (dtypes "
                        f"{[str(X[c].dtype) for c in not_numbers]}): name them categorical")
    if features.numeric is None or features.categorical is None:
        other = [c for c in free if not (_is_numeric(X[c]) or _is_categorical(X[c]))]
        if other:
            raise DataError(f"features: columns {other} are neither numeric nor categorical "
                            f"(dtypes {[str(X[c].dtype) for c in other]}): add them to datetime "
                            "(dates) or to drop")
    if not numeric and not categorical and not features.text and not features.datetime:
        raise DataError(f"features: no feature column left (columns {list(X.columns)}, "
                        f"drop {features.drop})")
    others = [*numeric, *categorical, *features.datetime]
    if features.text_encoding == "tokens" and others:
        raise DataError(f"features.text_encoding tokens: the network reads the word ids of "
                        f"{features.text} alone, and the data has other feature columns "
                        f"{others}: add them to features.drop")
    return numeric, categorical


def as_text(X) -> np.ndarray:
    """Categorical values as text (an object array), missing values as NaN."""
    frame = pd.DataFrame(X)
    return np.where(frame.isna().to_numpy(), np.nan, frame.astype(str).to_numpy(dtype=object))


def make_transformer(features: FeatureParams, X: pd.DataFrame) -> Pipeline:
    """A fresh, unfitted transformer of ``X``'s feature columns (see :func:`column_kinds`):
    numeric ones imputed then scaled (``features.scaler``), categorical ones imputed then
    one-hot encoded (a category unseen in fit becomes all zeros), each text column as TF-IDF
    weights (or, ``text_encoding: tokens``, as word ids ``<column>:1..length``), each date
    column as calendar features imputed then scaled; float32 out, numeric columns under their
    own names, one-hot columns as ``<column>_<category>``, text and date features as
    ``<column>:<word>`` and ``<column>:<part>``."""
    numeric, categorical = column_kinds(features, X)
    impute = features.impute
    tfidf, tokens = features.tfidf, features.tokens
    parts = [(f"{TEXT}:{name}", TextTokens(tokens.vocabulary, tokens.length)
              if features.text_encoding == "tokens" else
              TextTfidf(tfidf.max_features, tfidf.min_df, tfidf.ngrams), [name])
             for name in features.text]
    parts += [(f"{DATETIME}:{name}", Pipeline([
        ("parts", DateParts()),
        ("impute", ColumnBlockImputer(strategy=impute.numeric, fill_value=impute.numeric_fill)),
        ("scale", make_scaler(features))]), [name]) for name in features.datetime]
    if numeric:
        parts.append(("numeric", Pipeline([
            ("impute", ColumnBlockImputer(strategy=impute.numeric, fill_value=impute.numeric_fill)),
            ("scale", make_scaler(features))]), numeric))
    if categorical:
        parts.append(("categorical", Pipeline([
            ("text", FunctionTransformer(as_text, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy=impute.categorical,
                                     fill_value=impute.categorical_fill)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
            categorical))
    return Pipeline([("columns", ColumnTransformer(parts, verbose_feature_names_out=False)),
                     ("float32", Passthrough())])


def fitted_columns(transformer: Pipeline) -> dict[str, list[str]]:
    """The columns a fitted :func:`make_transformer` reads, by kind (numeric, categorical,
    text, datetime)."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for name, _, columns in transformer.named_steps["columns"].transformers_:
        kind = name.split(":", 1)[0]
        if kind in found:
            found[kind] += [str(c) for c in columns]
    return found


def feature_names(transformer: Pipeline) -> list[str]:
    """The output columns of a fitted :func:`make_transformer`, in a processed table: one that
    would be taken for a label column (``y``, ``y_0`` ..., such as the dimension ``y`` of
    ggplot2's diamonds) is called ``<name> (feature)``."""
    try:
        names = [str(name) for name in transformer.get_feature_names_out()]
    except ValueError as error:  # two columns of the same name, e.g. a one-hot "a_b" and "a_b"
        raise DataError(f"features: {error}") from error
    names = [f"{name} (feature)" if LABEL_COLUMN.fullmatch(name) else name for name in names]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DataError(f"features: feature columns {twice} twice (a column 'y' and a column "
                        "'y (feature)'?): rename one in the data")
    return names


def encode_labels(y: np.ndarray, n_classes: int, encoding: str) -> pd.DataFrame:
    """Target columns as params say: one-hot ``y_0..y_{k-1}`` or one integer column ``y``; a
    numeric target's values (floats) as one float64 column ``y``."""
    if is_values(y):
        return pd.DataFrame({"y": np.asarray(y, dtype=np.float64)})
    if encoding == "onehot":
        onehot = np.eye(n_classes, dtype=np.float32)[y]
        return pd.DataFrame(onehot, columns=[f"y_{k}" for k in range(n_classes)])
    return pd.DataFrame({"y": y.astype(np.int64)})


def decode_labels(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Split a processed table into float32 features and integer labels (either encoding), or
    a numeric target's float64 values."""
    target_cols = [c for c in frame.columns if LABEL_COLUMN.fullmatch(c)]
    X = frame.drop(columns=target_cols).to_numpy(dtype=np.float32)
    if "y" in frame and is_values(frame["y"]):
        return X, frame["y"].to_numpy(dtype=np.float64)
    y = frame["y"].to_numpy() if "y" in frame else frame[target_cols].to_numpy().argmax(axis=1)
    return X, y.astype(np.int64)


def subsample_rows(strata: np.ndarray, rows: int | None, seed: int) -> np.ndarray:
    """Positions of a seeded subsample of ``rows`` rows stratified by ``strata`` (a numeric
    target's values: a plain seeded sample), in order (all positions if ``rows`` is None or not
    smaller than the data)."""
    n = len(strata)
    if rows is None or rows >= n:
        return np.arange(n)
    if is_values(strata):
        strata = np.zeros(n)
    keep, _ = train_test_split(np.arange(n), train_size=rows, random_state=seed, stratify=strata)
    return np.sort(keep)


def subsample(frame: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """All rows, or a seeded subsample of ``max_rows`` of them (in their order), stratified on the
    class codes (a numeric target's rows: one stratum, a plain seeded sample)."""
    if max_rows is None or max_rows >= len(frame):
        return frame
    strata = frame[TARGET].to_numpy() if has_values(frame) else label_codes(frame)
    return frame.iloc[subsample_rows(strata, max_rows, seed)].reset_index(drop=True)
