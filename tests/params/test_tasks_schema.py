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
    raw = _with_tasks(lambda t: t["multilabel"]["model"].pop("n_jobs"))
    with pytest.raises(ParamsError, match=r"multilabel\.model\.n_jobs: expected this key"):
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
