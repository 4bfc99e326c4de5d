"""JSON values to table columns: what a request sends, checked before any of it reaches a model.

Each function names the input and the 1-based row of the first value it refuses. ``null`` and
``NaN`` mean a missing value (the bundle's schema check decides whether the column may miss
one); ``Infinity`` and text in a numeric input are refused here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from dlpipe.errors import one_line

NUMBER_TYPES = ("FP64", "FP32", "FP16", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32",
                "UINT16", "UINT8")


class RequestError(Exception):
    """A request the server cannot answer: the HTTP status and one line for the client;
    ``close`` when the connection cannot carry another request (a body left unread)."""

    def __init__(self, status: int, message: str, close: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


def bad(message: str) -> RequestError:
    return RequestError(400, message)


@dataclass(frozen=True)
class Column:
    """A feature column as the protocols show it: its name, kind, the V2 datatype it is sent
    as (FP64, INT64, BOOL or BYTES) and the pandas dtype it had in training."""

    name: str
    kind: str
    datatype: str
    dtype: str

    @property
    def sendable(self) -> tuple[str, ...]:
        """The V2 datatypes a request may send it as: any number type for a number; a
        category that is a number also as text (the encoder compares categories as text)."""
        if self.datatype not in ("FP64", "INT64"):
            return (self.datatype,)
        return NUMBER_TYPES + (("BYTES",) if self.kind == "categorical" else ())

    def convert(self, values, where: str, shape: tuple[int, ...],
                datatype: str | None = None) -> np.ndarray:
        """``values`` (nested lists of ``shape``) as this column's values, flat; ``datatype``
        as sent (default: the column's own)."""
        datatype = datatype or self.datatype
        if datatype == "BYTES":
            return texts(values, where, shape)
        if datatype == "BOOL":
            return booleans(values, where, shape)
        # a category keeps its training dtype (1, not 1.0, is the category "1")
        dtype = self.dtype if self.kind == "categorical" else "float64"
        array = numbers(values, where, shape, dtype)
        if is_integer_type(datatype):
            within(array, datatype, where, shape)
        return array.reshape(-1)


def is_integer_type(datatype: str) -> bool:
    return datatype in _INTEGER_TYPES


_INTEGER_TYPES = frozenset(t for t in NUMBER_TYPES if t.startswith(("INT", "UINT")))


def within(array: np.ndarray, datatype: str, where: str, shape: tuple[int, ...]) -> None:
    """Refuse a value an integer ``datatype`` (INT8 ... UINT64) cannot hold: a fraction, or a
    number outside its range (missing values pass)."""
    info = _range(datatype)
    if array.size == 1:  # one row: the same test on the Python number, without array calls
        value = array.flat[0].item()
        if _fits(value, datatype):
            return
        raise _refuse(where, 0, shape,
                      f"a whole number from {info.min} to {info.max} ({datatype})", value)
    if array.dtype.kind in "iu":  # exact: numpy read whole numbers of at most 64 bits
        wrong = (array < info.min) | (array > info.max)
    else:
        low, past = float_range(datatype)
        with np.errstate(invalid="ignore"):
            wrong = ~np.isnan(array) & ((array != np.floor(array)) | (array < low)
                                        | (array >= past))
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise _refuse(where, first, shape,
                      f"a whole number from {info.min} to {info.max} ({datatype})",
                      array.flat[first].item())


def _fits(value: int | float, datatype: str) -> bool:
    """Whether one number (a Python int, or a float: NaN is a missing value) is whole and in
    ``datatype``'s range, as :func:`within` tests an array."""
    if isinstance(value, int):
        info = _range(datatype)
        return info.min <= value <= info.max
    low, past = float_range(datatype)
    return value != value or (value == math.floor(value) and low <= value < past)


@functools.lru_cache(maxsize=None)
def float_range(datatype: str) -> tuple[float, float]:
    """Integer ``datatype``'s range as float64 bounds, the least value and the first past the
    greatest (``float(max) + 1``: exact, where ``float(max)`` may round past the range)."""
    info = _range(datatype)
    return float(info.min), float(info.max) + 1


@functools.lru_cache(maxsize=None)
def _range(datatype: str) -> np.iinfo:
    """The range of an integer ``datatype`` or dtype (asked once per datatype: numpy's answer
    costs microseconds, a request asks it per input)."""
    return np.iinfo(datatype.lower())


def _row(flat_index: int, shape: tuple[int, ...]) -> int:
    width = math.prod(shape[1:]) or 1
    return flat_index // width + 1


def _refuse(where: str, index: int, shape: tuple[int, ...], expected: str, value) -> RequestError:
    text = one_line(repr(value) if not isinstance(value, (list, dict)) else type(value).__name__,
                    40)
    return bad(f"{where}, row {_row(index, shape)}: expected {expected}, got {text}")


def _array(values, where: str, shape: tuple[int, ...]) -> np.ndarray:
    """``values`` as an array of ``shape`` (nested lists or flat, row-major, or the array a
    binary tensor was read into)."""
    if isinstance(values, np.ndarray):
        return values.reshape(shape)
    if not isinstance(values, list):
        raise bad(f"{where}: expected a list of values, got {type(values).__name__}")
    try:
        array = np.asarray(values)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise bad(f"{where}: the data is ragged (lists of different lengths)") from None
    if array.size != math.prod(shape):
        raise bad(f"{where}: shape {list(shape)} holds {math.prod(shape)} values, the data has "
                  f"{array.size}")
    if array.ndim > 1 and array.shape != tuple(shape):
        raise bad(f"{where}: the data is nested as {list(array.shape)}, the shape is "
                  f"{list(shape)} (give the data flat, or nested as the shape)")
    return array.reshape(shape)


def _leaves(values) -> list:
    """Nested lists flattened, row-major (the request's own values, not numpy's text of them)."""
    if not isinstance(values, list):
        return [values]
    return [leaf for value in values for leaf in _leaves(value)]


def numbers(values, where: str, shape: tuple[int, ...], dtype: str = "float64") -> np.ndarray:
    """Numbers of ``shape``: float64 with NaN for missing ones, or ``dtype`` when that is an
    integer dtype and every value is a whole number within its range."""
    array = _array(values, where, shape)
    has_bool = not isinstance(values, np.ndarray) and _has_bool(values)
    if array.dtype.kind in "iu" and not has_bool:
        if _integer(dtype):
            info = _range(dtype)
            if array.size == 0 or (array.min() >= info.min and array.max() <= info.max):
                return array.astype(dtype)
        return array.astype(np.float64)  # whole numbers: none is infinite
    if array.dtype.kind == "f" and not has_bool:
        array = array.astype(np.float64)
    else:
        array = _slow_numbers(_leaves(values), where, shape).reshape(shape)
    infinite = np.flatnonzero(np.isinf(array)) if not np.isfinite(array).all() else ()
    if len(infinite):
        raise _refuse(where, int(infinite[0]), shape, "a finite number",
                      float(array.flat[infinite[0]]))
    return array


def _has_bool(values: list) -> bool:
    """Whether a true or false hides among numbers (numpy would read it as 1 or 0)."""
    kinds = set(map(type, values))
    return bool in kinds or list in kinds and any(_has_bool(v) for v in values
                                                  if type(v) is list)


@functools.lru_cache(maxsize=None)
def _integer(dtype: str) -> bool:
    try:
        return np.dtype(dtype).kind in "iu"
    except TypeError:  # a pandas dtype ("Int64", "category")
        return False


def _slow_numbers(flat: list, where: str, shape: tuple[int, ...]) -> np.ndarray:
    """Element by element: numbers and null (missing) only; true/false and text refused."""
    out = np.empty(len(flat), dtype=np.float64)
    for index, value in enumerate(flat):
        if value is None:
            out[index] = np.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                out[index] = float(value)
            except OverflowError:
                raise _refuse(where, index, shape, "a finite number", value) from None
        else:
            raise _refuse(where, index, shape, "a number or null", value)
    return out


def texts(values, where: str, shape: tuple[int, ...]) -> np.ndarray:
    """Strings of ``shape`` (null: missing), flat, as an object array."""
    return _of_type(values, where, shape, str, "a string or null")


def booleans(values, where: str, shape: tuple[int, ...]) -> np.ndarray:
    """true/false of ``shape`` (null: missing), flat, as an object array."""
    return _of_type(values, where, shape, bool, "true, false or null")


def _of_type(values, where: str, shape: tuple[int, ...], kind: type, expected: str
             ) -> np.ndarray:
    """Values of ``shape`` that are each ``kind`` or null, flat, as an object array."""
    flat = _flat(values, where, shape)
    for index, value in enumerate(flat):
        if value is not None and not isinstance(value, kind):
            raise _refuse(where, index, shape, expected, value)
    return np.array(flat, dtype=object)


def _flat(values, where: str, shape: tuple[int, ...]) -> list:
    """``values`` flattened, a 1-d shape's only (``[n]`` or ``[n, 1]``)."""
    if not isinstance(values, list):
        raise bad(f"{where}: expected a list of values, got {type(values).__name__}")
    flat = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in values] \
        if len(shape) == 2 else values
    if len(flat) != math.prod(shape):
        raise bad(f"{where}: shape {list(shape)} holds {math.prod(shape)} values, the data has "
                  f"{len(flat)}")
    return flat
