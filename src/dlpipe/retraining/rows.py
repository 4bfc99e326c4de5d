"""Which labelled rows a retraining learns from and which it is judged on, and the new rows in
the layout of the project's table. Pure: rows in, rows out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from dlpipe.monitoring.labelled import LabelledRow


def in_holdout(key: tuple[str, int], share: float) -> bool:
    """Whether the row ``key`` (request id, row) is a holdout row: a hash of the key, so a row
    stays on its side in every retraining, whatever else the log holds."""
    digest = hashlib.sha256(f"{key[0]}:{key[1]}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < share


@dataclass(frozen=True)
class Parts:
    learn: list[LabelledRow]  # new rows for the training data
    holdout: list[LabelledRow]  # never trained on: both models are scored on them


def parts(rows: Iterable[LabelledRow], share: float, appended: set[tuple[str, int]]) -> Parts:
    """The labelled ``rows`` split by :func:`in_holdout`; rows an earlier retraining added to
    the data (``appended``) are not added again."""
    learn, holdout = [], []
    for row in rows:
        if in_holdout(row.key, share):
            holdout.append(row)
        elif row.key not in appended:
            learn.append(row)
    return Parts(learn, holdout)


def label_values(source_labels: pd.Series, names: pd.Series) -> dict[str, Any]:
    """Each class name -> the value the source's label column holds for it, from the same
    rows' labels as the source has them and as the pipeline names them."""
    if len(source_labels) != len(names):
        raise ValueError("the source's labels and their names differ in length")
    pairs = pd.DataFrame({"value": source_labels.to_numpy(), "name": names.astype(str).to_numpy()})
    pairs = pairs.drop_duplicates("name")
    return dict(zip(pairs["name"], pairs["value"]))


def table_rows(rows: list[LabelledRow], columns: list[str], target: str,
               values: dict[str, Any] | None) -> pd.DataFrame:
    """``rows`` as rows of the project's table (``columns``, the label in ``target``): each
    logged input under its column (a column the model does not take stays empty) and the
    label as the source writes it (``values``: class name -> value; None: as it is)."""
    records = []
    for row in rows:
        record = {column: row.input.get(column) for column in columns if column != target}
        record[target] = row.truth if values is None else values[row.truth]
        records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def frame_of(inputs: list[dict], names: list[str]) -> pd.DataFrame:
    """Logged inputs (column -> value) as a model's input frame (``names``: its columns)."""
    return pd.DataFrame.from_records(inputs, columns=names)
