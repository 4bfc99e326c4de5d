"""The input schema of a bundle: which rows its model accepts, and a check naming each problem.

The train stage writes it from the training part (``schema.json``); whatever predicts reads it
back. Rows are numbered from 1, the first data row (line 2 of a CSV file with a header).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from dlpipe.encoders import date_problems
from dlpipe.features import as_text
from dlpipe.frames import TARGET
from dlpipe.metrics import Decision

VERSION = 2
SHOWN_CATEGORIES = 10  # categories a message lists before "..."
Kind = Literal["numeric", "categorical", "text", "datetime"]


@dataclass(frozen=True)
class Column:
    """One input column as the training part had it."""

    name: str
    kind: Kind
    dtype: str  # the pandas dtype in training
    nan: bool  # whether a value was missing in training (the transformer imputes it)
    categories: list[str] | None = None  # categorical: the values seen in training, as text
    # numeric: the range seen in training; text and datetime columns keep neither
    min: float | None = None  # numeric: the range seen in training (None: no finite value)
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "dtype": self.dtype,
                               "nan": self.nan}
        if self.kind == "categorical":
            return {**out, "categories": list(self.categories or [])}
        if self.kind != "numeric":
            return out
        return {**out, "min": self.min, "max": self.max}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Column":
        if data["kind"] not in ("numeric", "categorical", "text", "datetime"):
            raise ValueError(f"column {data['name']!r}: unknown kind {data['kind']!r}")
        return cls(name=str(data["name"]), kind=data["kind"], dtype=str(data["dtype"]),
                   nan=bool(data["nan"]), categories=data.get("categories"),
                   min=data.get("min"), max=data.get("max"))


@dataclass(frozen=True)
class Schema:
    """What a project's model reads and says: its input columns, class names (in code order)
    and input width. ``image_shape`` (e.g. [28, 28, 1]) marks flattened images: the columns are
    the pixels in row-major order. ``ignored`` columns are accepted and left out: the label
    (``target`` as the data names it, or ``"target"``) and the columns params drop. A
    two-class model names its ``positive_class`` and the ``threshold`` its probability must
    reach to be predicted (None for more classes: the most probable one is)."""

    project: str
    classes: list[str]
    target: str
    columns: list[Column]
    input_width: int
    image_shape: list[int] | None = None
    ignored: list[str] = field(default_factory=list)
    positive_class: str | None = None
    threshold: float | None = None

    @property
    def decision(self) -> Decision:
        """How the model's probabilities become a predicted class code."""
        if self.positive_class is None:
            return Decision()
        return Decision(self.classes.index(self.positive_class), float(self.threshold))

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @classmethod
    def from_frame(cls, project: str, frame: pd.DataFrame, columns: dict[str, Sequence[str]],
                   classes: Sequence[str], target: str,
                   input_width: int, image_shape: Sequence[int] | None = None,
                   decision: Decision = Decision()) -> "Schema":
        """The schema of a model fitted on ``frame`` (the training part) reading ``columns``
        (kind -> names); its other columns, the label among them, become ``ignored``."""
        kinds = {name: kind for kind, names in columns.items() for name in names}
        columns = [_describe(str(name), kinds[str(name)], frame[name])
                   for name in frame.columns if str(name) in kinds]
        ignored = [str(c) for c in frame.columns if str(c) not in kinds]
        return cls(project=project, classes=[str(c) for c in classes], target=target,
                   columns=columns, input_width=int(input_width),
                   image_shape=None if image_shape is None else [int(n) for n in image_shape],
                   ignored=list(dict.fromkeys([*ignored, target, TARGET])),
                   positive_class=None if decision.positive is None
                   else str(classes[decision.positive]),
                   threshold=None if decision.positive is None else decision.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {"version": VERSION, "project": self.project, "classes": self.classes,
                "target": self.target, "input_width": self.input_width,
                "image_shape": self.image_shape, "ignored": self.ignored,
                "positive_class": self.positive_class, "threshold": self.threshold,
                "columns": [column.to_dict() for column in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Schema":
        """The schema :meth:`to_dict` wrote; ValueError for another version, KeyError for a
        missing key."""
        if data.get("version") != VERSION:
            raise ValueError(f"schema version {data.get('version')!r}, expected {VERSION}")
        return cls(project=str(data["project"]), classes=[str(c) for c in data["classes"]],
                   target=str(data["target"]),
                   columns=[Column.from_dict(c) for c in data["columns"]],
                   input_width=int(data["input_width"]), image_shape=data["image_shape"],
                   ignored=[str(c) for c in data["ignored"]],
                   positive_class=data["positive_class"], threshold=data["threshold"])


def _is_number(dtype: Any) -> bool:
    if isinstance(dtype, np.dtype):  # the common case, a hundred times faster to ask
        return dtype.kind in "iuf"
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def numbers(values: pd.Series) -> pd.Series:
    """A column as float64; text that is not a number becomes NaN."""
    if _is_number(values.dtype):
        return values.astype(np.float64)
    return pd.to_numeric(values.astype(object), errors="coerce").astype(np.float64)


def texts(values: pd.Series) -> pd.Series:
    """A column's values as the transformer's one-hot encoder sees them: text, NaN if missing."""
    return pd.Series(as_text(values.to_frame())[:, 0], index=values.index, dtype=object)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _describe(name: str, kind: Kind, values: pd.Series) -> Column:
    nan = bool(values.isna().any())
    if kind in ("text", "datetime"):
        return Column(name, kind, str(values.dtype), nan)
    if kind == "categorical":
        seen = texts(values).dropna()
        return Column(name, kind, str(values.dtype), nan, categories=sorted(set(seen)))
    finite = numbers(values)
    finite = finite[np.isfinite(finite)]
    low, high = (finite.min(), finite.max()) if len(finite) else (np.nan, np.nan)
    return Column(name, kind, str(values.dtype), nan, min=_finite(low), max=_finite(high))


def check(schema: Schema, frame: pd.DataFrame) -> list[str]:
    """One line per problem of ``frame`` against ``schema``: a column given twice, missing or
    unknown; then, row by row, text in a numeric column, a category training never saw, a
    missing value where training had none. Empty if the rows can be predicted."""
    names = [str(c) for c in frame.columns]
    counts = Counter(names)
    problems = [f"column {name!r}: given {n} times" for name, n in counts.items() if n > 1]
    problems += [f"column {c.name!r}: missing (a {c.kind} input of the model)"
                 for c in schema.columns if c.name not in counts]
    known = set(schema.names) | set(schema.ignored)
    problems += [f"column {name!r}: unknown column (not an input of the model)"
                 for name in counts if name not in known]
    position = {name: j for j, name in enumerate(names)}
    usable = [(k, c) for k, c in enumerate(schema.columns) if counts.get(c.name) == 1]
    cells: list[tuple[int, int, str]] = []
    for kind, found in (("numeric", _numeric_cells), ("categorical", _categorical_cells),
                        ("datetime", _date_cells)):
        chosen = [(k, c) for k, c in usable if c.kind == kind]
        if chosen:
            block = frame.iloc[:, [position[c.name] for _, c in chosen]]
            cells += found([c for _, c in chosen], [k for k, _ in chosen], block)
    return problems + [text for _, _, text in sorted(cells, key=lambda cell: cell[:2])]


def number_block(block: pd.DataFrame) -> np.ndarray:
    """Columns as one float64 array; text that is not a number becomes NaN. Column by column
    only where a dtype is not numeric already (an image's hundreds of columns go at once)."""
    if all(_is_number(dtype) for dtype in set(block.dtypes)):
        return block.to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.empty(block.shape, dtype=np.float64)
    for j in range(block.shape[1]):
        out[:, j] = numbers(block.iloc[:, j]).to_numpy()
    return out


def _numeric_cells(columns: list[Column], positions: list[int], block: pd.DataFrame
                   ) -> list[tuple[int, int, str]]:
    """(row, column position, problem) of each bad cell of the numeric columns."""
    missing = block.isna().to_numpy()
    wrong = ~missing & np.isnan(number_block(block))
    absent = missing & np.array([not c.nan for c in columns])
    found = [(r + 1, positions[j], f"row {r + 1}, column {columns[j].name!r}: "
                                   f"{block.iat[r, j]!r} is not a number")
             for r, j in zip(*np.nonzero(wrong))]
    return found + [(r + 1, positions[j], f"row {r + 1}, column {columns[j].name!r}: missing "
                                          "value (training had none)")
                    for r, j in zip(*np.nonzero(absent))]


def _categorical_cells(columns: list[Column], positions: list[int], block: pd.DataFrame
                       ) -> list[tuple[int, int, str]]:
    """(row, column position, problem) of each bad cell of the categorical columns."""
    found: list[tuple[int, int, str]] = []
    for j, column in enumerate(columns):
        values = block.iloc[:, j]
        missing = values.isna().to_numpy()
        text = texts(values)
        seen = list(column.categories or [])
        shown = ", ".join(map(repr, seen[:SHOWN_CATEGORIES]))
        shown += ", ..." if len(seen) > SHOWN_CATEGORIES else ""
        where = f"column {column.name!r}"
        for r in np.flatnonzero(~missing & ~text.isin(seen).to_numpy()):
            found.append((r + 1, positions[j], f"row {r + 1}, {where}: unknown category "
                                               f"{text.iat[r]!r} (training saw {shown})"))
        if not column.nan:
            found += [(r + 1, positions[j], f"row {r + 1}, {where}: missing value (training "
                                            "had none)") for r in np.flatnonzero(missing)]
    return found


def _date_cells(columns: list[Column], positions: list[int], block: pd.DataFrame
               ) -> list[tuple[int, int, str]]:
    """(row, column position, problem) of each bad cell of the date columns (free text takes
    any value)."""
    return [(r + 1, positions[j], f"row {r + 1}, column {column.name!r}: {problem}")
            for j, column in enumerate(columns)
            for r, problem in date_problems(block.iloc[:, j], column.nan)]


def conform(schema: Schema, frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns of checked rows, in the schema's order: numeric ones as
    float64 (numbers read as text become numbers), the others as given."""
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    numeric = [c.name for c in schema.columns if c.kind == "numeric"]
    others = [c.name for c in schema.columns if c.kind != "numeric"]
    parts = [pd.DataFrame(number_block(frame[numeric]), columns=numeric, index=frame.index),
             frame[others]]
    return pd.concat(parts, axis=1)[schema.names]
