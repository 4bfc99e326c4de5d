"""A one-row request of plain numbers is read without an array per input, to the same values
the column by column reading gives; anything that reading refuses (or reads otherwise) goes the
long way, so its refusal still names the input and row."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from dlpipe.bundle.input_schema import Column as SchemaColumn
from dlpipe.bundle.input_schema import Schema
from dlpipe.row_columns import RowColumns
from dlpipe.serving.protocols import v2_frame
from dlpipe.serving.plain_row import plain_row
from dlpipe.serving.tensor_values import Column, RequestError

VALUES = [0, 1, -1, 1773, 127, 128, 255, 256, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -2**63,
          -2**63 - 1, 10**400, 0.0, -0.0, 2.5, 3.0, 1e300, math.nan, math.inf, -math.inf,
          True, False, None, "1", [1], {"a": 1}]
DATATYPES = ["FP64", "FP32", "FP16", "INT64", "INT32", "INT8", "UINT8", "UINT64", "BOOL",
             "BYTES", "fp64", 7]
COLUMNS = [Column("x", "numeric", "FP64", "float64"), Column("x", "numeric", "INT64", "int64"),
           Column("x", "categorical", "INT64", "int64"),
           Column("x", "numeric", "BOOL", "bool")]


def long_way(column: Column, value, datatype) -> np.ndarray | None:
    """What the column by column reading makes of ``value``; None if it refuses it."""
    if datatype not in column.sendable:
        return None
    try:
        return column.convert([value], "input 'x'", (1,), datatype)
    except RequestError:
        return None


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: f"{c.kind}-{c.datatype}")
@pytest.mark.parametrize("datatype", DATATYPES)
def test_the_short_way_reads_what_the_long_way_reads(column, datatype):
    for value in VALUES:
        short = plain_row([column], {"x": ((1,), datatype, [value])})
        if short is None:
            continue
        expected = long_way(column, value, datatype)
        assert expected is not None, (value, datatype)
        assert expected.dtype == np.float64
        np.testing.assert_array_equal(np.array(short, dtype=np.float64), expected)


@pytest.mark.parametrize("datatype", ["FP64", "INT64", "FP32", "INT8"])
def test_plain_numbers_take_the_short_way(datatype):
    numeric = [c for c in COLUMNS if c.kind == "numeric" and c.datatype != "BOOL"]
    for column in numeric:
        for value in [0, 1, -1, 127] + ([2.5, math.nan] if datatype[:2] == "FP" else []):
            assert plain_row([column], {"x": ((1,), datatype, [value])}) == [value]


@pytest.mark.parametrize("tensors", [
    {"x": ((1,), "FP64", [1.0])},  # the other input missing
    {"x": ((1,), "FP64", [1.0]), "y": ((1,), "FP64", [2.0]), "z": ((1,), "FP64", [3.0])},
    {"x": ((1,), "FP64", [1.0]), "z": ((1,), "FP64", [3.0])},  # an unknown input
    {"x": ((1, 1), "FP64", [[1.0]]), "y": ((1,), "FP64", [2.0])},
    {"x": ((2,), "FP64", [1.0, 2.0]), "y": ((2,), "FP64", [2.0, 3.0])},
    {"x": ((1,), "FP64", 1.0), "y": ((1,), "FP64", [2.0])},
])
def test_anything_but_one_plain_row_goes_the_long_way(tensors):
    cols = [Column("x", "numeric", "FP64", "float64"), Column("y", "numeric", "FP64", "float64")]
    assert plain_row(cols, tensors) is None


SCHEMA = Schema("p", ["a", "b"], "label", [
    SchemaColumn("size", "numeric", "float64", True), SchemaColumn("count", "numeric", "int64",
                                                                   False),
    SchemaColumn("code", "categorical", "int64", False, categories=["1"])],
    input_width=4, ignored=["label"])
NUMERIC = dataclasses.replace(SCHEMA, columns=SCHEMA.columns[:2])


def request(values: dict, datatypes: dict) -> dict:
    return {"inputs": [{"name": name, "shape": [1], "datatype": datatypes[name],
                        "data": [value]} for name, value in values.items()]}


@pytest.mark.parametrize("values", [{"size": 1.5, "count": 3}, {"size": math.nan, "count": -7},
                                    {"size": 2, "count": 2**40}])
def test_a_request_reads_as_its_table(values):
    bundle = SimpleNamespace(schema=NUMERIC)
    body = request(values, {"size": "FP64", "count": "INT64"})
    light = v2_frame(bundle, body, 10, light=True)
    table = v2_frame(bundle, body, 10, light=False)
    assert isinstance(light, RowColumns) and light.numbers() is not None
    pd.testing.assert_frame_equal(light.frame, table)
    np.testing.assert_array_equal(light.numbers(), table.to_numpy())
    assert str([list(row) for row in light.values()]) == str(  # NaN too
        table.to_numpy(dtype=object).tolist())


def test_a_category_keeps_its_training_dtype():
    bundle = SimpleNamespace(schema=SCHEMA)
    body = request({"size": 1.5, "count": 3, "code": 1},
                   {"size": "FP64", "count": "INT64", "code": "INT64"})
    rows = v2_frame(bundle, body, 10, light=True)
    assert rows.frame["code"].dtype == np.int64 and rows.frame["size"].dtype == np.float64


def test_a_refusal_still_names_the_input_and_row():
    bundle = SimpleNamespace(schema=NUMERIC)
    body = request({"size": 1.5, "count": 2.5}, {"size": "FP64", "count": "INT64"})
    with pytest.raises(RequestError, match=r"input 'count', row 1: expected a whole number"):
        v2_frame(bundle, body, 10, light=True)
    body = request({"size": math.inf, "count": 1}, {"size": "FP64", "count": "INT64"})
    with pytest.raises(RequestError, match=r"input 'size', row 1: expected a finite number"):
        v2_frame(bundle, body, 10, light=True)
