"""The whole DAG on tiny params through Snakemake AND `dvc repro`, in temporary git repos.

Checks: both front ends produce identical results; a second run has nothing to do; changing an
iris param re-runs only iris stages (and `dvc params diff` / `dvc metrics diff` show it);
`dvc push` / `dvc pull` restore data and models.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from support import LOCAL, ROOT, SHARED_DATA, copy_tracked_files, tiny

pytestmark = pytest.mark.slow
# images and the MNIST study, a shipped many-class table, a user's two-class table
PROJECTS = ("mnist", "iris", "clinic")
BIN = Path(sys.executable).parent


def sh(*args: str, cwd: Path, timeout: int = 900) -> str:
    result = subprocess.run(args, cwd=cwd, env=_env(cwd), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def two_class_csv(path: Path) -> None:
    """A user's two-class table: scikit-learn's breast-cancer rows (a seeded 200), the label
    as text, one value in twenty of one column missing (in both parts of the split)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.sample(200, random_state=0).reset_index(drop=True)
    frame["diagnosis"] = np.asarray(data.target_names)[frame.pop("target")]
    frame.loc[::20, "mean radius"] = np.nan
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def make_repo(where: Path) -> Path:
    """A git repo holding the tracked files of this project, a two-class project added the way
    a user adds one (``dlpipe add``, ``dvc add``), and the tiny params."""
    copy_tracked_files(where)
    two_class_csv(where / "data/external/clinic.csv")
    sh(sys.executable, "-m", "dlpipe", "add", "clinic", "--file", "data/external/clinic.csv",
       "--target", "diagnosis", cwd=where)
    raw = tiny(yaml.safe_load((where / "params.yaml").read_text()))
    raw["projects"] = list(PROJECTS)
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    sh(sys.executable, "-m", "dlpipe", "dag", cwd=where)
    sh("git", "init", "-q", cwd=where)
    sh("dvc", "add", "-q", "data/external/clinic.csv", cwd=where)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A", cwd=where)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny", cwd=where)
    return where


def results(repo: Path) -> dict[str, object]:
    """Every metric of the run; wall-clock seconds (they differ run to run) left out."""
    out = {p.relative_to(repo).as_posix(): json.loads(p.read_text())
           for pattern in ("*/metrics.json", "*/cv.json", "*/baseline.json", "*/export.json",
                           "*/*/metrics.json")
           for p in sorted((repo / "reports").glob(pattern))}
    summary = pd.read_csv(repo / "reports/summary.csv")
    out["summary.csv"] = summary[~summary["metric"].str.endswith("_seconds")].to_csv()
    return out


def cv_scores(repo: Path, project: str) -> dict[str, object]:
    """The project's CV scores (its fit's wall-clock seconds, kept beside them, checked positive)."""
    assert json.loads((repo / f"reports/{project}/fit.json").read_text())["fit_seconds"] > 0
    return json.loads((repo / f"reports/{project}/cv.json").read_text())


def _env(repo: Path) -> dict[str, str]:
    """The environment of a command run in ``repo``, a copy of this project: its jobs import the
    copy's package (as a clone's own ``make venv`` installs it), so that the source files DVC
    and Snakemake track in the copy are the ones that run."""
    return {**os.environ, **LOCAL, "PATH": f"{BIN}:{os.environ['PATH']}",
            "PYTHONPATH": str(repo / "src"), "DLPIPE_DATA_MIRROR": str(SHARED_DATA)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The tiny pipeline through Snakemake and through `dvc repro`, both at once (2 cores)."""
    if not (SHARED_DATA / "mnist_784.npz").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA}")
    smk, dvc = make_repo(tmp_path_factory.mktemp("smk")), make_repo(tmp_path_factory.mktemp("dvc"))
    storage = tmp_path_factory.mktemp("storage")
    sh("dvc", "remote", "modify", "--local", "local", "url", str(storage), cwd=dvc)
    commands = ((["snakemake", "--workflow-profile", "profiles/default", "--cores", "1"],
                 smk), (["dvc", "repro"], dvc))
    procs = [subprocess.Popen(args, cwd=cwd, env=_env(cwd), stdout=open(cwd / "run.out", "w"),
                              stderr=subprocess.STDOUT) for args, cwd in commands]
    try:
        for proc, (_, cwd) in zip(procs, commands):
            proc.wait(timeout=1500)
            output = (cwd / "run.out").read_text()
            assert proc.returncode == 0, f"{proc.args} failed:\n{output[-4000:]}"
            (cwd / "run.out").unlink()
    finally:  # a front end that failed or hung leaves no process behind
        for proc in procs:
            proc.kill() if proc.poll() is None else None
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A", cwd=dvc)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "repro", cwd=dvc)
    return smk, dvc


@pytest.fixture(scope="module")
def snakemake_repo(runs):
    return runs[0]


@pytest.fixture(scope="module")
def dvc_repo(runs):
    return runs[1]


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
                                      env=_env(dvc_repo), capture_output=True, text=True,
                                      check=True).stdout)
    assert not shown.get("errors"), shown["errors"]
    names = set(shown["data"])
    assert "reports/iris/plots/accuracy.csv" in names and "reports/mnist/binary/pr.csv" in names
    assert any(name.endswith("figures/confusion.png") for name in names)


def test_snakemake_report_has_the_figures(snakemake_repo):
    sh("snakemake", "--report", "report.html", "--cores", "1", cwd=snakemake_repo)
    html = (snakemake_repo / "report.html").read_text(errors="replace")
    assert "confusion.png" in html and "learning_curves.png" in html
    assert "Optuna optimisation history" in html  # the tune stage's own caption


def ran_stages(output: str) -> set[str]:
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


def back_to_the_committed_run(repo: Path) -> None:
    """params, dvc.lock and the git-tracked metrics as committed, then the cache."""
    sh("git", "checkout", "HEAD", "--", ".", cwd=repo)
    sh("dvc", "checkout", cwd=repo)


def test_iris_param_change_reruns_only_iris(dvc_repo):
    raw = yaml.safe_load((dvc_repo / "params.yaml").read_text())
    raw["iris"]["tune"]["n_trials"] = 3
    (dvc_repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert "iris.tune.n_trials" in sh("dvc", "params", "diff", cwd=dvc_repo)
    out = sh("dvc", "repro", cwd=dvc_repo)
    # report re-runs only if iris's score rows changed; nothing of another project may re-run
    assert ran_stages(out) - {"report"} == {"resolve@iris", "tune_worker@iris", "tune@iris",
                                            "train@iris", "evaluate@iris", "export@iris",
                                            "explain@iris", "audit@iris", "reference@iris",
                                            "model_table@iris"}, out
    diff = json.loads(sh("dvc", "metrics", "diff", "--all", "--json", cwd=dvc_repo))
    assert "reports/iris/metrics.json" in diff
    for path, values in diff.items():
        if "iris" not in path:
            assert all(v.get("diff", 0) in (0, None) for v in values.values()), (path, values)
    assert "tune.n_trials" in sh("dvc", "params", "diff", cwd=dvc_repo)  # the project's value
    back_to_the_committed_run(dvc_repo)


def test_a_default_change_reruns_exactly_the_projects_that_inherit_it(dvc_repo):
    raw = yaml.safe_load((dvc_repo / "params.yaml").read_text())
    default = raw["defaults"]["baseline"]["C"]
    raw["clinic"]["baseline"] = {"C": default}  # clinic states the old value itself
    raw["defaults"]["baseline"]["C"] = default / 2
    (dvc_repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    ran = ran_stages(sh("dvc", "repro", cwd=dvc_repo))
    assert {"baseline@mnist", "baseline@iris"} <= ran and "baseline@clinic" not in ran
    assert not {stage for stage in ran if stage.startswith(("train@", "tune", "evaluate@"))}
    assert "defaults.baseline.C" in sh("dvc", "params", "diff", cwd=dvc_repo)
    back_to_the_committed_run(dvc_repo)


def test_dvc_experiment_with_fewer_projects_needs_no_re_render(dvc_repo):
    out = sh("dvc", "exp", "run", "-S", "projects=[iris]", cwd=dvc_repo)
    assert ran_stages(out) == {"report"}, out
    summary = pd.read_csv(dvc_repo / "reports/summary.csv")
    assert set(summary["project"]) == {"iris"}
    back_to_the_committed_run(dvc_repo)


def test_dvc_push_then_pull_restores_data_and_models(dvc_repo):
    sh("dvc", "push", cwd=dvc_repo)
    for gone in ("data/raw", "data/processed", "models"):
        shutil.rmtree(dvc_repo / gone)
    shutil.rmtree(dvc_repo / ".dvc" / "cache")
    sh("dvc", "pull", cwd=dvc_repo)
    assert (dvc_repo / "models/iris/model.keras").exists()
    assert (dvc_repo / "data/raw/mnist.parquet").exists()
    assert "up to date" in sh("dvc", "status", cwd=dvc_repo)


def test_predict_with_the_bundles_of_the_run(snakemake_repo, tmp_path):
    """Each bundle predicts its project's test part as given (label column included) as the
    evaluate stage scored it; MNIST's schema marks its columns as 28x28 images."""
    for project in PROJECTS:
        output = tmp_path / f"{project}.csv"
        sh(sys.executable, "-m", "dlpipe", "predict", project, "--input",
           f"data/interim/{project}/test.parquet", "--output", str(output), cwd=snakemake_repo)
        predicted = pd.read_csv(output, dtype={"label": str})
        truth = pd.read_parquet(snakemake_repo / f"data/interim/{project}/test.parquet")["target"]
        assert len(predicted) == len(truth)
        accuracy = (predicted["label"] == truth.astype(str).to_numpy()).mean()
        metrics = json.loads((snakemake_repo / f"reports/{project}/metrics.json").read_text())
        assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1 / len(truth))
    schema = json.loads((snakemake_repo / "models/mnist/schema.json").read_text())
    assert schema["image_shape"] == [28, 28, 1] and schema["input_width"] == 784
    assert [c["name"] for c in schema["columns"]] == [f"pixel{k}" for k in range(1, 785)]


def test_a_two_class_project_is_scored_on_its_positive_class(snakemake_repo):
    """The user's two-class table goes from ``dlpipe add`` through every stage: scored on the
    positive class (the second in sorted order), stated in the report and the bundle."""
    metrics = json.loads((snakemake_repo / "reports/clinic/metrics.json").read_text())["test"]
    assert set(metrics) >= {"f1", "precision", "recall", "roc_auc", "average_precision"}
    assert metrics["roc_auc"] == pytest.approx(metrics["roc_auc_ovr"])
    schema = json.loads((snakemake_repo / "models/clinic/schema.json").read_text())
    assert (schema["classes"], schema["positive_class"], schema["threshold"]) == (
        ["benign", "malignant"], "malignant", 0.5)
    summary = pd.read_csv(snakemake_repo / "reports/summary.csv")
    clinic = summary[summary["project"] == "clinic"]
    assert set(clinic["task"]) >= {"binary", "explain", "audit"}
    assert {"keras_mlp_litert_int8", "logistic_regression"} <= set(clinic["model"])
    markdown = (snakemake_repo / "reports/summary.md").read_text()
    assert "## Two-class decisions" in markdown and "| clinic    | keras_mlp " in markdown
    for path in ("explain/importance.csv", "audit.csv"):
        assert (snakemake_repo / "reports/clinic" / path).stat().st_size > 0


def stale_after_editing(repo: Path, module: str, *commands: tuple[str, ...]) -> list[str]:
    """What each of ``commands`` reports after a comment is appended to
    ``src/dlpipe/<module>``; the file's content and time are put back afterwards."""
    path = repo / "src/dlpipe" / module
    before, stat = path.read_bytes(), path.stat()
    try:
        path.write_bytes(before + b"# an edit\n")
        return [sh(*command, cwd=repo) for command in commands]
    finally:
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _stages_named(status: str) -> set[str]:
    return {line[:-1] for line in status.splitlines()
            if line.endswith(":") and not line[0].isspace()}


def test_editing_a_module_a_stage_imports_makes_exactly_its_jobs_stale(snakemake_repo, dvc_repo):
    """The explain node draws its figures with insight/figures.py: an edit of it makes every
    explain job (and only those, with what consumes them) out of date under both front ends.
    DVC sees the edit in the files of the code stage, which writes every stage's code digest;
    once it and ``resolve`` (which copies them) have run, exactly the explain jobs' digests
    differ."""
    explains = {f"explain@{project}" for project in PROJECTS}
    edited, recomputed, stale = stale_after_editing(
        dvc_repo, "insight/figures.py", ("dvc", "status"),
        ("dvc", "repro", "--glob", "resolve@*"), ("dvc", "status"))
    assert _stages_named(edited) == {"code"}, edited
    assert "src/dlpipe/insight/figures.py" in edited
    assert "Running stage 'code'" in recomputed and "Running stage 'resolve@clinic'" in recomputed
    assert _stages_named(stale) == explains, stale
    assert "code.explain" in stale
    sh("dvc", "repro", "--glob", "resolve@*", cwd=dvc_repo)  # the digests as they are again
    assert "Data and pipelines are up to date" in sh("dvc", "status", cwd=dvc_repo)
    [plan] = stale_after_editing(snakemake_repo, "insight/figures.py", ("snakemake", "-n"))
    table = plan.split("Job stats:")[1].split("total")[0]
    rows = [line.split() for line in table.splitlines()]
    counts = {row[0]: row[1] for row in rows
              if len(row) == 2 and row[1].isdigit() and row[0] not in ("all", "total")}
    assert counts.get("explain") == str(len(PROJECTS)), plan
    assert set(counts) <= {"code", "resolve", "explain", "audit", "model_table", "report"}, plan


def _served(repo: Path, projects: tuple[str, ...]):
    """``dlpipe serve`` on the run's bundles on a free port of 127.0.0.1, ready; its URL and
    process."""
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "dlpipe", "serve", *projects, "--host",
                               "127.0.0.1", "--port", str(port)], cwd=repo, env=_env(repo),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while subprocess.run(["curl", "-sf", f"{url}/v2/health/ready"],
                         capture_output=True).returncode != 0:
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError("the server did not get ready")
        time.sleep(0.5)
    return url, server


def test_the_two_class_bundle_is_served_to_curl(snakemake_repo, tmp_path):
    """``dlpipe serve`` on the run's bundles, queried with curl over a real socket: the V2 and the
    TF-Serving answers give the labels ``dlpipe predict`` gives (the positive class at the
    bundle's threshold)."""
    rows = pd.read_parquet(snakemake_repo / "data/interim/clinic/test.parquet").head(8)
    rows.drop(columns="target").to_parquet(tmp_path / "rows.parquet")
    sh(sys.executable, "-m", "dlpipe", "predict", "clinic", "--input",
       str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "expected.csv"),
       cwd=snakemake_repo)
    expected = pd.read_csv(tmp_path / "expected.csv")["label"].tolist()
    features = rows.drop(columns="target")
    (tmp_path / "v1.json").write_text(features.to_json(orient="records").join(
        ['{"instances": ', "}"]))
    url, server = _served(snakemake_repo, ("clinic",))
    try:
        metadata = json.loads(sh("curl", "-sf", f"{url}/v2/models/clinic", cwd=tmp_path))
        assert {i["name"] for i in metadata["inputs"]} == set(features.columns)
        v2 = {"inputs": [{"name": i["name"], "shape": [len(rows)], "datatype": i["datatype"],
                          "data": [None if pd.isna(v) else float(v) for v in features[i["name"]]]}
                         for i in metadata["inputs"]]}
        (tmp_path / "v2.json").write_text(json.dumps(v2))
        answer = json.loads(sh("curl", "-sf", "-H", "Content-Type: application/json",
                               "--data-binary", f"@{tmp_path / 'v2.json'}",
                               f"{url}/v2/models/clinic/infer", cwd=tmp_path))
        assert answer["outputs"][0]["data"] == expected
        v1 = json.loads(sh("curl", "-sf", "--data-binary", f"@{tmp_path / 'v1.json'}",
                           f"{url}/v1/models/clinic:predict", cwd=tmp_path))
        assert [p["label"] for p in v1["predictions"]] == expected
    finally:
        server.terminate()
        server.wait(timeout=30)


def _triton_inputs(client, project: str, features: pd.DataFrame, binary: bool) -> list:
    """The project's inputs as its metadata lists them, set from numpy as the client does."""
    import tritonclient.http as triton

    inputs = []
    for spec in client.get_model_metadata(project)["inputs"]:
        if spec["name"] == "input":  # an image project: one row of pixels per image
            values = features.to_numpy(np.float32)
        else:
            values = features[spec["name"]].to_numpy().astype(
                {"FP64": np.float64, "INT64": np.int64, "BYTES": object}[spec["datatype"]])
        tensor = triton.InferInput(spec["name"], list(values.shape), spec["datatype"])
        tensor.set_data_from_numpy(values, binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(snakemake_repo,
                                                                        tmp_path):
    """Over a real socket, on each project's whole test part: ``tritonclient.http`` called the
    way its examples do (inputs from numpy in binary, answers in binary) and with JSON both
    ways, and a TF-Serving client as its REST docs write one, answer with the labels and
    probabilities of ``dlpipe predict``."""
    import requests
    import tritonclient.http as triton

    url, server = _served(snakemake_repo, PROJECTS)
    client = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=120)
    try:
        for project in PROJECTS:
            test = snakemake_repo / f"data/interim/{project}/test.parquet"
            features = pd.read_parquet(test).drop(columns="target")
            sh(sys.executable, "-m", "dlpipe", "predict", project, "--input", str(test),
               "--output", str(tmp_path / f"{project}.csv"), cwd=snakemake_repo)
            predicted = pd.read_csv(tmp_path / f"{project}.csv", dtype={"label": str})
            labels = predicted["label"].tolist()
            proba = predicted.filter(like="proba_").to_numpy(np.float32)
            for binary in (True, False):
                outputs = [triton.InferRequestedOutput(name, binary_data=binary)
                           for name in ("label", "probabilities")]
                result = client.infer(project, _triton_inputs(client, project, features, binary),
                                      outputs=None if binary else outputs)
                assert [str(v, "utf-8") if isinstance(v, bytes) else v
                        for v in result.as_numpy("label")] == labels, (project, binary)
                assert np.array_equal(result.as_numpy("probabilities"), proba), (project, binary)
            instances = (features.to_numpy().tolist() if project == "mnist"
                         else json.loads(features.to_json(orient="records")))
            answer = requests.post(f"{url}/v1/models/{project}:predict", timeout=120,
                                   data=json.dumps({"signature_name": "serving_default",
                                                    "instances": instances}))
            answer.raise_for_status()
            assert [p["label"] for p in answer.json()["predictions"]] == labels, project
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)
