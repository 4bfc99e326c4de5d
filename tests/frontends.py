"""Running the pipeline through both front ends in temporary git repos, for the integration tests.

A repo is a copy of this project's tracked files, the user's projects made by the README tour's
blocks as written, and the tests' tiny params; Snakemake and `dvc repro` run it at once, a core
each. The helpers here also serve a run's bundles on a free port of 127.0.0.1 and read what the
tour's commands print.
"""

from __future__ import annotations

import json
import os
import re
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


def env_of(repo: Path) -> dict[str, str]:
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


def served_test(repo: Path, project: str) -> dict[str, float]:
    """The test scores of the family the project's bundle holds (its selection says which)."""
    selection = json.loads((repo / f"reports/{project}/selection.json").read_text())
    return selection["families"][selection["served"]]["test"]


def ran_stages(output: str) -> set[str]:
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


def back_to_the_committed_run(repo: Path) -> None:
    """params, dvc.lock and the git-tracked metrics as committed, then the cache."""
    sh("git", "checkout", "HEAD", "--", ".", cwd=repo)
    sh("dvc", "checkout", cwd=repo)


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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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


# The front ends' run of a test module: its PROJECTS, the user's projects among them made by the
# README tour's blocks MADE_BY; a module imports these fixtures to have its own run.
@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> tuple[Path, Path]:
    return run_front_ends(tmp_path_factory, request.module.MADE_BY, request.module.PROJECTS)


@pytest.fixture(scope="module")
def snakemake_repo(runs) -> Path:
    return runs[0]


@pytest.fixture(scope="module")
def dvc_repo(runs) -> Path:
    return runs[1]
