"""Rows as NumPy columns, and the pandas table of them.

The server reads a small request to a bundle it predicts wholly in NumPy into a
:class:`RowColumns`: the compiled predictor, the prediction log and the drift window read its
arrays, and the table (building one costs more than the rest of a one-row request) is built
only when something needs one, once. Anything that takes rows takes a table or a
:class:`RowColumns` alike: :func:`frame_of` and :func:`names_of` read either.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd


class RowColumns:
    """Rows as one 1-d array per column, all of one length, in the order given."""

    __slots__ = ("names", "arrays", "_frame", "_matrix")

    def __init__(self, columns: dict[str, np.ndarray]):
        self.names = list(columns)
        self.arrays = list(columns.values())
        self._frame: pd.DataFrame | None = None
        self._matrix: np.ndarray | None = None

    @classmethod
    def of_matrix(cls, names: list[str], matrix: np.ndarray) -> RowColumns:
        """The rows of a 2-d numeric array (a column per name); its columns are views of it,
        and :meth:`numbers` is the array itself."""
        rows = cls(dict(zip(names, matrix.T)))
        rows._matrix = matrix
        return rows

    def __len__(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    @property
    def frame(self) -> pd.DataFrame:
        """The rows' table (:func:`table`), built on the first ask."""
        if self._frame is None:
            self._frame = table(dict(zip(self.names, self.arrays)))
        return self._frame

    @property
    def numeric(self) -> bool:
        """Whether every column holds plain NumPy numbers (none is text, true/false or null)."""
        return all(a.dtype.kind in "iuf" for a in self.arrays)

    def numbers(self) -> np.ndarray | None:
        """The rows as one 2-d array of the columns' common dtype, as the table's
        ``to_numpy()`` gives them; None unless :attr:`numeric`."""
        if self._matrix is not None:
            return self._matrix
        return np.column_stack(self.arrays) if self.numeric and self.arrays else None

    def values(self) -> list[tuple] | None:
        """Each row's values as Python numbers, as the table's ``to_numpy(dtype=object)``
        gives them; None unless :attr:`numeric` (how text and missing values read is the
        table's to say)."""
        if self._matrix is not None:
            return list(map(tuple, self._matrix.tolist()))
        return list(zip(*(a.tolist() for a in self.arrays))) if self.numeric else None


def frame_of(rows: pd.DataFrame | RowColumns) -> pd.DataFrame:
    return rows.frame if isinstance(rows, RowColumns) else rows


def names_of(rows: pd.DataFrame | RowColumns) -> list[str]:
    return rows.names if isinstance(rows, RowColumns) else rows.columns.tolist()


def since(rows: pd.DataFrame | RowColumns, start: int) -> pd.DataFrame | RowColumns:
    """``rows`` from row ``start`` (0-based) on; text is cut from the table (the table of fewer
    values may read them otherwise: ``["x", None]`` is text, ``[None]`` is not)."""
    if isinstance(rows, RowColumns) and rows.numeric:
        return RowColumns({n: a[start:] for n, a in zip(rows.names, rows.arrays)})
    return frame_of(rows).iloc[start:]


def concat(parts: list[pd.DataFrame | RowColumns]) -> pd.DataFrame:
    """The table of ``parts`` one after another (index 0 ... n-1), as ``pd.concat`` of their
    tables gives it; neighbouring numeric parts with the same columns and dtypes are joined as
    arrays first (one table instead of one per part: a window of single rows has thousands)."""
    runs: list[list] = []  # parts that join as arrays, together
    for part in parts:
        last = runs[-1][-1] if runs else None
        if _joins(last, part):
            runs[-1].append(part)
        else:
            runs.append([part])
    if not runs:
        return pd.DataFrame()
    return pd.concat([frame_of(run[0] if len(run) == 1 else _joined(run)) for run in runs],
                     ignore_index=True)


def _joins(last, part) -> bool:
    """Whether ``part`` joins ``last`` as arrays: both numeric, same columns and dtypes."""
    return (isinstance(part, RowColumns) and isinstance(last, RowColumns) and part.numeric
            and last.numeric and part.names == last.names
            and [a.dtype for a in part.arrays] == [a.dtype for a in last.arrays])


def _joined(run: list[RowColumns]) -> RowColumns:
    return RowColumns({name: np.concatenate([part.arrays[j] for part in run])
                       for j, name in enumerate(run[0].names)})


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
