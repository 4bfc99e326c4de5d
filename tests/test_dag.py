"""One DAG, two front ends: dvc.yaml and Snakemake's jobs must equal the stage table."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlpipe import dag
from dlpipe.params import parse_params

from support import ROOT

BIN = Path(sys.executable).parent


def snakemake_jobs(workdir: Path) -> dict[str, dict]:
    """cmd -> {deps, outs} from Snakemake's dry run of every job."""
    result = subprocess.run([str(BIN / "snakemake"), "--forceall", "-n", "-p", "--cores", "1"],
                            cwd=workdir, capture_output=True, text=True,
                            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    jobs, current = {}, None
    for line in (result.stdout + result.stderr).splitlines():
        if re.match(r"^(local)?rule \w+:$", line):
            current = {"deps": set(), "outs": set()}
        elif current is not None and line.startswith("    input: "):
            current["deps"] = dag.dvc_deps_view(line[len("    input: "):].split(", "))
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
    assert (ROOT / "dvc.yaml").read_text() == dag.dvc_yaml_text(parse_params(raw_params)), \
        "dvc.yaml drifted from src/dlpipe/dag.py: run `python -m dlpipe dag`"


def test_dvc_stages_declare_the_table_params(raw_params):
    params = parse_params(raw_params)
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        declared = {stage.cmd: sorted(k for d in stage.deps if type(d).__name__ ==
                                      "ParamsDependency" for k in d.params)
                    for stage in repo.index.stages}
    expected = {job["cmd"]: sorted(job["params"]) for job in dag.jobs(params)}
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
    assert len(dvc) == len(dag.jobs(parse_params(yaml.safe_load(
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


def test_tune_fans_out_into_workers(raw_params):
    raw_params["iris"]["tune"]["workers"] = 3
    params = parse_params(raw_params)
    jobs = {j["cmd"]: j for j in dag.jobs(params)}
    workers = [c for c in jobs if c.startswith("python -m dlpipe tune_worker iris")]
    assert workers == [f"python -m dlpipe tune_worker iris --worker {k}" for k in range(3)]
    assert [d for d in jobs["python -m dlpipe tune iris"]["deps"] if "workers" in d] == [
        f"data/tuning/iris/workers/{k}.json" for k in range(3)]
    rendered = dag.render_dvc(params)["stages"]["tune_worker"]["foreach"]
    assert {"iris-0", "iris-1", "iris-2", "mnist-0", "price-0"} == set(rendered)


def test_study_stages_exist_only_for_projects_with_a_study(raw_params):
    params = parse_params(raw_params)
    study_jobs = [(j["stage"], j["project"]) for j in dag.jobs(params)
                  if j["stage"] in ("binary", "multiclass", "multilabel", "denoise", "mlp")]
    assert {p for _, p in study_jobs} == {"mnist"} and len(study_jobs) == 5
    raw_params["projects"] = ["iris"]
    assert "binary" not in dag.render_dvc(parse_params(raw_params))["stages"]


def test_report_reads_every_result_file(raw_params):
    files = dag.result_files(parse_params(raw_params))
    assert "reports/iris/scores.csv" in files and "reports/mnist/binary/scores.csv" in files
    assert len(files) == 3 + 5


def test_resources_must_name_every_stage(raw_params, write_params):
    from dlpipe.errors import ParamsError

    del raw_params["resources"]["train"]
    with pytest.raises(ParamsError, match=r"resources: expected one entry per stage .* missing "
                                          r"\['train'\]"):
        dag.load(str(write_params(raw_params)))
