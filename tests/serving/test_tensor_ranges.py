"""An integer datatype's range check says the same of a single value (tested on the Python
number) as of the same value among others (tested on the array)."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.serving.tensor_values import RequestError, within

VALUES = [0, 1, -1, 127, 128, -128, -129, 255, 256, 2**31 - 1, 2**31, 2**63 - 1, 2**64 - 1,
          0.0, 1.5, -0.5, 127.0, 128.0, 2.0**63, -(2.0**63), np.nan, 1e300]


def verdict(array: np.ndarray, datatype: str) -> str | None:
    try:
        within(array, datatype, "input 'x'", array.shape)
    except RequestError as refusal:
        return str(refusal)
    return None


@pytest.mark.parametrize("datatype", ["INT8", "UINT8", "INT32", "INT64", "UINT64"])
@pytest.mark.parametrize("value", VALUES)
def test_one_value_is_judged_as_among_others(datatype, value):
    alone = np.array([value])
    if alone.dtype == object:  # past 64 bits: not something numpy reads as a number array
        pytest.skip("not a numeric array")
    among = np.array([value, 0], dtype=alone.dtype)
    one, many = verdict(alone, datatype), verdict(among, datatype)
    assert one == many  # None (it fits) or the same refusal of row 1
