"""The tiny project "pets" (pets.py) trained by the real preprocess and train nodes and written
as its bundle by the real catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from dlpipe.frames import with_target
from pets import CLASSES, PROJECT, TARGET, raw_rows
from support import decision_params, feature_params, repo_params


@dataclass
class Trained:
    root: Path  # holds models/pets/
    model: object  # as fitted, before saving
    transformer: object
    train: pd.DataFrame  # the interim training part (label in "target")
    test: pd.DataFrame


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    from dlpipe.params import CVParams, KerasModel
    from dlpipe.pipeline import catalog
    from dlpipe.serving import store
    from dlpipe.stages.preprocess import preprocess
    from dlpipe.stages.train import train

    table = with_target(raw_rows(), TARGET, "pets.csv")
    train_part, test_part = table.iloc[:72].reset_index(drop=True), table.iloc[72:].reset_index(
        drop=True)
    features = feature_params(drop=["id"])
    prepared = preprocess(train_part, test_part, features)
    spec = {**repo_params()["defaults"]["model"], "units": 8, "epochs": 5, "patience": 2,
            "learning_rate": 0.05}
    out = train(train_part, prepared["train"], prepared["transformer"], prepared["names"],
                {"model": KerasModel.model_validate(spec).model_dump()}, seed=0,
                features=features, cv=CVParams(folds=2, max_rows=None, metrics=["accuracy"]),
                decision=decision_params(), target=TARGET, project=PROJECT)
    root = tmp_path_factory.mktemp("repo")
    catalog.write(root / "models" / PROJECT, out["bundle"], manifest=True)
    return Trained(root, out["bundle"][store.MODEL], out["bundle"][store.TRANSFORMER],
                   train_part, test_part)


@pytest.fixture
def rows() -> pd.DataFrame:
    """Fresh rows in the user's layout (ID and label columns included), none of them bad."""
    frame = raw_rows(12, seed=7)
    return frame.assign(size=frame["size"].fillna(1.0), colour=frame["colour"].fillna("red"))
