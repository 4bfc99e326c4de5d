"""A request's columns as one table: one block where they share a numeric dtype, the same
table as pandas builds column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.serving.request_table import table


@pytest.mark.parametrize("columns", [
    {"a": np.array([1.5, np.nan]), "b": np.array([2.0, 3.0])},  # one float block
    {"a": np.array([1, 2]), "b": np.array([3, 4])},  # integers stay integers
    {"a": np.array([1.5, 2.0]), "b": np.array([3, 4])},  # mixed: column by column
    {"a": np.array([1.5, 2.0]), "b": np.array(["x", None], dtype=object)},
])
def test_the_table_is_the_one_pandas_builds(columns):
    got, expected = table(columns), pd.DataFrame(columns)
    pd.testing.assert_frame_equal(got, expected)
    assert got.dtypes.tolist() == expected.dtypes.tolist()
