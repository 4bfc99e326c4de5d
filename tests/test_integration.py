"""The whole DAG on tiny params through Snakemake AND `dvc repro`, in temporary git repos, with
the README's tour run as written on top.

The user's project is the tour's: its first block (a CSV file, `dlpipe add`, `dvc add`) makes
a two-class project in each repo; the params are then shrunk (the tour's regression project runs
in test_integration_regression.py, beside this file on the other core). Checks: both front ends produce identical results;
a second run has nothing to do; the tour's commands (one project's run, predict, serve and
curl, a param change compared with DVC) work as written and the change re-runs only that
project's stages; `dvc push` / `dvc pull` restore data and models.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from support import LOCAL, ROOT, SHARED_DATA, copy_tracked_files, tiny

pytestmark = pytest.mark.slow
# images, many classes and the MNIST study; a user's two-class table, added as the tour adds it
PROJECTS = ("mnist", "cancer")
MADE_BY = (0,)  # the tour blocks that make the user's projects
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv `make` uses in a repo (VENV)
GIT_USER = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", "t"), ("EMAIL", "t@t"))}


def sh(*args: str, cwd: Path, timeout: int = 900) -> str:
    result = subprocess.run(args, cwd=cwd, env=_env(cwd), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def tour_blocks() -> list[str]:
    """The bash blocks of the README's tour, in order."""
    tour = README.read_text().split("## A short tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", tour, flags=re.S)


def commit(repo: Path, message: str) -> None:
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", message, cwd=repo)


def make_repo(where: Path, blocks: tuple[int, ...], projects: tuple[str, ...]) -> Path:
    """A git repo holding the tracked files of this project, the user's projects made by the
    tour's ``blocks`` (a CSV file, ``dlpipe add``, ``dvc add``), and the tiny params of
    ``projects``."""
    copy_tracked_files(where)
    sh("git", "init", "-q", cwd=where)
    for block in blocks:
        sh("bash", "-ec", tour_blocks()[block], cwd=where)
    raw = tiny(yaml.safe_load((where / "params.yaml").read_text()))
    raw["projects"] = list(projects)
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    sh(sys.executable, "-m", "dlpipe", "dag", cwd=where)
    commit(where, "tiny")
    return where


def results(repo: Path) -> dict[str, object]:
    """Every metric of the run; wall-clock seconds (they differ run to run) left out."""
    out = {p.relative_to(repo).as_posix(): json.loads(p.read_text())
           for pattern in ("*/metrics.json", "*/cv.json", "*/baseline.json", "*/export.json",
                           "*/gbdt.json", "*/selection.json", "*/*/metrics.json")
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
            "PYTHONPATH": str(repo / "src"), "DLPIPE_DATA_MIRROR": str(SHARED_DATA),
            "VENV": str(BIN.parent), **GIT_USER}


def run_front_ends(tmp_path_factory, blocks: tuple[int, ...], projects: tuple[str, ...]
                   ) -> tuple[Path, Path]:
    """The tiny pipeline of ``projects`` through Snakemake and through `dvc repro`, both at
    once (a core each), in two repos made by :func:`make_repo`."""
    if not (SHARED_DATA / "mnist_784.npz").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA}")
    smk, dvc = (make_repo(tmp_path_factory.mktemp(name), blocks, projects)
                for name in ("smk", "dvc"))
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
            (cwd / "run.out").rename(cwd.parent / f"{cwd.name}.out")  # outside the repo
    finally:  # a front end that failed or hung leaves no process behind
        for proc in procs:
            proc.kill() if proc.poll() is None else None
    commit(dvc, "repro")
    return smk, dvc


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return run_front_ends(tmp_path_factory, MADE_BY, PROJECTS)


@pytest.fixture(scope="module")
def snakemake_repo(runs):
    return runs[0]


@pytest.fixture(scope="module")
def dvc_repo(runs):
    return runs[1]


def served_test(repo: Path, project: str) -> dict[str, float]:
    """The test scores of the family the project's bundle holds (its selection says which)."""
    selection = json.loads((repo / f"reports/{project}/selection.json").read_text())
    return selection["families"][selection["served"]]["test"]


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


def test_dvc_warns_of_no_empty_output(dvc_repo):
    """A task the project leaves out still writes a note in its figures directory."""
    output = (dvc_repo.parent / f"{dvc_repo.name}.out").read_text()
    assert "Running stage 'binary@cancer'" in output
    assert "is empty" not in output, output


def test_both_front_ends_give_identical_results(snakemake_repo, dvc_repo):
    assert results(snakemake_repo) == results(dvc_repo)


def test_dvc_plots_render_every_declared_plot(dvc_repo):
    shown = json.loads(subprocess.run(["dvc", "plots", "show", "--json"], cwd=dvc_repo,
                                      env=_env(dvc_repo), capture_output=True, text=True,
                                      check=True).stdout)
    assert not shown.get("errors"), shown["errors"]
    names = set(shown["data"])
    assert "reports/cancer/plots/metric.csv" in names and "reports/mnist/binary/pr.csv" in names
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


def test_a_default_change_reruns_exactly_the_projects_that_inherit_it(dvc_repo):
    raw = yaml.safe_load((dvc_repo / "params.yaml").read_text())
    default = raw["defaults"]["baseline"]["C"]
    raw["cancer"]["baseline"] = {"C": default}  # cancer states the old value itself
    raw["defaults"]["baseline"]["C"] = default / 2
    (dvc_repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    ran = ran_stages(sh("dvc", "repro", cwd=dvc_repo))
    assert "baseline@mnist" in ran and "baseline@cancer" not in ran
    assert not {stage for stage in ran if stage.startswith(("train@", "tune", "evaluate@"))}
    assert "defaults.baseline.C" in sh("dvc", "params", "diff", cwd=dvc_repo)
    back_to_the_committed_run(dvc_repo)


def test_dvc_experiment_with_fewer_projects_needs_no_re_render(dvc_repo):
    out = sh("dvc", "exp", "run", "-S", "projects=[cancer]", cwd=dvc_repo)
    # resolve runs on any edit of params.yaml: its file for each stage is unchanged
    assert ran_stages(out) == {"report", "resolve@cancer"}, out
    summary = pd.read_csv(dvc_repo / "reports/summary.csv")
    assert set(summary["project"]) == {"cancer"}
    back_to_the_committed_run(dvc_repo)


def test_dvc_push_then_pull_restores_data_and_models(dvc_repo):
    sh("dvc", "push", cwd=dvc_repo)
    for gone in ("data/raw", "data/processed", "models"):
        shutil.rmtree(dvc_repo / gone)
    shutil.rmtree(dvc_repo / ".dvc" / "cache")
    sh("dvc", "pull", cwd=dvc_repo)
    assert (dvc_repo / "models/cancer/schema.json").exists()
    assert (dvc_repo / "models/cancer-network/model.keras").exists()
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
    DVC sees the edit in the package directory, the code stage's dependency; that stage writes
    every stage's code digest; once it and ``resolve`` (which copies each into the stage's
    params file) have run, exactly the explain jobs' files differ."""
    explains = {f"explain@{project}" for project in PROJECTS}
    edited, recomputed, stale = stale_after_editing(
        dvc_repo, "insight/figures.py", ("dvc", "status"),
        ("dvc", "repro", "--glob", "resolve@*"), ("dvc", "status"))
    assert _stages_named(edited) == {"code"}, edited
    assert "modified:           src/dlpipe\n" in edited  # the code stage's one dependency
    assert "Running stage 'code'" in recomputed and "Running stage 'resolve@cancer'" in recomputed
    assert _stages_named(stale) == explains, stale
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


def _served(repo: Path, projects: tuple[str, ...]):
    """``dlpipe serve`` on the run's bundles on a free port of 127.0.0.1, ready; its URL and
    process."""
    return _serve([sys.executable, "-m", "dlpipe", "serve", *projects, "--host", "127.0.0.1"],
                  repo)


def _serve(command: list[str], repo: Path) -> tuple[str, subprocess.Popen]:
    """A ``serve`` command given a free port of 127.0.0.1, once it answers ready; its URL and
    process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*command, "--port", str(port)], cwd=repo, env=_env(repo),
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
    rows = pd.read_parquet(snakemake_repo / "data/interim/cancer/test.parquet").head(8)
    rows.drop(columns="target").to_parquet(tmp_path / "rows.parquet")
    sh(sys.executable, "-m", "dlpipe", "predict", "cancer", "--input",
       str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "expected.csv"),
       cwd=snakemake_repo)
    expected = pd.read_csv(tmp_path / "expected.csv")["label"].tolist()
    features = rows.drop(columns="target")
    (tmp_path / "v1.json").write_text(features.to_json(orient="records").join(
        ['{"instances": ', "}"]))
    url, server = _served(snakemake_repo, ("cancer",))
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
                result = client.infer(project, _triton_inputs(client, project, features, binary),
                                      outputs=None if binary else outputs)
                assert [str(v, "utf-8") if isinstance(v, bytes) else v
                        for v in result.as_numpy("label")] == labels, (project, binary)
                assert np.array_equal(result.as_numpy("probabilities"), proba), (project, binary)
            assert [p["label"] for p in answer.json()["predictions"]] == labels, project
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def _answers(output: str) -> list:
    """The JSON documents ``curl -s`` printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output.rstrip()):
        document, at = decoder.raw_decode(output, at)
        found.append(document)
    return found


def test_the_readme_tour_runs_as_written(snakemake_repo, tmp_path):
    """The tour's other blocks, as written, in a copy of the Snakemake run (the first block
    made the project there): that project's run, predict, serve and curl (on a free port in
    place of 8080), then a param added to the project's section, recorded and compared with
    DVC, which re-runs only that project's stages."""
    repo = tmp_path / "tour"
    shutil.copytree(snakemake_repo, repo, symlinks=True)
    for name in ("requirements.lock", "pyproject.toml"):  # `make` keeps the venv as it is
        os.utime(repo / name, (1, 1))
    run, predict, serve, compare = tour_blocks()[1:5]

    assert "Nothing to be done" in sh("bash", "-ec", run, cwd=repo)
    sh("bash", "-ec", predict, cwd=repo)
    test = pd.read_parquet(repo / "data/interim/cancer/test.parquet")
    predicted = pd.read_csv(repo / "predictions.csv")
    assert len(predicted) == len(test) and set(predicted["label"]) <= {"benign", "malignant"}

    start, requests = serve.split("\n", 1)  # the background command, then the requests
    url, server = _serve(start.removesuffix("&").split(), repo)
    try:
        metadata, answer = _answers(sh("bash", "-ec", requests.replace(
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
    # project and mnist's resolve (on any edit of params.yaml), whose files are unchanged
    assert ran_stages(sh("dvc", "repro", cwd=repo)) == {"report", "resolve@mnist"}
