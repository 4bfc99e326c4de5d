"""A saved MLP read from its ``.keras`` file without Keras or TensorFlow, for the commands that
only predict (``dlpipe predict`` and the server start in about half the time and a third of the
memory).

A ``.keras`` file is a zip of ``config.json`` (the model's layers and their configs) and
``model.weights.h5`` (each layer's variables, in groups Keras names by the layer's class in
snake case and a counter: ``layers/dense/vars/0``, ``layers/dense_1/vars/0``, ...). Only a
Sequential chain of the layers :mod:`dlpipe.bundle.compiled_network` compiles is read; anything
else raises :class:`NotCompiled` and the caller loads the network with Keras. The pass must give
the network's own answers: :func:`read_network` holds it to those the bundle stores beside the
network (:func:`~dlpipe.bundle.compiled_network.network_answers`) within
:data:`~dlpipe.bundle.compiled_network.TOLERANCE`.
"""

from __future__ import annotations

import io as byte_io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from dlpipe.bundle.compiled_network import LayerSpec, compile_layers, disagreement
from dlpipe.bundle.compiled_steps import NotCompiled

# the layers the pass compiles, by Keras' class name: the group name of their variables
GROUPS = {"Dense": "dense", "BatchNormalization": "batch_normalization", "Dropout": "dropout",
          "Activation": "activation", "Rescaling": "rescaling"}


@dataclass
class FileNetwork:
    """A saved network's NumPy pass, called as a Keras model is (``model(X,
    training=False)``)."""

    name: str
    input_shape: tuple[None, int]
    output_shape: tuple[None, int]
    forward: Callable[[np.ndarray], np.ndarray]

    def __call__(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            raise ValueError("a network read from its file only predicts (training=False)")
        return self.forward(np.asarray(X, dtype=np.float32))


def read_network(path: str | Path, answers: dict[str, list]) -> FileNetwork:
    """The network saved at ``path`` as a NumPy pass, held to its stored ``answers``
    (``inputs``, ``outputs``); :class:`NotCompiled` says why it cannot be."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    if config.get("class_name") != "Sequential":
        raise NotCompiled(f"a {config.get('class_name')} model, not a Sequential one")
    layers = config["config"]["layers"]
    if not layers or layers[0].get("class_name") != "InputLayer":
        raise NotCompiled("no input layer first")
    shape = layers[0]["config"].get("batch_shape")
    if not isinstance(shape, list) or len(shape) != 2:
        raise NotCompiled(f"input shape {shape}, not [rows, features]")
    specs = _specs(layers[1:], weights)
    forward = compile_layers(specs)
    width = int(shape[1])
    inputs = np.asarray(answers["inputs"], dtype=np.float32)
    expected = np.asarray(answers["outputs"], dtype=np.float32)
    if inputs.ndim != 2 or inputs.shape[1] != width:
        raise NotCompiled(f"the stored answers are to rows of {inputs.shape[1:]} values, "
                          f"not {width}")
    why = disagreement(forward(inputs), expected)
    if why is not None:
        raise NotCompiled(f"the NumPy pass differs from the network's answers {why}")
    return FileNetwork(config["config"].get("name", "network"), (None, width),
                       (None, int(expected.shape[1])), forward)


def _specs(layers: list[dict], weights: bytes) -> list[LayerSpec]:
    """Each layer's spec, its variables read from the weights file as Keras names them."""
    import h5py

    counts: dict[str, int] = {}
    specs = []
    with h5py.File(byte_io.BytesIO(weights), "r") as store:
        for layer in layers:
            kind, config = layer.get("class_name"), layer.get("config", {})
            if kind not in GROUPS:
                raise NotCompiled(f"layer {config.get('name')} ({kind})")
            group = GROUPS[kind]
            counts[group] = counts.get(group, -1) + 1
            if counts[group]:
                group = f"{group}_{counts[group]}"
            found = store.get(f"layers/{group}/vars")
            values = [] if found is None else [np.asarray(found[str(i)])
                                               for i in range(len(found))]
            names = _variable_names(kind, config)
            if len(values) != len(names):
                raise NotCompiled(f"layer {config.get('name')}: {len(values)} variables in "
                                  f"the file, {len(names)} expected")
            specs.append(LayerSpec(kind, config.get("name", group), config, _policy(config),
                                   dict(zip(names, values))))
    return specs


def _variable_names(kind: str, config: dict) -> list[str]:
    """A layer's variables in the order Keras saves them: trainable ones, then the others."""
    if kind == "Dense":
        return ["kernel", *(["bias"] if config.get("use_bias", True) else [])]
    if kind == "BatchNormalization":
        return [*(["gamma"] if config.get("scale", True) else []),
                *(["beta"] if config.get("center", True) else []),
                "moving_mean", "moving_variance"]
    return []


def _policy(config: dict) -> str:
    """A layer config's dtype policy name (a policy object's config, or a plain dtype)."""
    dtype = config.get("dtype", "float32")
    if isinstance(dtype, dict):
        return str(dtype.get("config", {}).get("name", dtype))
    return str(dtype)
