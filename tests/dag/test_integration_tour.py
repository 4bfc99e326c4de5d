"""The README tour's first project on tiny params, as written: its first block makes a two-class
table (scikit-learn's breast cancer) in a temporary git repo and `make run` runs it (Snakemake
runs every job, DVC records the outputs). Checks: the project is scored on its positive class
and served to curl; the tour's other blocks work as written (its run, predict, serve and curl, a
param added to its section, recorded and compared with DVC); the standard clients answer what
`predict` gives over a socket. The tour's regression step runs in test_integration.py.
"""

from __future__ import annotations

import json
import shutil
import sys

import pandas as pd
import pytest
import yaml

from frontends import (answers, clients_answer_as_predict, ran_stages, serve, served, sh,
                       tour_blocks)
from frontends import recorded_repo  # noqa: F401  (the fixture: this file's run)

pytestmark = pytest.mark.slow
PROJECTS = ("cancer",)
MADE_BY = (0,)  # the tour's first block
LOOP = next(k for k, block in enumerate(tour_blocks()) if "/feedback" in block)  # step 11


def test_a_two_class_project_is_scored_on_its_positive_class(recorded_repo):
    """The user's two-class table goes from ``dlpipe add`` through every stage: scored on the
    positive class (the second in sorted order), stated in the report and the bundle."""
    metrics = json.loads((recorded_repo / "reports/cancer/metrics.json").read_text())["test"]
    assert set(metrics) >= {"f1", "precision", "recall", "roc_auc", "average_precision"}
    assert metrics["roc_auc"] == pytest.approx(metrics["roc_auc_ovr"])
    schema = json.loads((recorded_repo / "models/cancer/schema.json").read_text())
    assert (schema["classes"], schema["positive_class"], schema["threshold"]) == (
        ["benign", "malignant"], "malignant", 0.5)
    summary = pd.read_csv(recorded_repo / "reports/summary.csv")
    cancer = summary[summary["project"] == "cancer"]
    assert set(cancer["task"]) >= {"binary", "explain", "audit"}
    assert {"keras_mlp_litert_int8", "logistic_regression"} <= set(cancer["model"])
    markdown = (recorded_repo / "reports/summary.md").read_text()
    assert "## Two-class decisions" in markdown and "| cancer    | keras_mlp " in markdown
    for path in ("explain/importance.csv", "audit.csv"):
        assert (recorded_repo / "reports/cancer" / path).stat().st_size > 0


def test_the_two_class_bundle_is_served_to_curl(recorded_repo, tmp_path):
    """``dlpipe serve`` on the run's bundles, queried with curl over a real socket: the V2 and the
    TF-Serving answers give the labels ``dlpipe predict`` gives (the positive class at the
    bundle's threshold)."""
    rows = pd.read_parquet(recorded_repo / "data/interim/cancer/test.parquet").head(8)
    rows.drop(columns="target").to_parquet(tmp_path / "rows.parquet")
    sh(sys.executable, "-m", "dlpipe", "predict", "cancer", "--input",
       str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "expected.csv"),
       cwd=recorded_repo)
    expected = pd.read_csv(tmp_path / "expected.csv")["label"].tolist()
    features = rows.drop(columns="target")
    (tmp_path / "v1.json").write_text(features.to_json(orient="records").join(
        ['{"instances": ', "}"]))
    url, server = served(recorded_repo, ("cancer",))
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


def test_the_readme_tour_runs_as_written(recorded_repo, tmp_path):
    """The tour's other blocks, as written, in a copy of the run (the first block made the
    project there): that project's run, predict, serve and curl (on a free port in
    place of 8080), then a param added to the project's section, recorded and compared with
    DVC, which re-runs only that project's stages."""
    repo = tmp_path / "tour"
    shutil.copytree(recorded_repo, repo, symlinks=True)
    run, predict, serving, compare = tour_blocks()[1:5]

    assert "Nothing to be done" in sh("bash", "-ec", run, cwd=repo)
    sh("bash", "-ec", predict, cwd=repo)
    test = pd.read_parquet(repo / "data/interim/cancer/test.parquet")
    predicted = pd.read_csv(repo / "predictions.csv")
    assert len(predicted) == len(test) and set(predicted["label"]) <= {"benign", "malignant"}

    start, requests = serving.split("\n", 1)  # the background command, then the requests
    url, server = serve(start.removesuffix("&").split(), repo)
    here = url.removeprefix("http://")
    try:
        metadata, answer = answers(sh("bash", "-ec", requests.replace("localhost:8080", here),
                                      cwd=repo))
        # after deployment: a label sent back by the id the answer carried, then /metrics
        loop = sh("bash", "-ec", tour_blocks()[LOOP].replace("localhost:8080", here), cwd=repo)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert metadata["name"] == "cancer" and len(metadata["inputs"]) == test.shape[1] - 1
    assert [row["label"] for row in answer["predictions"]] == predicted["label"][:2].tolist()
    assert '{"model_name":"cancer","recorded":1}' in loop, loop
    live = {line.split("{")[0]: float(line.rsplit(" ", 1)[1]) for line in loop.splitlines()
            if line.startswith("dlpipe_")}
    assert live["dlpipe_accuracy"] == float(predicted["label"][0] == "benign"), loop
    assert 0.5 < live["dlpipe_estimated_accuracy"] <= 1.0, loop

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
    # the change reached nothing else: the rest of the DAG is the summary of every project
    assert ran_stages(sh("dvc", "repro", cwd=repo)) == {"report"}


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(recorded_repo,
                                                                        tmp_path):
    clients_answer_as_predict(recorded_repo, PROJECTS, tmp_path)
