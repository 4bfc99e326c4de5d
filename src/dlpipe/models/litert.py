"""LiteRT (TensorFlow Lite) files of a trained network, and running them with the LiteRT
interpreter.

A file holds the network in inference mode: ``model(x, training=False)`` traced once, so
augmentation layers pass their input through, dropout is off and batch normalisation uses its
moving statistics (a SavedModel export of the model object keeps the training behaviour, whose
random ops TFLite cannot convert). It takes the transformed features (float32, one row per
example) and returns the class probabilities; the int8 file keeps float32 inputs and outputs.

Converting imports TensorFlow; running a file needs only ``ai_edge_litert``.
"""

from __future__ import annotations

import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

# One thread: the latency of a single-row request, and scores that do not depend on how the
# runtime splits a batch over cores.
THREADS = 1


def scale_folded(model):
    """A copy of a Sequential ``model`` in which each BatchNormalization right after a
    Dense/Conv layer with a ReLU (or no) activation has its per-channel scale moved into that
    layer's kernel and bias, leaving the normalisation a per-channel shift; the copy computes
    the same function (to float32 rounding). Returns the copy and the folded layers' names.

    The converter cannot fold a normalisation that follows a ReLU, so an int8 graph quantises
    the layer's output with one scale for all channels and multiplies it per channel afterwards:
    a channel with a small range and a large normalisation scale (30x in the MNIST CNN) keeps a
    few levels, and the test accuracy fell from 0.99 to 0.82. ReLU commutes with a positive
    scale (relu(s * z) = s * relu(z)), so the scale can move before it, where each output
    channel of the kernel is quantised with its own scale.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        return model, []
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    folded = []
    for layer, norm in zip(copy.layers, copy.layers[1:]):
        inverse = _foldable_scale(layer, norm)
        if inverse is None:
            continue
        layer.kernel.assign((layer.kernel.numpy() * inverse).astype(np.float32))
        layer.bias.assign((layer.bias.numpy() * inverse).astype(np.float32))
        mean = norm.moving_mean.numpy().astype(np.float64)
        norm.moving_mean.assign((mean * inverse).astype(np.float32))
        # variance + epsilon = 1 and gamma = 1: the normalisation only shifts
        norm.moving_variance.assign(np.full(mean.shape, 1.0 - norm.epsilon, np.float32))
        norm.gamma.assign(np.ones(mean.shape, np.float32))
        folded.append(layer.name)
    return copy, folded


def _foldable_scale(layer, norm) -> np.ndarray | None:
    """gamma / sqrt(variance + epsilon) of ``norm`` (float64) when it can move into ``layer``."""
    import keras

    kernels = (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
    activations = (keras.activations.relu, keras.activations.linear)
    if not (isinstance(norm, keras.layers.BatchNormalization) and isinstance(layer, kernels)
            and norm.axis == -1 and norm.scale and norm.center and layer.use_bias
            and getattr(layer, "data_format", "channels_last") == "channels_last"
            and layer.activation in activations):
        return None
    variance = norm.moving_variance.numpy().astype(np.float64)
    inverse = norm.gamma.numpy().astype(np.float64) / np.sqrt(variance + norm.epsilon)
    if layer.activation is keras.activations.relu and not (inverse > 0).all():
        return None  # relu(s * z) = s * relu(z) needs s > 0
    return inverse


def convert(model, n_features: int, calibration: np.ndarray | None = None) -> bytes:
    """The model as a LiteRT file: float32, or int8 when ``calibration`` rows are given (the
    activation ranges are measured on them; inputs and outputs stay float32)."""
    from dlpipe.models.network import tf  # TensorFlow with the package's log settings

    @tf.function(input_signature=[tf.TensorSpec([None, n_features], tf.float32,
                                                name="features")])
    def serve(features):
        return model(features, training=False)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [serve.get_concrete_function()], model)
    # weights frozen into constants: by default the converter first saves the model object as
    # a SavedModel, and where that save succeeds (an MLP; the CNN's fails and falls back to
    # freezing) the file reads its weights from variables nothing initialises (iris: 0.33)
    converter.experimental_lower_to_saved_model = False
    # built-in ops only, so an op the plain LiteRT runtime lacks fails here rather than where
    # the file is deployed; int8 built-ins only, so no op is silently left in float
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if calibration is not None:
        rows = np.asarray(calibration, dtype=np.float32)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([row[None, :]] for row in rows)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


def interpreter(content: bytes, rows: int) -> Interpreter:
    """An interpreter of the file whose input takes ``rows`` rows at a time."""
    runner = Interpreter(model_content=content, num_threads=THREADS)
    runner.resize_tensor_input(runner.get_input_details()[0]["index"],
                               [rows, runner.get_input_details()[0]["shape"][1]])
    runner.allocate_tensors()
    return runner


def predict_proba(content: bytes, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The file's class probabilities for every row of ``X``, ``batch_size`` rows per invoke."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    runners: dict[int, Interpreter] = {}
    out = []
    for start in range(0, len(X), batch_size):
        batch = X[start:start + batch_size]
        if len(batch) not in runners:  # the last batch may be shorter
            runners[len(batch)] = interpreter(content, len(batch))
        runner = runners[len(batch)]
        runner.set_tensor(runner.get_input_details()[0]["index"], batch)
        runner.invoke()
        out.append(runner.get_tensor(runner.get_output_details()[0]["index"]).copy())
    return np.concatenate(out)


def latencies_ms(content: bytes, X: np.ndarray, runs: int, warmup: int = 10) -> np.ndarray:
    """Milliseconds of ``runs`` single-row requests (set the row, invoke, read the output),
    the rows taken in turn from ``X``, after ``warmup`` untimed ones."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    runner = interpreter(content, 1)
    source = runner.get_input_details()[0]["index"]
    target = runner.get_output_details()[0]["index"]
    times = np.empty(runs)
    for k in range(-warmup, runs):
        row = X[k % len(X)][None, :]
        started = time.perf_counter()
        runner.set_tensor(source, row)
        runner.invoke()
        runner.get_tensor(target)
        if k >= 0:
            times[k] = (time.perf_counter() - started) * 1e3
    return times
