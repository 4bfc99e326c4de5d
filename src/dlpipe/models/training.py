"""Fitting networks: one fit with EarlyStopping, and k-fold CV without leakage (stratified on
classes), for class codes or a numeric target's values."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from dlpipe.models import backends, families, loop
from dlpipe.metrics import ARGMAX, Decision, score, value_scores
from dlpipe.features import make_transformer
from dlpipe.frames import is_values
from dlpipe.params import FeatureParams, KerasModel

log = logging.getLogger(__name__)
GATHER_BYTES = 64 * 2**20  # training arrays over this are gathered by batch, not copied whole


@dataclass
class Fit:
    model: object  # predicts classes' probabilities, or a numeric target in its units
    history: pd.DataFrame  # epoch, loss, accuracy, val_loss, val_accuracy
    network: object = None  # the network as trained (a numeric target: on its scaled values)

    @property
    def epochs(self) -> int:
        return len(self.history)


@dataclass
class FoldResult:
    fold: int
    scores: dict[str, float]
    epochs: int
    val_rows: list[int] = field(repr=False, default_factory=list)


@dataclass(frozen=True)
class TargetScale:
    """A numeric target standardised as the network learns it: (y - mean) / std, with mean and
    std of the rows it is fitted on (the training part of a fit, never its validation)."""
    mean: float
    std: float

    @classmethod
    def fit(cls, y: np.ndarray) -> "TargetScale":
        std = float(np.std(y))
        return cls(float(np.mean(y)), std if std > 0 else 1.0)

    def scaled(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, dtype=np.float64) - self.mean) / self.std).astype(np.float32)


@dataclass
class Setup:
    """The seeded parts of one fit: a new network (its initial state) and the data pipelines;
    ``scale`` for a numeric target."""
    model: object
    train: object  # tf.data batches, reshuffled every epoch; (X, Y) on JAX and PyTorch
    val: object  # the validation slice EarlyStopping watches (the same)
    scale: TargetScale | None = None


def setup(spec: KerasModel, X: np.ndarray, y: np.ndarray, n_classes: int | None, onehot: bool,
          seed: int, vocabulary: int | None = None) -> Setup:
    """Seed everything, split a seeded validation slice off (X, y) (stratified on class codes),
    build the network and the pipelines. A numeric ``y`` (floats; ``n_classes`` None) is
    learnt standardised on the rows the network trains on. Seeding clears TensorFlow's caches,
    so CV sets up every fold before training any (see cross_validate). Keras loads here, with
    ``spec.backend``."""
    backends.use(spec.backend)
    backends.seed(seed)
    import keras

    from dlpipe.models import network

    values = is_values(y)
    fit_rows, val_rows = train_test_split(
        np.arange(len(y)), test_size=spec.validation_fraction, random_state=seed,
        stratify=None if values else y)
    y_fit, y_val, X_val = y[fit_rows], y[val_rows], X[val_rows]
    scale = TargetScale.fit(y_fit) if values else None
    model = network.build_network(spec, X.shape[1], None if values else n_classes, onehot,
                                  vocabulary)
    if scale is not None:
        target = scale.scaled
    elif onehot:
        target = lambda v: keras.utils.to_categorical(v, n_classes)  # noqa: E731
    else:
        target = lambda v: v  # noqa: E731
    if keras.backend.backend() != "tensorflow":  # Keras' fit batches and shuffles arrays
        return Setup(model, (X[fit_rows], target(y_fit)), (X_val, target(y_val)), scale)
    return Setup(model, shuffled_batches(X, fit_rows, target(y_fit), spec.batch_size, seed),
                 batches(X_val, target(y_val), max(spec.batch_size, 256)).cache(), scale)


def train(spec: KerasModel, parts: Setup, reuse: object | None = None) -> Fit:
    """Train ``parts.model`` with EarlyStopping on the validation slice (``loop.run``: Keras'
    fit without its per-epoch overhead, the same numbers).

    ``reuse``: the network of an earlier fit of the same spec (a previous CV fold's
    ``Fit.network``) trains in its place, reset to its initial state: the same numbers,
    without tracing its training functions again.
    """
    from dlpipe.models import network

    model = parts.model
    if reusable(reuse, model):
        network.reset_network(reuse, model)
        model = reuse
    history = pd.DataFrame(loop.run(model, parts.train, parts.val, spec))
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    if parts.scale is None:
        return Fit(model, history, model)
    return Fit(network.with_target_scale(model, parts.scale.mean, parts.scale.std), history,
               model)


def fit(spec: KerasModel, X: np.ndarray, y: np.ndarray, n_classes: int | None, onehot: bool,
        seed: int, reuse: object | None = None, vocabulary: int | None = None) -> Fit:
    """Fit a network on (X, y); EarlyStopping watches a seeded validation slice of X, stratified
    on class codes (``reuse``: see ``train``). The fitted network of a numeric ``y`` predicts in
    the target's units. The pipelines hold their own copies of (X, y): an array the caller
    passes as a temporary is freed for the training."""
    parts = setup(spec, X, y, n_classes, onehot, seed, vocabulary)
    del X, y
    return train(spec, parts, reuse)


def shuffled_batches(X: np.ndarray, rows: np.ndarray, Y: np.ndarray, batch_size: int,
                     seed: int):
    """A tf.data pipeline of batches of (X[rows], Y), reshuffled every epoch.

    A large X (over ``GATHER_BYTES``) is not copied to X[rows]: the positions are shuffled and
    each batch gathered from one tensor of X, which spares a second copy beside X while the
    pipeline is set up (MNIST's training matrix is 179 MB). The elements and their order are
    those of shuffling the rows themselves: the shuffle's draws depend only on its seed and
    the count. A small X slices instead: a gather per batch costs ~0.2 ms, a third of a small
    table's epoch.
    """
    import tensorflow as tf

    def shuffled(elements):
        return with_plain_options(elements.shuffle(
            len(Y), seed=seed, reshuffle_each_iteration=True).batch(batch_size))

    if X.nbytes <= GATHER_BYTES:
        return shuffled(tf.data.Dataset.from_tensor_slices((X[rows], Y)))
    features, targets, rows = tf.constant(X), tf.constant(Y), tf.constant(rows)
    return shuffled(tf.data.Dataset.range(len(Y))).map(
        lambda at: (tf.gather(features, tf.gather(rows, at)), tf.gather(targets, at)))


def batches(X: np.ndarray, Y: np.ndarray, batch_size: int):
    """A tf.data pipeline of (X, Y) batches in order."""
    import tensorflow as tf

    return with_plain_options(tf.data.Dataset.from_tensor_slices((X, Y)).batch(batch_size))


def with_plain_options(dataset):
    """``dataset`` without tf.data's graph rewrites and autotuning: they run each time an
    iterator starts, three times an epoch (~2 ms of the 13 ms of an epoch of the price table),
    and change neither the elements nor their order.

    tf.data, not arrays: Keras' NumPy adapter rebuilds its pipeline every epoch, which doubles
    the epoch time of small tables (tuning runs thousands of such epochs).
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_optimization.inject_prefetch = False
    options.experimental_warm_start = False
    return dataset.with_options(options)


def reusable(old, new) -> bool:
    """Whether ``old`` has the layout of ``new`` (a fold's one-hot columns may differ)."""
    return old is not None and [v.shape for v in old.variables] == [
        v.shape for v in new.variables]


def predict_proba(model, X: np.ndarray, batch_size: int) -> np.ndarray:
    return np.asarray(model.predict(X, batch_size=max(batch_size, 256), verbose=0))


def cross_validate(spec: KerasModel, features: FeatureParams, X: pd.DataFrame, y: np.ndarray,
                   folds: int, method: str, seed: int, metrics: list[str],
                   on_fold: Callable[[list[FoldResult]], None] | None = None,
                   decision: Decision = ARGMAX) -> list[FoldResult]:
    """k-fold CV on the folds of :func:`dlpipe.models.families.splits` (``method``: shuffled
    or ordered); a fresh feature transformer is fitted on each training fold only.

    ``on_fold(results_so_far)`` is called after each fold (Optuna pruning hooks in here and may
    raise to stop early).
    """
    values = is_values(y)
    n_classes = None if values else int(y.max()) + 1
    onehot = features.label_encoding == "onehot"
    splits = families.splits(X, y, folds, seed, method)
    # every fold set up before any trains: seeding a fold clears TensorFlow's caches, after
    # which each traced function is instantiated anew on its next call (~0.1 s per fold)
    parts = [fold_setup(spec, features, X, y, rows, n_classes, onehot, seed + k)
             for k, rows in enumerate(splits)]
    results: list[FoldResult] = []
    model = None  # one model serves every fold: its functions are traced once
    for k, ((_, val_rows), (fold, X_val)) in enumerate(zip(splits, parts)):
        fitted = train(spec, fold, reuse=model)
        model = fitted.network
        output = predict_proba(fitted.model, X_val, spec.batch_size)
        scores = (value_scores(metrics, y[val_rows], output) if values else
                  {m: score(m, y[val_rows], output, decision) for m in metrics})
        results.append(FoldResult(k, scores, fitted.epochs, val_rows.tolist()))
        log.info("fold %d/%d: %s (%d epochs)", k + 1, folds,
                 ", ".join(f"{m}={v:.4f}" for m, v in scores.items()), fitted.epochs)
        if on_fold is not None:
            on_fold(results)
    return results


def fold_setup(spec: KerasModel, features: FeatureParams, X: pd.DataFrame, y: np.ndarray,
               rows: tuple[np.ndarray, np.ndarray], n_classes: int | None, onehot: bool,
               seed: int) -> tuple[Setup, np.ndarray]:
    """A fold's fit set up on its training rows, and its validation rows transformed by a
    transformer fitted on the training rows only."""
    train_rows, val_rows = rows
    transformer = make_transformer(features, X).fit(X.iloc[train_rows])
    X_train = transformer.transform(X.iloc[train_rows])
    return (setup(spec, X_train, y[train_rows], n_classes, onehot, seed, features.vocabulary),
            transformer.transform(X.iloc[val_rows]))


def summarise(results: list[FoldResult]) -> dict[str, dict[str, float]]:
    """Mean and std (population, ddof=0) of every metric over the folds."""
    names = results[0].scores.keys()
    return {m: {"mean": float(np.mean([r.scores[m] for r in results])),
                "std": float(np.std([r.scores[m] for r in results]))} for m in names}
