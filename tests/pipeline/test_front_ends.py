"""One DAG, two front ends: dvc.yaml and Snakemake's jobs must equal the stage table, for the
table as it is and for a stage added by a test alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlpipe.params import parse_params
from dlpipe.pipeline import jobs
from dlpipe.pipeline.dvc import dvc_yaml_text

from support import ROOT

BIN = Path(sys.executable).parent


def as_dvc_declares(deps: list[str]) -> set[str]:
    """Snakemake's inputs as DVC declares them: every worker's file stands for their directory."""
    return {d.rsplit("/", 1)[0] if re.fullmatch(r"data/tuning/\w+/workers/\d+\.json", d) else d
            for d in deps}


def env(src: Path | None = None) -> dict[str, str]:
    extra = {"PYTHONPATH": str(src)} if src else {}
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **extra}


def snakemake_jobs(workdir: Path, src: Path | None = None) -> dict[str, dict]:
    """cmd -> {deps, outs} from Snakemake's dry run of every job."""
    result = subprocess.run([str(BIN / "snakemake"), "--forceall", "-n", "-p", "--cores", "1"],
                            cwd=workdir, capture_output=True, text=True, env=env(src),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    jobs, current = {}, None
    for line in (result.stdout + result.stderr).splitlines():
        if re.match(r"^(local)?rule \w+:$", line):
            current = {"deps": set(), "outs": set()}
        elif current is not None and line.startswith("    input: "):
            current["deps"] = as_dvc_declares(line[len("    input: "):].split(", "))
        elif current is not None and line.startswith("    output: "):
            current["outs"] = set(line[len("    output: "):].split(", "))
        elif current is not None and line.startswith("Shell command: "):
            command = line[len("Shell command: "):]
            if command != "None":
                jobs[command] = current
            current = None
    return jobs


def dvc_jobs(workdir: Path) -> dict[str, dict]:
    """cmd -> {deps, outs} from DVC's resolved stages (foreach expanded), params deps excluded."""
    from dvc.repo import Repo

    with Repo(str(workdir)) as repo:
        return {stage.cmd: {
            "deps": {str(d.def_path) for d in stage.deps
                     if type(d).__name__ != "ParamsDependency"},
            "outs": {str(o.def_path) for o in stage.outs}} for stage in repo.index.stages}


def test_committed_dvc_yaml_is_rendered_from_the_table(raw_params):
    assert (ROOT / "dvc.yaml").read_text() == dvc_yaml_text(parse_params(raw_params)), \
        "dvc.yaml drifted from the stage table: run `python -m dlpipe dag`"


def test_dvc_stages_declare_the_table_params(raw_params):
    params = parse_params(raw_params)
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        declared = {stage.cmd: sorted(k for d in stage.deps if type(d).__name__ ==
                                      "ParamsDependency" for k in d.params)
                    for stage in repo.index.stages}
    expected = {job["cmd"]: sorted(job["params"]) for job in jobs.jobs(params)}
    assert declared == expected


@pytest.fixture(scope="module")
def front_ends(tmp_path_factory):
    """A copy of the workflow files, so a test can make one front end drift."""
    work = tmp_path_factory.mktemp("dag")
    for name in ("Snakefile", "dvc.yaml", "params.yaml", ".dvc", "workflow", "src"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    return work


def test_snakemake_and_dvc_run_the_same_jobs(front_ends):
    smk, dvc = snakemake_jobs(front_ends), dvc_jobs(front_ends)
    assert len(dvc) == len(jobs.jobs(parse_params(yaml.safe_load(
        (front_ends / "params.yaml").read_text()))))
    assert smk.keys() == dvc.keys()
    for command in dvc:
        assert smk[command] == dvc[command], command


def test_drift_is_detected(front_ends, tmp_path):
    drifted = tmp_path / "drifted"
    shutil.copytree(front_ends, drifted)
    text = (drifted / "dvc.yaml").read_text()
    changed = text.replace("      - data/interim/${item}/test.parquet\n", "", 1)
    assert changed != text
    (drifted / "dvc.yaml").write_text(changed)
    smk, dvc = snakemake_jobs(drifted), dvc_jobs(drifted)
    assert any(smk[c] != dvc[c] for c in dvc)


NEW_ROW = '''
STAGES = (*STAGES, Stage(
    "describe", "summary statistics of the training part",
    node="dlpipe.stages.describe:describe", code=("stages/describe.py",),
    inputs={"train": "split.train"},
    outputs={"stats": text("reports/{project}/describe.csv")}))
BY_NAME = {stage.name: stage for stage in STAGES}
'''
NEW_NODE = '''"""describe: summary statistics of every column of the training part."""

import pandas as pd


def describe(train: pd.DataFrame) -> dict:
    return {"stats": train.describe().T.rename_axis("column").reset_index()}
'''


@pytest.fixture(scope="module")
def with_new_stage(front_ends, tmp_path_factory):
    """The workflow with one stage added the documented way: a row in the table, a module."""
    work = tmp_path_factory.mktemp("new_stage")
    shutil.copytree(front_ends, work, dirs_exist_ok=True)
    package = work / "src" / "dlpipe"
    with open(package / "pipeline" / "table.py", "a") as table:
        table.write(NEW_ROW)
    (package / "stages" / "describe.py").write_text(NEW_NODE)
    raw = yaml.safe_load((work / "params.yaml").read_text())
    raw["resources"]["describe"] = {"threads": 1, "mem_mb": 1000, "runtime": 5}
    (work / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    subprocess.run([sys.executable, "-m", "dlpipe", "dag"], cwd=work, env=env(work / "src"),
                   check=True, capture_output=True)
    return work


def test_a_stage_added_in_the_table_reaches_both_front_ends(with_new_stage):
    src = with_new_stage / "src"
    smk, dvc = snakemake_jobs(with_new_stage, src), dvc_jobs(with_new_stage)
    command = "python -m dlpipe describe iris"
    assert command in smk and smk == dvc
    assert "data/interim/iris/train.parquet" in dvc[command]["deps"]
    assert dvc[command]["outs"] == {"reports/iris/describe.csv"}


def test_a_stage_added_in_the_table_runs(with_new_stage):
    result = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "reports/iris/describe.csv"],
                            cwd=with_new_stage, capture_output=True, text=True,
                            env=env(with_new_stage / "src"), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = (with_new_stage / "reports/iris/describe.csv").read_text().splitlines()
    assert stats[0].startswith("column,count,mean") and len(stats) == 1 + 5  # 4 features, target
