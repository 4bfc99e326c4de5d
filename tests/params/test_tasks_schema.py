"""The ``mnist.tasks`` params section: the repo's values validate, errors name the key."""

from __future__ import annotations

import copy

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import parse_params

from support import repo_params


def _with_tasks(change) -> dict:
    raw = copy.deepcopy(repo_params())
    change(raw["mnist"]["tasks"])
    return raw


def test_the_repo_params_validate():
    tasks = parse_params(repo_params()).project("mnist").tasks
    assert tasks.binary.models and tasks.multiclass.models and tasks.mlp.epochs > 0


def test_a_bad_value_is_reported_with_its_key():
    raw = _with_tasks(lambda t: t["binary"].update(target_precision=1.5))
    with pytest.raises(ParamsError, match=r"mnist\.tasks\.binary\.target_precision"):
        parse_params(raw)


def test_a_missing_key_is_reported_with_its_key():
    raw = _with_tasks(lambda t: t["multilabel"]["model"].pop("n_neighbors"))
    with pytest.raises(ParamsError, match=r"multilabel\.model\.n_neighbors: expected this key"):
        parse_params(raw)


def test_a_task_model_states_only_what_differs_from_the_model_defaults():
    """A key a spec leaves out comes from ``defaults.tasks.model_defaults``; a key it states
    wins, for that model only."""
    raw = copy.deepcopy(repo_params())
    raw["defaults"]["tasks"]["model_defaults"]["n_jobs"] = 3
    binary = raw["mnist"]["tasks"]["binary"]["models"]
    binary["random_forest"]["n_jobs"] = 2
    assert "n_jobs" not in binary["sgd"]
    models = parse_params(raw).project("mnist").tasks.binary.models
    assert (models["sgd"].n_jobs, models["random_forest"].n_jobs) == (3, 2)
    assert models["svc"].deskew and not models["sgd"].deskew


def test_a_model_default_of_the_wrong_type_is_named():
    raw = copy.deepcopy(repo_params())
    raw["defaults"]["tasks"]["model_defaults"]["scaler"] = "minmax"
    with pytest.raises(ParamsError, match=r"tasks\.model_defaults\.scaler"):
        parse_params(raw)


def test_augment_and_deskew_together_are_refused():
    raw = _with_tasks(lambda t: t["multilabel"]["model"].update(augment=True, deskew=True))
    with pytest.raises(ParamsError, match="undoes the one-pixel shifts"):
        parse_params(raw)


def test_knn_tuning_is_only_for_the_multiclass_task():
    tune = repo_params()["mnist"]["tasks"]["multiclass"]["models"]["knn"]["tune"]
    raw = _with_tasks(lambda t: t["denoise"]["model"].update(tune=tune))
    with pytest.raises(ParamsError, match="KNN tuning is for the multiclass task"):
        parse_params(raw)


def test_the_mlp_task_states_only_what_differs_from_the_default_network():
    """``mnist.tasks.mlp`` merges over ``defaults.model``; a project that does not state it
    keeps the task off (``defaults.tasks.mlp`` is null)."""
    raw = copy.deepcopy(repo_params())
    assert "optimizer" not in raw["mnist"]["tasks"]["mlp"]
    raw["defaults"]["model"]["optimizer"] = "sgd"
    params = parse_params(raw)
    mlp = params.project("mnist").tasks.mlp
    assert (mlp.optimizer, mlp.units) == ("sgd", raw["mnist"]["tasks"]["mlp"]["units"])
    assert params.project("iris").tasks.mlp is None
