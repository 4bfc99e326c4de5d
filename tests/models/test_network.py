"""The Keras builder: layers, regularisation, shapes (tiny data, a few epochs)."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.params import FeatureParams, KerasModel

network = pytest.importorskip("dlpipe.models.network")
from dlpipe.models import training  # noqa: E402


def spec(**kw) -> KerasModel:
    base = dict(kind="mlp", backend="tensorflow", n_layers=2, units=8, activation="relu",
                batch_norm=False,
                dropout=0.0, l2=0.0, conv_filters=4, conv_blocks=1, image_shape=None,
                random_shift=0.0, random_flip="none", random_rotation=0.0,
                random_contrast=0.0, loss="auto", optimizer="adam", learning_rate=0.01,
                embedding_dim=8, attention_heads=2, attention_blocks=1,
                lr_decay=1.0,
                batch_size=8, epochs=3, patience=2,
                validation_fraction=0.2, verbose=0)
    return KerasModel(**{**base, **kw})


def kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_layers_and_shapes():
    model = network.build_network(spec(n_layers=3, units=16), n_features=4, n_classes=3, onehot=True)
    assert kinds(model) == ["Dense"] * 4
    assert model.output_shape == (None, 3)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert [layer.units for layer in model.layers] == [16, 16, 16, 3]
    assert model.loss == "categorical_crossentropy"


def test_regularisation_is_present():
    model = network.build_network(spec(batch_norm=True, dropout=0.25, l2=0.01), 4, 3, onehot=False)
    assert kinds(model) == ["Dense", "BatchNormalization", "Dropout"] * 2 + ["Dense"]
    assert model.layers[2].rate == 0.25
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(0.01)
    assert model.layers[-1].kernel_regularizer.l2 == pytest.approx(0.01)
    assert model.loss == "sparse_categorical_crossentropy"


def test_zero_hidden_layers_is_a_regularised_softmax_regression():
    model = network.build_network(spec(n_layers=0, l2=0.001), n_features=4, n_classes=3, onehot=True)
    assert kinds(model) == ["Dense"]
    assert model.layers[0].kernel.shape == (4, 3)
    assert model.layers[0].activation.__name__ == "softmax"
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(0.001)


def test_no_l2_means_no_regulariser():
    model = network.build_network(spec(n_layers=1), 4, 3, onehot=True)
    assert all(layer.kernel_regularizer is None for layer in model.layers)


def test_cnn_reshapes_images():
    model = network.build_network(spec(kind="cnn", image_shape=(8, 8, 1), conv_blocks=2,
                                   conv_filters=4, n_layers=1), 64, 10, onehot=True)
    assert kinds(model)[:5] == ["Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D"]
    assert model.layers[3].filters == 8 and model.output_shape == (None, 10)


def test_random_shift_moves_training_images_only():
    model = network.build_network(spec(random_shift=0.25, image_shape=(8, 8, 1)), 64, 10, onehot=True)
    assert kinds(model)[:3] == ["Reshape", "RandomTranslation", "Flatten"]
    image = np.zeros((1, 64), dtype=np.float32)
    image[0, 27] = 1.0  # one lit pixel near the centre
    augment = network.keras.Sequential(model.layers[:3])
    assert np.array_equal(augment(image, training=False).numpy(), image)
    moved = [augment(image, training=True).numpy() for _ in range(5)]
    assert any(not np.allclose(m, image) for m in moved)


@pytest.mark.parametrize("augment", [{"random_shift": 0.1}, {"random_flip": "horizontal"},
                                     {"random_rotation": 0.1}, {"random_contrast": 0.2}])
def test_augmentation_needs_an_image_shape(augment):
    with pytest.raises(ValueError, match="random_contrast need image_shape"):
        spec(**augment)


def test_flips_turns_and_contrast_change_training_images_only():
    model = network.build_network(spec(random_flip="horizontal_and_vertical",
                                       random_rotation=0.25, random_contrast=0.5,
                                       image_shape=(8, 8, 1)), 64, 3, onehot=True)
    assert kinds(model)[:5] == ["Reshape", "RandomFlip", "RandomRotation", "RandomContrast",
                                "Flatten"]
    image = np.random.default_rng(0).uniform(0, 1, (4, 64)).astype(np.float32)
    augment = network.keras.Sequential(model.layers[:5])
    assert np.array_equal(augment(image, training=False).numpy(), image)
    changed = [augment(image, training=True).numpy() for _ in range(3)]
    assert all(not np.allclose(c, image) for c in changed)
