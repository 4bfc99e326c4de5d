"""A run stopped by SIGTERM (`dlpipe retrain`'s stop, a cluster's time limit, `kill`) ends its
jobs, leaves Snakemake's working copy unlocked, and the next run completes: iris's tiny
pipeline, its jobs forked by `dlpipe preload` as `make run` runs them."""

from __future__ import annotations

import signal
import subprocess

import pytest

from frontends import env_of, forked, make_repo, run_project, sh
from support import wait_for

pytestmark = pytest.mark.slow
COMMAND = ("snakemake", "--workflow-profile", "profiles/default", "--cores", "2", "project_iris")


def test_a_run_stopped_mid_way_leaves_no_lock_and_the_next_run_completes(tmp_path):
    repo = make_repo(tmp_path / "repo", (), ("iris",))
    output = tmp_path / "stopped.out"
    with open(output, "w") as out:
        run = subprocess.Popen(forked(*COMMAND), cwd=repo, env=env_of(repo), stdout=out,
                               stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "Finished jobid" in output.read_text(), 300, run,  # after its first job
                 lambda: output.read_text()[-3000:])
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=120) == 128 + signal.SIGTERM, output.read_text()[-3000:]
    finally:
        run.kill()
    said = output.read_text()
    assert "steps (100%) done" not in said  # stopped, not finished
    assert not list((repo / ".snakemake/locks").glob("*"))
    assert "Nothing to be done" not in run_project(repo, "iris")
    assert "Nothing to be done" in sh("snakemake", "-n", "--workflow-profile", "profiles/default",
                                      "project_iris", cwd=repo)
