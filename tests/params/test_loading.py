"""params.yaml validation: every error path gives one message naming file, key, expected, got."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import load_params, parse_params


def test_repo_params_are_valid(raw_params):
    params = parse_params(raw_params)
    assert params.projects == ["mnist", "iris", "price"]
    assert params.project("iris").split.test_size == 0.2
    assert params.project("iris").cv.folds == 5


def _message(raw) -> str:
    with pytest.raises(ParamsError) as info:
        parse_params(raw, source="p.yaml")
    return str(info.value)


def test_unknown_key_names_its_path(raw_params):
    raw_params["iris"]["split"]["test_sise"] = 0.2
    message = _message(raw_params)
    assert message.startswith("p.yaml: iris.split.test_sise: expected no such key")
    assert "got 0.2" in message


def test_wrong_type(raw_params):
    raw_params["iris"]["cv"]["folds"] = "five"
    assert _message(raw_params).startswith("p.yaml: iris.cv.folds: expected a valid integer")


def test_out_of_range(raw_params):
    raw_params["iris"]["split"]["test_size"] = 1.5
    message = _message(raw_params)
    assert "iris.split.test_size" in message and "got 1.5" in message


def test_unknown_project(raw_params):
    raw_params["projects"].append("cifar")
    message = _message(raw_params)
    assert message.startswith("p.yaml: projects: unknown project 'cifar'")


def test_missing_key(raw_params):
    del raw_params["price"]["tune"]["n_trials"]
    assert _message(raw_params) == ("p.yaml: price.tune.n_trials: expected this key (it is "
                                    "required), got nothing")


def test_bad_enum_value(raw_params):
    raw_params["price"]["features"]["scaler"] = "robust"
    message = _message(raw_params)
    assert "price.features.scaler" in message and "'standard'" in message and "'robust'" in message


def test_search_space_must_name_model_keys(raw_params):
    raw_params["iris"]["tune"]["search_space"]["neurons"] = {
        "type": "int", "low": 1, "high": 4, "step": 1, "log": False}
    assert "not model keys" in _message(raw_params)


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="file not found"):
        load_params(tmp_path / "nope.yaml")


def test_invalid_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1,\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)


def test_cli_bad_params_one_line_exit_2_no_output(tmp_path, raw_params, write_params):
    raw_params["iris"]["split"]["test_size"] = -1
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
