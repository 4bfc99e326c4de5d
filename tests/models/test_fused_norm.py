"""The CNN's normalisation: TensorFlow's fused kernel in training, Keras' layer in all else."""

from __future__ import annotations

import numpy as np
import pytest

network = pytest.importorskip("dlpipe.models.network")
from dlpipe.models.fused_norm import FusedBatchNormalization  # noqa: E402
from test_network import spec  # noqa: E402

keras, tf = network.keras, network.tf
pytestmark = pytest.mark.skipif(tf is None, reason="the fused kernel is TensorFlow's")


def pair(shape: tuple[int, ...]):
    """Keras' layer and the fused one, built on ``shape`` with the same non-trivial scale and
    shift; a batch of that shape far from zero mean and unit variance."""
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, shape).astype(np.float32)
    gamma, beta = (rng.normal(mean, 0.2, shape[-1]).astype(np.float32) for mean in (1.0, 0.0))
    layers = keras.layers.BatchNormalization(momentum=0.9), FusedBatchNormalization(momentum=0.9)
    for layer in layers:
        layer.build(shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    return layers, tf.constant(x)


def training_step(layer, x, upstream):
    """The layer's output in training, the gradients of sum(output * upstream) with respect to
    the input, the scale and the shift, and the moving statistics the step updated."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = layer(x, training=True)
        loss = tf.reduce_sum(outputs * upstream)
    gradients = tape.gradient(loss, [x, layer.gamma, layer.beta])
    return [np.asarray(value) for value in (outputs, *gradients, layer.moving_mean,
                                            layer.moving_variance)]


def test_training_gives_keras_numbers_to_float32_rounding():
    (keras_layer, fused), x = pair((32, 6, 6, 8))
    upstream = tf.constant(np.random.default_rng(1).normal(size=x.shape).astype(np.float32))
    expected, got = training_step(keras_layer, x, upstream), training_step(fused, x, upstream)
    names = ("outputs", "input gradient", "scale gradient", "shift gradient", "moving mean",
             "moving variance")
    for name, want, have in zip(names, expected, got, strict=True):
        scale = max(1.0, float(np.abs(want).max()))
        assert np.abs(want - have).max() <= 1e-5 * scale, name


def test_the_fused_kernel_runs_in_training_and_keras_arithmetic_at_inference():
    (_, fused), x = pair((4, 5, 5, 3))
    traced = {training: {op.type for op in tf.function(
        lambda batch, training=training: fused(batch, training=training)
    ).get_concrete_function(x).graph.get_operations()} for training in (True, False)}
    assert "FusedBatchNormV3" in traced[True]
    assert "FusedBatchNormV3" not in traced[False]


@pytest.mark.parametrize("shape", [(16, 5), (4, 5, 5, 3)])
def test_inference_and_other_shapes_are_keras_own_bit_for_bit(shape):
    (keras_layer, fused), x = pair(shape)
    for layer in (keras_layer, fused):
        layer.moving_mean.assign(np.linspace(-1, 1, shape[-1]).astype(np.float32))
        layer.moving_variance.assign(np.linspace(0.5, 2, shape[-1]).astype(np.float32))
    assert np.array_equal(fused(x, training=False), keras_layer(x, training=False))
    if len(shape) == 2:
        assert np.array_equal(fused(x, training=True), keras_layer(x, training=True))


def test_a_cnn_normalises_its_convolutions_fused_and_its_dense_layers_as_keras(tmp_path):
    model = network.build_network(spec(kind="cnn", image_shape=(8, 8, 1), conv_blocks=2,
                                       conv_filters=4, n_layers=1, batch_norm=True), 64, 3,
                                  onehot=False)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Reshape", "Conv2D", "FusedBatchNormalization", "MaxPooling2D", "Conv2D",
                     "FusedBatchNormalization", "MaxPooling2D", "Flatten", "Dense",
                     "BatchNormalization", "Dense"]
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (48, 64)).astype(np.float32)
    model.fit(X, np.arange(48) % 3, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "cnn.keras")
    loaded = network.load_network(str(tmp_path / "cnn.keras"))
    assert [type(layer).__name__ for layer in loaded.layers] == kinds
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
