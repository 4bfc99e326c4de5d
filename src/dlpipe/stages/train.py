"""train: k-fold CV of the tuned model (per-fold scores kept), then the final fit on all training data."""

from __future__ import annotations

import logging
import time

from dlpipe import plots
from dlpipe.features import decode_labels, split_xy, subsample
from dlpipe.io import atomic_path, read_json, read_parquet, write_csv, write_json
from dlpipe.params import KerasModel, Params
from dlpipe.paths import path

log = logging.getLogger(__name__)


def run(params: Params, project: str) -> None:
    from dlpipe.models import training

    cfg = params.project(project)
    spec = KerasModel.model_validate(read_json(path("best_params", project))["model"])
    X, y = split_xy(subsample(read_parquet(path("interim_train", project)), cfg.cv.max_rows,
                              params.seed))
    folds = training.cross_validate(spec, cfg.features, X, y, cfg.cv.folds, params.seed,
                                    cfg.cv.metrics)

    X_train, y_train = decode_labels(read_parquet(path("processed_train", project)))
    started = time.perf_counter()
    fitted = training.fit(spec, X_train, y_train, int(y_train.max()) + 1,
                          cfg.features.label_encoding == "onehot", params.seed)
    fit_seconds = time.perf_counter() - started
    with atomic_path(path("model", project)) as tmp:
        fitted.model.save(tmp)
    write_json(path("cv", project), {
        "folds": [{"fold": r.fold, "epochs": r.epochs, **r.scores} for r in folds],
        "summary": training.summarise(folds), "cv_rows": len(y), "model": spec.model_dump(),
        "final_fit": {"epochs": fitted.epochs, "rows": len(y_train)},
        "fit_seconds": fit_seconds})
    write_csv(path("history", project), fitted.history)
    plots.learning_curves(fitted.history, f"{project}: final fit ({spec.kind})",
                          path("learning_curves_png", project))
    log.info("final fit: %d epochs in %.0f s, best val_loss %.4f", fitted.epochs, fit_seconds,
             fitted.history["val_loss"].min())
