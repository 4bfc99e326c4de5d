"""One DAG, two front ends: dvc.yaml and Snakemake's jobs must equal the stage table, for the
table as it is and for a stage added by a test alone."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dlpipe.params import parse_params
from dlpipe.pipeline import jobs, scheduling
from dlpipe.pipeline.dvc import dvc_yaml_text, project_params_dir
from dlpipe.pipeline.table import BY_NAME

from support import LOCAL, ROOT

BIN = Path(sys.executable).parent


WORKER = re.compile(r"^(python -m dlpipe \w+ \w+) --worker \d+$")


def as_dvc_declares(command: str, job: dict) -> tuple[str, dict]:
    """A Snakemake job as DVC declares it. DVC runs a project's tuning workers as one stage
    whose output is their directory; gathered score files are their directory; every worker's
    file stands for that directory; the code stage's source files are the package directory."""
    scores = "reports/scores" if command.endswith("report all") else None
    package = command.endswith(f" {jobs.CODE_STAGE} {jobs.ALL}")

    def dvc_view(path: str) -> str:
        if package and path.startswith(f"{jobs.PKG}/"):
            return jobs.PKG
        if re.fullmatch(r"data/tuning/\w+/workers/\d+\.json", path):
            return path.rsplit("/", 1)[0]
        if path.startswith("reports/scores/"):
            return scores or path.rsplit("/", 1)[0]
        return path

    worker = WORKER.match(command)
    outs = {o.rsplit("/", 1)[0] for o in job["outs"]} if worker else job["outs"]
    # DVC follows the stage's own params file (its writer: params.yaml), Snakemake the same
    # values as a rule param
    name, project = command.split(" --")[0].split()[-2:]
    params_file = (set() if project == jobs.ALL else {"params.yaml"}
                   if name == jobs.project_params_writer().name
                   else {f"{project_params_dir()}/{name}.json".format(project=project)})
    return (f"{worker.group(1)} --worker all" if worker else command,
            {"deps": {dvc_view(d) for d in job["deps"]} | params_file, "outs": outs})


def env(src: Path | None = None) -> dict[str, str]:
    extra = {"PYTHONPATH": str(src)} if src else {}
    return {**os.environ, **LOCAL, "PATH": f"{BIN}:{os.environ['PATH']}", **extra}


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
            current["deps"] = set(line[len("    input: "):].split(", "))
        elif current is not None and line.startswith("    output: "):
            current["outs"] = set(line[len("    output: "):].split(", "))
        elif current is not None and line.startswith("Shell command: "):
            command = line[len("Shell command: "):]
            if command != "None":
                name, job = as_dvc_declares(command, current)
                seen = jobs.setdefault(name, {"deps": set(), "outs": set()})
                seen["deps"] |= job["deps"]
                seen["outs"] |= job["outs"]
            current = None
    return jobs


def smk_inputs(workdir: Path, src: Path, command: str) -> set[str]:
    """The input files of a Snakemake job, as it names them (before the DVC view)."""
    result = subprocess.run([str(BIN / "snakemake"), "--forceall", "-n", "-p", "--cores", "1"],
                            cwd=workdir, capture_output=True, text=True, env=env(src),
                            check=True)
    inputs = set()
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("    input: "):
            inputs = set(line[len("    input: "):].split(", "))
        elif line == f"Shell command: python -m dlpipe {command}":
            return inputs
    raise AssertionError(f"no job runs {command!r}")


def dvc_jobs(workdir: Path) -> dict[str, dict]:
    """cmd -> {deps, outs} from DVC's resolved stages (foreach expanded), params deps excluded."""
    from dvc.repo import Repo

    with Repo(str(workdir)) as repo:
        return {stage.cmd: {
            "deps": {str(d.def_path) for d in stage.deps
                     if type(d).__name__ != "ParamsDependency"},
            "outs": {str(o.def_path) for o in stage.outs}} for stage in repo.index.stages}


def test_committed_dvc_yaml_is_rendered_from_the_table(raw_params):
    assert (ROOT / "dvc.yaml").read_text() == dvc_yaml_text(), \
        "dvc.yaml drifted from the stage table: run `python -m dlpipe dag`"


def test_dvc_stages_follow_the_table_params(raw_params):
    """The once-only stages track their params.yaml keys; the writer of the project params
    depends on params.yaml whole, as a file; every other stage depends on its own params file
    (written by the writer), which holds the project's own keys and seed the table declares
    for it, and its code digest."""
    params = parse_params(raw_params)
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        declared = {}
        for stage in repo.index.stages:
            keys = [key for dep in stage.deps if type(dep).__name__ == "ParamsDependency"
                    for key in dep.params]
            own = [re.fullmatch(r"reports/(\w+)/params/(\w+)\.json", str(dep.def_path))
                   for dep in stage.deps]
            for project, name in [match.groups() for match in own if match]:
                assert name == stage.name.split("@")[0] and not keys, stage
                keys = [f"{project}.{k}" if k != "seed" else k
                        for k in jobs.project_keys(BY_NAME[name])]
            if "params.yaml" in {str(dep.def_path) for dep in stage.deps
                                 if type(dep).__name__ != "ParamsDependency"}:
                assert not keys, stage
                keys = ["params.yaml"]
            declared[stage.cmd] = sorted(keys)
    expected = {}
    writer = jobs.project_params_writer().name
    for job in jobs.jobs(params):
        command = WORKER.sub(r"\1 --worker all", job["cmd"])
        expected[command] = ["params.yaml"] if job["stage"] == writer else sorted(job["params"])
    assert declared == expected


def test_dvc_declares_the_export_outputs():
    """The LiteRT files in the DVC cache; sizes and scores a metric; latencies (they depend on
    the machine) beside them, not a metric."""
    body = yaml.safe_load(dvc_yaml_text())["stages"]["export"]["do"]
    assert "models/${item}-litert" in body["outs"]
    assert {"reports/${item}/export_info.json": {"cache": False}} in body["outs"]
    assert body["metrics"] == [{"reports/${item}/export.json": {"cache": False}}]


@pytest.fixture(scope="module")
def front_ends(tmp_path_factory):
    """A copy of the workflow files, so a test can make one front end drift."""
    work = tmp_path_factory.mktemp("dag")
    for name in ("dvc.yaml", "params.yaml", ".dvc", "Snakefile", "profiles", "workflow", "src"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    return work


def test_snakemake_and_dvc_run_the_same_jobs(front_ends):
    smk, dvc = snakemake_jobs(front_ends), dvc_jobs(front_ends)
    params = parse_params(yaml.safe_load((front_ends / "params.yaml").read_text()))
    assert len(dvc) == len({WORKER.sub(r"\1 --worker all", j["cmd"]) for j in jobs.jobs(params)})
    assert smk.keys() == dvc.keys()
    for command in dvc:
        assert smk[command] == dvc[command], command


def test_snakemake_reserves_what_params_give_each_job(front_ends):
    """Per-project memory and the priority a stage takes from its readers reach the jobs."""
    result = subprocess.run([str(BIN / "snakemake"), "--forceall", "-n", "-p", "--cores", "1"],
                            cwd=front_ends, capture_output=True, text=True, env=env(),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    params = jobs.load(str(front_ends / "params.yaml"))
    seen, job = {}, {}
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("    priority: "):
            job["priority"] = int(line.split(": ")[1])
        elif line.startswith("    resources: ") and "mem_mb=" in line:
            job["mem_mb"] = int(re.search(r"\bmem_mb=(\d+)", line).group(1))
        elif line.startswith("Shell command: python -m dlpipe "):
            stage, project = line.split()[5:7]
            seen[(stage, project)], job = {"priority": 0, **job}, {}
    for stage, project in [("preprocess", "mnist"), ("preprocess", "iris"), ("train", "mnist"),
                           ("train", "price"), ("fetch", "mnist"), ("code", "all")]:
        expected = scheduling.resources(params, BY_NAME[stage])
        assert seen[(stage, project)] == {"mem_mb": expected.memory(project),
                                          "priority": scheduling.priority(params, BY_NAME[stage],
                                                                          project)}
    assert seen[("preprocess", "mnist")]["mem_mb"] > seen[("preprocess", "iris")]["mem_mb"]
    # what MNIST's train waits for starts no later than train would
    assert seen[("fetch", "mnist")]["priority"] >= seen[("train", "mnist")]["priority"] > 0
    assert seen[("train", "mnist")]["priority"] > seen[("train", "price")]["priority"]


def test_both_front_ends_run_the_export_stage(front_ends):
    smk, dvc = snakemake_jobs(front_ends), dvc_jobs(front_ends)
    for project in ("mnist", "iris", "price"):
        command = f"python -m dlpipe export {project}"
        assert smk[command] == dvc[command]
        assert f"models/{project}-network" in dvc[command]["deps"]
        assert f"models/{project}-litert" in dvc[command]["outs"]


def test_drift_is_detected(front_ends, tmp_path):
    drifted = tmp_path / "drifted"
    shutil.copytree(front_ends, drifted)
    text = (drifted / "dvc.yaml").read_text()
    changed = text.replace("      - data/interim/${item}/test.parquet\n", "", 1)
    assert changed != text
    (drifted / "dvc.yaml").write_text(changed)
    smk, dvc = snakemake_jobs(drifted), dvc_jobs(drifted)
    assert any(smk[c] != dvc[c] for c in dvc)


def test_changing_projects_or_workers_needs_no_re_render(front_ends, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(front_ends, changed)
    raw = yaml.safe_load((changed / "params.yaml").read_text())
    raw["projects"] = ["iris", "price"]
    raw["iris"].setdefault("tune", {})["workers"] = 3
    (changed / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    smk, dvc = snakemake_jobs(changed), dvc_jobs(changed)
    assert smk == dvc
    assert not [c for c in dvc if " mnist" in c]
    workers = [c for c in smk if c.startswith("python -m dlpipe tune_worker iris")]
    assert workers == ["python -m dlpipe tune_worker iris --worker all"]
    assert (changed / "dvc.yaml").read_text() == (front_ends / "dvc.yaml").read_text()


def test_snakemake_runs_every_job_with_another_params_file(front_ends, tmp_path):
    other = tmp_path / "other.yaml"
    raw = yaml.safe_load((front_ends / "params.yaml").read_text())
    raw["projects"] = ["iris"]
    other.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = subprocess.run([str(BIN / "snakemake"), "--forceall", "-n", "-p", "--cores", "1",
                             "--configfile", str(other)], cwd=front_ends, capture_output=True,
                            text=True, env=env(), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    commands = [line.split(": ", 1)[1] for line in result.stdout.splitlines()
                if line.startswith("Shell command: python")]
    assert commands and all(c.endswith(f" --params {other}") for c in commands)
    assert all(" iris " in c or " all " in c for c in commands)


NEW_ROW = '''
STAGES = (*STAGES, Stage(
    "describe", "summary statistics of the training part",
    node="dlpipe.stages.describe:describe",
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
    """The workflow with one stage added the documented way: a row in the table, a module, and
    nothing else (its resources are params.yaml's `default`)."""
    work = tmp_path_factory.mktemp("new_stage")
    shutil.copytree(front_ends, work, dirs_exist_ok=True)
    package = work / "src" / "dlpipe"
    with open(package / "pipeline" / "table.py", "a") as table:
        table.write(NEW_ROW)
    (package / "stages" / "describe.py").write_text(NEW_NODE)
    subprocess.run([sys.executable, "-m", "dlpipe", "dag"], cwd=work, env=env(work / "src"),
                   check=True, capture_output=True)
    return work


def test_a_stage_added_in_the_table_reaches_both_front_ends(with_new_stage):
    src = with_new_stage / "src"
    smk, dvc = snakemake_jobs(with_new_stage, src), dvc_jobs(with_new_stage)
    command = "python -m dlpipe describe iris"
    assert command in smk and smk == dvc
    assert "data/interim/iris/train.parquet" in dvc[command]["deps"]
    # its node's module is read by the code stage, which writes the stage's own digest
    assert "src/dlpipe/stages/describe.py" in smk_inputs(with_new_stage, src, "code all")
    assert "describe" in json.loads(subprocess.run(
        [sys.executable, "-c", "import json; from dlpipe.pipeline import jobs; "
         "print(json.dumps(jobs.code_digests()))"], cwd=with_new_stage,
        env=env(src), capture_output=True, text=True, check=True).stdout)
    assert dvc[command]["outs"] == {"reports/iris/describe.csv"}


def test_a_stage_added_in_the_table_runs(with_new_stage):
    result = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "reports/iris/describe.csv"],
                            cwd=with_new_stage, capture_output=True, text=True,
                            env=env(with_new_stage / "src"), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = pd.read_csv(with_new_stage / "reports/iris/describe.csv")
    assert list(stats.columns[:3]) == ["column", "count", "mean"]
    assert stats["column"].str.endswith("(cm)").all() and len(stats) == 4  # the iris features
