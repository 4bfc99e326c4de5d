"""export: LiteRT files that compute what the Keras model computes in inference mode (float32 to
1e-5; int8 giving the same labels on an easy problem), their metrics, run information and tidy
rows; a network with augmentation, dropout and batch normalisation exports its inference
behaviour; the normalisation scale folded before int8 quantisation leaves the function as is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.params import EvaluateParams, ExportParams, KerasModel
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.input_schema import Schema

network = pytest.importorskip("dlpipe.models.network")
from dlpipe.models import backends, litert  # noqa: E402
from dlpipe.stages.export import calibration_rows, export  # noqa: E402

METRICS = ["accuracy", "f1_macro", "roc_auc_ovr"]
# what export reads of the bundle's schema: the class names (three classes: no threshold)
SCHEMA = Schema("blobs", ["0", "1", "2"], "y", columns=[], input_width=4).to_dict()


def spec(**kw) -> KerasModel:
    base = dict(kind="mlp", backend="tensorflow", n_layers=1, units=16, activation="relu",
                batch_norm=True,
                dropout=0.2, l2=0.0, conv_filters=4, conv_blocks=1, image_shape=None,
                random_shift=0.0, random_flip="none", random_rotation=0.0,
                random_contrast=0.0, loss="auto", optimizer="adam", learning_rate=0.01,
                embedding_dim=8, attention_heads=2, attention_blocks=1,
                lr_decay=1.0,
                batch_size=32, epochs=1, patience=1, validation_fraction=0.2, verbose=0)
    return KerasModel(**{**base, **kw})


def blobs(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated classes in 4 features."""
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % 3
    X = rng.normal(0.0, 0.5, (rows, 4)) + np.eye(3, 4)[y] * 4.0
    return X.astype(np.float32), y


def processed(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """A processed table: the features, then the integer label column."""
    return pd.DataFrame(X, columns=[f"f{k}" for k in range(X.shape[1])]).assign(y=y)


@pytest.fixture(scope="module")
def trained():
    """A small MLP with batch normalisation and dropout, fitted on the blobs."""
    backends.seed(0)
    X, y = blobs(600, seed=1)
    model = network.build_network(spec(), 4, 3, onehot=False)
    model.fit(X, y, epochs=15, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def run(trained):
    X_train, y_train = blobs(600, seed=1)
    X_test, y_test = blobs(150, seed=2)
    out = export({bundle_files.MODEL: trained, bundle_files.SCHEMA: SCHEMA}, processed(X_train, y_train), processed(X_test, y_test),
                 seed=0,
                 evaluate=EvaluateParams(metrics=METRICS,
                                           binary_metrics=["f1", "roc_auc"], value_groups=5),
                 export=ExportParams(calibration_rows=200, latency_runs=20,
                                     formats=["float32", "int8"]),
                 project="blobs")
    return out, X_test


def test_float32_computes_the_keras_probabilities(run, trained):
    out, X = run
    proba = litert.predict_proba(out["files"]["model_float32.tflite"], X, batch_size=64)
    np.testing.assert_allclose(proba, trained.predict(X, verbose=0), atol=1e-5)


def test_int8_gives_the_keras_labels_on_an_easy_problem(run, trained):
    out, _ = run
    assert out["metrics"]["int8"]["agreement"] >= 0.98
    assert out["metrics"]["int8"]["accuracy"] >= out["metrics"]["float32"]["accuracy"] - 0.02
    assert out["info"]["int8"]["folded_batch_norm"] == [trained.layers[0].name]  # the hidden Dense
    assert out["info"]["float32"]["folded_batch_norm"] == []


def test_metrics_info_and_files(run):
    out, X = run
    keys = {"size_bytes", "agreement", *METRICS}
    assert set(out["metrics"]) == {"float32", "int8"}
    assert all(set(values) == keys for values in out["metrics"].values())
    assert out["metrics"]["float32"]["agreement"] == 1.0
    assert sorted(out["files"]) == ["model_float32.tflite", "model_int8.tflite"]
    assert out["metrics"]["int8"]["size_bytes"] == len(out["files"]["model_int8.tflite"])
    assert out["info"]["input"] == {"features": 4, "dtype": "float32"}
    assert out["info"]["calibration_rows"] == 200 and out["info"]["test_rows"] == len(X)
    for fmt in ("float32", "int8"):
        assert 0 < out["info"][fmt]["latency_p50_ms"] <= out["info"][fmt]["latency_p90_ms"]
        assert "latency_p50_ms" not in out["metrics"][fmt]  # machine-dependent: not a metric


def test_tidy_rows_beside_evaluate_rows(run):
    scores = run[0]["scores"]
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["model"]) == {"keras_mlp_litert_float32", "keras_mlp_litert_int8"}
    assert set(scores["split"]) == {"test"} and set(scores["task"]) == {"multiclass"}
    assert set(scores["metric"]) == {"size_bytes", "agreement", "latency_p50_seconds", *METRICS}
    assert not scores.duplicated(["model", "metric"]).any()


def test_only_the_formats_asked_for(trained):
    X, y = blobs(60, seed=3)
    out = export({bundle_files.MODEL: trained, bundle_files.SCHEMA: SCHEMA}, processed(X, y), processed(X, y), seed=0,
                 evaluate=EvaluateParams(metrics=["f1_macro"], binary_metrics=["f1"],
                                         value_groups=5),
                 export=ExportParams(calibration_rows=10, latency_runs=2, formats=["float32"]),
                 project="blobs")
    assert list(out["files"]) == ["model_float32.tflite"] and list(out["metrics"]) == ["float32"]
    assert set(out["metrics"]["float32"]) == {"size_bytes", "accuracy", "f1_macro", "agreement"}


def test_the_export_is_deterministic(trained):
    calibration = calibration_rows(blobs(90, seed=4)[0], 50, seed=7)
    assert litert.convert(trained, 4) == litert.convert(trained, 4)
    assert (litert.convert(litert.scale_folded(trained)[0], 4, calibration)
            == litert.convert(litert.scale_folded(trained)[0], 4, calibration))


def test_calibration_rows_are_a_seeded_sample():
    X = np.arange(100, dtype=np.float32).reshape(50, 2)
    sample = calibration_rows(X, 10, seed=3)
    np.testing.assert_array_equal(sample, calibration_rows(X, 10, seed=3))
    assert len(sample) == 10 and not np.array_equal(sample, calibration_rows(X, 10, seed=4))
    assert (np.diff(sample[:, 0]) > 0).all()  # in the table's order
    np.testing.assert_array_equal(calibration_rows(X, 500, seed=3), X)


# --- inference behaviour ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def augmented():
    """A CNN with every augmentation layer, BatchNormalization and Dropout, trained for a few
    steps (so the moving statistics are not their initial values)."""
    backends.seed(0)
    model = network.build_network(spec(kind="cnn", image_shape=(8, 8, 1), random_shift=0.3,
                                       random_flip="horizontal", random_rotation=0.1,
                                       random_contrast=0.2, conv_blocks=1, conv_filters=4,
                                       dropout=0.5), 64, 3, onehot=False)
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (96, 64)).astype(np.float32)
    model.fit(X, np.arange(96) % 3, epochs=2, batch_size=16, verbose=0)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"RandomTranslation", "RandomFlip", "RandomRotation", "RandomContrast",
            "FusedBatchNormalization", "BatchNormalization", "Dropout"} <= kinds
    return model, X[:40]


def test_augmentation_dropout_and_batch_norm_export_their_inference_behaviour(augmented):
    model, X = augmented
    content = litert.convert(model, 64)
    first = litert.predict_proba(content, X, batch_size=16)
    np.testing.assert_array_equal(first, litert.predict_proba(content, X, batch_size=16))
    inference = model(X, training=False).numpy()
    np.testing.assert_allclose(first, inference, atol=1e-5)
    assert not np.allclose(model(X, training=True).numpy(), inference, atol=1e-3)


def test_int8_of_the_augmented_network_is_deterministic_and_close(augmented):
    model, X = augmented
    folded, layers = litert.scale_folded(model)
    content = litert.convert(folded, 64, X)
    first = litert.predict_proba(content, X, batch_size=8)
    np.testing.assert_array_equal(first, litert.predict_proba(content, X, batch_size=40))
    assert np.abs(first - model(X, training=False).numpy()).max() < 0.05
    assert layers == [layer.name for layer in model.layers
                      if type(layer).__name__ in ("Conv2D", "Dense")][:2]


def test_folding_the_normalisation_scale_keeps_the_function(augmented):
    model, X = augmented
    before = [w.copy() for w in model.get_weights()]
    folded, layers = litert.scale_folded(model)
    assert len(layers) == 2  # the conv block's and the hidden Dense layer's
    np.testing.assert_allclose(folded(X, training=False).numpy(),
                               model(X, training=False).numpy(), atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # a copy


def test_a_negative_normalisation_scale_is_not_folded_through_relu(augmented):
    model, X = augmented
    copy = network.keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    norms = [layer for layer in copy.layers
             if isinstance(layer, network.keras.layers.BatchNormalization)]
    gamma = norms[0].gamma.numpy()
    gamma[0] = -abs(gamma[0]) - 0.5
    norms[0].gamma.assign(gamma)
    folded, layers = litert.scale_folded(copy)
    assert len(layers) == 1  # only the Dense layer's normalisation
    np.testing.assert_allclose(folded(X, training=False).numpy(),
                               copy(X, training=False).numpy(), atol=1e-5)


def test_a_value_network_is_exported_and_scored_by_the_value_metrics():
    """A network of the diabetes table's numeric target, in its units: the float32 file gives
    Keras' values, the int8 file values close to them, both scored by RMSE and R^2."""
    from sklearn.datasets import load_diabetes

    from dlpipe.models import training

    data = load_diabetes()
    X = ((data.data - data.data.mean(axis=0)) / data.data.std(axis=0)).astype(np.float32)
    y = data.target.astype(np.float64)
    fitted = training.fit(spec(n_layers=1, units=16, epochs=60, patience=10, dropout=0.0,
                               batch_norm=False, learning_rate=0.01), X[:350], y[:350], None,
                          False, seed=0)
    train = pd.DataFrame(X[:350], columns=[f"f{k}" for k in range(10)]).assign(y=y[:350])
    test = pd.DataFrame(X[350:], columns=[f"f{k}" for k in range(10)]).assign(y=y[350:])
    schema = Schema("diabetes", [], "target", columns=[], input_width=10).to_dict()
    out = export({bundle_files.MODEL: fitted.model, bundle_files.SCHEMA: schema}, train, test,
                 seed=0, evaluate=EvaluateParams(metrics=["rmse", "r2"], binary_metrics=[],
                                                 value_groups=5),
                 export=ExportParams(calibration_rows=200, latency_runs=5,
                                     formats=["float32", "int8"]), project="diabetes")
    keras_values = fitted.model.predict(X[350:], verbose=0)
    assert set(out["metrics"]["float32"]) == {"size_bytes", "rmse", "r2", "max_abs_difference"}
    assert out["metrics"]["float32"]["max_abs_difference"] < 1e-3
    int8 = litert.predict_proba(out["files"]["model_int8.tflite"], X[350:]).ravel()
    # int8 inputs are clipped to the calibration rows' range: a rare extreme row moves more
    assert np.percentile(np.abs(int8 - keras_values.ravel()), 90) < 0.05 * y.std()
    assert out["metrics"]["int8"]["max_abs_difference"] == pytest.approx(
        float(np.abs(int8 - keras_values.ravel()).max()), rel=1e-5)
    assert abs(out["metrics"]["int8"]["r2"] - out["metrics"]["float32"]["r2"]) < 0.02
    assert out["metrics"]["float32"]["rmse"] == pytest.approx(
        float(np.sqrt(np.mean((keras_values.ravel() - y[350:]) ** 2))), rel=1e-4)
    assert set(out["scores"]["task"]) == {"regression"}
