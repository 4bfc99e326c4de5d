"""Running the pipeline through both front ends in temporary git repos, for the integration tests.

A repo is a copy of this project's tracked files, the user's projects made by the README tour's
blocks as written (or by a test's own script), and the tests' tiny params. Snakemake and `dvc
repro` run two such repos at once, a core each; or `make run` runs one (Snakemake, then DVC
records its outputs). The helpers here also serve a run's bundles on a free port of 127.0.0.1
and read what the tour's commands print.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
import yaml

from support import LOCAL, ROOT, SHARED_DATA, copy_tracked_files, free_port, tiny

README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv `make` uses in a repo (VENV)
GIT_USER = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", "t"), ("EMAIL", "t@t"))}


def sh(*args: str, cwd: Path, timeout: int = 900) -> str:
    result = subprocess.run(args, cwd=cwd, env=env_of(cwd), capture_output=True, text=True,
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


def make_repo(where: Path, blocks: tuple[int | str, ...], projects: tuple[str, ...],
              adjust: Callable[[dict], None] | None = None) -> Path:
    """A git repo holding the tracked files of this project, the user's projects made by
    ``blocks`` (each the number of a tour block or a bash script: a CSV file, ``dlpipe add``,
    ``dvc add``), and the tiny params of ``projects``, which ``adjust`` may change in place."""
    copy_tracked_files(where)
    sh("git", "init", "-q", cwd=where)
    for block in blocks:
        sh("bash", "-ec", tour_blocks()[block] if isinstance(block, int) else block, cwd=where)
    raw = tiny(yaml.safe_load((where / "params.yaml").read_text()))
    raw["projects"] = list(projects)
    if adjust is not None:
        adjust(raw)
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    sh(sys.executable, "-m", "dlpipe", "dag", cwd=where)
    commit(where, "tiny")
    return where


def results(repo: Path, projects: tuple[str, ...]) -> dict[str, object]:
    """Every metric of the run's ``projects``; wall-clock seconds (they differ run to run) left
    out."""
    out = {p.relative_to(repo).as_posix(): json.loads(p.read_text())
           for project in projects
           for pattern in ("metrics.json", "cv.json", "baseline.json", "export.json",
                           "gbdt.json", "selection.json", "*/metrics.json")
           for p in sorted((repo / "reports" / project).glob(pattern))}
    summary = pd.read_csv(repo / "reports/summary.csv")
    summary = summary[summary["project"].isin(projects)].reset_index(drop=True)
    out["summary.csv"] = summary[~summary["metric"].str.endswith("_seconds")].to_csv()
    return out


def cv_scores(repo: Path, project: str) -> dict[str, object]:
    """The project's CV scores (its fit's wall-clock seconds, kept beside them, checked positive)."""
    assert json.loads((repo / f"reports/{project}/fit.json").read_text())["fit_seconds"] > 0
    return json.loads((repo / f"reports/{project}/cv.json").read_text())


def run_dlpipe(repo: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    """``python -m dlpipe ARGS`` in ``repo`` (its own package, as :func:`env_of` sets), its
    output captured."""
    return subprocess.run([sys.executable, "-m", "dlpipe", *args], cwd=repo, env=env_of(repo),
                          capture_output=True, text=True, timeout=timeout)


def env_of(repo: Path) -> dict[str, str]:
    """The environment of a command run in ``repo``, a copy of this project: its jobs import the
    copy's package (as a clone's own ``make venv`` installs it), so that the source files DVC
    and Snakemake track in the copy are the ones that run."""
    return {**os.environ, **LOCAL, "PATH": f"{BIN}:{os.environ['PATH']}",
            "PYTHONPATH": str(repo / "src"), "DLPIPE_DATA_MIRROR": str(SHARED_DATA),
            "VENV": str(BIN.parent), **GIT_USER}


def forked(*command: str) -> list[str]:
    """``command`` (a front end) with its jobs forked by ``dlpipe preload``, as `make run` and
    `make repro` run theirs."""
    return [sys.executable, "-m", "dlpipe", "preload", "--", *command]


def run_project(repo: Path, project: str) -> str:
    """Every job of ``project`` by Snakemake on both cores, forked; its output."""
    return sh(*forked("snakemake", "--workflow-profile", "profiles/default", "--cores", "2",
                      f"project_{project}"), cwd=repo)


def run_front_ends(tmp_path_factory, blocks: tuple[int | str, ...], projects: tuple[str, ...]
                   ) -> tuple[Path, Path]:
    """The tiny pipeline of ``projects`` through Snakemake and through `dvc repro`, both at
    once (a core each), in two repos made by :func:`make_repo`, their jobs forked by the job
    server as `make run` and `make repro` run them (that a forked job writes what a fresh
    process writes is test_job_server.py's; SLURM's jobs are fresh ones)."""
    needs_mirror()
    smk = make_repo(tmp_path_factory.mktemp("smk"), blocks, projects)
    dvc = with_storage(make_repo(tmp_path_factory.mktemp("dvc"), blocks, projects),
                       tmp_path_factory)
    commands = ((forked("snakemake", "--workflow-profile", "profiles/default", "--cores", "1"),
                 smk), (forked("dvc", "repro"), dvc))
    procs = [subprocess.Popen(args, cwd=cwd, env=env_of(cwd), stdout=open(cwd / "run.out", "w"),
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


def recorded_run(tmp_path_factory, blocks: tuple[int | str, ...], projects: tuple[str, ...]
                 ) -> Path:
    """The tiny pipeline of ``projects`` run by ``make run`` as written (both cores) in a repo
    made by :func:`make_repo`: Snakemake runs every job, then DVC records the outputs as its
    own."""
    needs_mirror()
    repo = with_storage(make_repo(tmp_path_factory.mktemp("run"), blocks, projects),
                        tmp_path_factory)
    for name in ("requirements.lock", "pyproject.toml"):  # `make` keeps the venv as it is
        os.utime(repo / name, (1, 1))
    output = sh("make", "run", cwd=repo, timeout=1500)
    (repo.parent / f"{repo.name}.out").write_text(output)  # outside the repo
    return repo  # uncommitted, as a user's first run is


def committed_copy(repo: Path, where: Path) -> Path:
    """A copy of the run, committed (the baseline DVC's experiments and diffs compare with)."""
    shutil.copytree(repo, where, symlinks=True)
    commit(where, "make run")
    return where


def needs_mirror() -> None:
    if not (SHARED_DATA / "mnist_784.npz").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA}")


def with_storage(repo: Path, tmp_path_factory) -> Path:
    """``repo`` with its DVC remote in a temporary directory."""
    storage = tmp_path_factory.mktemp("storage")
    sh("dvc", "remote", "modify", "--local", "local", "url", str(storage), cwd=repo)
    return repo


def served_test(repo: Path, project: str) -> dict[str, float]:
    """The test scores of the family the project's bundle holds (its selection says which)."""
    selection = json.loads((repo / f"reports/{project}/selection.json").read_text())
    return selection["families"][selection["served"]]["test"]


def ran_stages(output: str) -> set[str]:
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


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


def stages_named(status: str) -> set[str]:
    return {line[:-1] for line in status.splitlines()
            if line.endswith(":") and not line[0].isspace()}


def served(repo: Path, projects: tuple[str, ...]):
    """``dlpipe serve`` on the run's bundles on a free port of 127.0.0.1, ready; its URL and
    process."""
    return serve([sys.executable, "-m", "dlpipe", "serve", *projects, "--host", "127.0.0.1"],
                  repo)


def serve(command: list[str], repo: Path) -> tuple[str, subprocess.Popen]:
    """A ``serve`` command given a free port of 127.0.0.1, once it answers ready; its URL and
    process."""
    port = free_port()
    server = subprocess.Popen([*command, "--port", str(port)], cwd=repo, env=env_of(repo),
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


def triton_inputs(client, project: str, features: pd.DataFrame, binary: bool) -> list:
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


def answers(output: str) -> list:
    """The JSON documents ``curl -s`` printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output.rstrip()):
        document, at = decoder.raw_decode(output, at)
        found.append(document)
    return found


def clients_answer_as_predict(repo: Path, projects: tuple[str, ...], scratch: Path,
                              url: str | None = None) -> None:
    """Over a real socket, on each project's whole test part: ``tritonclient.http`` with binary
    and JSON tensors and a TF-Serving client get the labels and probabilities (a numeric target:
    the values, one FP32 output) of ``dlpipe predict``. The server: ``dlpipe serve`` started
    here on ``repo``'s bundles, or the one at ``url`` (left running)."""
    server = None
    if url is None:
        url, server = served(repo, projects)
    try:
        _answer_as_predict(repo, projects, scratch, url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


def _answer_as_predict(repo: Path, projects: tuple[str, ...], scratch: Path, url: str) -> None:
    import requests
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=120)
    try:
        for project in projects:
            test = repo / f"data/interim/{project}/test.parquet"
            features = pd.read_parquet(test).drop(columns="target")
            sh(sys.executable, "-m", "dlpipe", "predict", project, "--input", str(test),
               "--output", str(scratch / f"{project}.csv"), cwd=repo)
            predicted = pd.read_csv(scratch / f"{project}.csv", dtype={"label": str})
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
                # the server's compiled predictor sums in NumPy's float32 order, predict in
                # TensorFlow's: the same labels, probabilities within rounding
                np.testing.assert_allclose(result.as_numpy("probabilities"),
                                           predicted.filter(like="proba_").to_numpy(np.float32),
                                           rtol=0, atol=1e-5)
            if "value" in predicted:
                np.testing.assert_allclose([p["value"] for p in served_rows],
                                           predicted["value"], rtol=1e-6)
            else:
                assert [p["label"] for p in served_rows] == predicted["label"].tolist()
    finally:
        client.close()


# The front ends' run of a test module: its PROJECTS, the user's projects among them made by
# MADE_BY (tour blocks or scripts); a module imports these fixtures to have its own run.
@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> tuple[Path, Path]:
    return run_front_ends(tmp_path_factory, request.module.MADE_BY, request.module.PROJECTS)


@pytest.fixture(scope="module")
def snakemake_repo(runs) -> Path:
    return runs[0]


@pytest.fixture(scope="module")
def dvc_repo(runs) -> Path:
    return runs[1]


@pytest.fixture(scope="module")
def recorded_repo(request, tmp_path_factory) -> Path:
    """The module's PROJECTS run by ``make run`` (see :func:`recorded_run`)."""
    return recorded_run(tmp_path_factory, request.module.MADE_BY, request.module.PROJECTS)
