"""``dlpipe retrain`` on iris, its stages really run: rows like the training rows need no
retraining, and a retraining on them (through ``dvc repro``) is not better, so the working
copy is put back exactly; rows of a new population (every length 3 cm larger) drift, and the
retraining on them (through Snakemake) is better on the holdout and promoted, with the data's
new version in params, DVC's records and a promotion record."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris

from dlpipe.io import file_sha256
from frontends import make_repo, run_dlpipe, run_project, sh

pytestmark = pytest.mark.slow

IRIS = load_iris(as_frame=True)
NAMES = np.array(IRIS.target_names)[IRIS.target]
RECORDS = "data/served/iris/retrain.jsonl"


def dlpipe(repo, *args: str) -> tuple[int, str]:
    done = run_dlpipe(repo, *args, timeout=900)
    return done.returncode, done.stdout + done.stderr


def serve_and_label(repo, name: str, rows: pd.DataFrame) -> float:
    """Log ``rows`` as one predicted request, label them with iris's species; the accuracy."""
    rows.to_csv(repo / f"{name}.csv", index=False)
    said = sh(sys.executable, "-m", "dlpipe", "predict", "iris", "--input", f"{name}.csv",
              "--output", f"{name}-out.csv", "--log", cwd=repo)
    request = said.split("logged as request ")[1].split()[0]
    pd.DataFrame({"id": request, "row": range(len(rows)), "label": NAMES}).to_csv(
        repo / f"{name}-labels.csv", index=False)
    sh(sys.executable, "-m", "dlpipe", "feedback", "iris", "--input", f"{name}-labels.csv",
       cwd=repo)
    return float((pd.read_csv(repo / f"{name}-out.csv")["label"] == NAMES).mean())


def state(repo) -> dict[str, str]:
    files = ["params.yaml", "models/iris/.manifest.json", "data/raw/iris.parquet",
             "reports/iris/metrics.json", "reports/code.json"]
    return {name: file_sha256(repo / name) for name in files}


def records(repo) -> list[dict]:
    return [json.loads(line) for line in (repo / RECORDS).read_text().splitlines()]


def nothing_to_do(repo) -> bool:
    said = sh("snakemake", "-n", "--workflow-profile", "profiles/default", "project_iris",
              cwd=repo)
    return "Nothing to be done" in said


def converged(raw: dict) -> None:
    """iris's network trained until early stopping ends it, not the tiny params' two epochs:
    an undertrained champion loses to any retraining with more rows, whatever they hold."""
    raw["iris"]["model"].update(epochs=60, patience=5)


def test_a_model_no_better_is_not_kept_and_a_better_one_is_promoted(tmp_path):
    repo = make_repo(tmp_path / "repo", (), ("iris",), converged)
    run_project(repo, "iris")
    serve_and_label(repo, "like", IRIS.data)
    code, said = dlpipe(repo, "retrain", "iris", "--when-needed")
    assert code == 3 and "iris: no retraining needed" in said and "drift" in said

    before = state(repo)
    code, said = dlpipe(repo, "retrain", "iris", "--runner", "dvc")
    assert code == 3 and "iris: kept" in said, said
    assert "dlpipe preload: job server" in said  # its jobs forked, as `make repro` runs them
    assert state(repo) == before and not (repo / "dvc.lock").exists()
    assert nothing_to_do(repo)
    kept = records(repo)[-1]
    assert kept["decision"] == "kept" and kept["runner"] == "dvc" and kept["appended"] == []
    assert kept["comparison"]["design"] == "paired"

    larger = IRIS.data + 3.0 + np.random.default_rng(0).normal(0, 0.1, IRIS.data.shape)
    served_accuracy = serve_and_label(repo, "larger", larger)
    assert served_accuracy < 0.5
    code, said = dlpipe(repo, "retrain", "iris", "--when-needed")
    assert code == 0 and "iris: retraining: drift in the latest 300 served rows: found" in said
    promoted = records(repo)[-1]
    assert promoted["decision"] == "promoted" and promoted["runner"] == "snakemake"
    assert promoted["comparison"]["decision"] == "challenger better"
    assert promoted["served_version"] == kept["served_version"] != promoted[
        "candidate_version"]
    # every labelled row outside the holdout is added, the kept run's too
    assert len(promoted["appended"]) == 300 - promoted["holdout_rows"]
    section = yaml.safe_load((repo / "params.yaml").read_text())["iris"]
    assert section["data"]["path"] == "data/retrain/iris.csv"
    assert section["data"]["sha256"] == promoted["data"]["new_sha256"]
    assert section["class_names"] == {0: "setosa", 1: "versicolor", 2: "virginica"}
    assert (repo / "data/retrain/iris.csv.dvc").is_file()
    assert nothing_to_do(repo)
    assert "@iris" not in sh("dvc", "status", cwd=repo)
    again = sh(sys.executable, "-m", "dlpipe", "predict", "iris", "--input", "larger.csv",
               "--output", "again.csv", cwd=repo)
    assert "wrote" in again and (pd.read_csv(repo / "again.csv")["label"] == NAMES).mean() > \
        served_accuracy + 0.2
