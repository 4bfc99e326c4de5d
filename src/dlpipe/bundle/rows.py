"""Rows to predict, read from a file as the bundle's input schema describes them (an image
project's: image files too)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from dlpipe import csv_files, images, io
from dlpipe.bundle.inference import REASON
from dlpipe.bundle.input_schema import Schema
from dlpipe.errors import DataError, one_line


def read_input(path: str | Path, schema: Schema, sep: str = ",",
               na_values: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str] | None]:
    """Rows to predict or check: a table (:func:`read_rows`), or for an image project an image
    file or a folder of them, read as its training images were, with their paths."""
    if schema.image_shape is not None and images.is_image_input(Path(path)):
        return images.read_images(Path(path), schema.image_shape)
    return read_rows(path, schema, sep, na_values), None


def read_rows(path: str | Path, schema: Schema, sep: str = ",",
              na_values: Sequence[str] = ()) -> pd.DataFrame:
    """Rows to predict from a ``.csv`` or ``.parquet`` file. A CSV file's categorical and
    free-text columns are read as text, as written (a category "01" stays "01"); an empty cell, pandas' usual
    markers ("NA", "NaN" ...) and ``na_values`` are missing."""
    path = Path(path)
    if path.suffix not in (".csv", ".parquet"):
        raise DataError(f"{path}: expected a .csv or .parquet file")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    text = {c.name: str for c in schema.columns if c.kind in ("categorical", "text")}
    try:
        if path.suffix == ".parquet":
            return io.read_parquet(path)
        frame = pd.read_csv(path, sep=sep, na_values=list(na_values), dtype=text)
    except UnicodeDecodeError:
        raise DataError(csv_files.not_utf8(path)) from None
    except Exception as error:
        raise DataError(f"{path}: cannot be read ({type(error).__name__}: "
                        f"{one_line(str(error), REASON)})") from error
    hint = csv_files.separator_hint(frame, path, sep) if len(schema.columns) > 1 else ""
    if hint:
        raise DataError(f"{path}: cannot be read{hint}")
    return csv_files.with_own_header(frame, path, sep)

