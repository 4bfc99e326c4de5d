"""An MLP's bundle loads without Keras: its NumPy pass, read from the network's file, gives the
network's answers (labels equal, probabilities and values within the tolerance) for two
classes, many and a numeric target; a process that loads and predicts with it imports no
TensorFlow; anything the pass cannot hold to the stored answers goes to Keras."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dlpipe import io
from dlpipe.bundle.compiled_network import (TOLERANCE, compile_network, disagreement,
                                            network_answers)
from dlpipe.bundle.compiled_steps import NotCompiled
from dlpipe.bundle.inference import bundle_dir, load_bundle
from dlpipe.bundle.network_file import FileNetwork, read_network
from pets import PROJECT, TARGET
from support import feature_params, keras_loaded, train_bundle

keras = pytest.importorskip("keras")


def same_answers(project: str, root, frame):
    """Assert the bundle read without Keras answers as the Keras-loaded one on ``frame``."""
    light, reference = load_bundle(project, root), keras_loaded(project, root)
    assert isinstance(light.model, FileNetwork)
    got, expected = light.predict_proba(frame), reference.predict_proba(frame)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert disagreement(got, expected) is None
    if reference.classes:
        assert list(light.label_names(got)) == list(reference.label_names(expected))
    assert light.model_name == reference.model_name
    return light


def test_many_classes(trained, rows):
    light = same_answers(PROJECT, trained.root, rows.drop(columns=[TARGET]))
    assert light.model.input_shape == (None, 7) and light.model.output_shape == (None, 3)


def test_two_classes(tmp_path):
    from sklearn.datasets import load_breast_cancer

    from dlpipe.frames import with_target
    from dlpipe.pipeline import catalog

    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = np.array(["malignant", "benign"])[frame["target"]]
    table = with_target(frame.rename(columns={"target": "diagnosis"}), "diagnosis", "cancer.csv")
    train_part, test_part = table.iloc[:400].reset_index(drop=True), table.iloc[400:].reset_index(
        drop=True)
    out = train_bundle(train_part, test_part, feature_params(), "diagnosis", "cancer", units=8,
                       epochs=3, patience=1, batch_norm=True, dropout=0.2)
    catalog.write(tmp_path / "models" / "cancer", out, manifest=True)
    same_answers("cancer", tmp_path, test_part.drop(columns=["target"]))


def test_a_numeric_target(diabetes_bundle):
    root, _, _, test_part = diabetes_bundle
    light = same_answers("diabetes", root, test_part.drop(columns=["target"]))
    assert light.has_values and light.model.output_shape == (None, 1)


def test_a_process_that_predicts_imports_no_tensorflow(trained, rows, tmp_path):
    rows.drop(columns=[TARGET]).to_csv(tmp_path / "rows.csv", index=False)
    shutil.copytree(trained.root / "models", tmp_path / "models")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "dlpipe", "predict",
                           PROJECT, "--input", "rows.csv", "--output", "out.csv",
                           "--ignore", "id"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "sklearn" in imported and "h5py" in imported  # what reading the bundle needs
    assert not {"tensorflow", "keras", "jax", "torch"} & imported
    written = pd.read_csv(tmp_path / "out.csv")
    expected = keras_loaded(PROJECT, tmp_path).predict(rows.drop(columns=[TARGET, "id"]))
    assert written["label"].tolist() == expected["label"].tolist()


def rewritten(trained, tmp_path, change):
    """The network load_bundle gives after ``change(answers)`` edits a copy's stored answers."""
    shutil.copytree(trained.root / "models", tmp_path / "models")
    where = bundle_dir(PROJECT, tmp_path)
    answers = json.loads((where / "network_answers.json").read_text())
    change(answers)
    (where / "network_answers.json").write_text(json.dumps(answers))
    io.write_manifest(where)
    return load_bundle(PROJECT, tmp_path).model


def test_answers_the_pass_does_not_give_send_the_network_to_keras(trained, tmp_path, caplog):
    def shifted(answers):
        answers["outputs"][0][0] += 100 * TOLERANCE

    with caplog.at_level(logging.INFO, logger="dlpipe.bundle.inference"):
        model = rewritten(trained, tmp_path, shifted)
    assert isinstance(model, keras.Model)
    assert "differs from the network's answers" in caplog.text


def test_answers_to_rows_of_another_width_send_the_network_to_keras(trained, tmp_path):
    model = rewritten(trained, tmp_path, lambda a: a.update(inputs=[r[:-1] for r in a["inputs"]]))
    assert isinstance(model, keras.Model)


def test_a_network_the_pass_cannot_compile_stores_no_answers():
    cnn = keras.Sequential([keras.Input(shape=(16,)), keras.layers.Reshape((4, 4, 1)),
                            keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                            keras.layers.Dense(2, activation="softmax")])
    assert network_answers(cnn) is None


def mlp(**batch_norm) -> "keras.Model":
    for _ in range(3):  # layers made before it: its layers' names are dense_3, ..., not dense
        keras.layers.Dense(1)
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.BatchNormalization(**batch_norm),
                              keras.layers.Dropout(0.3), keras.layers.Dense(6, use_bias=False),
                              keras.layers.Activation("tanh"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(3, activation="softmax")], name="mlp")
    rng = np.random.default_rng(0)
    for layer in model.layers:  # weights away from their initial values, statistics too
        layer.set_weights([rng.normal(size=w.shape).astype(np.float32) ** 2
                           for w in layer.get_weights()])
    return model


@pytest.mark.parametrize("batch_norm", [{}, {"center": False}, {"scale": False}])
def test_the_file_gives_each_layer_its_own_weights(tmp_path, batch_norm):
    model = mlp(**batch_norm)
    model.save(tmp_path / "m.keras")
    network = read_network(tmp_path / "m.keras", network_answers(model))
    X = np.random.default_rng(1).normal(size=(20, 5)).astype(np.float32)
    np.testing.assert_array_equal(network(X), compile_network(model)(X))
    assert network.name == "mlp"
    with pytest.raises(ValueError, match="only predicts"):
        network(X, training=True)


def test_a_layer_it_does_not_know_is_not_read(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3),
                              keras.layers.LayerNormalization(),
                              keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "m.keras")
    answers = {"inputs": [[0.0] * 4], "outputs": [[0.5, 0.5]]}
    with pytest.raises(NotCompiled, match="LayerNormalization"):
        read_network(tmp_path / "m.keras", answers)
