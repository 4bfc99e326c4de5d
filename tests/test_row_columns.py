"""Rows as NumPy columns read as their table does: the same table, numbers, Python values and
joined window; the table itself is the one pandas builds column by column, in one block where
the columns share a numeric dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.row_columns import RowColumns, concat, frame_of, names_of, since, table

COLUMNS = [
    {"a": np.array([1.5, np.nan]), "b": np.array([2.0, 3.0])},  # one float block
    {"a": np.array([1, 2]), "b": np.array([3, 4])},  # integers stay integers
    {"a": np.array([1.5, 2.0]), "b": np.array([3, 4])},  # mixed: column by column
    {"a": np.array([1.5, 2.0]), "b": np.array(["x", None], dtype=object)},
    {"a": np.array([2**63 + 1, 3], dtype=np.uint64), "b": np.array([-1, 3])},
]
NUMERIC = COLUMNS[:3] + COLUMNS[4:]


@pytest.mark.parametrize("columns", COLUMNS)
def test_the_table_is_the_one_pandas_builds(columns):
    got, expected = table(columns), pd.DataFrame(columns)
    pd.testing.assert_frame_equal(got, expected)
    assert got.dtypes.tolist() == expected.dtypes.tolist()


@pytest.mark.parametrize("columns", COLUMNS)
def test_row_columns_are_their_table_built_once(columns):
    rows = RowColumns(columns)
    assert len(rows) == 2 and names_of(rows) == ["a", "b"]
    pd.testing.assert_frame_equal(frame_of(rows), table(columns))
    assert rows.frame is rows.frame


@pytest.mark.parametrize("columns", NUMERIC)
def test_numbers_and_values_are_the_table_s(columns):
    rows, frame = RowColumns(columns), table(columns)
    expected = frame.to_numpy()
    assert rows.numbers().dtype == expected.dtype
    np.testing.assert_array_equal(rows.numbers(), expected)
    objects = frame.to_numpy(dtype=object).tolist()
    got = [list(row) for row in rows.values()]
    assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in objects]
    assert str(got) == str(objects)  # NaN too


def test_text_leaves_numbers_and_values_to_the_table():
    rows = RowColumns(COLUMNS[3])
    assert not rows.numeric and rows.numbers() is None and rows.values() is None


@pytest.mark.parametrize("columns", COLUMNS)
def test_since_is_iloc_of_the_table(columns):
    rows = RowColumns(columns)
    pd.testing.assert_frame_equal(frame_of(since(rows, 1)).reset_index(drop=True),
                                  table(columns).iloc[1:].reset_index(drop=True))
    frame = table(columns)
    assert since(frame, 1).equals(frame.iloc[1:])


def test_concat_is_pandas_concat_of_the_tables():
    parts = [RowColumns(COLUMNS[0]), RowColumns(COLUMNS[0]), RowColumns(COLUMNS[2]),
             RowColumns(COLUMNS[2]), RowColumns(COLUMNS[3]), table(COLUMNS[1]),
             RowColumns(COLUMNS[1]), RowColumns(COLUMNS[1])]
    got = concat(parts)
    expected = pd.concat([frame_of(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert got.dtypes.tolist() == expected.dtypes.tolist()
    many = [RowColumns({"a": np.array([float(k)]), "b": np.array([k])}) for k in range(50)]
    pd.testing.assert_frame_equal(concat(many), pd.concat([p.frame for p in many],
                                                          ignore_index=True))
    assert concat([]).empty


def test_rows_of_a_matrix_read_as_rows_of_its_columns():
    matrix = np.array([[1.5, np.nan, 3.0], [2.0, 4.0, -1.0]])
    rows = RowColumns.of_matrix(["a", "b", "c"], matrix)
    columns = RowColumns({"a": matrix[:, 0].copy(), "b": matrix[:, 1].copy(),
                          "c": matrix[:, 2].copy()})
    assert rows.numbers() is matrix and len(rows) == 2 and names_of(rows) == ["a", "b", "c"]
    assert str(rows.values()) == str(columns.values())
    pd.testing.assert_frame_equal(rows.frame, columns.frame)
    pd.testing.assert_frame_equal(concat([rows, columns]), concat([columns, columns]))
