"""One row of plain numbers, read in one pass: the short way through the commonest request (a
single row, every input one number of a numeric column), to the values the column-by-column
reading of :mod:`dlpipe.serving.tensor_values` gives, without an array per input. Anything
else takes the column-by-column way, which names what it refuses."""

from __future__ import annotations

import math

from dlpipe.serving.tensor_values import NUMBER_TYPES, Column, float_range, is_integer_type


def plain_row(columns: list[Column], tensors: dict) -> list[float] | None:
    """A one-row request's values as the numeric ``columns`` read them (float64, NaN for a
    missing value), read without an array per input; None unless every input is one of
    ``columns`` and holds a single number its datatype accepts (anything else takes the
    column by column reading, which names what it refuses). ``tensors``: name -> (shape,
    datatype, data)."""
    if len(tensors) != len(columns):
        return None
    row = []
    for column in columns:
        sent = tensors.get(column.name)
        if sent is None or column.kind != "numeric" or column.datatype not in ("FP64", "INT64"):
            return None
        shape, datatype, data = sent
        if shape != (1,) or type(data) is not list or len(data) != 1:
            return None
        value = data[0]
        if datatype not in NUMBER_TYPES:
            return None
        if type(value) is int:  # not bool
            if not -2**63 <= value < 2**63:  # numpy reads it as uint64 or an object
                return None
            # the long way checks an integer datatype's range on the float64 it reads
            if is_integer_type(datatype):
                low, past = float_range(datatype)
                if not low <= float(value) < past:
                    return None
        # an infinite float, a float sent as an integer type, text, true/false or null go
        # the long way (NaN is a missing value, read as one)
        elif type(value) is not float or is_integer_type(datatype) or abs(value) == math.inf:
            return None
        row.append(value)
    return row
