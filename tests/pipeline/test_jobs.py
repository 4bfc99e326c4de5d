"""Jobs from the stage table: which jobs the params enable and the files each one reads."""

from __future__ import annotations

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import parse_params
from dlpipe.pipeline import jobs
from dlpipe.pipeline.table import BY_NAME, STAGES


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


def test_every_project_runs_every_stage(raw_params):
    """Projects are data: a project without tasks still has the task stages (they write empty
    results), so DVC's foreach over projects and Snakemake run the same jobs."""
    raw_params["projects"] = ["iris"]
    stages = {j["stage"] for j in jobs.jobs(parse_params(raw_params))}
    assert stages == {stage.name for stage in STAGES}


def test_gathering_inputs_collect_the_enabled_score_files(raw_params):
    params = parse_params(raw_params)
    report = next(j for j in jobs.jobs(params) if j["stage"] == "report")
    table = next(j for j in jobs.jobs(params) if j["stage"] == "model_table" and
                 j["project"] == "mnist")
    every_score_file = {path for j in jobs.jobs(params) for path in j["outs"]
                    if path.startswith("reports/scores/")}
    assert every_score_file <= set(report["deps"])
    assert {p for p in every_score_file if p.startswith("reports/scores/mnist/")} <= set(
        table["deps"])
    assert not any(p.startswith("reports/scores/iris/") for p in table["deps"])
    raw_params["projects"] = ["iris"]
    report = next(j for j in jobs.jobs(parse_params(raw_params)) if j["stage"] == "report")
    assert {d.split("/")[2] for d in report["deps"] if d.startswith("reports/scores/")} == {
        "iris"}


def test_params_are_passed_by_their_last_key(raw_params):
    from dlpipe.pipeline.table import BY_NAME

    values = jobs.param_arguments(BY_NAME["tune_worker"], parse_params(raw_params), "iris")
    assert sorted(values) == ["cv", "features", "model", "seed", "tune"]
    assert values["tune"].n_trials == 6  # iris's own value over the default
    assert values["cv"].folds == raw_params["defaults"]["cv"]["folds"]  # inherited


def test_a_left_out_task_is_passed_as_none(raw_params):
    from dlpipe.pipeline.table import BY_NAME

    values = jobs.param_arguments(BY_NAME["binary"], parse_params(raw_params), "iris")
    assert values["binary"] is None


def test_resources_name_only_stages_of_the_table(raw_params, write_params):
    raw_params["resources"]["trian"] = raw_params["resources"]["train"]
    with pytest.raises(ParamsError, match=r"resources: expected 'default' and entries for "
                                          r"stages of .*, got unknown \['trian'\]"):
        jobs.load(str(write_params(raw_params)))


def test_export_reads_the_model_and_both_processed_parts(raw_params):
    """Every project's network is exported: the bundle, the processed training part (int8
    calibration) and test part in; the files (beside the bundle), metrics, run information and
    score rows out; exactly the seed, evaluate and export params."""
    params = parse_params(raw_params)
    exports = {j["project"]: j for j in jobs.jobs(params) if j["stage"] == "export"}
    assert sorted(exports) == sorted(params.projects)
    job = exports["mnist"]
    assert job["cmd"] == "python -m dlpipe export mnist"
    assert job["deps"][:3] == ["models/mnist-network", "data/processed/mnist/train.parquet",
                               "data/processed/mnist/test.parquet"]
    assert "models/litert.py" in jobs.code_files(BY_NAME["export"])
    assert job["outs"] == ["models/mnist-litert", "reports/mnist/export.json",
                           "reports/mnist/export_info.json", "reports/scores/mnist/export.csv"]
    assert job["params"] == ["seed", "mnist.evaluate", "mnist.export"]
    table = next(j for j in jobs.jobs(params) if j["stage"] == "model_table" and
                 j["project"] == "mnist")
    assert "reports/scores/mnist/export.csv" in table["deps"]
