"""TensorFlow Serving's REST predict as conversions between JSON bodies and tables:
``{"instances": [{column: value}]}`` in (an image project: a list of pixels per instance),
``{"predictions": [{"label", "probabilities": {class: p}}]}`` out (a numeric target:
``{"predictions": [{"value": v}]}``). Every refusal is a :class:`RequestError` naming the
instance (row) and column at fault.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.row_columns import RowColumns, table
from dlpipe.serving import image_files
from dlpipe.serving.bundle_columns import columns, ignored, is_image
from dlpipe.serving.protocols import check_rows, labels
from dlpipe.serving.tensor_values import bad, numbers

def v1_frame(bundle, body, max_rows: int, light: bool = False) -> pd.DataFrame | RowColumns:
    """The table a ``{"instances": [...]}`` request describes: an object of column values per
    row, or (an image project) a list of pixels per row; ``light``: feature columns as
    :class:`RowColumns`, for a bundle predicted wholly in NumPy."""
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list):
        raise bad("instances: expected a list of rows, each an object {column: value}")
    check_rows(len(instances), max_rows, "instances")
    cols = columns(bundle)
    if is_image(bundle) and all(isinstance(row, dict) and row.keys() == {image_files.B64}
                                for row in instances):
        return image_files.frame(bundle, [row[image_files.B64] for row in instances],
                                 "instances")
    if is_image(bundle) and all(isinstance(row, list) for row in instances):
        where = "instances"
        shape = (len(instances), len(cols))
        pixels = numbers(instances, where, shape, cols[0].dtype)
        return pd.DataFrame(pixels, columns=[c.name for c in cols])
    expected, extra = {c.name for c in cols}, ignored(bundle)
    for index, row in enumerate(instances):
        if not isinstance(row, dict):
            raise bad(f"row {index + 1} (instances[{index}]): expected an object "
                      f"{{column: value}}, got {type(row).__name__}")
        if row.keys() != expected:
            unknown = sorted(row.keys() - expected - extra)
            missing = sorted(expected - row.keys())
            if unknown or missing:
                what = f"unknown column {unknown[0]!r}" if unknown else \
                    f"missing column {missing[0]!r}"
                raise bad(f"row {index + 1} (instances[{index}]): {what} (expected "
                          f"{sorted(expected)})")
    converted = {c.name: c.convert([row[c.name] for row in instances], f"column {c.name!r}",
                                   (len(instances),)) for c in cols}
    return RowColumns(converted) if light else table(converted)


def v1_response(proba: np.ndarray, bundle) -> dict:
    if bundle.has_values:
        return {"predictions": [{"value": value} for value in proba[:, 0].tolist()]}
    names = [str(c) for c in bundle.classes]
    return {"predictions": [{"label": label, "probabilities": dict(zip(names, row))}
                            for label, row in zip(labels(proba, bundle), proba.tolist())]}
