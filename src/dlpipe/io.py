"""Atomic writes and small file helpers.

Every output goes through :func:`atomic_path`: the content is written to a temporary file in the
same directory and renamed over the target, so a killed stage never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from dlpipe.errors import DataError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # keep the suffix: some writers (Keras, matplotlib) choose the format from it
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file 0600; the output gets the mode a plain open() would give it,
        # so colleagues, DVC's shared cache and cluster jobs of other users can read it
        os.chmod(tmp_path, 0o666 & ~umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_parquet(path: str | Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, engine="pyarrow", index=False)
    release_arrow_memory()


def read_parquet(path: str | Path) -> pd.DataFrame:
    frame = pd.read_parquet(path, engine="pyarrow")
    release_arrow_memory()
    return frame


def release_arrow_memory() -> None:
    """Hand the pages Arrow freed back to the system. Its allocator keeps them for reuse, and
    converting a table to a frame frees about the table's size: reading MNIST's processed part
    (181 MB) leaves ~300 MB resident that no object holds, in every job that reads it."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_figure(path: str | Path, fig: Any) -> None:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """Checksum of a table's content, equal on every machine, process and pandas/numpy version.

    It covers the row count and, per column in order, its name, a canonical kind (``int``,
    ``uint``, ``float``, ``bool``, ``string``, ``category[<kind of the categories>]``,
    ``datetime[<tz>]``, ``timedelta``, ``object``) and its values in a fixed layout: numbers as
    little-endian int64/uint64/float64 (datetimes in UTC nanoseconds) with a bitmap of missing
    cells, text as UTF-8 with each value's length (-1 marks a missing value), a categorical as
    its categories plus each value's category as text. The pandas dtype and the file format are
    not part of it: the same table read from CSV, parquet or arrays gets the same digest.
    """
    digest = hashlib.sha256(FRAME_DIGEST_FORMAT)
    _digest_parts(digest, np.array([len(frame), frame.shape[1]], dtype="<i8"))
    for position, name in enumerate(frame.columns):
        kind, parts = _canonical(frame.iloc[:, position])
        _digest_parts(digest, _utf8(name), kind.encode(), *parts)
    return digest.hexdigest()


FRAME_DIGEST_FORMAT = b"dlpipe frame_sha256 v1"
INT64_MAX = np.iinfo(np.int64).max


def _digest_parts(digest: Any, *parts: Any) -> None:
    """Each part (bytes or a contiguous array) with its byte length first: no two sequences of
    parts give the same stream."""
    for part in parts:
        view = memoryview(part).cast("B")
        digest.update(view.nbytes.to_bytes(8, "little"))
        digest.update(view)


def _utf8(value: Any) -> bytes:
    return str(value).encode("utf-8", "surrogatepass")


def _canonical(column: pd.Series) -> tuple[str, list[Any]]:
    """The canonical kind of ``column`` and its values as byte parts."""
    dtype, types = column.dtype, pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical(column)
    if types.is_bool_dtype(dtype):
        return "bool", _numbers(column, "|u1")
    if types.is_unsigned_integer_dtype(dtype) and column.max() > INT64_MAX:
        return "uint", _numbers(column, "<u8")
    if types.is_integer_dtype(dtype):
        return "int", _numbers(column, "<i8")
    if types.is_float_dtype(dtype):
        return "float", _numbers(column, "<f8")
    if types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        if tz is not None:
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        nanoseconds = column.astype("datetime64[ns]").to_numpy().view(np.int64)
        return f"datetime[{tz or ''}]", _numbers(pd.Series(nanoseconds), "<i8", column.isna())
    if types.is_timedelta64_dtype(dtype):
        nanoseconds = column.astype("timedelta64[ns]").to_numpy().view(np.int64)
        return "timedelta", _numbers(pd.Series(nanoseconds), "<i8", column.isna())
    is_text = types.is_string_dtype(dtype) and types.infer_dtype(column) in ("string", "empty")
    return ("string" if is_text else "object"), _texts(column)


def _numbers(column: pd.Series, layout: str, missing: pd.Series | None = None) -> list[Any]:
    """A bitmap of the missing cells (empty if none) and the values in ``layout``, 0 where
    missing (so every NaN and NA looks the same)."""
    missing = (column.isna() if missing is None else missing).to_numpy(dtype=bool)
    values = np.ascontiguousarray(column.to_numpy(dtype=layout, na_value=0))
    if not missing.any():
        return [b"", values]
    values = values.copy()
    values[missing] = 0
    return [np.packbits(missing, bitorder="little"), values]


def _texts(column: pd.Series) -> list[Any]:
    """Each value's UTF-8 length (-1 if missing), then all their bytes."""
    missing = column.isna().to_numpy(dtype=bool)
    encoded = [b"" if gone else _utf8(value)
               for value, gone in zip(column.to_numpy(dtype=object), missing)]
    lengths = np.fromiter(map(len, encoded), dtype="<i8", count=len(encoded))
    lengths[missing] = -1
    return [lengths, b"".join(encoded)]


def _categorical(column: pd.Series) -> tuple[str, list[Any]]:
    categories = column.cat.categories
    kind, _ = _canonical(pd.Series(categories))
    names = [_utf8(name) for name in categories]
    codes = column.cat.codes.to_numpy(dtype=np.int64)
    present = codes >= 0
    name_lengths = np.array([len(name) for name in names], dtype="<i8")
    lengths = np.where(present, name_lengths[np.where(present, codes, 0)] if names else -1, -1)
    values = b"".join(np.array(names + [b""], dtype=object)[codes[present]])
    ordered = b"\x01" if column.cat.ordered else b"\x00"
    return f"category[{kind}]", [ordered, name_lengths, b"".join(names),
                                 lengths.astype("<i8"), values]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


MANIFEST = ".manifest.json"  # the sha256 of every file of a directory output, beside them


def write_manifest(directory: Path) -> None:
    """List the sha256 of every file of ``directory`` in its manifest."""
    digests = {path.name: file_sha256(path) for path in sorted(directory.iterdir())
               if path.is_file() and path.name != MANIFEST}
    (directory / MANIFEST).write_text(json.dumps({"sha256": digests}, indent=1) + "\n")


def verify_manifest(directory: Path, remedy: str) -> None:
    """Refuse (:class:`DataError` naming the file) a directory whose files are not those its
    manifest lists, before anything in it is deserialised."""
    path = directory / MANIFEST
    if not path.is_file():
        raise DataError(f"{path}: missing, so the files beside it cannot be verified: {remedy}")
    try:
        listed = json.loads(path.read_text())["sha256"]
        items = sorted(listed.items())
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DataError(f"{path}: not a manifest (a mapping 'sha256' of file to digest): "
                        f"{remedy}") from None
    for name, expected in items:
        file = directory / name
        if not file.is_file():
            raise DataError(f"{file}: listed in {MANIFEST} but missing: {remedy}")
        got = file_sha256(file)
        if got != expected:
            raise DataError(f"{file}: content does not match the manifest (expected sha256 "
                            f"{str(expected)[:16]}..., got {got[:16]}...): {remedy}")
