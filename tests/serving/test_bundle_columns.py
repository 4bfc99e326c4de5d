"""A bundle's columns as the protocols show them, worked out once per schema."""

from __future__ import annotations

import dataclasses
import gc
from types import SimpleNamespace

from dlpipe.bundle.input_schema import Column, Schema
from dlpipe.serving import bundle_columns
from dlpipe.serving.bundle_columns import columns, ignored, is_image

SCHEMA = Schema("p", ["a", "b"], "label", [
    Column("size", "numeric", "float64", False), Column("count", "numeric", "int64", True),
    Column("shade", "categorical", "str", False, categories=["dark"]),
    Column("code", "categorical", "int64", False, categories=["1"])],
    input_width=5, ignored=["label", "target"])


def test_datatypes_and_the_rest():
    bundle = SimpleNamespace(schema=SCHEMA)
    assert [(c.name, c.datatype) for c in columns(bundle)] == [
        ("size", "FP64"), ("count", "INT64"), ("shade", "BYTES"), ("code", "INT64")]
    assert ignored(bundle) == {"label", "target"} and not is_image(bundle)


def test_worked_out_once_per_schema():
    bundle = SimpleNamespace(schema=SCHEMA)
    assert columns(bundle) is columns(SimpleNamespace(schema=SCHEMA))
    narrow = SimpleNamespace(schema=dataclasses.replace(SCHEMA, columns=SCHEMA.columns[:1]))
    assert [c.name for c in columns(narrow)] == ["size"]
    assert len(columns(bundle)) == 4


def test_forgotten_with_its_schema():
    schema = dataclasses.replace(SCHEMA)
    columns(SimpleNamespace(schema=schema))
    key = id(schema)
    assert key in bundle_columns._COLUMNS
    del schema
    gc.collect()
    assert key not in bundle_columns._COLUMNS
