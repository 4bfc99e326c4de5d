"""The tables that flow between stages: features in their own columns, the label in ``target``.

In a raw table the label is a pandas Categorical whose categories are the class names as
strings; a stage works with its integer codes (:func:`split_xy`) and names them with
:func:`class_names`. An integer ``target`` (a table built by hand) is taken as codes already.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from pandas.api import types

from dlpipe.errors import DataError

TARGET = "target"
# the columns of every score row (one number each; dlpipe.metrics.score_rows makes them)
SCORE_COLUMNS = ["project", "task", "model", "split", "metric", "value", "std"]


def label_codes(frame: pd.DataFrame) -> np.ndarray:
    """The integer class code of every row (int64)."""
    labels = frame[TARGET]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return labels.cat.codes.to_numpy(dtype=np.int64)
    if types.is_integer_dtype(labels.dtype):
        return labels.to_numpy(dtype=np.int64)
    raise DataError(f"column {TARGET!r}: expected categorical or integer class labels, got "
                    f"{labels.dtype}")


def is_values(y: np.ndarray) -> bool:
    """Whether ``y`` holds a numeric target's values (floats) rather than class codes."""
    return np.asarray(y).dtype.kind == "f"


def has_values(frame: pd.DataFrame) -> bool:
    """Whether the table's ``target`` holds a numeric target's values (floats), not classes."""
    return is_values(frame[TARGET])


def split_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and integer class codes (a numeric target: its float64 values) of a
    raw/interim table."""
    if has_values(frame):
        return frame.drop(columns=[TARGET]), frame[TARGET].to_numpy(dtype=np.float64)
    return frame.drop(columns=[TARGET]), label_codes(frame)


def strata(frame: pd.DataFrame, bins: int) -> np.ndarray:
    """What a stratified split keeps in proportion: the class codes, or for a numeric target
    the quantile bin of its value (``bins`` bins of about equal counts; fewer when values
    repeat)."""
    if not has_values(frame):
        return label_codes(frame)
    return pd.qcut(frame[TARGET], q=bins, labels=False, duplicates="drop").to_numpy()


def class_names(frame: pd.DataFrame) -> list[str]:
    """The class names, indexed by code ("0".."k-1" for an integer ``target``); none for a
    numeric target's values."""
    labels = frame[TARGET]
    if has_values(frame):
        return []
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return [str(name) for name in labels.cat.categories]
    codes = label_codes(frame)
    return [str(k) for k in range(int(codes.max()) + 1 if len(codes) else 0)]


SHOWN_CLASSES = 5  # small classes a refusal names before "..."


def check_classes(y_codes: np.ndarray, class_names: Sequence[str], folds: int) -> None:
    """Refuse labels with a class of fewer than ``folds`` rows (stratified k-fold CV needs one
    row of every class per fold)."""
    counts = np.bincount(np.asarray(y_codes, dtype=np.int64), minlength=len(class_names))
    small = [f"{class_names[k]!r} has {counts[k]} rows" for k in np.flatnonzero(counts < folds)]
    if not small:
        return
    numbers = pd.to_numeric(pd.Series(list(class_names), dtype=object), errors="coerce")
    quantity = numbers.notna().all() and len(small) * 2 > len(class_names)
    shown = ", ".join(small[:SHOWN_CLASSES]) + (", ..." if len(small) > SHOWN_CLASSES else "")
    raise DataError(f"{len(small)} of {len(class_names)} class(es) too small for {folds}-fold "
                    f"CV: {shown}; every class needs at least {folds} rows " + (
                        "(numbers most of which are this rare are a quantity to predict: set "
                        "task: regression in the project's section)" if quantity else
                        "(lower cv.folds or drop those classes)"))


def cv_xy(frame: pd.DataFrame, folds: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and class codes of the rows a stratified ``folds``-fold CV splits; refuses a
    class too small to appear in every fold, naming it."""
    X, y = split_xy(frame)
    if has_values(frame):
        if len(y) < folds:
            raise DataError(f"{len(y)} rows cannot make {folds} CV folds (lower cv.folds)")
        return X, y
    check_classes(y, class_names(frame), folds)
    return X, y


def with_target(frame: pd.DataFrame, column: str, origin: str,
                names: Sequence[object] | None = None,
                unlabelled_rows: str = "error", values: bool = False) -> pd.DataFrame:
    """``frame`` with its label ``column`` moved last as a categorical ``target`` (``values``:
    as a numeric target's float64 values).

    ``names`` (scikit-learn's ``target_names``) name integer codes in code order; otherwise the
    distinct values become the class names, sorted (numerically if they are whole numbers).
    Rows without a label are refused, or left out with ``unlabelled_rows="drop"``
    (:func:`unlabelled` counts them).
    """
    if column not in frame.columns:
        raise DataError(f"{origin}: no target column {column!r}; its columns are "
                        f"{[str(c) for c in frame.columns]}")
    if column != TARGET and TARGET in frame.columns:
        raise DataError(f"{origin}: column {TARGET!r} is reserved for the label (here "
                        f"{column!r}): rename it in the file")
    missing = unlabelled(frame, column)
    if missing and unlabelled_rows != "drop":
        raise DataError(f"{origin}: target column {column!r} has no label in {missing} of "
                        f"{len(frame)} rows: fill or remove those rows in the file, or set "
                        "unlabelled_rows: drop")
    if missing == len(frame):
        raise DataError(f"{origin}: target column {column!r} has no label in any of its "
                        f"{len(frame)} rows")
    if missing:
        frame = frame[frame[column].notna()]
    labels = frame[column]
    where = f"{origin}: target column {column!r}"
    if values:
        out = frame.drop(columns=[column]).reset_index(drop=True)
        out[TARGET] = _numbers(labels, where)
        return out
    if names is not None:
        target = _from_codes(labels, names, where)
    else:
        target = _categorical(labels, where)
    if len(target.categories) < 2:
        raise DataError(f"{where} has a single class {list(target.categories)}: a classifier "
                        "needs at least two")
    out = frame.drop(columns=[column]).reset_index(drop=True)
    out[TARGET] = target
    return out


def _numbers(labels: pd.Series, where: str) -> np.ndarray:
    """A numeric target's values as float64: every one a finite number, not all the same."""
    numbers = pd.to_numeric(labels, errors="coerce").astype(np.float64)
    bad = labels[numbers.isna() | ~np.isfinite(numbers)]
    if len(bad):
        raise DataError(f"{where}: {len(bad)} of {len(labels)} values are not finite numbers "
                        f"(e.g. {plain(bad.iloc[0])!r}): a numeric target needs numbers")
    if numbers.nunique() < 2:
        raise DataError(f"{where} is constant ({plain(numbers.iloc[0])!r} in every row): "
                        "there is nothing to predict")
    return numbers.to_numpy()


def plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds (printed 7.0, not np.float64(7.0))."""
    return value.item() if isinstance(value, np.generic) else value


def unlabelled(frame: pd.DataFrame, column: str) -> int:
    """How many rows of ``frame`` have no value in the label ``column``."""
    return int(frame[column].isna().sum())


def named(target: pd.Series, class_names: dict, where: str) -> pd.Categorical:
    """The categorical ``target`` with each class renamed as ``class_names`` says (keys: the
    values as the data has them), in the same order: the class codes do not change."""
    names = {str(value): str(name) for value, name in class_names.items()}
    categories = [str(c) for c in target.cat.categories]
    unnamed = [c for c in categories if c not in names]
    if unnamed:
        raise DataError(f"{where}: no name for the label value {unnamed[0]!r} (the label's "
                        f"values are {categories})")
    return target.cat.rename_categories([names[c] for c in categories]).values


def _from_codes(labels: pd.Series, names: Sequence[object], where: str) -> pd.Categorical:
    codes = _whole_numbers(labels, where)
    if codes.min() < 0 or codes.max() >= len(names):
        raise DataError(f"{where}: codes {codes.min()}..{codes.max()} do not index its "
                        f"{len(names)} class names")
    categorical = pd.Categorical.from_codes(codes, categories=[str(n) for n in names])
    return categorical.remove_unused_categories()


def _categorical(labels: pd.Series, where: str) -> pd.Categorical:
    if isinstance(labels.dtype, pd.CategoricalDtype):
        categories = labels.cat.remove_unused_categories().cat.categories
        numeric = types.is_numeric_dtype(categories.dtype)
        labels = labels.astype(categories.dtype if numeric else object)
    if types.is_numeric_dtype(labels.dtype) and not types.is_bool_dtype(labels.dtype):
        numbers = pd.Categorical(_whole_numbers(labels, where))  # categories sorted numerically
        return numbers.rename_categories([str(c) for c in numbers.categories])
    values = labels.astype(object).map(str)
    distinct = list(values.unique())
    return pd.Categorical(values.to_numpy(dtype=object),
                          categories=sorted(distinct, key=_name_order(distinct)))


def _whole_numbers(labels: pd.Series, where: str) -> np.ndarray:
    """The labels as int64; a fraction is refused (a regression target, not classes)."""
    if types.is_integer_dtype(labels.dtype):
        return labels.to_numpy(dtype=np.int64)
    try:
        values = labels.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{where}: expected whole-number class codes, got {labels.dtype}") from None
    bad = values[~np.isfinite(values) | (values != np.round(values))]
    if len(bad):
        raise DataError(f"{where}: {len(bad)} of {len(values)} labels are not whole numbers (e.g. "
                        f"{float(bad[0])}): a classification target needs class values")
    return values.astype(np.int64)


def _name_order(names: Sequence[str]):
    """Sort key: numeric when every name is a whole number ('2' before '10'), else text."""
    try:
        [int(name) for name in names]
    except ValueError:
        return str
    return int
