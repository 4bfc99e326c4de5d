"""A repository with the small CSV project pets: its file, its section as ``dlpipe add`` writes
it, its bundle and drift reference, and 60 served rows in its prediction log."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from dlpipe.bundle.inference import load_bundle
from dlpipe.cli import main
from dlpipe.insight.drift import build_reference
from dlpipe.params import DriftParams
from dlpipe.pipeline import catalog
from pets import PROJECT, TARGET as PETS_TARGET, raw_rows
from support import repo_params

@pytest.fixture
def repo(trained, tmp_path, monkeypatch, capsys):
    """A repository with project pets (its CSV file, its section written by ``dlpipe add``,
    its bundle) and 60 rows predicted with ``--log`` and labelled: the request id."""
    monkeypatch.chdir(tmp_path)
    raw = repo_params()
    raw["retrain"]["min_rows"] = 5
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (tmp_path / "data/external").mkdir(parents=True)
    raw_rows().to_csv("data/external/pets.csv", index=False)
    assert main(["add", PROJECT, "--file", "data/external/pets.csv", "--target", PETS_TARGET,
                 "--drop", "id"]) == 0
    shutil.copytree(trained.root / "models" / PROJECT, tmp_path / "models" / PROJECT)
    drift = DriftParams.model_validate(raw["defaults"]["drift"])
    files = build_reference(load_bundle(PROJECT, tmp_path), trained.train, trained.test, 0,
                            drift)
    catalog.write(tmp_path / "models" / f"{PROJECT}-reference", files, manifest=True)
    served = raw_rows(60, seed=3)
    served.drop(columns=[PETS_TARGET]).to_csv("served.csv", index=False)
    assert main(["predict", PROJECT, "--input", "served.csv", "--output", "out.csv",
                 "--ignore", "id", "--log"]) == 0
    request = capsys.readouterr().out.split("logged as request ")[1].split()[0]
    pd.DataFrame({"id": request, "row": range(60), "label": served[PETS_TARGET]}).to_csv(
        "labels.csv", index=False)
    return tmp_path


