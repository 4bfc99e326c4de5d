"""The README tour's projects on tiny params through Snakemake AND `dvc repro`, in temporary git
repos: a two-class table (scikit-learn's breast cancer, the tour's first block) and a numeric
target (scikit-learn's diabetes, its sixth step), each added with `dlpipe add` as written.
Checks: both front ends produce identical results; a second run has nothing to do; a default
change and an experiment with fewer projects re-run exactly the jobs they should; every stage runs on the values of a numeric target; curl and the standard clients
answer what `predict` gives over a socket; the tour's commands work as written.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from frontends import (answers, back_to_the_committed_run, ran_stages, results, serve, served,
                       served_test, sh, tour_blocks, triton_inputs)
from frontends import dvc_repo, runs, snakemake_repo  # noqa: F401  (fixtures: this file's run)

pytestmark = pytest.mark.slow
# a two-class table and a numeric target, added as the tour adds them
PROJECTS = ("cancer", "diabetes")
MADE_BY = (0, 5)  # the tour blocks that make them


def test_dvc_warns_of_no_empty_output(dvc_repo):
    """A task the project leaves out still writes a note in its figures directory."""
    output = (dvc_repo.parent / f"{dvc_repo.name}.out").read_text()
    assert "Running stage 'binary@cancer'" in output
    assert "is empty" not in output, output


def test_a_default_change_reruns_exactly_the_projects_that_inherit_it(dvc_repo):
    raw = yaml.safe_load((dvc_repo / "params.yaml").read_text())
    default = raw["defaults"]["audit"]["value_gap"]  # how far a slice's RMSE may rise
    raw["cancer"]["audit"]["value_gap"] = default  # cancer states the old value itself
    raw["defaults"]["audit"]["value_gap"] = default / 2
    (dvc_repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    ran = ran_stages(sh("dvc", "repro", cwd=dvc_repo))
    assert "audit@diabetes" in ran and "audit@cancer" not in ran
    assert not {stage for stage in ran if stage.startswith(("train@", "tune", "evaluate@",
                                                            "baseline@", "select@"))}
    assert "defaults.audit.value_gap" in sh("dvc", "params", "diff", cwd=dvc_repo)
    back_to_the_committed_run(dvc_repo)


def test_dvc_experiment_with_fewer_projects_needs_no_re_render(dvc_repo):
    out = sh("dvc", "exp", "run", "-S", "projects=[cancer]", cwd=dvc_repo)
    # resolve runs on any edit of params.yaml: its file for each stage is unchanged
    assert ran_stages(out) == {"report", "resolve@cancer"}, out
    summary = pd.read_csv(dvc_repo / "reports/summary.csv")
    assert set(summary["project"]) == {"cancer"}
    back_to_the_committed_run(dvc_repo)


def test_a_two_class_project_is_scored_on_its_positive_class(snakemake_repo):
    """The user's two-class table goes from ``dlpipe add`` through every stage: scored on the
    positive class (the second in sorted order), stated in the report and the bundle."""
    metrics = json.loads((snakemake_repo / "reports/cancer/metrics.json").read_text())["test"]
    assert set(metrics) >= {"f1", "precision", "recall", "roc_auc", "average_precision"}
    assert metrics["roc_auc"] == pytest.approx(metrics["roc_auc_ovr"])
    schema = json.loads((snakemake_repo / "models/cancer/schema.json").read_text())
    assert (schema["classes"], schema["positive_class"], schema["threshold"]) == (
        ["benign", "malignant"], "malignant", 0.5)
    summary = pd.read_csv(snakemake_repo / "reports/summary.csv")
    cancer = summary[summary["project"] == "cancer"]
    assert set(cancer["task"]) >= {"binary", "explain", "audit"}
    assert {"keras_mlp_litert_int8", "logistic_regression"} <= set(cancer["model"])
    markdown = (snakemake_repo / "reports/summary.md").read_text()
    assert "## Two-class decisions" in markdown and "| cancer    | keras_mlp " in markdown
    for path in ("explain/importance.csv", "audit.csv"):
        assert (snakemake_repo / "reports/cancer" / path).stat().st_size > 0


def test_the_two_class_bundle_is_served_to_curl(snakemake_repo, tmp_path):
    """``dlpipe serve`` on the run's bundles, queried with curl over a real socket: the V2 and the
    TF-Serving answers give the labels ``dlpipe predict`` gives (the positive class at the
    bundle's threshold)."""
    rows = pd.read_parquet(snakemake_repo / "data/interim/cancer/test.parquet").head(8)
    rows.drop(columns="target").to_parquet(tmp_path / "rows.parquet")
    sh(sys.executable, "-m", "dlpipe", "predict", "cancer", "--input",
       str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "expected.csv"),
       cwd=snakemake_repo)
    expected = pd.read_csv(tmp_path / "expected.csv")["label"].tolist()
    features = rows.drop(columns="target")
    (tmp_path / "v1.json").write_text(features.to_json(orient="records").join(
        ['{"instances": ', "}"]))
    url, server = served(snakemake_repo, ("cancer",))
    try:
        metadata = json.loads(sh("curl", "-sf", f"{url}/v2/models/cancer", cwd=tmp_path))
        assert {i["name"] for i in metadata["inputs"]} == set(features.columns)
        v2 = {"inputs": [{"name": i["name"], "shape": [len(rows)], "datatype": i["datatype"],
                          "data": [None if pd.isna(v) else float(v) for v in features[i["name"]]]}
                         for i in metadata["inputs"]]}
        (tmp_path / "v2.json").write_text(json.dumps(v2))
        answer = json.loads(sh("curl", "-sf", "-H", "Content-Type: application/json",
                               "--data-binary", f"@{tmp_path / 'v2.json'}",
                               f"{url}/v2/models/cancer/infer", cwd=tmp_path))
        assert answer["outputs"][0]["data"] == expected
        v1 = json.loads(sh("curl", "-sf", "--data-binary", f"@{tmp_path / 'v1.json'}",
                           f"{url}/v1/models/cancer:predict", cwd=tmp_path))
        assert [p["label"] for p in v1["predictions"]] == expected
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_tour_runs_as_written(snakemake_repo, tmp_path):
    """The tour's other blocks, as written, in a copy of the Snakemake run (the first block
    made the project there): that project's run, predict, serve and curl (on a free port in
    place of 8080), then a param added to the project's section, recorded and compared with
    DVC, which re-runs only that project's stages."""
    repo = tmp_path / "tour"
    shutil.copytree(snakemake_repo, repo, symlinks=True)
    for name in ("requirements.lock", "pyproject.toml"):  # `make` keeps the venv as it is
        os.utime(repo / name, (1, 1))
    run, predict, serving, compare = tour_blocks()[1:5]

    assert "Nothing to be done" in sh("bash", "-ec", run, cwd=repo)
    sh("bash", "-ec", predict, cwd=repo)
    test = pd.read_parquet(repo / "data/interim/cancer/test.parquet")
    predicted = pd.read_csv(repo / "predictions.csv")
    assert len(predicted) == len(test) and set(predicted["label"]) <= {"benign", "malignant"}

    start, requests = serving.split("\n", 1)  # the background command, then the requests
    url, server = serve(start.removesuffix("&").split(), repo)
    try:
        metadata, answer = answers(sh("bash", "-ec", requests.replace(
            "localhost:8080", url.removeprefix("http://")), cwd=repo))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert metadata["name"] == "cancer" and len(metadata["inputs"]) == test.shape[1] - 1
    assert [row["label"] for row in answer["predictions"]] == predicted["label"][:2].tolist()

    record, edit = compare.split("# in params.yaml, in the cancer: section, add\n")
    addition, diff = edit.split("\n", 1)
    sh("bash", "-ec", record, cwd=repo)
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["cancer"].update(yaml.safe_load(addition.lstrip("#").split("#")[0]))
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    out = sh("bash", "-ec", diff, cwd=repo)
    ran = ran_stages(out)
    assert {"resolve@cancer", "train@cancer", "evaluate@cancer"} <= ran, out
    assert all(stage.endswith("@cancer") for stage in ran), out
    assert "cancer.decision.threshold" in out and '"threshold": 0.3' in out
    assert "reports/cancer/metrics.json" in out
    table = out[out.index("\nExperiment  "):].splitlines()[1:5]
    header, rows = table[0], {line.split()[0]: line for line in table[2:]}
    assert "cancer test" in header and "cancer.decision.threshold" in header, out
    at = header.index("cancer.decision.threshold")  # the columns are aligned
    assert len(rows) == 2, out  # the workspace and HEAD, which has no such key
    assert [row[at:].split()[0] for row in rows.values()] == ["0.3000", "-"], out
    # the change reached no other project: the rest of the DAG runs only the summary of every
    # project and the other project's resolve (on any edit of params.yaml), whose files are
    # unchanged
    assert ran_stages(sh("dvc", "repro", cwd=repo)) == {"report", "resolve@diabetes"}



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


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(snakemake_repo,
                                                                        tmp_path):
    """Over a real socket, on each project's whole test part: ``tritonclient.http`` with binary
    and JSON tensors and a TF-Serving client get the labels and probabilities (a numeric target:
    the values, one FP32 output) of ``dlpipe predict``."""
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
            predicted = pd.read_csv(tmp_path / f"{project}.csv")
            answer = requests.post(f"{url}/v1/models/{project}:predict", timeout=120,
                                   data=json.dumps({"instances": json.loads(
                                       features.to_json(orient="records"))}))
            answer.raise_for_status()
            served_rows = answer.json()["predictions"]
            for binary in (True, False):
                result = client.infer(project, triton_inputs(client, project, features, binary))
                if "value" in predicted:
                    np.testing.assert_allclose(result.as_numpy("value"), predicted["value"],
                                               rtol=1e-6)
                    continue
                assert [str(v, "utf-8") for v in result.as_numpy("label")] == \
                    predicted["label"].tolist(), (project, binary)
                assert np.array_equal(result.as_numpy("probabilities"),
                                      predicted.filter(like="proba_").to_numpy(np.float32))
            if "value" in predicted:
                np.testing.assert_allclose([p["value"] for p in served_rows],
                                           predicted["value"], rtol=1e-6)
            else:
                assert [p["label"] for p in served_rows] == predicted["label"].tolist()
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
