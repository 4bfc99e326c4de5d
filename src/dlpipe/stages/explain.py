"""explain: which inputs drive the project's model, through its bundle (the raw rows go
through the fitted transformer, as in serving).

Tables: permutation importance on the test part (the drop in the project's metric when one raw
column is shuffled, mean and std over seeded repeats) and SHAP values (shap's
PermutationExplainer, which needs only a predict function and so works with any Keras model) on
a seeded sample of test rows, with hidden features drawn from seeded training rows. Images:
occlusion maps averaged per class and a few single images (half of them errors when there are
any). Every number is seeded: the same params give the same tables.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from dlpipe.encoders import vocabularies
from dlpipe.features import subsample_rows
from dlpipe.frames import split_xy
from dlpipe.insight import figures, importance, occlusion
from dlpipe.metrics import score_rows, score
from dlpipe.params import ExplainParams
from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import Bundle

log = logging.getLogger(__name__)
TASK = "explain"


def tabular(bundle: Bundle, train: pd.DataFrame, test: pd.DataFrame, seed: int,
            explain: ExplainParams, metric: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Permutation importance and SHAP: the importance rows, SHAP per class, run info."""
    schema = bundle.schema
    X, y = split_xy(test)
    keep = subsample_rows(y, explain.rows, seed)
    X, y = X[schema.names].iloc[keep].reset_index(drop=True), y[keep]
    started = time.perf_counter()
    permuted = importance.permutation(bundle.probabilities, X, y, metric, explain.repeats, seed,
                                      bundle.schema.decision)
    permutation_seconds = time.perf_counter() - started
    words = [importance.word_importance(
        bundle.probabilities, X, y, metric, column,
        importance.frequent_words(X[column], *splitter, explain.words), schema.decision)
        for column, splitter in vocabularies(bundle.transformer).items()]
    X_train, y_train = split_xy(train)
    background = X_train[schema.names].iloc[
        subsample_rows(y_train, explain.background_rows, seed)].reset_index(drop=True)
    explained = X.iloc[subsample_rows(y, explain.shap_rows, seed)].reset_index(drop=True)
    # categories, free text and dates: SHAP hides a value by taking another row's
    categorical = [c.name for c in schema.columns if c.kind != "numeric"]
    started = time.perf_counter()
    values = importance.shap_values(bundle.probabilities, background, explained, categorical,
                                    explain.shap_permutations, seed)
    shap_seconds = time.perf_counter() - started
    overall, per_class = importance.shap_summary(values, schema.names,
                                                 bundle.classes or [importance.VALUE])
    info = {"metric": metric,
            "baseline": score(metric, y, bundle.probabilities(X), bundle.schema.decision),
            "rows": len(X), "repeats": explain.repeats, "shap_rows": len(explained),
            "background_rows": len(background), "shap_permutations": explain.shap_permutations,
            "seconds": {"permutation": permutation_seconds, "shap": shap_seconds}}
    return pd.concat([permuted, overall, *words], ignore_index=True), per_class, info


def images(bundle: Bundle, test: pd.DataFrame, seed: int, explain: ExplainParams
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    """Occlusion: the importance rows per patch, per patch and class, the figures, run info."""
    schema, shape = bundle.schema, bundle.schema.image_shape
    X_raw, y = split_xy(test)
    X_raw = X_raw[schema.names]
    per_class = explain.image_rows * len(bundle.classes)
    keep = subsample_rows(y, per_class, seed)
    X = bundle.features(X_raw.iloc[keep])
    background = bundle.features(X_raw.iloc[:1] * 0)[0]  # an empty (all-zero) image
    started = time.perf_counter()
    drops, corners = occlusion.drops(bundle.outputs, X, y[keep], shape, background,
                                     explain.patch, explain.stride)
    seconds = time.perf_counter() - started
    maps = occlusion.class_maps(drops, y[keep], len(bundle.classes), corners, shape,
                                explain.patch)
    pixels = X_raw.to_numpy(dtype=np.float64).reshape(len(X_raw), *shape[:2], -1).mean(axis=3)
    means = np.stack([pixels[keep][y[keep] == k].mean(axis=0) if (y[keep] == k).any()
                      else np.zeros(shape[:2]) for k in range(len(bundle.classes))])
    overall, by_class = occlusion.tables(drops, y[keep], bundle.classes, corners, explain.patch)
    shown = _examples(bundle, X_raw, y, pixels, seed, explain)
    pictures = {
        "class_maps.png": figures.class_maps(
            means, maps, bundle.classes, f"{bundle.project}: occlusion maps, mean over "
            f"{explain.image_rows} test images per class"),
        **({"examples.png": shown} if shown is not None else {})}
    info = {"method": "occlusion", "images": len(keep), "patch": explain.patch,
            "stride": explain.stride, "patches": len(corners), "seconds": {"occlusion": seconds}}
    return overall, by_class, pictures, info


def _examples(bundle: Bundle, X_raw: pd.DataFrame, y: np.ndarray, pixels: np.ndarray,
              seed: int, explain: ExplainParams):
    """``examples`` seeded test images with their maps, half of them errors if there are any."""
    if explain.examples == 0:
        return None
    proba = bundle.probabilities(X_raw)
    predicted = bundle.schema.decision.labels(proba)
    rng = np.random.default_rng(seed)
    wrong = np.flatnonzero(predicted != y)
    errors = rng.choice(wrong, min(len(wrong), explain.examples // 2), replace=False)
    right = rng.choice(np.flatnonzero(predicted == y), explain.examples - len(errors),
                       replace=False)
    chosen = np.concatenate([errors, right])
    X = bundle.features(X_raw.iloc[chosen])
    drops, corners = occlusion.drops(bundle.outputs, X, y[chosen],
                                     bundle.schema.image_shape, bundle.features(
                                         X_raw.iloc[:1] * 0)[0], explain.patch, explain.stride)
    maps = [occlusion.pixel_map(row, corners, bundle.schema.image_shape, explain.patch)
            for row in drops]
    names = bundle.classes
    captions = [f"true {names[y[i]]}, said {names[predicted[i]]} ({proba[i].max():.2f})"
                for i in chosen]
    return figures.examples(pixels[chosen], np.stack(maps), captions,
                            f"{bundle.project}: single test images and their occlusion maps")


def explain(train: pd.DataFrame, test: pd.DataFrame, bundle: dict, seed: int,
            explain: ExplainParams, metric: str, project: str) -> dict:
    """The importance table, per-class table, figures, run info and score rows of the ``top``
    features of each method (task ``explain``, model = the method, metric = the feature,
    value = mean, std = std)."""
    model = as_graph(Bundle.from_outputs(project, bundle))
    if model.schema.image_shape:
        table, per_class, pictures, info = images(model, test, seed, explain)
    else:
        table, per_class, info = tabular(model, train, test, seed, explain, metric)
        pictures = {} if model.has_values else {"shap_per_class.png": figures.shap_per_class(
            per_class, f"{project}: mean |SHAP| per class ({info['shap_rows']} test rows)")}
    pictures["importance.png"] = figures.importance_bars(
        table, metric, f"{project}: which inputs drive the model (test part)", model.has_values)
    tops = [importance.ranked(table, method)[:explain.top]
            for method in dict.fromkeys(table["method"])]
    log.info("top features: %s", ", ".join(tops[0]["feature"]))
    score_parts = [score_rows(project, TASK, top["method"][0], "test",
                              dict(zip(top["feature"], top["mean"])),
                              dict(zip(top["feature"], top["std"]))) for top in tops]
    return {"importance": table[importance.COLUMNS], "per_class": per_class,
            "info": info, "figures": pictures, "scores": pd.concat(score_parts, ignore_index=True)}
