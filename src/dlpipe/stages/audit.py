"""audit: on which groups of test rows the model fails. Accuracy per slice (true class, category
of each categorical feature, quartile of the most important numeric features or, for images, of
the ink, quartile of each free text's length in words and of each date) with bootstrap
intervals; a slice well below the overall accuracy, with enough rows and an interval that
excludes the overall, is flagged. A numeric target's model is audited by RMSE (slices by
quartile of the true value instead of class), a slice flagged when its RMSE is more than
``value_gap`` (a fraction) above the overall.

The raw test rows go through the bundle as evaluate sends them, so the slices are scored on the
model's real predictions.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from dlpipe.errors import DataError
from dlpipe.frames import split_xy
from dlpipe.insight import slices
from dlpipe.metrics import score_rows
from dlpipe.params import AuditParams
from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import Bundle

log = logging.getLogger(__name__)
TASK = "audit"


def predicted(test: pd.DataFrame, model: Bundle) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The feature columns, label codes and predicted codes of raw test rows (a numeric
    target: true and predicted values)."""
    X, y = split_xy(test)
    missing = [c for c in model.schema.names if c not in X.columns]
    if missing:
        raise DataError(f"audit: the test rows lack the feature columns {missing}")
    X = X[model.schema.names]
    output = model.probabilities(X)
    return X, y, output[:, 0] if model.has_values else model.schema.decision.labels(output)


def split_of(row: pd.Series) -> str:
    """The score rows' split: ``test`` overall, ``test[<feature>: <slice>]`` for a slice."""
    return "test" if row["group"] == "overall" else f"test[{row['feature']}: {row['slice']}]"


def slice_score_rows(table: pd.DataFrame, project: str, model: str, metric: str
                     ) -> pd.DataFrame:
    """One score row per slice and metric: the ``metric`` score, its interval, flagged (1.0 or
    0.0)."""
    return pd.concat([score_rows(project, TASK, model, split_of(row), {
        metric: row["score"], f"{metric}_low": row["low"], f"{metric}_high": row["high"],
        "flagged": float(row["flagged"])}) for _, row in table.iterrows()], ignore_index=True)


def audit(test: pd.DataFrame, bundle: dict, importance: pd.DataFrame, seed: int,
          audit: AuditParams, project: str) -> dict:
    """The slice table (``audit.csv``), its forest plot and score rows (model ``keras_<kind>``
    as evaluate names it, or the served family's model)."""
    model = as_graph(Bundle.from_outputs(project, bundle))
    X, y, y_pred = predicted(test, model)
    schema = model.schema
    cuts = slices.slicings(X, y, schema.classes, {c.name: c.kind for c in schema.columns},
                           importance, audit.numeric_features, schema.image_shape is not None)
    values = model.has_values
    metric = "rmse" if values else "accuracy"
    per_row = (y - y_pred) ** 2 if values else (y == y_pred).astype(np.float64)
    table = slices.scores(per_row, cuts, audit.bootstrap, audit.confidence, seed, root=values)
    overall = float(table["score"].iloc[0])
    limit = overall * (1.0 + audit.value_gap) if values else overall - audit.gap
    table = slices.flag(table, limit, audit.min_rows, lower_is_better=values)
    name = model.model_name
    weak = table[table["flagged"]]
    log.info("%d slices, %d flagged%s", len(table) - 1, len(weak),
             "".join(f"; {split_of(row)} {row['score']:.4g}" for _, row in weak.iterrows()))
    title = f"{project}: {name} {metric} per slice of the test set"
    return {"table": table,
            "figure": slices.forest(table, limit, audit.confidence, title, metric),
            "scores": slice_score_rows(table, project, name, metric)}
