"""The Keras MLP task: a short fit on a few hundred images."""

from __future__ import annotations

import pytest

from dlpipe.params import parse_params
from dlpipe.plots import Figure
from dlpipe.tasks import mlp

from support import repo_params, tiny

SEED = 42


@pytest.fixture(scope="module")
def result(mnist_small):
    spec = parse_params(tiny(repo_params())).project("mnist").tasks.mlp
    return mlp.run_task(*mnist_small, spec, SEED, "mnist")


def test_the_mlp_sits_with_the_multiclass_models(result, value):
    assert set(result.scores["task"]) == {"multiclass"}
    assert set(result.scores["model"]) == {"keras_mlp"}
    assert value(result.scores, "keras_mlp", "test", "accuracy") > 0.5
    assert value(result.scores, "keras_mlp", "test", "roc_auc_ovr") > 0.8
    assert result.metrics["keras_mlp"]["test"]["accuracy"] == value(
        result.scores, "keras_mlp", "test", "accuracy")


def test_learning_curves_follow_the_history(result):
    history = result.tables["history.csv"]
    assert result.info["epochs"] == len(history) >= 1
    assert {"epoch", "accuracy", "val_accuracy", "loss", "val_loss"} <= set(history.columns)
    assert isinstance(result.figures["learning_curves.png"], Figure)
