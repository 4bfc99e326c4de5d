"""The Keras builder, fold isolation in CV, and determinism (tiny data, a few epochs)."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.params import FeatureParams, KerasModel

keras_model = pytest.importorskip("dlpipe.models.network")
from dlpipe import training  # noqa: E402


def spec(**kw) -> KerasModel:
    base = dict(kind="mlp", n_layers=2, units=8, activation="relu", batch_norm=False,
                dropout=0.0, l2=0.0, conv_filters=4, conv_blocks=1, image_shape=None,
                random_shift=0.0, optimizer="adam", learning_rate=0.01, lr_decay=1.0,
                batch_size=8, epochs=3, patience=2,
                validation_fraction=0.2, verbose=0)
    return KerasModel(**{**base, **kw})


def kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_layers_and_shapes():
    model = keras_model.build(spec(n_layers=3, units=16), n_features=4, n_classes=3, onehot=True)
    assert kinds(model) == ["Dense"] * 4
    assert model.output_shape == (None, 3)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert [layer.units for layer in model.layers] == [16, 16, 16, 3]
    assert model.loss == "categorical_crossentropy"


def test_regularisation_is_present():
    model = keras_model.build(spec(batch_norm=True, dropout=0.25, l2=0.01), 4, 3, onehot=False)
    assert kinds(model) == ["Dense", "BatchNormalization", "Dropout"] * 2 + ["Dense"]
    assert model.layers[2].rate == 0.25
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(0.01)
    assert model.layers[-1].kernel_regularizer.l2 == pytest.approx(0.01)
    assert model.loss == "sparse_categorical_crossentropy"


def test_zero_hidden_layers_is_a_regularised_softmax_regression():
    model = keras_model.build(spec(n_layers=0, l2=0.001), n_features=4, n_classes=3, onehot=True)
    assert kinds(model) == ["Dense"]
    assert model.layers[0].kernel.shape == (4, 3)
    assert model.layers[0].activation.__name__ == "softmax"
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(0.001)


def test_no_l2_means_no_regulariser():
    model = keras_model.build(spec(n_layers=1), 4, 3, onehot=True)
    assert all(layer.kernel_regularizer is None for layer in model.layers)


def test_cnn_reshapes_images():
    model = keras_model.build(spec(kind="cnn", image_shape=(8, 8, 1), conv_blocks=2,
                                   conv_filters=4, n_layers=1), 64, 10, onehot=True)
    assert kinds(model)[:5] == ["Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D"]
    assert model.layers[3].filters == 8 and model.output_shape == (None, 10)


def test_random_shift_moves_training_images_only():
    model = keras_model.build(spec(random_shift=0.25, image_shape=(8, 8, 1)), 64, 10, onehot=True)
    assert kinds(model)[:3] == ["Reshape", "RandomTranslation", "Flatten"]
    image = np.zeros((1, 64), dtype=np.float32)
    image[0, 27] = 1.0  # one lit pixel near the centre
    augment = keras_model.keras.Sequential(model.layers[:3])
    assert np.array_equal(augment(image, training=False).numpy(), image)
    moved = [augment(image, training=True).numpy() for _ in range(5)]
    assert any(not np.allclose(m, image) for m in moved)


def test_random_shift_needs_an_image_shape():
    with pytest.raises(ValueError, match="random_shift needs image_shape"):
        spec(random_shift=0.1)


def test_fold_isolation_scaler_never_sees_the_validation_fold(three_class_frame, monkeypatch):
    from dlpipe import features

    seen: list[set[int]] = []
    real = features.make_scaler

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def fit(self, X, y=None):
            seen.append(set(X.index))
            self.inner.fit(X)
            return self

        def transform(self, X):
            return self.inner.transform(X)

    monkeypatch.setattr(training, "make_scaler", lambda cfg: Spy(real(cfg)))
    X, y = three_class_frame[["a", "b"]], three_class_frame["target"].to_numpy()
    results = training.cross_validate(spec(epochs=1), FeatureParams(
        scaler="standard", label_encoding="onehot"), X, y, folds=3, seed=0, metrics=["accuracy"])
    assert len(seen) == 3
    for fitted_on, result in zip(seen, results):
        assert fitted_on.isdisjoint(result.val_rows)
        assert len(fitted_on) + len(result.val_rows) == 60


def test_lr_decay_lowers_the_rate_every_epoch(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    fitted = training.fit(spec(lr_decay=0.5, epochs=3, patience=5), X, y, 3, True, seed=7)
    assert fitted.history["learning_rate"].to_numpy() == pytest.approx([0.01, 0.005, 0.0025])
    constant = training.fit(spec(epochs=3, patience=5), X, y, 3, True, seed=7)
    assert constant.history["learning_rate"].to_numpy() == pytest.approx([0.01] * 3)


def test_batch_norm_statistics_warm_up_within_a_small_fold():
    # 300 rows at batch 32 is ~50 steps: the moving statistics used in inference must be
    # warm by then, or a CV fold of a small subsample validates far below its fit
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    X = (np.column_stack([y * 3.0, -y * 3.0]) + rng.normal(0, 0.5, (300, 2)) + 50).astype(
        np.float32)  # far from the zero mean the moving statistics start at
    fitted = training.fit(spec(batch_norm=True, epochs=5, patience=10, batch_size=32,
                               learning_rate=0.01), X, y, 3, True, seed=1)
    accuracy = (training.predict_proba(fitted.model, X, 32).argmax(axis=1) == y).mean()
    assert accuracy > 0.9


def test_same_seed_same_numbers(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    first = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    second = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    other = training.fit(spec(dropout=0.2), X, y, 3, True, seed=8)
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        assert np.array_equal(a, b)
    assert first.history.equals(second.history)
    assert not np.array_equal(first.model.get_weights()[0], other.model.get_weights()[0])
