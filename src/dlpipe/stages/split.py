"""split: a seeded train/test split, stratified on the label or in source order."""

from __future__ import annotations

import logging

import pandas as pd
from sklearn.model_selection import train_test_split

from dlpipe.errors import DataError
from dlpipe.features import subsample
from dlpipe.frames import strata
from dlpipe.params import SplitParams

log = logging.getLogger(__name__)


def split_frame(frame: pd.DataFrame, split: SplitParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test parts of ``frame``.

    ``stratified`` keeps class proportions in both parts (a numeric target: the proportions of
    its ``bins`` quantile bins); ``ordered`` takes the last ``test_size`` rows as test (MNIST's
    canonical 60k/10k split). ``max_rows`` first draws a stratified, seeded subsample (for
    quick runs and tests) from the whole table.
    """
    frame = subsample(frame, split.max_rows, split.seed)
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


def split(raw: pd.DataFrame, split: SplitParams) -> dict:
    train, test = split_frame(raw, split)
    log.info("train %d rows, test %d rows", len(train), len(test))
    return {"train": train, "test": test}
