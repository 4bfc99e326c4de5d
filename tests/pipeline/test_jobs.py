"""Jobs from the stage table: which jobs the params enable and the files each one reads."""

from __future__ import annotations

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import parse_params
from dlpipe.pipeline import jobs
from dlpipe.pipeline.table import STAGES


def test_every_input_names_an_output_of_an_earlier_stage():
    seen: set[str] = set()
    for stage in STAGES:
        for reference in stage.inputs.values():
            if isinstance(reference, str):
                assert reference in seen, f"{stage.name} reads {reference} before it is made"
        seen |= {f"{stage.name}.{name}" for name in stage.outputs}


def test_no_two_outputs_share_a_path():
    paths = [out.path for stage in STAGES for out in stage.outputs.values()]
    assert len(paths) == len(set(paths))


def test_tune_fans_out_into_workers(raw_params):
    raw_params["iris"]["tune"]["workers"] = 3
    resolved = {j["cmd"]: j for j in jobs.jobs(parse_params(raw_params))}
    workers = [c for c in resolved if c.startswith("python -m dlpipe tune_worker iris")]
    assert workers == [f"python -m dlpipe tune_worker iris --worker {k}" for k in range(3)]
    assert [d for d in resolved["python -m dlpipe tune iris"]["deps"] if "workers" in d] == [
        f"data/tuning/iris/workers/{k}.json" for k in range(3)]


def test_task_stages_run_only_for_projects_with_tasks(raw_params):
    params = parse_params(raw_params)
    task_jobs = {(j["stage"], j["project"]) for j in jobs.jobs(params)
                 if j["stage"] in ("binary", "multiclass", "multilabel", "denoise", "mlp",
                                   "models")}
    assert {project for _, project in task_jobs} == {"mnist"}
    raw_params["projects"] = ["iris"]
    assert not [j for j in jobs.jobs(parse_params(raw_params)) if j["stage"] == "binary"]


def test_gathering_inputs_collect_the_enabled_results(raw_params):
    params = parse_params(raw_params)
    report = next(j for j in jobs.jobs(params) if j["stage"] == "report")
    models = next(j for j in jobs.jobs(params) if j["stage"] == "models")
    every_result = {path for j in jobs.jobs(params) for path in j["outs"]
                    if path.endswith("scores.csv")}
    assert every_result <= set(report["deps"])
    assert {p for p in every_result if p.startswith("reports/mnist/")} <= set(models["deps"])
    assert not any(p.startswith("reports/iris/") for p in models["deps"])
    raw_params["projects"] = ["iris"]
    report = next(j for j in jobs.jobs(parse_params(raw_params)) if j["stage"] == "report")
    assert [d for d in report["deps"] if d.endswith(".csv")] == ["reports/iris/scores.csv"]


def test_params_values_follow_the_declared_keys(raw_params):
    split = next(s for s in STAGES if s.name == "split")
    assert jobs.param_values(split, "iris", raw_params) == {"iris.split": raw_params["iris"]["split"]}


def test_resources_must_name_every_stage(raw_params, write_params):
    del raw_params["resources"]["train"]
    with pytest.raises(ParamsError, match=r"resources: expected one entry per stage .* missing "
                                          r"\['train'\]"):
        jobs.load(str(write_params(raw_params)))
