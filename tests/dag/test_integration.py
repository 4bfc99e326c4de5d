"""The MNIST study (images, many classes, the scikit-learn tasks) and the README tour's numeric
target (scikit-learn's diabetes, made by the tour's regression block as written) on tiny params,
run as `make run` runs them in a temporary git repo (the diabetes network on PyTorch): Snakemake
runs every job (forked by the job server), DVC records the outputs. A second run has nothing to do under either front
end, the plots and the report render, an edited module makes exactly the jobs that import it
stale under both, every stage runs on the values of the numeric target and the tour's
regression step works as written, a changed default re-runs exactly the project that
inherits it and an experiment with fewer projects needs no re-render, `dvc push` / `dvc pull`
restore data and models, and the standard clients answer what `predict` gives. The tour's
first project runs the same way in test_integration_tour.py; both front ends running the same
jobs to the same numbers is test_integration_front_ends.py's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from frontends import (clients_answer_as_predict, committed_copy, env_of, ran_stages, served,
                       served_test, sh, stages_named, stale_after_editing, tour_blocks,
                       triton_inputs)
from frontends import recorded_repo  # noqa: F401  (the fixture: this file's run)

pytestmark = pytest.mark.slow
PROJECTS = ("mnist", "diabetes")
# the tour's regression block (diabetes), then the user moves its network to PyTorch
TORCH = """python -c "import yaml; raw = yaml.safe_load(open('params.yaml')); \
raw['diabetes'].setdefault('model', {})['backend'] = 'torch'; \
open('params.yaml', 'w').write(yaml.safe_dump(raw, sort_keys=False))"
"""
MADE_BY = (5, TORCH)


def test_snakemake_second_run_has_nothing_to_do(recorded_repo):
    assert "Nothing to be done" in sh("snakemake", "-n", "--cores", "2", cwd=recorded_repo)
    for project in PROJECTS:
        metrics = json.loads((recorded_repo / f"reports/{project}/metrics.json").read_text())
        assert set(metrics["test"]) >= ({"accuracy", "f1_macro"} if project == "mnist" else {"r2"})
        assert (recorded_repo / f"logs/{project}/train.log").read_text().count("done in") == 1
        assert (recorded_repo / f"benchmarks/{project}/tune.tsv").exists()


def test_make_run_forks_every_job_but_the_ones_training_on_pytorch(recorded_repo):
    """`make run` runs Snakemake under the job server: every job is forked from it but the
    diabetes network's tuning and fits, which train on PyTorch in processes of their own."""
    logs = {path.relative_to(recorded_repo / "logs").as_posix(): path.read_text()
            for path in (recorded_repo / "logs").rglob("*.log")}
    alone = {name for name, text in logs.items() if "forked by the job server" not in text}
    assert len(logs) > 40
    assert {"diabetes/train.log", "diabetes/tune_worker-0.log"} <= alone
    assert alone <= {"diabetes/train.log", "diabetes/mlp.log",
                     *(name for name in logs if name.startswith("diabetes/tune_worker-"))}


def test_dvc_second_run_has_nothing_to_do(recorded_repo):
    """`make run` leaves DVC a lock of every stage that matches the outputs."""
    assert "Data and pipelines are up to date" in sh("dvc", "repro", cwd=recorded_repo)
    assert "up to date" in sh("dvc", "status", cwd=recorded_repo)
    locked = set(yaml.safe_load((recorded_repo / "dvc.lock").read_text())["stages"])
    assert {"code", "report", "train@mnist", "explain@mnist", "multiclass@mnist"} <= locked


def test_dvc_plots_render_every_declared_plot(recorded_repo):
    shown = json.loads(subprocess.run(["dvc", "plots", "show", "--json"], cwd=recorded_repo,
                                      env=env_of(recorded_repo), capture_output=True, text=True,
                                      check=True).stdout)
    assert not shown.get("errors"), shown["errors"]
    names = set(shown["data"])
    assert "reports/mnist/plots/metric.csv" in names and "reports/mnist/binary/pr.csv" in names
    assert any(name.endswith("figures/confusion.png") for name in names)


def test_snakemake_report_has_the_figures(recorded_repo):
    sh("snakemake", "--report", "report.html", "--cores", "1", cwd=recorded_repo)
    html = (recorded_repo / "report.html").read_text(errors="replace")
    assert "confusion.png" in html and "learning_curves.png" in html
    assert "Optuna optimisation history" in html  # the tune stage's own caption


def test_predict_with_the_bundles_of_the_run(recorded_repo, tmp_path):
    """Each bundle predicts its project's test part as given (label column included) as its
    family was scored; MNIST's schema marks its columns as 28x28 images."""
    for project in ("mnist",):
        output = tmp_path / f"{project}.csv"
        sh(sys.executable, "-m", "dlpipe", "predict", project, "--input",
           f"data/interim/{project}/test.parquet", "--output", str(output), cwd=recorded_repo)
        predicted = pd.read_csv(output, dtype={"label": str})
        truth = pd.read_parquet(recorded_repo / f"data/interim/{project}/test.parquet")["target"]
        assert len(predicted) == len(truth)
        accuracy = (predicted["label"] == truth.astype(str).to_numpy()).mean()
        assert accuracy == pytest.approx(served_test(recorded_repo, project)["accuracy"],
                                         abs=1 / len(truth))
    schema = json.loads((recorded_repo / "models/mnist/schema.json").read_text())
    assert schema["image_shape"] == [28, 28, 1] and schema["input_width"] == 784
    assert [c["name"] for c in schema["columns"]] == [f"pixel{k}" for k in range(1, 785)]


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(recorded_repo,
                                                                        tmp_path):
    """Over a real socket, on each project's whole test part: ``tritonclient.http`` called the
    way its examples do (inputs from numpy in binary, answers in binary) and with JSON both
    ways, and a TF-Serving client as its REST docs write one, answer with the labels and
    probabilities of ``dlpipe predict``."""
    import requests
    import tritonclient.http as triton

    url, server = served(recorded_repo, ("mnist",))
    client = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=120)
    try:
        for project in ("mnist",):
            test = recorded_repo / f"data/interim/{project}/test.parquet"
            features = pd.read_parquet(test).drop(columns="target")
            sh(sys.executable, "-m", "dlpipe", "predict", project, "--input", str(test),
               "--output", str(tmp_path / f"{project}.csv"), cwd=recorded_repo)
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


def test_the_standard_clients_get_the_values_predict_gives(recorded_repo, tmp_path):
    """The numeric target's one FP32 output, to the same clients."""
    clients_answer_as_predict(recorded_repo, ("diabetes",), tmp_path)


def test_editing_a_module_a_stage_imports_makes_exactly_its_jobs_stale(recorded_repo):
    """The explain node draws its figures with insight/figures.py: an edit of it makes every
    explain job (and only those, with what consumes them) out of date under both front ends.
    DVC sees the edit in the package directory, the code stage's dependency; that stage writes
    every stage's code digest; once it and ``resolve`` (which copies each into the stage's
    params file) have run, exactly the explain jobs' files differ."""
    explains = {f"explain@{project}" for project in PROJECTS}
    edited, recomputed, stale = stale_after_editing(
        recorded_repo, "insight/figures.py", ("dvc", "status"),
        ("dvc", "repro", "--glob", "resolve@*"), ("dvc", "status"))
    assert stages_named(edited) == {"code"}, edited
    assert "modified:           src/dlpipe\n" in edited  # the code stage's one dependency
    assert "Running stage 'code'" in recomputed and "Running stage 'resolve@mnist'" in recomputed
    assert stages_named(stale) == explains, stale
    assert f"reports/{PROJECTS[-1]}/params/explain.json" in stale  # its digest's file
    sh("dvc", "repro", "--glob", "resolve@*", cwd=recorded_repo)  # the digests as they are again
    assert "Data and pipelines are up to date" in sh("dvc", "status", cwd=recorded_repo)
    [plan] = stale_after_editing(recorded_repo, "insight/figures.py", ("snakemake", "-n"))
    table = plan.split("Job stats:")[1].split("total")[0]
    rows = [line.split() for line in table.splitlines()]
    counts = {row[0]: row[1] for row in rows
              if len(row) == 2 and row[1].isdigit() and row[0] not in ("all", "total")}
    assert counts.get("explain") == str(len(PROJECTS)), plan
    assert set(counts) <= {"code", "resolve", "explain", "audit", "model_table", "report"}, plan


def test_a_regression_project_runs_every_stage_on_its_values(recorded_repo):
    """The user's numeric target goes from ``dlpipe add`` through every stage: scored by RMSE
    and R² beside its ridge baseline, audited by RMSE per slice, explained by the rise in
    RMSE, its drift reference on predicted values, in the summary."""
    raw = yaml.safe_load((recorded_repo / "params.yaml").read_text())
    assert raw["diabetes"]["task"] == "regression"
    # its network trained on PyTorch (model.backend); TensorFlow evaluated, exported and served it
    assert "Keras backend torch" in (recorded_repo / "logs/diabetes/train.log").read_text()
    fit = json.loads((recorded_repo / "reports/diabetes/fit.json").read_text())
    assert fit["model"]["backend"] == "torch"
    metrics = json.loads((recorded_repo / "reports/diabetes/metrics.json").read_text())["test"]
    assert set(metrics) >= {"rmse", "mae", "r2", "mape"} and "accuracy" not in metrics
    baseline = json.loads((recorded_repo / "reports/diabetes/baseline.json").read_text())
    assert set(baseline["test"]) >= {"rmse", "r2"}
    schema = json.loads((recorded_repo / "models/diabetes/schema.json").read_text())
    assert schema["classes"] == []
    audit = pd.read_csv(recorded_repo / "reports/diabetes/audit.csv")
    assert audit["feature"].tolist()[1:3] == ["target", "target"]
    assert audit["score"][0] == pytest.approx(served_test(recorded_repo, "diabetes")["rmse"],
                                              rel=1e-4)  # the served family's
    selection = json.loads((recorded_repo / "reports/diabetes/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "gbdt", "network"}
    assert selection["metric"] == "rmse" and selection["direction"] == "minimize"
    explained = json.loads((recorded_repo / "reports/diabetes/explain/info.json").read_text())
    assert explained["metric"] == "rmse"
    outputs = pd.read_parquet(recorded_repo / "models/diabetes-reference/outputs.parquet")
    assert list(outputs.columns) == ["value", "actual"]  # the model's, and the true values
    truth = pd.read_parquet(recorded_repo / "data/interim/diabetes/test.parquet")["target"]
    np.testing.assert_array_equal(outputs["actual"], truth)
    summary = pd.read_csv(recorded_repo / "reports/summary.csv")
    diabetes = summary[summary["project"] == "diabetes"]
    assert {"keras_mlp", "keras_mlp_litert_int8", "ridge_regression"} <= set(diabetes["model"])
    assert set(diabetes["task"]) == {"regression", "explain", "audit", "select"}
    assert "hist_gradient_boosting" in set(diabetes["model"])
    assert "| diabetes  | regression | keras_mlp " in (
        recorded_repo / "reports/summary.md").read_text()


def test_the_readme_regression_step_runs_as_written(recorded_repo, tmp_path):
    """The tour's block after `dlpipe add`: the project's run has nothing left to do, and
    `predict` writes values whose RMSE is the evaluate stage's."""
    repo = tmp_path / "tour"
    shutil.copytree(recorded_repo, repo, symlinks=True)
    run_it, predict_it = tour_blocks()[6].splitlines()
    assert "Nothing to be done" in sh("bash", "-ec", run_it, cwd=repo)
    sh("bash", "-ec", predict_it, cwd=repo)
    values = pd.read_csv(repo / "values.csv")
    truth = pd.read_parquet(repo / "data/interim/diabetes/test.parquet")["target"]
    rmse = served_test(repo, "diabetes")["rmse"]
    assert list(values.columns) == ["value"] and len(values) == len(truth)
    assert np.sqrt(np.mean((values["value"] - truth) ** 2)) == pytest.approx(rmse, rel=1e-4)


def test_a_default_change_reruns_exactly_the_projects_that_inherit_it(recorded_repo, tmp_path):
    repo = committed_copy(recorded_repo, tmp_path / "copy")
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    default = raw["defaults"]["audit"]["value_gap"]  # how far a slice's RMSE may rise
    raw["mnist"].setdefault("audit", {})["value_gap"] = default  # states the old value itself
    raw["defaults"]["audit"]["value_gap"] = default / 2
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    ran = ran_stages(sh("dvc", "repro", cwd=repo))
    assert "audit@diabetes" in ran and "audit@mnist" not in ran
    assert not {stage for stage in ran if stage.startswith(("train@", "tune", "evaluate@",
                                                            "baseline@", "select@"))}
    assert "defaults.audit.value_gap" in sh("dvc", "params", "diff", cwd=repo)


def test_dvc_experiment_with_fewer_projects_needs_no_re_render(recorded_repo, tmp_path):
    repo = committed_copy(recorded_repo, tmp_path / "copy")
    out = sh("dvc", "exp", "run", "-S", "projects=[diabetes]", cwd=repo)
    # resolve runs on any edit of params.yaml: its file for each stage is unchanged
    assert ran_stages(out) == {"report", "resolve@diabetes"}, out
    summary = pd.read_csv(repo / "reports/summary.csv")
    assert set(summary["project"]) == {"diabetes"}


def test_dvc_push_then_pull_restores_data_and_models(recorded_repo):
    """(Last in the file: the outputs come back out of DVC's cache.)"""
    sh("dvc", "push", cwd=recorded_repo)
    for gone in ("data/raw", "data/processed", "models"):
        shutil.rmtree(recorded_repo / gone)
    shutil.rmtree(recorded_repo / ".dvc" / "cache")
    sh("dvc", "pull", cwd=recorded_repo)
    assert (recorded_repo / "models/mnist/schema.json").exists()
    assert (recorded_repo / "models/mnist-network/model.keras").exists()
    assert (recorded_repo / "data/raw/mnist.parquet").exists()
    assert "up to date" in sh("dvc", "status", cwd=recorded_repo)
