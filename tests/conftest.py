"""Shared fixtures: the repo's params as a dict, a tiny variant of it, small frames, and the tiny
project "pets" (pets.py) trained by the real preprocess and train nodes and written as its
bundle by the real catalog (one per test session)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlpipe.frames import with_target
from dlpipe.pipeline.runner import keep_out_of_collections
from pets import PROJECT, TARGET, raw_rows
from support import (SHARED_DATA, decision_params, feature_params, repo_params, tiny,
                     train_bundle)


def pytest_collection_finish(session):
    """What collection left alive (the test modules and the libraries they import, TensorFlow
    among them) lives for the session: kept out of the collector's reach, as a stage job keeps
    its imports, so that a full collection (each tuning trial ends with one) scans only what
    the tests made since."""
    keep_out_of_collections()


@pytest.fixture(scope="session", autouse=True)
def jax_compilation_cache(tmp_path_factory):
    """The JAX jobs of this session (and the processes tests start) share a compilation cache
    of their own, empty at the start: the first compilation of each step is a fresh one, and the
    tests comparing two runs bit for bit compare a cached step with it."""
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(tmp_path_factory.mktemp("jax-cache"))


@pytest.fixture
def raw_params() -> dict:
    return repo_params()


@pytest.fixture
def tiny_raw() -> dict:
    return tiny(repo_params())


@pytest.fixture
def write_params(tmp_path):
    def write(raw: dict, name: str = "params.yaml") -> Path:
        target = tmp_path / name
        target.write_text(yaml.safe_dump(raw, sort_keys=False))
        return target

    return write


@pytest.fixture
def three_class_frame() -> pd.DataFrame:
    """60 rows, 2 features, 3 balanced classes; class k is centred at (k, -k)."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    X = np.column_stack([y + rng.normal(0, 0.3, 60), -y + rng.normal(0, 0.3, 60)])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "target": y.astype(np.int64)})


@pytest.fixture
def mirror() -> Path:
    if not (SHARED_DATA / "mobile_price.csv").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA} (set DLPIPE_DATA_MIRROR)")
    return SHARED_DATA


@dataclass
class Trained:
    root: Path  # holds models/pets/
    model: object  # as fitted, before saving
    transformer: object
    train: pd.DataFrame  # the interim training part (label in "target")
    test: pd.DataFrame


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    from dlpipe.bundle import files as bundle_files
    from dlpipe.pipeline import catalog

    table = with_target(raw_rows(), TARGET, "pets.csv")
    train_part, test_part = table.iloc[:72].reset_index(drop=True), table.iloc[72:].reset_index(
        drop=True)
    bundle = train_bundle(train_part, test_part, feature_params(drop=["id"]), TARGET, PROJECT,
                          units=8, epochs=5, patience=2, learning_rate=0.05)
    root = tmp_path_factory.mktemp("repo")
    catalog.write(root / "models" / PROJECT, bundle, manifest=True)
    return Trained(root, bundle[bundle_files.MODEL], bundle[bundle_files.TRANSFORMER],
                   train_part, test_part)


@pytest.fixture
def rows() -> pd.DataFrame:
    """Fresh rows in the user's layout (ID and label columns included), none of them bad."""
    frame = raw_rows(12, seed=7)
    return frame.assign(size=frame["size"].fillna(1.0), colour=frame["colour"].fillna("red"))


@pytest.fixture(scope="session")
def diabetes_bundle(tmp_path_factory):
    """A numeric target's bundle, made by the real preprocess and train nodes from
    scikit-learn's diabetes table (350 training rows, 92 test rows) and written by the catalog
    as project "diabetes": (root, the train outputs, train part, test part)."""
    from sklearn.datasets import load_diabetes

    from dlpipe.params import CVParams, KerasModel
    from dlpipe.pipeline import catalog
    from dlpipe.stages.preprocess import preprocess
    from dlpipe.stages.train import train

    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": "progression"})
    table = with_target(frame, "progression", "diabetes.csv", values=True)
    train_part, test_part = table.iloc[:350].reset_index(drop=True), table.iloc[350:].reset_index(
        drop=True)
    features = feature_params(scaler="standard")
    prepared = preprocess(train_part, test_part, features)
    spec = {**repo_params()["defaults"]["model"], "units": 16, "learning_rate": 0.01,
            "patience": 20}
    out = train(train_part, prepared["train"], prepared["transformer"], prepared["names"],
                {"model": KerasModel.model_validate(spec).model_dump()}, seed=0,
                features=features, cv=CVParams(folds=3, method="shuffled",
                                               max_rows=None, metrics=["rmse", "r2"]),
                decision=decision_params(), target="progression", project="diabetes")
    root = tmp_path_factory.mktemp("repo")
    catalog.write(root / "models" / "diabetes", out["bundle"], manifest=True)
    return root, out, train_part, test_part
