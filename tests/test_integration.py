"""The MNIST study (images, many classes, the scikit-learn tasks) on tiny params through Snakemake
AND `dvc repro`, in temporary git repos: both front ends produce identical results, a second run
has nothing to do, the plots and the report render, an edited module makes exactly the jobs
that import it stale, `dvc push` / `dvc pull` restore data and models, and the standard clients
answer what `predict` gives. The README tour's projects run in
test_integration_tour.py, beside this file on the other core.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from frontends import (env_of, results, served, served_test, sh, stages_named,
                       stale_after_editing, triton_inputs)
from frontends import dvc_repo, runs, snakemake_repo  # noqa: F401  (fixtures: this file's run)

pytestmark = pytest.mark.slow
PROJECTS = ("mnist",)
MADE_BY = ()  # the study's project is in params.yaml already


def test_snakemake_second_run_has_nothing_to_do(snakemake_repo):
    assert "Nothing to be done" in sh("snakemake", "-n", "--cores", "2", cwd=snakemake_repo)
    for project in PROJECTS:
        metrics = json.loads((snakemake_repo / f"reports/{project}/metrics.json").read_text())
        assert set(metrics["test"]) >= {"accuracy", "f1_macro"}
        assert (snakemake_repo / f"logs/{project}/train.log").read_text().count("done in") == 1
        assert (snakemake_repo / f"benchmarks/{project}/tune.tsv").exists()


def test_dvc_second_run_has_nothing_to_do(dvc_repo):
    assert "Data and pipelines are up to date" in sh("dvc", "repro", cwd=dvc_repo)
    assert "up to date" in sh("dvc", "status", cwd=dvc_repo)


def test_both_front_ends_give_identical_results(snakemake_repo, dvc_repo):
    assert results(snakemake_repo) == results(dvc_repo)


def test_dvc_plots_render_every_declared_plot(dvc_repo):
    shown = json.loads(subprocess.run(["dvc", "plots", "show", "--json"], cwd=dvc_repo,
                                      env=env_of(dvc_repo), capture_output=True, text=True,
                                      check=True).stdout)
    assert not shown.get("errors"), shown["errors"]
    names = set(shown["data"])
    assert "reports/mnist/plots/metric.csv" in names and "reports/mnist/binary/pr.csv" in names
    assert any(name.endswith("figures/confusion.png") for name in names)


def test_snakemake_report_has_the_figures(snakemake_repo):
    sh("snakemake", "--report", "report.html", "--cores", "1", cwd=snakemake_repo)
    html = (snakemake_repo / "report.html").read_text(errors="replace")
    assert "confusion.png" in html and "learning_curves.png" in html
    assert "Optuna optimisation history" in html  # the tune stage's own caption


def test_dvc_push_then_pull_restores_data_and_models(dvc_repo):
    sh("dvc", "push", cwd=dvc_repo)
    for gone in ("data/raw", "data/processed", "models"):
        shutil.rmtree(dvc_repo / gone)
    shutil.rmtree(dvc_repo / ".dvc" / "cache")
    sh("dvc", "pull", cwd=dvc_repo)
    assert (dvc_repo / "models/mnist/schema.json").exists()
    assert (dvc_repo / "models/mnist-network/model.keras").exists()
    assert (dvc_repo / "data/raw/mnist.parquet").exists()
    assert "up to date" in sh("dvc", "status", cwd=dvc_repo)


def test_predict_with_the_bundles_of_the_run(snakemake_repo, tmp_path):
    """Each bundle predicts its project's test part as given (label column included) as its
    family was scored; MNIST's schema marks its columns as 28x28 images."""
    for project in PROJECTS:
        output = tmp_path / f"{project}.csv"
        sh(sys.executable, "-m", "dlpipe", "predict", project, "--input",
           f"data/interim/{project}/test.parquet", "--output", str(output), cwd=snakemake_repo)
        predicted = pd.read_csv(output, dtype={"label": str})
        truth = pd.read_parquet(snakemake_repo / f"data/interim/{project}/test.parquet")["target"]
        assert len(predicted) == len(truth)
        accuracy = (predicted["label"] == truth.astype(str).to_numpy()).mean()
        assert accuracy == pytest.approx(served_test(snakemake_repo, project)["accuracy"],
                                         abs=1 / len(truth))
    schema = json.loads((snakemake_repo / "models/mnist/schema.json").read_text())
    assert schema["image_shape"] == [28, 28, 1] and schema["input_width"] == 784
    assert [c["name"] for c in schema["columns"]] == [f"pixel{k}" for k in range(1, 785)]


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(snakemake_repo,
                                                                        tmp_path):
    """Over a real socket, on each project's whole test part: ``tritonclient.http`` called the
    way its examples do (inputs from numpy in binary, answers in binary) and with JSON both
    ways, and a TF-Serving client as its REST docs write one, answer with the labels and
    probabilities of ``dlpipe predict``."""
    import requests
    import tritonclient.http as triton

    url, server = served(snakemake_repo, PROJECTS)
    client = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=120)
    try:
        for project in PROJECTS:
            test = snakemake_repo / f"data/interim/{project}/test.parquet"
            features = pd.read_parquet(test).drop(columns="target")
            sh(sys.executable, "-m", "dlpipe", "predict", project, "--input", str(test),
               "--output", str(tmp_path / f"{project}.csv"), cwd=snakemake_repo)
            predicted = pd.read_csv(tmp_path / f"{project}.csv", dtype={"label": str})
            instances = (features.to_numpy().tolist() if project == "mnist"
                         else json.loads(features.to_json(orient="records")))
            answer = requests.post(f"{url}/v1/models/{project}:predict", timeout=120,
                                   data=json.dumps({"signature_name": "serving_default",
                                                    "instances": instances}))
            answer.raise_for_status()
            labels = predicted["label"].tolist()
            proba = predicted.filter(like="proba_").to_numpy(np.float32)
            for binary in (True, False):
                outputs = [triton.InferRequestedOutput(name, binary_data=binary)
                           for name in ("label", "probabilities")]
                result = client.infer(project, triton_inputs(client, project, features, binary),
                                      outputs=None if binary else outputs)
                assert [str(v, "utf-8") if isinstance(v, bytes) else v
                        for v in result.as_numpy("label")] == labels, (project, binary)
                assert np.array_equal(result.as_numpy("probabilities"), proba), (project, binary)
            assert [p["label"] for p in answer.json()["predictions"]] == labels, project
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def test_editing_a_module_a_stage_imports_makes_exactly_its_jobs_stale(snakemake_repo, dvc_repo):
    """The explain node draws its figures with insight/figures.py: an edit of it makes every
    explain job (and only those, with what consumes them) out of date under both front ends.
    DVC sees the edit in the package directory, the code stage's dependency; that stage writes
    every stage's code digest; once it and ``resolve`` (which copies each into the stage's
    params file) have run, exactly the explain jobs' files differ."""
    explains = {f"explain@{project}" for project in PROJECTS}
    edited, recomputed, stale = stale_after_editing(
        dvc_repo, "insight/figures.py", ("dvc", "status"),
        ("dvc", "repro", "--glob", "resolve@*"), ("dvc", "status"))
    assert stages_named(edited) == {"code"}, edited
    assert "modified:           src/dlpipe\n" in edited  # the code stage's one dependency
    assert "Running stage 'code'" in recomputed and "Running stage 'resolve@mnist'" in recomputed
    assert stages_named(stale) == explains, stale
    assert f"reports/{PROJECTS[-1]}/params/explain.json" in stale  # its digest's file
    sh("dvc", "repro", "--glob", "resolve@*", cwd=dvc_repo)  # the digests as they are again
    assert "Data and pipelines are up to date" in sh("dvc", "status", cwd=dvc_repo)
    [plan] = stale_after_editing(snakemake_repo, "insight/figures.py", ("snakemake", "-n"))
    table = plan.split("Job stats:")[1].split("total")[0]
    rows = [line.split() for line in table.splitlines()]
    counts = {row[0]: row[1] for row in rows
              if len(row) == 2 and row[1].isdigit() and row[0] not in ("all", "total")}
    assert counts.get("explain") == str(len(PROJECTS)), plan
    assert set(counts) <= {"code", "resolve", "explain", "audit", "model_table", "report"}, plan
