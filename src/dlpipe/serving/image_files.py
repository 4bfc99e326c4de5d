"""Encoded image files in a request: a PNG or JPEG file per row, decoded and resized as the
project's training images were (:mod:`dlpipe.images`).

The V2 form is a ``BYTES`` tensor named ``image`` of shape ``[n]``: in JSON each element is the
base64 text of one file; with the binary tensor extension each element is the file's own bytes
(no base64). TensorFlow Serving's is ``{"instances": [{"b64": "..."}]}``, its convention for
binary inputs. Every refusal is a 400 naming the row.
"""

from __future__ import annotations

import base64
import binascii

import pandas as pd

from dlpipe import images
from dlpipe.errors import DataError
from dlpipe.serving.tensor_values import bad

IMAGE_FILES = "image"  # the V2 input of encoded image files
B64 = "b64"  # TensorFlow Serving's key of a base64 value


def described() -> dict:
    """The V2 input of encoded files, as the model metadata's parameters describe it."""
    return {"name": IMAGE_FILES, "datatype": "BYTES", "shape": [-1],
            "content": "a PNG or JPEG file per row: base64 text in JSON, the file's bytes as "
                       "binary data"}


def frame(bundle, values: list, where: str) -> pd.DataFrame:
    """The pixel rows of ``values``, image files as base64 texts or as their bytes (``where``
    names them)."""
    files = []
    for row, value in enumerate(values):
        at = f"{where} row {row + 1}"
        if isinstance(value, bytes):  # the binary extension's raw element
            files.append(value)
            continue
        if not isinstance(value, str):
            raise bad(f"{at}: expected the base64 text of an image file, got "
                      f"{type(value).__name__}")
        try:
            files.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise bad(f"{at}: not base64 text") from None
    try:
        return images.table(files, bundle.schema.image_shape,
                            [f"{where} row {row + 1}" for row in range(len(files))])
    except DataError as error:
        raise bad(str(error)) from None


def v2_frame(bundle, shape: tuple[int, ...], datatype: str, data, names: list[str]
             ) -> pd.DataFrame:
    """The pixel rows of a V2 request's ``image`` tensor, the only input it may hold."""
    where = f"input {IMAGE_FILES!r}"
    if len(names) > 1:
        raise bad(f"input {sorted(set(names) - {IMAGE_FILES})[0]!r}: unknown input (encoded "
                  f"images come alone in {IMAGE_FILES!r})")
    if datatype != "BYTES" or len(shape) != 1:
        raise bad(f"{where}: expected datatype BYTES and shape [n] (one file per row), got "
                  f"{datatype!r} {list(shape)}")
    if not isinstance(data, list) or len(data) != shape[0]:
        raise bad(f"{where}: expected a list of {shape[0]} base64 texts in JSON (or the files "
                  "as binary data)")
    return frame(bundle, data, where)
