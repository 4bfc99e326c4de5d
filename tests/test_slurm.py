"""The tiny pipeline submitted to a real one-node SLURM cluster (ci/cluster/start-slurm.sh).

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

from dlpipe import dag
from dlpipe.params import parse_params
from support import ROOT, SHARED_DATA, tiny

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
BIN = Path(sys.executable).parent
UNSUPPORTED = 3  # start-slurm.sh: cannot run in this environment


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


def snakemake(repo: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "DLPIPE_DATA_MIRROR": str(SHARED_DATA)}
    return subprocess.run(["timeout", "-k", "10", str(timeout), str(BIN / "snakemake"), *args],
                          cwd=repo, env=env, capture_output=True, text=True)


def iris_repo(where: Path) -> Path:
    """The workflow files and a tiny iris-only params file."""
    from test_integration import make_repo

    repo = make_repo(where)
    raw = tiny(yaml.safe_load((ROOT / "params.yaml").read_text()))
    raw["projects"] = ["iris"]
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return repo


def submitted(output: str) -> dict[str, str]:
    """Snakemake job id -> SLURM job id, from the executor's log lines."""
    return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", output))


def sacct_states(job_ids) -> dict[str, str]:
    result = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j",
                             ",".join(job_ids)], capture_output=True, text=True, check=True)
    return dict(line.split("|") for line in result.stdout.split())


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    repo = iris_repo(tmp_path_factory.mktemp("local"))
    result = snakemake(repo, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return repo


def test_every_job_goes_through_slurm_and_matches_local(slurm, local_run, tmp_path):
    repo = iris_repo(tmp_path)
    result = snakemake(repo, "--workflow-profile", "workflow/profiles/slurm", "--jobs", "2")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    jobs = submitted(output)
    expected = len(dag.jobs(parse_params(yaml.safe_load((repo / "params.yaml").read_text()))))
    assert len(jobs) == expected, output[-4000:]
    states = sacct_states(jobs.values())
    assert set(states.values()) == {"COMPLETED"}, states
    for name in ("reports/iris/metrics.json", "reports/iris/cv.json"):
        assert json.loads((repo / name).read_text()) == json.loads((local_run / name).read_text())
    assert (repo / "reports/summary.csv").read_text() == (
        local_run / "reports/summary.csv").read_text()


def test_failed_submission_names_the_reason_and_resubmission_runs_only_whats_missing(
        slurm, tmp_path):
    repo = iris_repo(tmp_path)
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["resources"]["train"]["mem_mb"] = 10_000_000  # 10 TB: more than any node here
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    failed = snakemake(repo, "--workflow-profile", "workflow/profiles/slurm", "--jobs", "2")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Memory specification can not be satisfied" in output, output[-4000:]
    assert (repo / "models/iris/best_params.json").exists()  # work before train is kept

    raw["resources"]["train"]["mem_mb"] = 1000
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    again = snakemake(repo, "--workflow-profile", "workflow/profiles/slurm", "--jobs", "2")
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-4000:]
    ran = re.findall(r"^rule (\w+):", output, flags=re.M)
    assert sorted(set(ran)) == ["all", "evaluate", "report", "train"] or sorted(set(ran)) == [
        "evaluate", "report", "train"], ran
