"""The columns a served bundle takes, as both protocols show them: the feature columns with
their V2 datatypes (worked out once per schema), the columns a row may carry that the model
does not read, and whether the bundle takes images."""

from __future__ import annotations

from dlpipe.serving.tensor_values import Column, datatype_of


def columns(bundle) -> list[Column]:
    """The bundle's feature columns as the protocols show them; worked out once per schema
    (every request asks, and a price row's twenty cost ~30 µs to work out)."""
    schema = bundle.schema
    known = _COLUMNS.get(id(schema))
    if known is None or known[0] is not schema:
        if len(_COLUMNS) >= 256:  # schemas of bundles long gone (the tests load hundreds)
            _COLUMNS.clear()
        known = _COLUMNS[id(schema)] = (schema, [
            Column(c.name, c.kind, datatype_of(c.kind, c.dtype), c.dtype)
            for c in schema.columns])
    return known[1]


# id(schema) -> (the schema, its columns): the schema is kept, so its id is not reused
_COLUMNS: dict[int, tuple] = {}


def ignored(bundle) -> set[str]:
    """Columns a row may carry that the model does not read (the label, dropped columns)."""
    return set(bundle.schema.ignored)


def is_image(bundle) -> bool:
    return bundle.schema.image_shape is not None
