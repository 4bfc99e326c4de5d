from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from dlpipe.params.tasks import StudyParams, parse_study

from support import ROOT, SHARED_DATA

MNIST = SHARED_DATA / "mnist_784.npz"
DEFAULTS = ROOT / "params.yaml"  # the study section of the real params, shrunk below
N_TRAIN, N_TEST = 1200, 300


@pytest.fixture(scope="session")
def mnist_small():
    """A few hundred real images: the first rows of the training part and of the test part."""
    if not MNIST.exists():
        pytest.skip(f"{MNIST} not available")
    with np.load(MNIST) as data:
        X, y = data["X"], data["y"]
        return (X[:N_TRAIN].copy(), y[:N_TRAIN].copy(), X[60000:60000 + N_TEST].copy(),
                y[60000:60000 + N_TEST].copy())


def small(raw: dict) -> StudyParams:
    """The default study config shrunk for tests: tiny tuning, every model on all (few) rows."""
    def shrink(spec: dict) -> dict:
        spec = dict(spec, train_rows=None, n_jobs=1)
        if spec.get("kind") == "random_forest":
            spec["n_estimators"] = 30
        if spec.get("tune"):
            spec["tune"] = dict(spec["tune"], n_trials=4, rows=600)
        return spec

    raw = yaml.safe_load(yaml.safe_dump(raw))
    for task in ("binary", "multiclass"):
        raw[task]["models"] = {n: shrink(s) for n, s in raw[task]["models"].items()}
    for task in ("multilabel", "denoise"):
        raw[task]["model"] = shrink(raw[task]["model"])
    return parse_study(raw)


@pytest.fixture(scope="session")
def defaults_raw() -> dict:
    return yaml.safe_load(DEFAULTS.read_text())["mnist"]["study"]


@pytest.fixture(scope="session")
def cfg(defaults_raw) -> StudyParams:
    return small(defaults_raw)
