"""The tiny iris pipeline, up to its test metrics, submitted to a real one-node SLURM cluster
(ci/cluster/start-slurm.sh): every job goes through sbatch, a job SLURM refuses names the reason,
a resubmission runs only what is missing, and the scores are those of a local run.

Runs when SLURM can be started here (root on Debian with apt); otherwise skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import ROOT, SHARED_DATA, copy_tracked_files, tiny
from frontends import cv_scores

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
BIN = Path(sys.executable).parent
UNSUPPORTED = 3  # start-slurm.sh: cannot run in this environment
# iris's test metrics: every job from the data to the evaluation (the jobs after it run the same
# way and are left to the local DAG tests)
TARGET = "reports/iris/metrics.json"


@pytest.fixture(scope="module")
def slurm():
    if not (SHARED_DATA / "mobile_price.csv").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA}")
    start = subprocess.run(["bash", str(ROOT / "ci/cluster/start-slurm.sh")], capture_output=True,
                           text=True, timeout=600)
    if start.returncode == UNSUPPORTED:
        pytest.skip(f"SLURM cannot be started here: {start.stderr.strip().splitlines()[-1]}")
    assert start.returncode == 0, start.stdout[-3000:] + start.stderr[-3000:]
    yield
    subprocess.run(["bash", str(ROOT / "ci/cluster/stop-slurm.sh")], capture_output=True,
                   timeout=120)


# the profile's status polling suits real jobs of minutes; the tiny jobs here take seconds
FAST_POLLING = ("--seconds-between-status-checks", "2",
                "--slurm-init-seconds-before-status-checks", "2")


def _command(*args: str, timeout: int = 900) -> tuple[list[str], dict]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "DLPIPE_DATA_MIRROR": str(SHARED_DATA)}
    return ["timeout", "-k", "10", str(timeout), str(BIN / "snakemake"), *args], env


def snakemake(repo: Path, *args: str) -> subprocess.CompletedProcess:
    command, env = _command(*args)
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


def iris_repo(where: Path) -> Path:
    """The workflow files and a tiny iris-only params file."""
    copy_tracked_files(where)
    raw = tiny(yaml.safe_load((ROOT / "params.yaml").read_text()))
    raw["projects"] = ["iris"]
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return where


def rules_run(output: str) -> list[str]:
    """The rule of every job Snakemake started, in order."""
    return re.findall(r"^(?:local)?rule (\w+):", output, flags=re.M)


def scores(repo: Path) -> dict[str, object]:
    """iris's test metrics and CV scores."""
    return {"test": json.loads((repo / TARGET).read_text()), "cv": cv_scores(repo, "iris")}


def submitted(output: str) -> dict[str, str]:
    """Snakemake job id -> SLURM job id, from the executor's log lines."""
    return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", output))


def sacct_states(job_ids) -> dict[str, str]:
    result = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j",
                             ",".join(job_ids)], capture_output=True, text=True, check=True)
    return dict(line.split("|") for line in result.stdout.split())


@pytest.fixture(scope="module")
def local_started(tmp_path_factory):
    """The same pipeline run locally, started first so that it runs while the cluster starts
    and its jobs wait in the queue; its output goes to a file."""
    repo = iris_repo(tmp_path_factory.mktemp("local"))
    command, env = _command("--cores", "2", TARGET)
    with open(repo / "snakemake.out", "w") as out:
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
    yield repo, process
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def local_run(local_started):
    repo, process = local_started
    process.wait(timeout=900)
    output = (repo / "snakemake.out").read_text()
    assert process.returncode == 0, output[-3000:]
    return repo, rules_run(output)


@pytest.fixture(scope="module")
def cluster_runs(local_started, slurm, tmp_path_factory):
    """The tiny iris pipeline on SLURM: first with a memory request no node can satisfy for
    `train` (that submission fails, the jobs before it finish), then with it fixed."""
    repo = iris_repo(tmp_path_factory.mktemp("cluster"))
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["resources"]["train"]["mem_mb"] = 10_000_000  # 10 TB
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    failed = snakemake(repo, "--workflow-profile", "profiles/slurm", "--jobs", "2",
                       *FAST_POLLING, TARGET)
    raw["resources"]["train"]["mem_mb"] = 1000
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    fixed = snakemake(repo, "--workflow-profile", "profiles/slurm", "--jobs", "2",
                      *FAST_POLLING, TARGET)
    return repo, failed, fixed


def test_failed_submission_names_the_reason(cluster_runs):
    repo, failed, _ = cluster_runs
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Memory specification can not be satisfied" in output, output[-4000:]
    assert "rule train" in output or "Error in rule train" in output
    assert (repo / "data/tuning/iris/best_params.json").exists()  # work before train is kept


def test_resubmission_runs_only_whats_missing(cluster_runs):
    _, failed, fixed = cluster_runs
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, output[-4000:]
    assert sorted(rules_run(output)) == ["evaluate", "train"], output[-4000:]


def test_every_job_went_through_slurm_and_matches_local(cluster_runs, local_run):
    repo, failed, fixed = cluster_runs
    local, local_rules = local_run
    submissions = {**submitted(failed.stdout + failed.stderr), **{
        f"fixed-{k}": v for k, v in submitted(fixed.stdout + fixed.stderr).items()}}
    assert len(submissions) == len(local_rules), (submissions, local_rules)
    assert {"tune_worker", "train", "evaluate"} <= set(local_rules)
    states = sacct_states(submissions.values())
    assert set(states.values()) == {"COMPLETED"}, states
    assert scores(repo) == scores(local)
