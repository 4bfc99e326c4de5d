"""evaluate: test-set metrics, per-class scores, confusion matrix (CSV for DVC, PNG), tidy rows."""

from __future__ import annotations

import time

import pandas as pd

from dlpipe import plots
from dlpipe.metrics import confusion_long, per_class, rows, score
from dlpipe.features import decode_labels
from dlpipe.io import read_json, read_parquet, write_csv, write_json
from dlpipe.params import Params
from dlpipe.paths import path

TASK = "multiclass"


def model_name(kind: str) -> str:
    return f"keras_{kind}"


def run(params: Params, project: str) -> None:
    from dlpipe.models import network
    from dlpipe.models.training import predict_proba

    cfg = params.project(project)
    X_test, y_test = decode_labels(read_parquet(path("processed_test", project)))
    model = network.load_network(str(path("model", project)))
    started = time.perf_counter()
    proba = predict_proba(model, X_test, batch_size=256)
    predict_seconds = time.perf_counter() - started
    y_pred = proba.argmax(axis=1)
    n_classes = proba.shape[1]
    test = {name: score(name, y_test, proba) for name in cfg.evaluate.metrics}
    cv = read_json(path("cv", project))
    name = model_name(cv["model"]["kind"])
    write_json(path("metrics", project), {
        "model": name, "test": test,
        "cv": {m: s for m, s in cv["summary"].items()},
        "per_class": per_class(y_test, y_pred, n_classes).to_dict(orient="records"),
        "n_test": int(len(y_test))})
    write_csv(path("confusion", project), confusion_long(y_test, y_pred))
    plots.confusion(y_test, y_pred, n_classes, f"{project}: {name} on the test set",
                    path("confusion_png", project))
    cv_means = {m: s["mean"] for m, s in cv["summary"].items()}
    cv_stds = {m: s["std"] for m, s in cv["summary"].items()}
    write_csv(path("scores", project), pd.concat([
        rows(project, TASK, name, "cv", cv_means, cv_stds),
        rows(project, TASK, name, "train", {"fit_seconds": cv["fit_seconds"]}),
        rows(project, TASK, name, "test", {**test, "predict_seconds": predict_seconds})],
        ignore_index=True))
