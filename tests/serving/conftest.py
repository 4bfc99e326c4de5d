"""Bundles for the server tests: small stand-ins with the Bundle interface (schema, classes,
predict_proba raising InputError, predict)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import InputError


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    dtype: str
    nan: bool = False
    categories: list | None = None


@dataclass
class Schema:
    columns: list
    classes: list
    input_width: int
    image_shape: list | None = None
    ignored: list = field(default_factory=lambda: ["target"])


class StandIn:
    """A bundle whose 'model' is a fixed function of the numeric columns' sum."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.classes = list(schema.classes)

    def check(self, frame: pd.DataFrame) -> list[str]:
        problems = []
        for column in self.schema.columns:
            values = frame[column.name]
            if not column.nan:
                problems += [f"row {row}, column {column.name!r}: missing value (training had "
                             "none)" for row in np.flatnonzero(values.isna().to_numpy()) + 1]
            if column.kind == "categorical":
                problems += [f"row {row}, column {column.name!r}: unknown category {value!r}"
                             for row, value in enumerate(values.tolist(), 1)
                             if isinstance(value, str) and value not in column.categories]
        return problems

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        problems = self.check(frame)
        if problems:
            raise InputError(problems)
        numeric = [c.name for c in self.schema.columns if c.kind == "numeric"]
        x = frame[numeric].fillna(0).to_numpy(np.float64).sum(axis=1)
        logits = np.stack([np.sin(x * (k + 1)) for k in range(len(self.classes))], axis=1)
        return (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        proba = self.predict_proba(frame)
        out = pd.DataFrame({"label": np.asarray(self.classes, dtype=object)[proba.argmax(1)]})
        for k, name in enumerate(self.classes):
            out[f"proba_{name}"] = proba[:, k]
        return out


@pytest.fixture(scope="module")
def bundles():
    tab = StandIn(Schema([Column("a", "numeric", "float64"),
                          Column("b", "numeric", "int64", nan=True),
                          Column("c", "categorical", "object", categories=["x", "y"])],
                         ["p", "q", "r"], 3))
    img = StandIn(Schema([Column(f"pixel{i}", "numeric", "uint8") for i in range(1, 5)],
                         ["0", "1"], 4, image_shape=[2, 2, 1]))
    return {"tab": tab, "img": img}


@pytest.fixture
def tab_rows():
    return pd.DataFrame({"a": [0.1, 0.5, 2.0, 3.0], "b": [1.0, np.nan, 3.0, 4.0],
                         "c": ["x", "y", "x", "y"]})


@pytest.fixture
def img_rows():
    return pd.DataFrame(np.arange(12).reshape(3, 4) * 20.0,
                        columns=[f"pixel{i}" for i in range(1, 5)])
