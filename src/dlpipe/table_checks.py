"""What ``dlpipe add`` checks in a user's table before it writes a section: the columns that
cannot help a model, and whether the label holds classes k-fold CV can use."""

from __future__ import annotations

import pandas as pd
from pandas.api import types

from dlpipe.encoders import unparsed
from dlpipe.errors import DataError
from dlpipe.frames import plain, unlabelled

TEXT_WORDS = 3  # free text: at least this many words per value on average
DATE_LIKE = r"\d{1,4}[-/.]\d{1,2}"  # a date as written: 2024-01-31, 31/01/2024, 31.1.24 ...


def text_and_dates(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The free-text and the date columns of ``X``: text columns whose every present value
    reads as a date (and looks like one) are dates; text columns of mostly distinct values
    with several words each are free text."""
    text, dates = [], []
    for name in X.columns:
        column = X[name]
        if types.is_datetime64_any_dtype(column):
            dates.append(name)
            continue
        if not (types.is_object_dtype(column) or types.is_string_dtype(column)):
            continue
        present = column.dropna().astype(str)
        if present.empty:
            continue
        if present.str.contains(DATE_LIKE).all() and not len(unparsed(present)):
            dates.append(name)
        elif (present.str.split().str.len().mean() >= TEXT_WORDS
              and present.nunique() >= len(present) / 2):
            text.append(name)
    return text, dates


def unusable(X: pd.DataFrame) -> dict[str, str]:
    """Why each column that cannot help a model cannot: all missing, constant, or a distinct
    value in every row (text: an ID; an increasing or decreasing integer: a row ID). Free
    text of several words is not asked about here (:func:`text_and_dates` finds it)."""
    reasons = {}
    for name in X.columns:
        column = X[name]
        present = column.dropna()
        distinct = len(column) > 1 and len(present) == len(column) and present.is_unique
        if present.empty:
            reasons[name] = "is empty (every value is missing)"
        elif present.nunique() == 1:
            value = present.iloc[0]
            value = plain(value)  # 1, not np.int64(1)
            reasons[name] = f"is constant ({value!r} in every row that has a value)"
        elif distinct and (types.is_object_dtype(column) or types.is_string_dtype(column)):
            reasons[name] = "has a distinct text value in every row (an ID)"
        elif distinct and types.is_integer_dtype(column) and (
                column.is_monotonic_increasing or column.is_monotonic_decreasing):
            reasons[name] = "looks like a row ID (a distinct, ordered integer in every row)"
    return reasons


def small_classes(labels: pd.Series, target: str, folds: int) -> list[str]:
    """A warning if a class has fewer rows than k-fold CV needs (one per fold), else none."""
    counts = labels.value_counts(sort=False)
    small = [str(name) for name, count in counts.items() if count < folds]
    if not small:
        return []
    return [f"target {target!r}: {len(small)} of {len(counts)} classes have fewer than {folds} "
            f"rows (e.g. {small[:3]}) and {folds}-fold CV needs one per fold: merge or drop "
            "them in the file, or set cv.folds lower in the section"]


def unlabelled_note(table: pd.DataFrame, target: str) -> list[str]:
    """A note of how many rows have no label (the pipeline leaves them out), else none."""
    missing = unlabelled(table, target)
    return [f"target {target!r}: {missing} of {len(table)} rows have no label and are left "
            "out (unlabelled_rows: error in the section refuses them instead)"] if missing else []


def is_a_quantity(labels: pd.Series, dtype, folds: int) -> bool:
    """Whether numeric labels (``dtype``: the column's in the file) are a measured quantity, such
    as a price or a score, rather than classes: not whole numbers, or most of their distinct
    values too rare for k-fold CV."""
    if not types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype):
        return False
    numbers = pd.to_numeric(labels.astype(object), errors="coerce").dropna()
    if not numbers.empty and (numbers != numbers.round()).any():
        return True
    counts = labels.value_counts(sort=False)
    return int((counts < folds).sum()) * 2 > len(counts)


def refuse_a_quantity(labels: pd.Series, target: str, path: str, folds: int) -> None:
    """Refuse ``labels`` read as classes that hold a quantity (:func:`is_a_quantity`)."""
    counts = labels.value_counts(sort=False)
    rare = int((counts < folds).sum())
    raise DataError(f"{path}: target column {target!r} has {len(counts)} distinct numbers in "
                    f"{len(labels)} rows, {rare} of them in fewer than {folds} rows: a "
                    "quantity to predict, not classes: use --task regression (or bin the "
                    "values into classes in the file)")
