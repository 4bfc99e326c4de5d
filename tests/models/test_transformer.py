"""The Transformer encoder over word ids: it learns which word decides, ignores padding, saves
and loads, is deterministic, and converts to LiteRT (tiny data, a few epochs)."""

from __future__ import annotations

import numpy as np
import pytest

network = pytest.importorskip("dlpipe.models.network")
from dlpipe.models import litert, training  # noqa: E402

from models.test_network import spec  # noqa: E402

VOCABULARY, LENGTH = 30, 6


def transformer(**kw):
    return spec(**{"kind": "transformer", "n_layers": 0, "units": 16, "embedding_dim": 8,
                   "attention_heads": 2, "learning_rate": 0.01, "batch_size": 16, "epochs": 25,
                   "patience": 25, **kw})


def word_ids(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts of 2-6 random words (ids 4..29, padded with 0); the class is whether word 2 ("good")
    or word 3 ("bad") is among them, at a random place."""
    rng = np.random.default_rng(seed)
    X = np.zeros((rows, LENGTH), dtype=np.float32)
    y = rng.integers(0, 2, rows)
    for row in range(rows):
        words = rng.integers(4, VOCABULARY, rng.integers(2, LENGTH + 1))
        words[rng.integers(len(words))] = 2 + y[row]
        X[row, :len(words)] = words
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = word_ids(240, seed=0)
    return training.fit(transformer(), X, y, 2, True, seed=0, vocabulary=VOCABULARY)


def test_the_encoder_finds_the_word_that_decides_wherever_it_is(fitted):
    X, y = word_ids(200, seed=1)
    proba = training.predict_proba(fitted.model, X, 64)
    assert proba.shape == (200, 2) and (proba.argmax(axis=1) == y).mean() > 0.95


def test_padding_is_neither_attended_to_nor_averaged():
    model = network.build_network(transformer(), LENGTH, 2, True, VOCABULARY)
    encoder = model.layers[0]
    text = np.array([[5, 9, 0, 0, 0, 0]], dtype=np.float32)
    alone = np.asarray(encoder(text))
    # the same two words in a longer window: only the padding after them differs
    wider = network.build_network(transformer(), LENGTH + 2, 2, True, VOCABULARY).layers[0]
    wider.set_weights([w if w.shape[0] != LENGTH else np.vstack([w, np.ones((2, w.shape[1]))])
                       for w in encoder.get_weights()])
    padded = np.asarray(wider(np.array([[5, 9, 0, 0, 0, 0, 0, 0]], dtype=np.float32)))
    np.testing.assert_allclose(alone, padded, rtol=1e-5, atol=1e-6)


def test_saved_and_loaded_in_safe_mode_it_gives_the_same_outputs(fitted, tmp_path):
    X, _ = word_ids(20, seed=2)
    fitted.model.save(tmp_path / "model.keras")
    again = network.load_network(str(tmp_path / "model.keras"))
    np.testing.assert_array_equal(again.predict(X, verbose=0),
                                  fitted.model.predict(X, verbose=0))


def test_the_same_seed_gives_identical_weights():
    X, y = word_ids(64, seed=3)
    short = transformer(epochs=2)
    first, second = (training.fit(short, X, y, 2, True, seed=7, vocabulary=VOCABULARY).model
                     for _ in range(2))
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_litert_takes_the_word_ids_as_float32(fitted):
    X, _ = word_ids(50, seed=4)
    content = litert.convert(fitted.model, LENGTH)
    np.testing.assert_allclose(litert.predict_proba(content, X),
                               training.predict_proba(fitted.model, X, 64), atol=1e-5)


def test_traced_for_serving_it_gives_the_eager_numbers_bit_for_bit(fitted):
    from tensorflow.python.eager import context

    from dlpipe.bundle.graph import Graph

    X, _ = word_ids(300, seed=5)
    before = context.context().function_call_options.config_proto_serialized
    graph = Graph(fitted.model)
    for rows in (X[:1], X[:7], X):
        np.testing.assert_array_equal(np.asarray(graph(rows)),
                                      np.asarray(fitted.model(rows, training=False)))
    # the graph's own options are set around its calls only
    assert context.context().function_call_options.config_proto_serialized == before


@pytest.mark.parametrize("changes, message", [
    ({"embedding_dim": 10, "attention_heads": 4}, "embedding_dim 10 must be a multiple of "
                                                  "attention_heads 4"),
    ({"attention_blocks": 0}, "attention_blocks")])
def test_an_encoder_that_cannot_be_built_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        transformer(**changes)
