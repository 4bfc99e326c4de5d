"""train: k-fold CV of the tuned model (per-fold scores kept), then the final fit on all
training data, written as the project's inference bundle (network, feature transformer, input
schema)."""

from __future__ import annotations

import logging
import math
import time

import pandas as pd

from dlpipe import plots
from dlpipe.features import decode_labels, fitted_columns, subsample
from dlpipe.frames import cv_xy
from dlpipe.metrics import ARGMAX, Decision, decision_for
from dlpipe.params import CVParams, DecisionParams, FeatureParams, KerasModel
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.compiled_network import network_answers
from dlpipe.bundle.input_schema import Schema

log = logging.getLogger(__name__)


def train(train: pd.DataFrame, processed: pd.DataFrame, transformer, names: dict,
          best_params: dict, seed: int, features: FeatureParams, cv: CVParams, target: str,
          decision: DecisionParams, project: str) -> dict:
    """CV scores of the tuned spec (transformers refitted in every fold), the final model fitted
    on the processed training part, its history and learning curves, and the bundle: the
    model, the transformer preprocess fitted, and the schema of the rows they accept (with
    the two-class decision: which class is positive, at which threshold)."""
    from dlpipe.models import training

    spec = KerasModel.model_validate(best_params["model"])
    decided = decision_for(names["classes"], decision.positive_class, decision.threshold)
    X, y = cv_xy(subsample(train, cv.max_rows, seed), cv.folds)
    folds = training.cross_validate(spec, features, X, y, cv.folds, cv.method, seed, cv.metrics,
                                    decision=decided)

    X_train, y_train = decode_labels(processed)
    rows, width = X_train.shape
    started = time.perf_counter()
    fitted = training.fit(spec, X_train, y_train, len(names["classes"]) or None,
                          features.label_encoding == "onehot", seed,
                          vocabulary=features.vocabulary)
    fit_seconds = time.perf_counter() - started
    log.info("final fit: %d epochs in %.0f s, best val_loss %.4f", fitted.epochs, fit_seconds,
             fitted.history["val_loss"].min())
    schema = schema_of(project, train, transformer, names["classes"], target, width, spec,
                       decided)
    bundle = {bundle_files.MODEL: fitted.model, bundle_files.TRANSFORMER: transformer,
              bundle_files.SCHEMA: schema.to_dict()}
    answers = network_answers(fitted.model)
    if answers is not None:
        bundle[bundle_files.NETWORK_ANSWERS] = answers
    return {
        "bundle": bundle,
        "cv": {"summary": training.summarise(folds),
               "folds": {str(r.fold + 1): r.scores for r in folds}},
        "fit": {"model": spec.model_dump(), "cv_rows": len(y),
                "cv_epochs": [r.epochs for r in folds],
                "final_fit": {"epochs": fitted.epochs, "rows": rows},
                "fit_seconds": fit_seconds},
        **plots.epoch_series(fitted.history),
        "learning_curves_png": plots.learning_curves(
            fitted.history, f"{project}: final fit ({spec.kind})")}


def schema_of(project: str, train: pd.DataFrame, transformer, classes: list[str], target: str,
              width: int, spec: KerasModel, decision: Decision = ARGMAX) -> Schema:
    """The input schema of the model fitted on ``train``: images (``image_shape``) when the
    network sees its inputs as pixels of that shape and nothing else."""
    kinds = fitted_columns(transformer)
    images = (spec.image_shape is not None and kinds["numeric"] == [
        name for names in kinds.values() for name in names]
        and math.prod(spec.image_shape) == width)
    return Schema.from_frame(project, train, kinds, classes, target, width,
                             spec.image_shape if images else None, decision)
