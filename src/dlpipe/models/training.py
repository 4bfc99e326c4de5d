"""Fitting networks: one fit with EarlyStopping, and stratified k-fold CV without leakage."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from dlpipe.models import network
from dlpipe.metrics import score
from dlpipe.features import make_transformer
from dlpipe.params import FeatureParams, KerasModel

log = logging.getLogger(__name__)


@dataclass
class Fit:
    model: object
    history: pd.DataFrame  # epoch, loss, accuracy, val_loss, val_accuracy

    @property
    def epochs(self) -> int:
        return len(self.history)


@dataclass
class FoldResult:
    fold: int
    scores: dict[str, float]
    epochs: int
    val_rows: list[int] = field(repr=False, default_factory=list)


def fit(spec: KerasModel, X: np.ndarray, y: np.ndarray, n_classes: int, onehot: bool,
        seed: int) -> Fit:
    """Fit a network on (X, y); EarlyStopping watches a seeded, stratified validation slice of X."""
    network.seed_everything(seed)
    import keras

    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=spec.validation_fraction, random_state=seed, stratify=y)
    model = network.build_network(spec, X.shape[1], n_classes, onehot)
    target = (lambda v: keras.utils.to_categorical(v, n_classes)) if onehot else (lambda v: v)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience,
                                         restore_best_weights=True)
    # epoch e (from 0) trains at learning_rate * lr_decay**e; 1.0 keeps the rate constant
    decay = keras.callbacks.LearningRateScheduler(
        lambda epoch, _rate: spec.learning_rate * spec.lr_decay**epoch)
    # tf.data pipelines built once: Keras' NumPy adapter rebuilds its iterators every epoch,
    # which doubles the epoch time of small tables (tuning runs thousands of such epochs).
    import tensorflow as tf

    train = (tf.data.Dataset.from_tensor_slices((X_fit, target(y_fit)))
             .shuffle(len(X_fit), seed=seed, reshuffle_each_iteration=True)
             .batch(spec.batch_size))
    val = tf.data.Dataset.from_tensor_slices((X_val, target(y_val))).batch(
        max(spec.batch_size, 256)).cache()
    result = model.fit(train, validation_data=val, epochs=spec.epochs, callbacks=[stop, decay],
                       verbose=spec.verbose, shuffle=False)  # the pipeline shuffles
    history = pd.DataFrame(result.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    return Fit(model, history)


def predict_proba(model, X: np.ndarray, batch_size: int) -> np.ndarray:
    return np.asarray(model.predict(X, batch_size=max(batch_size, 256), verbose=0))


def cross_validate(spec: KerasModel, features: FeatureParams, X: pd.DataFrame, y: np.ndarray,
                   folds: int, seed: int, metrics: list[str],
                   on_fold: Callable[[list[FoldResult]], None] | None = None
                   ) -> list[FoldResult]:
    """Stratified k-fold CV; a fresh feature transformer is fitted on each training fold only.

    ``on_fold(results_so_far)`` is called after each fold (Optuna pruning hooks in here and may
    raise to stop early).
    """
    n_classes = int(y.max()) + 1
    onehot = features.label_encoding == "onehot"
    results: list[FoldResult] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train_rows, val_rows) in enumerate(splitter.split(X, y)):
        transformer = make_transformer(features, X).fit(X.iloc[train_rows])
        X_train = transformer.transform(X.iloc[train_rows])
        X_val = transformer.transform(X.iloc[val_rows])
        fitted = fit(spec, X_train, y[train_rows], n_classes, onehot, seed + k)
        proba = predict_proba(fitted.model, X_val, spec.batch_size)
        scores = {m: score(m, y[val_rows], proba) for m in metrics}
        results.append(FoldResult(k, scores, fitted.epochs, val_rows.tolist()))
        log.info("fold %d/%d: %s (%d epochs)", k + 1, folds,
                 ", ".join(f"{m}={v:.4f}" for m, v in scores.items()), fitted.epochs)
        if on_fold is not None:
            on_fold(results)
    return results


def summarise(results: list[FoldResult]) -> dict[str, dict[str, float]]:
    """Mean and std (population, ddof=0) of every metric over the folds."""
    names = results[0].scores.keys()
    return {m: {"mean": float(np.mean([r.scores[m] for r in results])),
                "std": float(np.std([r.scores[m] for r in results]))} for m in names}
