"""Which labelled rows a retraining learns from and which it is judged on: a hash of the row's
key puts it on one side for good; rows already added are not added again; the new rows take
the layout and label values of the project's table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dlpipe.monitoring.labelled import LabelledRow
from dlpipe.retraining.rows import frame_of, in_holdout, label_values, parts, table_rows


def labelled(n: int) -> list[LabelledRow]:
    return [LabelledRow(truth="cat" if k % 2 else "dog", answered="v1", key=(f"r{k // 3}", k % 3),
                        input={"size": float(k), "colour": "red"}) for k in range(n)]


def test_the_holdout_share_is_kept_and_a_row_never_moves():
    keys = [(f"request{k}", k % 5) for k in range(20_000)]
    inside = [in_holdout(key, 0.3) for key in keys]
    sd = math.sqrt(0.3 * 0.7 / len(keys))
    assert abs(np.mean(inside) - 0.3) < 4 * sd
    assert inside == [in_holdout(key, 0.3) for key in keys]  # the same on every call
    # a larger share only adds rows to the holdout: none leaves it
    assert all(in_holdout(key, 0.5) for key, held in zip(keys, inside) if held)


def test_holdout_rows_are_never_learnt_from_and_added_rows_not_added_again():
    rows = labelled(300)
    first = parts(rows, 0.3, set())
    assert {r.key for r in first.learn}.isdisjoint({r.key for r in first.holdout})
    assert len(first.learn) + len(first.holdout) == 300
    again = parts(rows, 0.3, {r.key for r in first.learn})
    assert again.learn == [] and again.holdout == first.holdout


def test_class_names_map_back_to_the_values_the_source_holds():
    codes = pd.Series([0, 2, 1, 0, 2])
    names = pd.Series(["setosa", "virginica", "versicolor", "setosa", "virginica"])
    assert label_values(codes, names) == {"setosa": 0, "virginica": 2, "versicolor": 1}


def test_new_rows_take_the_table_s_columns_and_label_values():
    rows = labelled(3)
    table = table_rows(rows, ["id", "size", "colour", "kind"], "kind", {"cat": 1, "dog": 0})
    assert list(table.columns) == ["id", "size", "colour", "kind"]
    assert table["id"].isna().all()  # a column the model does not take stays empty
    assert table["size"].tolist() == [0.0, 1.0, 2.0] and table["kind"].tolist() == [0, 1, 0]
    assert table_rows(rows, ["size", "kind"], "kind", None)["kind"].tolist() == [
        "dog", "cat", "dog"]
    assert frame_of([r.input for r in rows], ["colour", "size"]).columns.tolist() == ["colour", "size"]
