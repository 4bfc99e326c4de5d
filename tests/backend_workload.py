"""Fits networks on one Keras backend (argv[1]) and saves what the test compares: each fitted
network (``.keras``), its weights, its inputs, its predictions and the answers a bundle stores
beside an MLP, in the directory argv[2].
The kinds fitted: argv[3:] (mlp, value, cnn, transformer), all when none is given.

Run as its own process by tests/models/test_backends.py: Keras takes its backend once, when
it loads, and the test's process runs TensorFlow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from dlpipe.models import backends

BACKEND, OUT, KINDS = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
backends.use(BACKEND)  # as a job does, before anything loads Keras

import keras  # noqa: E402

from dlpipe.bundle.compiled_network import network_answers  # noqa: E402
from dlpipe.models import training  # noqa: E402
from models.test_network import spec  # noqa: E402
from models.test_transformer import VOCABULARY, transformer, word_ids  # noqa: E402


def inputs() -> dict[str, tuple]:
    """(spec, X, y, classes, vocabulary) per network kind: three classes of blobs through an
    MLP with batch norm and dropout, a number through the same MLP, 8x8 images through a CNN
    with batch norm (the fused layer, Keras' own off TensorFlow), word ids through the
    Transformer."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    images = rng.uniform(0, 1, (120, 64)).astype(np.float32)
    words, said = word_ids(160, seed=0)
    mlp = dict(epochs=4, patience=2, batch_norm=True, dropout=0.2, lr_decay=0.9)
    return {
        "mlp": (spec(**mlp, backend=BACKEND), X, y, 3, None),
        "value": (spec(**mlp, backend=BACKEND), X, X @ [1.0, -2.0, 0.5, 0.0] + 3, None, None),
        "cnn": (spec(kind="cnn", backend=BACKEND, image_shape=(8, 8, 1), conv_blocks=1,
                     conv_filters=4, batch_norm=True, epochs=2, batch_size=16),
                images, np.arange(120) % 3, 3, None),
        "transformer": (transformer(backend=BACKEND, epochs=3), words, said, 2, VOCABULARY),
    }


for kind, (model, X, y, classes, vocabulary) in inputs().items():
    if KINDS and kind not in KINDS:
        continue
    fitted = training.fit(model, X, y, classes, True, seed=3, vocabulary=vocabulary)
    fitted.model.save(OUT / f"{kind}.keras")
    np.savez(OUT / f"{kind}.weights.npz", *fitted.model.get_weights())
    np.save(OUT / f"{kind}.predicted.npy", np.asarray(fitted.model.predict(X, verbose=0)))
    np.save(OUT / f"{kind}.X.npy", X)
    (OUT / f"{kind}.answers.json").write_text(json.dumps(network_answers(fitted.model)))
others = sorted({"tensorflow", "jax", "torch"} - {keras.backend.backend()} & set(sys.modules))
print("backend", keras.backend.backend(), "beside", ", ".join(others) or "no other backend")
