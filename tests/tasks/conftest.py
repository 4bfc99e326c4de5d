from __future__ import annotations

import copy

import numpy as np
import pytest

from dlpipe.params.loading import merged, with_task_network
from dlpipe.params.tasks import TasksParams
from dlpipe.plots import plt

from support import SHARED_DATA, repo_params

MNIST = SHARED_DATA / "mnist_784.npz"
N_TRAIN, N_TEST = 1200, 300


@pytest.fixture(scope="session")
def mnist_small():
    """A few hundred real images: the first rows of the training part and of the test part."""
    if not MNIST.exists():
        pytest.skip(f"{MNIST} not available")
    with np.load(MNIST) as data:
        X, y = data["X"], data["y"].astype(np.int64)
        return (X[:N_TRAIN].copy(), y[:N_TRAIN].copy(), X[60000:60000 + N_TEST].copy(),
                y[60000:60000 + N_TEST].copy())


def shrink(tasks: dict) -> dict:
    """The tasks section shrunk for tests: every model on all (few) rows on one core, small
    forests, a short KNN search."""
    def model(spec: dict) -> dict:
        spec = dict(spec, train_rows=None, n_jobs=1)
        if spec.get("kind") == "random_forest":
            spec["n_estimators"] = 30
        if spec.get("tune"):
            spec["tune"] = dict(spec["tune"], n_trials=4, rows=600)
        return spec

    tasks = copy.deepcopy(tasks)
    for task in ("binary", "multiclass"):
        tasks[task]["models"] = {n: model(s) for n, s in tasks[task]["models"].items()}
    for task in ("multilabel", "denoise"):
        tasks[task]["model"] = model(tasks[task]["model"])
    return tasks


@pytest.fixture(scope="session")
def tasks_raw() -> dict:
    """The ``mnist.tasks`` section of the repo's params, merged over ``defaults`` as the loader
    merges it (``model_defaults``, the MLP over ``defaults.model``)."""
    raw = repo_params()
    return merged(with_task_network(raw["defaults"], raw["mnist"]),
                  raw["mnist"])["tasks"]


@pytest.fixture(scope="session")
def cfg(tasks_raw) -> TasksParams:
    return TasksParams.model_validate(shrink(tasks_raw))


@pytest.fixture(autouse=True)
def close_figures():
    """Tasks return open figures; whoever saves them closes them, here the test."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def value():
    """``value(table, model, split, metric)``: the one number of that score row."""
    def lookup(table, model: str, split: str, metric: str) -> float:
        hit = table[(table["model"] == model) & (table["split"] == split)
                    & (table["metric"] == metric)]
        assert len(hit) == 1, (model, split, metric)
        return float(hit["value"].iloc[0])

    return lookup
