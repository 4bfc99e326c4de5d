"""The columns a served bundle takes, as both protocols show them: the feature columns with
their V2 datatypes (worked out once per schema), the columns a row may carry that the model
does not read, and whether the bundle takes images."""

from __future__ import annotations

import weakref

import numpy as np

from dlpipe.serving.tensor_values import Column


def columns(bundle) -> list[Column]:
    """The bundle's feature columns as the protocols show them; worked out once per schema
    (every request asks, and a price row's twenty cost ~30 µs to work out), and forgotten
    with it."""
    schema = bundle.schema
    known = _COLUMNS.get(id(schema))
    if known is None:
        known = _COLUMNS[id(schema)] = [Column(c.name, c.kind, datatype_of(c.kind, c.dtype),
                                               c.dtype) for c in schema.columns]
        # a schema's id is free for another once it is gone: its entry goes with it
        weakref.finalize(schema, _COLUMNS.pop, id(schema), None)
    return known


_COLUMNS: dict[int, list[Column]] = {}  # id(schema) -> its columns, while the schema lives


def ignored(bundle) -> set[str]:
    """Columns a row may carry that the model does not read (the label, dropped columns)."""
    return set(bundle.schema.ignored)


def is_image(bundle) -> bool:
    return bundle.schema.image_shape is not None


def datatype_of(kind: str, dtype: str) -> str:
    """The V2 datatype a column of ``kind`` and training ``dtype`` is sent as."""
    try:
        found = np.dtype(dtype).kind
    except TypeError:  # a pandas dtype: "category", "string", "Int64", "boolean"
        found = {"Int": "i", "UIn": "u", "Flo": "f", "boo": "b"}.get(dtype[:3], "O")
    if found == "b":
        return "BOOL"
    if kind == "numeric" or found in "iuf":
        return "INT64" if found in "iu" else "FP64"
    return "BYTES"
