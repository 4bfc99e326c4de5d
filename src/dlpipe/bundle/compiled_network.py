"""A network's inference pass as NumPy array operations: the Dense, BatchNormalization
(inference statistics), Dropout (identity), Activation and Rescaling layers of an MLP, their
weights read from the Keras layers once. :func:`compile_network` raises :class:`NotCompiled`
for any other layer (a CNN's, a Transformer's), an activation it does not know, or a dtype
policy other than float32."""

from __future__ import annotations

from typing import Callable

import numpy as np

from dlpipe.bundle.compiled_steps import NotCompiled

Layer = Callable[[np.ndarray], np.ndarray]


def compile_network(keras_model) -> Layer:
    """The forward pass of ``keras_model`` (float32 in, float32 out)."""
    layers = [_compile_layer(layer) for layer in keras_model.layers]

    def forward(X: np.ndarray) -> np.ndarray:
        for layer in layers:
            X = layer(X)
        return np.asarray(X, dtype=np.float32)

    return forward


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, np.float32(0)),
    "tanh": np.tanh,
    "sigmoid": lambda x: np.float32(1) / (np.float32(1) + np.exp(-x)),
    "softmax": lambda x: _softmax(x),
}


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _activation(layer) -> Callable[[np.ndarray], np.ndarray]:
    name = layer.get_config().get("activation", "linear")
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise NotCompiled(f"layer {layer.name}: activation {name!r}")
    return ACTIVATIONS[name]


def _compile_layer(layer) -> Callable[[np.ndarray], np.ndarray]:
    kind = type(layer).__name__
    policy = getattr(getattr(layer, "dtype_policy", None), "name", "float32")
    if policy != "float32":
        raise NotCompiled(f"layer {layer.name}: dtype policy {policy}")
    if kind == "Dense":
        kernel = np.asarray(layer.kernel, dtype=np.float32)
        bias = np.asarray(layer.bias, dtype=np.float32) if layer.use_bias else np.float32(0)
        act = _activation(layer)
        return lambda x: act(x @ kernel + bias)
    if kind == "BatchNormalization":
        if layer.axis not in (-1, [-1], 1, [1]):
            raise NotCompiled(f"layer {layer.name}: batch normalisation on axis {layer.axis}")
        # as TensorFlow's batch_normalization: x * inv + (beta - mean * inv)
        inv = 1.0 / np.sqrt(np.asarray(layer.moving_variance, dtype=np.float32)
                            + np.float32(layer.epsilon))
        if layer.scale:
            inv = inv * np.asarray(layer.gamma, dtype=np.float32)
        beta = np.asarray(layer.beta, dtype=np.float32) if layer.center else np.float32(0)
        shift = beta - np.asarray(layer.moving_mean, dtype=np.float32) * inv
        inv, shift = inv.astype(np.float32), shift.astype(np.float32)
        return lambda x: x * inv + shift
    if kind == "Dropout":
        return lambda x: x  # inference
    if kind == "Activation":
        return _activation(layer)
    if kind == "Rescaling":
        scale = np.asarray(layer.scale, dtype=np.float32)
        offset = np.asarray(layer.offset, dtype=np.float32)
        return lambda x: x * scale + offset
    raise NotCompiled(f"layer {layer.name} ({kind})")
