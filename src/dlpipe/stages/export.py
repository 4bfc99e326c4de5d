"""export: the trained network as LiteRT files (float32, and int8 quantised after training),
each scored on the whole processed test part through the LiteRT interpreter.

The files take the processed features, not raw rows: imputation, one-hot encoding and scaling
are scikit-learn steps fitted on the training part (``preprocess``), and stay in Python beside
the model. Folding them into the graph works for numeric columns only, not for one-hot encoded
text.

Sizes, test scores and the agreement with the Keras model's labels (a numeric target: the
largest difference from its values) are metrics (the same params give the same numbers);
single-row latencies depend on the machine and its load, so they go to the run information and
the score rows (as ``latency_p50_seconds``), not to the metrics file.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from dlpipe.features import decode_labels
from dlpipe.frames import is_values
from dlpipe.metrics import Decision, score_rows, scores, task_of, value_scores
from dlpipe.params import EvaluateParams, ExportParams
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.input_schema import Schema

log = logging.getLogger(__name__)


def calibration_rows(X: np.ndarray, count: int, seed: int) -> np.ndarray:
    """A seeded sample of ``count`` rows of ``X`` (all of them if it has fewer), in order."""
    if count >= len(X):
        return X
    return X[np.sort(np.random.default_rng(seed).choice(len(X), count, replace=False))]


def exported(model, fmt: str, calibration: np.ndarray) -> tuple[bytes, list[str]]:
    """The LiteRT file of ``model`` in ``fmt`` and the layers whose normalisation scale was
    folded into them first (int8 only; see :func:`dlpipe.models.litert.scale_folded`)."""
    from dlpipe.models import litert

    n_features = calibration.shape[1]
    if fmt == "float32":
        return litert.convert(model, n_features), []
    folded, layers = litert.scale_folded(model)
    return litert.convert(folded, n_features, calibration), layers


def measured(content: bytes, X: np.ndarray, y: np.ndarray, keras_proba: np.ndarray,
             evaluate: EvaluateParams, decision: Decision, runs: int) -> tuple[dict, dict]:
    """A file's metrics (size, accuracy and the evaluate stage's scores, agreement with the
    Keras labels) and its run information (latencies, largest probability difference from
    Keras); labels come from the bundle's ``decision``. A numeric target's file is scored by
    the evaluate stage's value metrics, and its largest difference from Keras' values is a
    metric."""
    from dlpipe.models import litert

    proba = litert.predict_proba(content, X)
    latency = litert.latencies_ms(content, X, runs)
    timing = {"latency_p50_ms": float(np.percentile(latency, 50)),
              "latency_p90_ms": float(np.percentile(latency, 90))}
    if is_values(y):
        return ({"size_bytes": len(content),
                 **value_scores(evaluate.metrics, y, proba),
                 "max_abs_difference": float(np.abs(proba - keras_proba).max())}, timing)
    # int8 probabilities come in steps of 1/256 and their sum can miss 1 by a few steps, which
    # the probability scores (ROC AUC, log loss) refuse; renormalising keeps every label
    scored = scores(["accuracy", *evaluate.metrics], evaluate.binary_metrics, y,
                    proba / proba.sum(axis=1, keepdims=True), decision)
    agreement = float(np.mean(decision.labels(proba) == decision.labels(keras_proba)))
    return ({"size_bytes": len(content), **scored, "agreement": agreement},
            {**timing,
             "max_abs_probability_difference": float(np.abs(proba - keras_proba).max())})


def export(bundle: dict, train: pd.DataFrame, test: pd.DataFrame, seed: int,
           evaluate: EvaluateParams, export: ExportParams, project: str) -> dict:
    """One LiteRT file of the bundle's network per format of ``export.formats``, with its
    metrics, run information and score rows (model ``keras_<kind>_litert_<format>`` beside
    evaluate's ``keras_<kind>``: the builder names a network by its kind)."""
    from dlpipe.models import litert, training

    model = bundle[bundle_files.MODEL]
    X_train, _ = decode_labels(train)
    X_test, y_test = decode_labels(test)
    calibration = calibration_rows(X_train, export.calibration_rows, seed)
    keras_proba = training.predict_proba(model, X_test, batch_size=256)
    schema = Schema.from_dict(bundle[bundle_files.SCHEMA])
    task = task_of(schema.classes)
    files, scored, info, score_parts = {}, {}, {}, []
    for fmt in export.formats:
        content, folded = exported(model, fmt, calibration)
        scored[fmt], info[fmt] = measured(content, X_test, y_test, keras_proba, evaluate,
                                          schema.decision, export.latency_runs)
        info[fmt]["folded_batch_norm"] = folded
        files[f"model_{fmt}.tflite"] = content
        log.info("%s: %d bytes, %s, p50 %.3f ms", fmt, len(content), ", ".join(
            f"{k} {v:.4f}" for k, v in scored[fmt].items() if k != "size_bytes"),
            info[fmt]["latency_p50_ms"])
        score_parts.append(score_rows(
            project, task, f"keras_{model.name}_litert_{fmt}", "test",
            {**scored[fmt], "latency_p50_seconds": info[fmt]["latency_p50_ms"] / 1e3}))
    return {
        "files": files, "metrics": scored, "scores": pd.concat(score_parts, ignore_index=True),
        "info": {"input": {"features": X_test.shape[1], "dtype": "float32"},
                 "calibration_rows": len(calibration), "test_rows": len(X_test),
                 "latency_runs": export.latency_runs, "threads": litert.THREADS, **info}}
