"""A network's inference pass as NumPy array operations: the Dense, BatchNormalization
(inference statistics), Dropout (identity), Activation and Rescaling layers of an MLP.

A layer is compiled from its :class:`LayerSpec`: its class, its config and its weights by name,
read from a Keras layer (:func:`compile_network`) or from a saved network's files without Keras
(:mod:`dlpipe.bundle.network_file`), so both give the same pass. :class:`NotCompiled` is raised
for any other layer (a CNN's, a Transformer's), an activation it does not know, or a dtype
policy other than float32."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from dlpipe.bundle.compiled_steps import NotCompiled

Layer = Callable[[np.ndarray], np.ndarray]
CHECK_ROWS = 9  # random rows a NumPy pass is compared to the network's own answers on
TOLERANCE = 1e-5  # max |output difference| to the network's own answer (float32 sums)


@dataclass
class LayerSpec:
    """What a layer's pass needs: Keras' class name, its config (``get_config()``), its dtype
    policy and its weights by variable name (kernel, bias, gamma, moving_mean, ...)."""

    kind: str
    name: str
    config: dict[str, Any]
    policy: str
    weights: dict[str, np.ndarray]


def compile_network(keras_model) -> Layer:
    """The forward pass of ``keras_model`` (float32 in, float32 out)."""
    return compile_layers([_keras_spec(layer) for layer in keras_model.layers])


def compile_layers(specs: list[LayerSpec]) -> Layer:
    """The forward pass of the layers ``specs``, in order (float32 in, float32 out)."""
    layers = [_compile_layer(spec) for spec in specs]

    def forward(X: np.ndarray) -> np.ndarray:
        for layer in layers:
            X = layer(X)
        return np.asarray(X, dtype=np.float32)

    return forward


def check_rows(width: int) -> np.ndarray:
    """The random float32 rows a NumPy pass is compared to the network's answers on."""
    return np.random.default_rng(0).normal(size=(CHECK_ROWS, width)).astype(np.float32)


def disagreement(got: np.ndarray, expected: np.ndarray) -> str | None:
    """How a pass's outputs ``got`` differ from the network's ``expected`` ("by <largest
    |difference|>" beyond :data:`TOLERANCE` of their size: 1 for probabilities, a value's
    magnitude; or "in shape"), None if they agree."""
    if got.shape != expected.shape:
        return f"in shape: {got.shape[1:]} outputs, not {expected.shape[1:]}"
    largest = float(np.max(np.abs(got - expected)))
    if largest <= TOLERANCE * max(1.0, float(np.max(np.abs(expected)))):
        return None
    return f"by {largest:.2g}"


def network_answers(keras_model) -> dict[str, list] | None:
    """The network's own answers to :func:`check_rows` (``inputs``, ``outputs``: float32 values
    as JSON numbers, which keep them exactly), stored in the bundle beside it so that a NumPy
    pass read from its files can be held to them without Keras; None for a network the pass
    cannot compile (whose inputs need not even be numbers, as a Transformer's word ids)."""
    try:
        compile_network(keras_model)
    except NotCompiled:
        return None
    rows = check_rows(keras_model.input_shape[-1])
    # predict_on_batch gives NumPy on every backend (a direct call: a backend's own tensor)
    outputs = np.asarray(keras_model.predict_on_batch(rows), dtype=np.float32)
    return {"inputs": rows.tolist(), "outputs": outputs.tolist()}


def _keras_spec(layer) -> LayerSpec:
    policy = getattr(getattr(layer, "dtype_policy", None), "name", "float32")
    weights = {variable.name: np.asarray(variable, dtype=np.float32)
               for variable in layer.weights}
    return LayerSpec(type(layer).__name__, layer.name, layer.get_config(), policy, weights)


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


def _activation(spec: LayerSpec) -> Callable[[np.ndarray], np.ndarray]:
    name = spec.config.get("activation", "linear")
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise NotCompiled(f"layer {spec.name}: activation {name!r}")
    return ACTIVATIONS[name]


def _weight(spec: LayerSpec, name: str) -> np.ndarray:
    if name not in spec.weights:
        raise NotCompiled(f"layer {spec.name}: no weight {name!r}")
    return np.asarray(spec.weights[name], dtype=np.float32)


def _compile_layer(spec: LayerSpec) -> Callable[[np.ndarray], np.ndarray]:
    kind, config = spec.kind, spec.config
    if spec.policy != "float32":
        raise NotCompiled(f"layer {spec.name}: dtype policy {spec.policy}")
    if kind == "Dense":
        if config.get("lora_rank") or config.get("quantization_config"):
            raise NotCompiled(f"layer {spec.name}: a LoRA or quantised Dense layer")
        kernel = _weight(spec, "kernel")
        bias = _weight(spec, "bias") if config.get("use_bias", True) else np.float32(0)
        act = _activation(spec)
        return lambda x: act(x @ kernel + bias)
    if kind == "BatchNormalization":
        if config.get("axis", -1) not in (-1, [-1], 1, [1]):
            raise NotCompiled(f"layer {spec.name}: batch normalisation on axis "
                              f"{config.get('axis')}")
        # as TensorFlow's batch_normalization: x * inv + (beta - mean * inv)
        inv = 1.0 / np.sqrt(_weight(spec, "moving_variance") + np.float32(config["epsilon"]))
        if config.get("scale", True):
            inv = inv * _weight(spec, "gamma")
        beta = _weight(spec, "beta") if config.get("center", True) else np.float32(0)
        shift = beta - _weight(spec, "moving_mean") * inv
        inv, shift = inv.astype(np.float32), shift.astype(np.float32)
        return lambda x: x * inv + shift
    if kind == "Dropout":
        return lambda x: x  # inference
    if kind == "Activation":
        return _activation(spec)
    if kind == "Rescaling":
        scale = np.asarray(config["scale"], dtype=np.float32)
        offset = np.asarray(config["offset"], dtype=np.float32)
        return lambda x: x * scale + offset
    raise NotCompiled(f"layer {spec.name} ({kind})")
