"""params.yaml validation: every error path gives one message naming file, key, expected, got."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import load_params, parse_params


def test_repo_params_are_valid(raw_params):
    params = parse_params(raw_params)
    assert params.projects == ["mnist", "iris", "price", "sentiment"]
    assert params.project("iris").split.test_size == 0.2
    assert params.project("iris").cv.folds == 5


def section(raw: dict, project: str, key: str) -> dict:
    """The project's own ``key`` mapping (created empty when the project inherits it all)."""
    return raw[project].setdefault(key, {})


def _message(raw) -> str:
    with pytest.raises(ParamsError) as info:
        parse_params(raw, source="p.yaml")
    return str(info.value)


def test_unknown_key_names_its_path(raw_params):
    section(raw_params, "iris", "split")["test_sise"] = 0.2
    message = _message(raw_params)
    assert message.startswith("p.yaml: iris.split.test_sise: expected no such key")
    assert "got 0.2" in message


def test_wrong_type(raw_params):
    section(raw_params, "iris", "cv")["folds"] = "five"
    assert _message(raw_params).startswith("p.yaml: iris.cv.folds: expected a valid integer")


def test_out_of_range(raw_params):
    section(raw_params, "iris", "split")["test_size"] = 1.5
    message = _message(raw_params)
    assert "iris.split.test_size" in message and "got 1.5" in message


def test_order_by_with_a_random_split_is_refused(raw_params):
    section(raw_params, "iris", "split")["order_by"] = "sold"
    assert _message(raw_params).startswith(
        "p.yaml: iris.split: expected order_by 'sold' needs method 'ordered'")


def test_ordered_folds_of_a_shuffled_split_are_refused(raw_params):
    section(raw_params, "iris", "cv")["method"] = "ordered"
    assert _message(raw_params).startswith(
        "p.yaml: iris: cv.method ordered needs split.method ordered (a stratified split "
        "shuffles the training rows")


def test_unknown_project(raw_params):
    raw_params["projects"].append("cifar")
    message = _message(raw_params)
    assert message.startswith("p.yaml: projects: unknown project 'cifar'")


def test_missing_key(raw_params):
    del raw_params["defaults"]["tune"]["n_trials"]
    assert _message(raw_params) == ("p.yaml: price.tune.n_trials: expected this key (it is "
                                    "required), got nothing")


def test_bad_enum_value(raw_params):
    section(raw_params, "price", "features")["scaler"] = "robust"
    message = _message(raw_params)
    assert "price.features.scaler" in message and "'standard'" in message and "'robust'" in message


def test_search_space_must_name_model_keys(raw_params):
    raw_params["iris"]["tune"]["search_space"]["neurons"] = {
        "type": "int", "low": 1, "high": 4, "step": 1, "log": False}
    assert "not model keys" in _message(raw_params)


def test_a_value_loss_on_a_project_of_classes_is_refused(raw_params):
    section(raw_params, "iris", "model")["loss"] = "huber"
    message = _message(raw_params)
    assert message.startswith("p.yaml: iris: ") and "model.loss 'huber' is for a numeric " \
        "target; a project of classes trains with cross-entropy: set auto" in message, message


def test_a_value_metric_on_a_project_of_classes_is_refused(raw_params):
    section(raw_params, "iris", "cv")["metrics"] = ["accuracy", "rmse"]
    assert _message(raw_params).startswith(
        "p.yaml: iris: cv.metrics: 'rmse' scores a numeric target; a project of classes is "
        "scored by ['accuracy'")


def test_a_regression_project_inherits_its_task_defaults_under_its_section(raw_params):
    raw_params["iris"]["task"] = "regression"
    raw_params["iris"]["evaluate"] = {"metrics": ["mae"]}
    iris = parse_params(raw_params).project("iris")
    layer = raw_params["task_defaults"]["regression"]
    assert iris.tune.metric == layer["tune"]["metric"] == "rmse"
    assert iris.cv.metrics == layer["cv"]["metrics"]
    assert iris.evaluate.metrics == ["mae"]  # the section wins over the layer
    assert iris.evaluate.value_groups == raw_params["defaults"]["evaluate"]["value_groups"]
    assert parse_params(raw_params).project("price").tune.metric == "accuracy"


@pytest.mark.parametrize("key, value, message", [
    ("cv", {"metrics": ["rmse", "accuracy"]},
     "cv.metrics: 'accuracy' scores classes; a regression project is scored by ['rmse'"),
    ("class_names", {0: "low"}, "class_names: a regression project has no classes: set null"),
    ("decision", {"positive_class": "1"},
     "decision.positive_class: a regression project has no classes: set null"),
    ("tasks", {"mlp": {}},
     "tasks.mlp: the MNIST tasks need classes; a regression project leaves them null")])
def test_what_a_regression_project_cannot_have_is_refused(raw_params, key, value, message):
    raw_params["iris"]["task"] = "regression"
    raw_params["iris"][key] = value
    assert _message(raw_params).startswith(f"p.yaml: iris: {message}")


def test_a_bad_value_from_the_task_layer_names_the_layer(raw_params):
    raw_params["task_defaults"]["regression"]["tune"]["metric"] = "rsme"
    raw_params["iris"]["task"] = "regression"
    assert _message(raw_params).startswith("p.yaml: task_defaults.regression.tune.metric: "
                                           "expected 'accuracy'")


@pytest.mark.parametrize("layers", [None, {"regression": {}}, {"classification": {},
                                                                "regression": []}])
def test_task_defaults_needs_a_mapping_per_task(raw_params, layers):
    raw_params["task_defaults"] = layers
    assert _message(raw_params).startswith(
        "p.yaml: task_defaults: expected a mapping for each of ['classification', "
        "'regression']")


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="file not found"):
        load_params(tmp_path / "nope.yaml")


def test_an_unreadable_file_is_named_not_a_traceback(tmp_path):
    # a directory where the file should be: unreadable even for root (a file's permissions
    # are not, and the suite runs as root in CI)
    (tmp_path / "params.yaml").mkdir()
    with pytest.raises(ParamsError) as caught:
        load_params(tmp_path / "params.yaml")
    assert str(caught.value) == (f"{tmp_path / 'params.yaml'}: cannot be read (Is a directory; "
                                 "expected a params YAML file this user may read)")


def test_invalid_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1,\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)


def test_cli_bad_params_one_line_exit_2_no_output(tmp_path, raw_params, write_params):
    section(raw_params, "iris", "split")["test_size"] = -1
    path = write_params(raw_params)
    result = subprocess.run([sys.executable, "-m", "dlpipe", "split", "iris", "--params",
                             str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "iris.split.test_size" in lines[0] and "got -1" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_cli_disabled_project(tmp_path, raw_params, write_params):
    raw_params["projects"] = ["iris"]
    path = write_params(raw_params)
    result = subprocess.run([sys.executable, "-m", "dlpipe", "fetch", "price", "--params",
                             str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert "expected one of ['iris'], got 'price'" in result.stderr


def test_a_project_states_only_what_differs_from_the_defaults(raw_params):
    raw_params["defaults"]["cv"]["folds"] = 4
    section(raw_params, "mnist", "cv")["folds"] = 3
    params = parse_params(raw_params)
    assert params.project("price").cv.folds == 4  # inherited
    assert params.project("mnist").cv.folds == 3  # its own
    assert params.project("mnist").cv.metrics == raw_params["defaults"]["cv"]["metrics"]


def test_a_search_space_is_replaced_whole(raw_params):
    params = parse_params(raw_params)
    assert set(params.project("iris").tune.search_space) == {"units", "activation",
                                                             "learning_rate"}
    assert "n_layers" in params.project("price").tune.search_space


def test_a_bad_default_is_reported_in_defaults(raw_params):
    raw_params["defaults"]["cv"]["folds"] = 1
    assert _message(raw_params) == ("p.yaml: defaults.cv.folds: expected greater than "
                                 "or equal to 2, got 1")


def test_a_bad_project_value_is_reported_in_the_project(raw_params):
    section(raw_params, "price", "cv")["folds"] = 1
    assert _message(raw_params) == ("p.yaml: price.cv.folds: expected greater than or "
                                 "equal to 2, got 1")


def test_an_unknown_default_key_is_reported_in_defaults(raw_params):
    raw_params["defaults"]["cv"]["foldz"] = 3
    assert _message(raw_params).startswith("p.yaml: defaults.cv.foldz: expected no such key")


def test_defaults_must_be_a_mapping(raw_params):
    raw_params["defaults"] = [1]
    assert _message(raw_params).startswith("p.yaml: defaults: expected a mapping")


def test_the_serve_section_is_validated(raw_params):
    assert parse_params(raw_params).serve.max_rows == raw_params["serve"]["max_rows"]
    raw_params["serve"]["port"] = 70000
    assert _message(raw_params) == ("p.yaml: serve.port: expected less than or equal to "
                                    "65535, got 70000")
    raw_params["serve"]["port"] = 8080
    raw_params["serve"]["max_row"] = 10
    assert _message(raw_params).startswith("p.yaml: serve.max_row: expected no such key")
    del raw_params["serve"]
    assert _message(raw_params).startswith("p.yaml: serve: missing key")


def test_an_unknown_export_format_is_one_line(raw_params):
    section(raw_params, "iris", "export")["formats"] = ["float32", "float16"]
    assert _message(raw_params) == ("p.yaml: iris.export.formats.1: expected 'float32' or "
                                    "'int8', got 'float16'")


def test_an_export_format_is_asked_for_once(raw_params):
    raw_params["defaults"]["export"]["formats"] = ["int8", "int8"]
    assert _message(raw_params).startswith(
        "p.yaml: defaults.export: expected each format once, got ['int8', 'int8']")


def test_export_needs_calibration_rows(raw_params):
    section(raw_params, "mnist", "export")["calibration_rows"] = 0
    assert _message(raw_params).startswith("p.yaml: mnist.export.calibration_rows: expected "
                                           "greater than 0, got 0")


def test_explain_stride_must_not_skip_pixels(raw_params):
    section(raw_params, "mnist", "explain")["stride"] = 5  # the patch is 4
    assert _message(raw_params).startswith("p.yaml: mnist.explain: expected stride (5) <= "
                                           "patch (4), got {")


def test_drift_alpha_is_a_probability(raw_params):
    raw_params["defaults"]["drift"]["alpha"] = 1.5
    assert _message(raw_params).startswith("p.yaml: defaults.drift.alpha: expected less than 1")


def test_audit_needs_enough_resamples_for_an_interval(raw_params):
    section(raw_params, "price", "audit")["bootstrap"] = 5
    assert _message(raw_params).startswith("p.yaml: price.audit.bootstrap: expected greater "
                                           "than or equal to 20, got 5")


def test_class_names_must_be_distinct(raw_params):
    raw_params["price"]["class_names"] = {0: "low", 1: "low", 2: "high", 3: "top"}
    assert _message(raw_params).startswith("p.yaml: price.class_names: ")
    assert "expected a distinct name for each label value" in _message(raw_params)


@pytest.mark.parametrize("section, message", [
    ({"gbdt": None, "serve_family": "gbdt"},
     ": serve_family: 'gbdt' is not trained (gbdt: null); expected one of ['auto', 'linear', "
     "'network']"),
    ({"serve_family": "forest"}, ".serve_family: expected 'auto', 'linear', 'gbdt' or 'network'"),
    ({"tune": {"metric": "f1_macro"}},
     ": tune.metric: 'f1_macro' must be one of cv.metrics ['accuracy']: the select stage"),
    ({"gbdt": {"search_space": {"depth": {"type": "int", "low": 1, "high": 3, "step": 1,
                                          "log": False}}}},
     ": gbdt.search_space names ['depth'], which HistGradientBoosting does not take")])
def test_a_family_that_cannot_be_trained_or_served_is_refused(raw_params, section, message):
    raw_params["iris"].update(section)
    raw_params["iris"]["cv"] = {"metrics": ["accuracy"]}
    assert _message(raw_params).startswith(f"p.yaml: iris{message}")


@pytest.mark.parametrize("model, features, message", [
    ({"kind": "transformer"}, {"text": ["t"]},
     "model.kind 'transformer' with features.text_encoding 'tfidf': a transformer reads word "
     "ids (tokens)"),
    ({}, {"text": ["t"], "text_encoding": "tokens"},
     "model.kind 'mlp' with features.text_encoding 'tokens'"),
    ({"kind": "transformer"}, {"text": ["t", "u"], "text_encoding": "tokens"},
     "model.kind transformer reads one free-text column, got features.text ['t', 'u']")])
def test_a_transformer_without_one_text_column_s_word_ids_is_refused(raw_params, model,
                                                                     features, message):
    section(raw_params, "iris", "model").update(model)
    section(raw_params, "iris", "features").update(features)
    assert _message(raw_params).startswith(f"p.yaml: iris: {message}")
