"""One front end at a time: a job refuses to start while the other front end runs here."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from dlpipe.errors import DlpipeError
from dlpipe.pipeline import guard

from support import stand_in


@pytest.fixture
def process():
    """Start a sleeping process whose command line names ``program``; its pid."""
    started = []

    def start(program: str) -> int:
        started.append(stand_in(program))
        return started[-1].pid

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def snakemake_claim(root, pid: int, host: str | None = None) -> None:
    (root / guard.CLAIM).parent.mkdir(exist_ok=True)
    (root / guard.CLAIM).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname()}))


def dvc_lock(root, pid: int, cmd: str = "dvc repro") -> None:
    """DVC's record of the stage it is running (its format: path -> pid and command)."""
    (root / guard.DVC_LOCK).parent.mkdir(parents=True)
    (root / guard.DVC_LOCK).write_text(json.dumps({
        "write": {"/repo/models/iris": {"pid": pid, "cmd": cmd}},
        "read": {"/repo/data/interim/iris/train.parquet": [{"pid": pid, "cmd": cmd}]}}))


def test_a_dvc_job_refuses_while_snakemake_runs_here(tmp_path, monkeypatch, process):
    monkeypatch.setenv("DVC_STAGE", "train@iris")
    guard.check(tmp_path)  # nothing running
    pid = process("snakemake")
    snakemake_claim(tmp_path, pid)
    with pytest.raises(DlpipeError, match=rf"^snakemake \(pid {pid}\) is running in this "
                                          r"working copy; one front end at a time"):
        guard.check(tmp_path)


def test_a_job_refuses_while_dvc_runs_a_stage_here(tmp_path, monkeypatch, process):
    monkeypatch.delenv("DVC_STAGE", raising=False)
    pid = process("dvc")
    dvc_lock(tmp_path, pid)
    with pytest.raises(DlpipeError, match=rf"^'dvc repro' \(pid {pid}\) is running"):
        guard.check(tmp_path)
    with pytest.raises(DlpipeError, match="is running"):
        guard.claim(tmp_path)  # Snakemake does not start either
    assert not (tmp_path / guard.CLAIM).exists()


@pytest.mark.parametrize("stale", ["dead", "other host", "not snakemake", "garbage"])
def test_a_claim_of_no_running_front_end_is_ignored(tmp_path, monkeypatch, process, stale):
    monkeypatch.setenv("DVC_STAGE", "train@iris")
    if stale == "dead":
        dead = subprocess.Popen([sys.executable, "-c", "pass", "snakemake"])
        dead.wait()
        snakemake_claim(tmp_path, dead.pid)
    elif stale == "other host":
        snakemake_claim(tmp_path, process("snakemake"), host="another-node")
    elif stale == "not snakemake":
        snakemake_claim(tmp_path, process("something-else"))
    else:
        (tmp_path / guard.CLAIM).parent.mkdir()
        (tmp_path / guard.CLAIM).write_text("{not json")
    guard.check(tmp_path)


def test_snakemake_claims_the_working_copy_and_releases_only_its_own(tmp_path):
    guard.claim(tmp_path)
    assert json.loads((tmp_path / guard.CLAIM).read_text())["host"] == socket.gethostname()
    guard.release(tmp_path)
    assert not (tmp_path / guard.CLAIM).exists()
    snakemake_claim(tmp_path, 1)
    guard.release(tmp_path)
    assert (tmp_path / guard.CLAIM).exists()
