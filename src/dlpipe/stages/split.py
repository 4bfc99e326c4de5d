"""split: a seeded train/test split, stratified on the label, or in order (the source's, or a
date column's: the test part is the latest rows)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from dlpipe.encoders import days
from dlpipe.errors import DataError
from dlpipe.features import subsample
from dlpipe.frames import strata
from dlpipe.params import SplitParams

log = logging.getLogger(__name__)


def split_frame(frame: pd.DataFrame, split: SplitParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test parts of ``frame``.

    ``stratified`` keeps class proportions in both parts (a numeric target: the proportions of
    its ``bins`` quantile bins); ``ordered`` takes the last ``test_size`` rows as test (MNIST's
    canonical 60k/10k split), after a stable sort by ``order_by`` if set (a date column: the
    model is tested on the latest rows, as it will be used on rows later than its training).
    ``max_rows`` first draws a stratified, seeded subsample (for quick runs and tests) from the
    whole table.
    """
    frame = subsample(frame, split.max_rows, split.seed)
    if split.order_by is not None:
        frame = frame.iloc[order(frame, split.order_by)]
    n_test = split.test_size if isinstance(split.test_size, int) else round(
        split.test_size * len(frame))
    if not 0 < n_test < len(frame):
        raise DataError(f"split: test_size {split.test_size} leaves no train or test rows out of "
                        f"{len(frame)}")
    if split.method == "ordered":
        train, test = frame.iloc[:-n_test], frame.iloc[-n_test:]
    else:
        train, test = train_test_split(frame, test_size=n_test, random_state=split.seed,
                                       stratify=strata(frame, split.bins))
    return train.reset_index(drop=True), test.reset_index(drop=True)


def order(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Row positions sorted by ``column``'s numbers or dates (stable; a row without one sorts
    first, into the training part); a DataError if the column is missing or holds neither."""
    if column not in frame.columns:
        raise DataError(f"split.order_by: no column {column!r} in the data (its columns: "
                        f"{[str(c) for c in frame.columns]})")
    values = frame[column]
    when = (pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            if pd.api.types.is_numeric_dtype(values) else days(values))
    if np.isnan(when).all():
        raise DataError(f"split.order_by: column {column!r} holds neither numbers nor dates "
                        f"(e.g. {values.iloc[0]!r})")
    return np.argsort(np.where(np.isnan(when), -np.inf, when), kind="stable")


def split(raw: pd.DataFrame, split: SplitParams) -> dict:
    train, test = split_frame(raw, split)
    log.info("train %d rows, test %d rows", len(train), len(test))
    return {"train": train, "test": test}
