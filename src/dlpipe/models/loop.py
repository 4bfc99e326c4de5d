"""The epoch loop of a fit: Keras' own train and test steps, one traced call per epoch (on
TensorFlow; Keras' ``fit`` on the other backends).

Keras' ``fit`` spends ~5 ms of every epoch outside the training steps (callbacks, a new data
iterator and its bookkeeping, metric read-outs), more than an epoch of a small table costs;
tuning runs thousands of such epochs. Here one traced function runs an epoch's training steps
and then the validation, and a short Python loop keeps what ``fit`` did with its callbacks: the
learning rate set before each epoch, EarlyStopping on val_loss with the best weights restored,
one History row per epoch (the same keys and values), a progress line per epoch when verbose.
"""

from __future__ import annotations

import math
import time
import weakref

from dlpipe.params import KerasModel

_EPOCHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its epoch function


def epoch_function(model, val):
    """The model's traced epoch, made once per model: train on every batch, then validate.

    Returns the training metrics and the validation metrics, each reset before its pass as
    Keras' fit and evaluate reset them (the caller resets them before the call).
    """
    if model in _EPOCHS:
        return _EPOCHS[model]
    import tensorflow as tf

    # the state a step creates on its first call (optimizer moments, loss and metric
    # accumulators) made here, eagerly on one validation batch: a traced function that creates
    # variables is traced twice
    x, y = next(iter(val))
    predicted = model(x, training=False)
    model.compute_loss(x, y, predicted, training=False)
    model.compute_metrics(x, y, predicted, sample_weight=None)
    model.optimizer.build(model.trainable_variables)

    @tf.function
    def epoch(train, val):
        # loops over iterators, not datasets: a loop over a dataset becomes a reduce op, which
        # sets its step function up anew on every call (~0.1 s)
        for batch in iter(train):
            model.train_step(batch)
        trained = model.get_metrics_result()
        model.reset_metrics()
        for batch in iter(val):
            model.test_step(batch)
        return trained, model.get_metrics_result()

    _EPOCHS[model] = epoch
    return epoch


class Stopping:
    """Keras' EarlyStopping on val_loss (min_delta 0, no baseline, restore_best_weights)."""

    def __init__(self, patience: int):
        self.patience, self.wait, self.best, self.best_weights = patience, 0, math.inf, None

    def stop_after(self, model, epoch: int, val_loss: float) -> bool:
        if self.best_weights is None:
            self.best_weights = model.get_weights()
        self.wait += 1
        if val_loss < self.best:
            self.best, self.best_weights, self.wait = val_loss, model.get_weights(), 0
            return False
        return self.wait >= self.patience and epoch > 0


def run(model, train, val, spec: KerasModel) -> dict[str, list[float]]:
    """Train ``model`` (compiled) for up to ``spec.epochs`` epochs; its history, as Keras'."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return run_fit(model, train, val, spec)
    epoch_of = epoch_function(model, val)
    stopping = Stopping(spec.patience)
    history: dict[str, list[float]] = {}
    for epoch in range(spec.epochs):
        started = time.perf_counter()
        # epoch e (from 0) trains at learning_rate * lr_decay**e; 1.0 keeps the rate constant
        model.optimizer.learning_rate = spec.learning_rate * spec.lr_decay**epoch
        if epoch:  # Keras' fit makes an iterator it does not read between two epochs, and each
            iter(train)  # iterator draws the next shuffle order: one drawn here keeps its orders
        model.reset_metrics()
        trained, validated = epoch_of(train, val)
        logs = {**{k: float(v) for k, v in trained.items()},
                **{f"val_{k}": float(v) for k, v in validated.items()}}
        logs = {**dict(sorted(logs.items())),
                "learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))}
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        if spec.verbose:
            progress(epoch, spec.epochs, time.perf_counter() - started, logs)
        if stopping.stop_after(model, epoch, logs["val_loss"]):
            break
    model.set_weights(stopping.best_weights)
    model.optimizer.finalize_variable_values(model.trainable_weights)
    return history


def run_fit(model, train, val, spec: KerasModel) -> dict[str, list[float]]:
    """The same training with Keras' own ``fit``, on the JAX or PyTorch backend (the traced
    epoch above is TensorFlow's): ``train`` and ``val`` are (X, Y) arrays, shuffled every
    epoch from the seeded NumPy state; the rate set before each epoch, EarlyStopping on
    val_loss with the best weights restored, the history in the same columns."""
    import keras

    callbacks = [
        keras.callbacks.LearningRateScheduler(
            lambda epoch: spec.learning_rate * spec.lr_decay**epoch),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience,
                                      restore_best_weights=True)]
    if keras.backend.backend() == "jax":  # one compiled call runs an epoch's batches
        model.steps_per_execution = -(-len(train[0]) // spec.batch_size)
    history = model.fit(*train, validation_data=val, batch_size=spec.batch_size,
                        validation_batch_size=max(spec.batch_size, 256), epochs=spec.epochs,
                        callbacks=callbacks, shuffle=True, verbose=spec.verbose)
    rates = history.history.pop("learning_rate")
    return {**dict(sorted(history.history.items())), "learning_rate": rates}


def progress(epoch: int, epochs: int, seconds: float, logs: dict[str, float]) -> None:
    values = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
    print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {values}", flush=True)
