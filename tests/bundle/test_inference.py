"""A project's bundle: written by the train stage, loaded back, predicting as before saving."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError, InputError
from dlpipe.pipeline import jobs
from dlpipe.pipeline.table import BY_NAME
from dlpipe.bundle import inference as bundles
from dlpipe import io
from dlpipe.bundle.inference import BUNDLE_DIR, Bundle, load_bundle
from dlpipe.bundle.input_schema import conform
from pets import CLASSES, PROJECT


@pytest.fixture(scope="module")
def loaded(trained) -> Bundle:
    return load_bundle(PROJECT, trained.root)


@pytest.fixture
def copy(trained, tmp_path):
    """A writable copy of the bundle's repository."""
    shutil.copytree(trained.root / "models", tmp_path / "models")
    return tmp_path


def test_the_select_stage_writes_where_the_bundle_is_read():
    assert BY_NAME["select"].outputs["bundle"].path == BUNDLE_DIR
    assert jobs.fill(BUNDLE_DIR, {"project": "iris"}) == "models/iris"


def test_the_bundle_holds_model_transformer_and_schema(trained, loaded):
    assert sorted(p.name for p in (trained.root / "models" / PROJECT).iterdir()) == [
        ".manifest.json", "model.keras", "network_answers.json", "preprocess.skops",
        "schema.json"]
    assert loaded.classes == CLASSES and loaded.schema.target == "kind"
    assert loaded.schema.names == ["size", "legs", "colour", "coat"]
    assert loaded.schema.input_width == loaded.model.input_shape[-1] == 7


def test_predictions_after_loading_equal_those_before_saving(trained, copy, rows):
    (copy / "models" / PROJECT / "network_answers.json").unlink()  # so Keras loads the network
    io.write_manifest(copy / "models" / PROJECT)
    loaded = load_bundle(PROJECT, copy)
    X = trained.transformer.transform(conform(loaded.schema, rows))
    before = np.asarray(trained.model(X.astype(np.float32), training=False))
    after = loaded.predict_proba(rows)
    assert after.dtype == np.float32 and after.shape == (len(rows), 3)
    np.testing.assert_array_equal(after, before)


def test_the_model_learnt_something(trained, loaded):
    test = trained.test
    predicted = loaded.predict(test.drop(columns="target"))
    truth = test.loc[predicted.index, "target"].astype(str)
    assert (predicted["label"] == truth).mean() > 0.8


def test_predict_names_the_classes_in_the_input_order(loaded, rows):
    shuffled = rows.sample(frac=1.0, random_state=3)
    out = loaded.predict(shuffled)
    assert list(out.columns) == ["label", "proba_cat", "proba_dog", "proba_eel"]
    assert out.index.equals(shuffled.index)
    proba = out.drop(columns="label").to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert out["label"].tolist() == [CLASSES[k] for k in proba.argmax(axis=1)]
    pd.testing.assert_frame_equal(out.loc[rows.index], loaded.predict(rows))


def test_large_inputs_go_through_in_batches(loaded, rows, monkeypatch):
    whole = loaded.predict_proba(rows)
    monkeypatch.setattr(bundles, "BATCH_ROWS", 5)
    np.testing.assert_allclose(loaded.predict_proba(rows), whole, rtol=1e-6)


def test_no_rows_no_predictions(loaded, rows):
    assert loaded.predict_proba(rows.iloc[:0]).shape == (0, 3)
    assert list(loaded.predict(rows.iloc[:0]).columns)[:2] == ["label", "proba_cat"]


def test_bad_rows_raise_every_problem(loaded, rows):
    bad = rows.drop(columns="coat").astype({"legs": object})
    bad.loc[2, "legs"] = "many"
    with pytest.raises(InputError) as caught:
        loaded.predict(bad)
    assert caught.value.problems == loaded.check(bad) == [
        "column 'coat': missing (a categorical input of the model)",
        "row 3, column 'legs': 'many' is not a number"]


def test_no_bundle_says_which_stage_makes_it(tmp_path):
    with pytest.raises(DataError, match=r"models/iris: no model bundle for project 'iris': the "
                                        r"select stage writes it"):
        load_bundle("iris", tmp_path)


@pytest.mark.parametrize("name", ["model.keras", "preprocess.skops", "schema.json"])
def test_a_missing_file_is_named(copy, name):
    (copy / "models" / PROJECT / name).unlink()
    with pytest.raises(DataError, match=rf"pets/{name}: listed in .manifest.json but missing: "
                                        r"re-run its select stage"):
        load_bundle(PROJECT, copy)
    io.write_manifest(copy / "models" / PROJECT)  # a manifest that agrees: the loader's check
    with pytest.raises(DataError, match=rf"pets/{name}: missing from the bundle: the select stage"):
        load_bundle(PROJECT, copy)


@pytest.mark.parametrize("name", ["model.keras", "preprocess.skops", "schema.json"])
def test_a_corrupt_file_is_named(copy, name):
    (copy / "models" / PROJECT / name).write_bytes(b"not what it should be")
    with pytest.raises(DataError, match=rf"pets/{name}: content does not match the manifest"):
        load_bundle(PROJECT, copy)
    io.write_manifest(copy / "models" / PROJECT)
    with pytest.raises(DataError, match=rf"pets/{name}: (cannot be read|not a readable)"):
        load_bundle(PROJECT, copy)


def test_a_valid_model_whose_weights_changed_is_refused_before_it_predicts(copy):
    """A negated weight matrix leaves a readable model.keras: only the manifest tells."""
    from dlpipe.models.network import load_network

    path = copy / "models" / PROJECT / "model.keras"
    model = load_network(str(path))
    kernel = model.layers[-1].kernel
    kernel.assign(-kernel.numpy())
    model.save(path)
    with pytest.raises(DataError, match=r"pets/model.keras: content does not match the manifest "
                                        r"\(expected sha256 [0-9a-f]{16}\.\.\., got"):
        load_bundle(PROJECT, copy)


@pytest.mark.parametrize("content", [None, "{}", "[1, 2]", "not json"])
def test_a_missing_or_broken_manifest_is_refused(copy, content):
    path = copy / "models" / PROJECT / io.MANIFEST
    path.unlink() if content is None else path.write_text(content)
    with pytest.raises(DataError, match=r"pets/.manifest.json: (missing|not a manifest)"):
        load_bundle(PROJECT, copy)


def test_a_schema_of_another_shape_is_refused(copy):
    path = copy / "models" / PROJECT / "schema.json"
    schema = json.loads(path.read_text())
    path.write_text(json.dumps({**schema, "classes": ["cat", "dog"]}))
    io.write_manifest(path.parent)
    with pytest.raises(DataError, match=r"model.keras: takes 7 inputs and gives 3 outputs, but "
                                        r"schema.json says 7 and 2"):
        load_bundle(PROJECT, copy)


def test_a_config_naming_a_function_is_refused_in_one_sentence(copy):
    """A config whose activation names an arbitrary function (here ``os.system``): Keras' safe
    mode refuses it with the whole config in its message; the refusal keeps its reason only."""
    import zipfile

    path = copy / "models" / PROJECT / "model.keras"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    config["config"]["layers"][-1]["config"]["activation"] = {
        "module": "os", "class_name": "function", "config": "system",
        "registered_name": "function"}
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    io.write_manifest(path.parent)  # a manifest that agrees: Keras' own check is under test
    with pytest.raises(DataError) as refused:
        load_bundle(PROJECT, copy)
    message = str(refused.value)
    assert message.startswith(f"{path}: cannot be read (ValueError: its config cannot be rebuilt: "
                              "Could not locate function 'system')"), message
    assert len(message) < 400 and "\n" not in message
