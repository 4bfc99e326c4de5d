"""A request's columns as the table the bundle reads."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd


def table(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The table of ``columns``; columns of one numeric dtype as one block, ~10x faster to
    build than column by column (the same table: names, dtypes, values, index)."""
    arrays = list(columns.values())
    if all(isinstance(a, np.ndarray) and a.ndim == 1 for a in arrays):
        dtypes = {a.dtype for a in arrays}
        if len(dtypes) == 1 and dtypes.pop().kind in "iuf":
            return pd.DataFrame(np.column_stack(arrays), columns=_index(tuple(columns)))
    return pd.DataFrame(columns)


@functools.lru_cache(maxsize=64)
def _index(names: tuple[str, ...]) -> pd.Index:
    """The column index of ``names``, built once (an index is immutable: tables share it)."""
    return pd.Index(names)
