"""One working copy shared by both front ends: DVC may rewrite what Snakemake made.

`dvc commit -f`, `dvc checkout` and `dvc pull` write outputs out of DVC's cache, with new
mtimes. A plain `snakemake -n` afterwards must plan nothing: Snakemake compares the checksums it
recorded when the jobs ran, for files up to the profile's `max-checksum-file-size`. MNIST's raw
table (~21 MB) is over Snakemake's own 1 MB default, so this fails whenever a plain `snakemake`
runs without profiles/default.

The real workflow, for MNIST's first stages only (resolve, fetch, split on 400 rows), in a
temporary git + DVC repository.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import ROOT, SHARED_DATA, copy_tracked_files, stand_in, tiny

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
# the code stage writes the code digests resolve copies into the project params
STAGES = ("code", "resolve@mnist", "fetch@mnist", "split@mnist")
TARGETS = ("reports/code.json", "reports/mnist/params", "data/interim/mnist/train.parquet",
           "data/interim/mnist/test.parquet")
RAW = "data/raw/mnist.parquet"
LARGE = 1_000_000  # Snakemake's default max-checksum-file-size


def sh(*args: str, cwd: Path) -> str:
    # SLURM_CONF=/dev/null: everything here runs locally, and the SLURM executor plugin's
    # start-up probe (`scontrol show config`) waits ~10 s for a controller that may be down
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "DLPIPE_DATA_MIRROR": str(SHARED_DATA), "SLURM_CONF": "/dev/null"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def nothing_to_do(repo: Path) -> None:
    out = sh("snakemake", "-n", *TARGETS, cwd=repo)
    # the Snakefile at the root finds the default profile beside it, with no option given
    assert "Using workflow specific profile profiles/default" in out, out[-3000:]
    assert "Nothing to be done" in out, out[-3000:]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The workflow's tracked files with MNIST alone on tiny params, after a plain `snakemake`."""
    if not (SHARED_DATA / "mnist_784.npz").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA}")
    where = tmp_path_factory.mktemp("shared")
    copy_tracked_files(where)
    raw = tiny(yaml.safe_load((ROOT / "params.yaml").read_text()))
    raw["projects"] = ["mnist"]
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    sh("git", "init", "-q", cwd=where)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A", cwd=where)
    sh("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny", cwd=where)
    sh("snakemake", "--cores", "2", *TARGETS, cwd=where)
    assert (where / RAW).stat().st_size > LARGE
    nothing_to_do(where)
    return where


def test_dvc_commit_leaves_snakemake_nothing_to_do(repo):
    before = (repo / RAW).stat().st_mtime_ns
    sh("dvc", "commit", "-f", *STAGES, cwd=repo)
    assert (repo / RAW).stat().st_mtime_ns > before  # DVC did rewrite it
    nothing_to_do(repo)


def test_dvc_checkout_leaves_snakemake_nothing_to_do(repo):
    sh("dvc", "commit", "-f", *STAGES, cwd=repo)
    for path in (RAW, *TARGETS[2:]):
        (repo / path).unlink()
    sh("dvc", "checkout", "--force", *STAGES, cwd=repo)
    assert (repo / RAW).stat().st_size > LARGE
    nothing_to_do(repo)


def refused(*args: str, cwd: Path) -> str:
    """The output of a command expected to fail."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "DLPIPE_DATA_MIRROR": str(SHARED_DATA), "SLURM_CONF": "/dev/null"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stdout + result.stderr


def test_one_front_end_at_a_time(repo, tmp_path):
    """While Snakemake has claimed the working copy, DVC's jobs refuse to start; while DVC runs a
    stage (its lock names a live dvc process), Snakemake does not start. Each says which
    process it waits for, in one line. (Stand-ins hold the claims: a process whose command line
    names the tool, as the real one's does.)"""
    from dlpipe.pipeline import guard

    work = tmp_path / "copy"
    shutil.copytree(repo, work, symlinks=True)
    holder = stand_in("snakemake")
    try:
        (work / guard.CLAIM).parent.mkdir(exist_ok=True)
        (work / guard.CLAIM).write_text(json.dumps({"pid": holder.pid,
                                                    "host": socket.gethostname()}))
        out = refused("dvc", "repro", "--force", "--single-item", "resolve@mnist", cwd=work)
        assert (f"dlpipe: error: snakemake (pid {holder.pid}) is running in this working copy; "
                "one front end at a time") in out, out
        (work / guard.CLAIM).unlink()
    finally:
        holder.kill()
        holder.wait()
    holder = stand_in("dvc")
    try:
        (work / guard.DVC_LOCK).write_text(json.dumps({"write": {str(work / "models"): {
            "pid": holder.pid, "cmd": "dvc repro"}}, "read": {}}))
        out = refused("snakemake", TARGETS[1], "--cores", "1", "--forcerun", "resolve", cwd=work)
        assert f"'dvc repro' (pid {holder.pid}) is running in this working copy" in out, out
        assert not (work / guard.CLAIM).exists()
    finally:
        holder.kill()
        holder.wait()
    (work / guard.DVC_LOCK).unlink()
    assert "resolve mnist: done" in sh("snakemake", TARGETS[1], "--cores", "1", "--forcerun",
                                       "resolve", cwd=work)
    assert not (work / guard.CLAIM).exists()  # released at the end
