"""The README tour's regression project (its sixth step: scikit-learn's diabetes table added
with `dlpipe add`) on tiny params through Snakemake AND `dvc repro`, in temporary git repos:
identical results, nothing to do on a second run, every stage on the values, the standard
clients answering `predict`'s values over a socket, and the tour's run-and-predict block as
written. A file of its own, so it runs beside test_integration.py on the other core.
"""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from test_integration import (_served, _triton_inputs, results, run_front_ends, served_test, sh,
                              tour_blocks)

pytestmark = pytest.mark.slow
PROJECTS = ("diabetes",)
MADE_BY = (5,)  # the tour block that makes it


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return run_front_ends(tmp_path_factory, MADE_BY, PROJECTS)


@pytest.fixture(scope="module")
def snakemake_repo(runs):
    return runs[0]


def test_both_front_ends_give_identical_results_and_have_nothing_left_to_do(runs):
    smk, dvc = runs
    assert results(smk) == results(dvc)
    assert "Nothing to be done" in sh("snakemake", "-n", "--cores", "2", cwd=smk)
    assert "Data and pipelines are up to date" in sh("dvc", "repro", cwd=dvc)


def test_a_regression_project_runs_every_stage_on_its_values(snakemake_repo):
    """The user's numeric target goes from ``dlpipe add`` through every stage: scored by RMSE
    and R² beside its ridge baseline, audited by RMSE per slice, explained by the rise in
    RMSE, its drift reference on predicted values, in the summary."""
    raw = yaml.safe_load((snakemake_repo / "params.yaml").read_text())
    assert raw["diabetes"]["task"] == "regression"
    metrics = json.loads((snakemake_repo / "reports/diabetes/metrics.json").read_text())["test"]
    assert set(metrics) >= {"rmse", "mae", "r2", "mape"} and "accuracy" not in metrics
    baseline = json.loads((snakemake_repo / "reports/diabetes/baseline.json").read_text())
    assert set(baseline["test"]) >= {"rmse", "r2"}
    schema = json.loads((snakemake_repo / "models/diabetes/schema.json").read_text())
    assert schema["classes"] == []
    audit = pd.read_csv(snakemake_repo / "reports/diabetes/audit.csv")
    assert audit["feature"].tolist()[1:3] == ["target", "target"]
    assert audit["score"][0] == pytest.approx(served_test(snakemake_repo, "diabetes")["rmse"],
                                              rel=1e-4)  # the served family's
    selection = json.loads((snakemake_repo / "reports/diabetes/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "gbdt", "network"}
    assert selection["metric"] == "rmse" and selection["direction"] == "minimize"
    explained = json.loads((snakemake_repo / "reports/diabetes/explain/info.json").read_text())
    assert explained["metric"] == "rmse"
    outputs = pd.read_parquet(snakemake_repo / "models/diabetes-reference/outputs.parquet")
    assert list(outputs.columns) == ["value"]
    summary = pd.read_csv(snakemake_repo / "reports/summary.csv")
    diabetes = summary[summary["project"] == "diabetes"]
    assert {"keras_mlp", "keras_mlp_litert_int8", "ridge_regression"} <= set(diabetes["model"])
    assert set(diabetes["task"]) == {"regression", "explain", "audit", "select"}
    assert "hist_gradient_boosting" in set(diabetes["model"])
    assert "| diabetes  | regression | keras_mlp " in (
        snakemake_repo / "reports/summary.md").read_text()


def test_the_standard_clients_get_the_values_predict_gives(snakemake_repo, tmp_path):
    """Over a real socket, on the whole test part: ``tritonclient.http`` with binary and JSON
    tensors and a TF-Serving client get the values of ``dlpipe predict`` (one FP32 output)."""
    import requests
    import tritonclient.http as triton

    test = snakemake_repo / "data/interim/diabetes/test.parquet"
    features = pd.read_parquet(test).drop(columns="target")
    sh(sys.executable, "-m", "dlpipe", "predict", "diabetes", "--input", str(test),
       "--output", str(tmp_path / "values.csv"), cwd=snakemake_repo)
    predicted = pd.read_csv(tmp_path / "values.csv")["value"]
    url, server = _served(snakemake_repo, PROJECTS)
    client = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=120)
    try:
        for binary in (True, False):
            result = client.infer("diabetes", _triton_inputs(client, "diabetes", features,
                                                             binary))
            np.testing.assert_allclose(result.as_numpy("value"), predicted, rtol=1e-6)
        answer = requests.post(f"{url}/v1/models/diabetes:predict", timeout=120, data=json.dumps(
            {"instances": json.loads(features.to_json(orient="records"))}))
        answer.raise_for_status()
        np.testing.assert_allclose([p["value"] for p in answer.json()["predictions"]],
                                   predicted, rtol=1e-6)
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_regression_step_runs_as_written(snakemake_repo, tmp_path):
    """The tour's block after `dlpipe add`: the project's run has nothing left to do, and
    `predict` writes values whose RMSE is the evaluate stage's."""
    repo = tmp_path / "tour"
    shutil.copytree(snakemake_repo, repo, symlinks=True)
    run_it, predict_it = tour_blocks()[6].splitlines()
    assert "Nothing to be done" in sh("bash", "-ec", run_it, cwd=repo)
    sh("bash", "-ec", predict_it, cwd=repo)
    values = pd.read_csv(repo / "values.csv")
    truth = pd.read_parquet(repo / "data/interim/diabetes/test.parquet")["target"]
    rmse = served_test(repo, "diabetes")["rmse"]
    assert list(values.columns) == ["value"] and len(values) == len(truth)
    assert np.sqrt(np.mean((values["value"] - truth) ** 2)) == pytest.approx(rmse, rel=1e-4)
