"""The scheduler's view of each job: its stage's resources, memory by project, and the priority
it takes from the jobs reading its outputs."""

from __future__ import annotations

import pytest

from dlpipe.errors import ParamsError
from dlpipe.params import parse_params
from dlpipe.pipeline import jobs, scheduling
from dlpipe.pipeline.table import BY_NAME


def test_a_stage_without_resources_of_its_own_gets_the_default(raw_params, write_params):
    del raw_params["resources"]["train"]
    params = jobs.load(str(write_params(raw_params)))
    assert scheduling.resources(params, BY_NAME["train"]) == params.resources["default"]
    assert scheduling.resources(params, BY_NAME["fetch"]) == params.resources["fetch"]


def test_memory_may_differ_by_project(raw_params):
    raw_params["resources"]["train"]["mem_mb"] = {"default": 900, "mnist": 1700}
    raw_params["resources"]["fetch"]["mem_mb"] = 300
    params = parse_params(raw_params)
    train, fetch = (scheduling.resources(params, BY_NAME[name]) for name in ("train", "fetch"))
    assert (train.memory("mnist"), train.memory("iris"), train.memory("all")) == (1700, 900, 900)
    assert fetch.memory("mnist") == 300


def test_memory_by_project_needs_a_default(raw_params, write_params):
    raw_params["resources"]["train"]["mem_mb"] = {"mnist": 1700}
    with pytest.raises(ParamsError, match=r"resources\.train.*mem_mb: a mapping by project needs "
                                          r"a 'default' entry, got \['mnist'\]"):
        jobs.load(str(write_params(raw_params)))


def test_a_job_takes_the_priority_of_the_jobs_reading_its_outputs(raw_params):
    for entry in raw_params["resources"].values():
        entry["priority"] = 0
    raw_params["resources"]["train"]["priority"] = {"default": 5, "mnist": 7}
    raw_params["resources"]["explain"]["priority"] = 3
    params = parse_params(raw_params)
    # what train waits for, directly or further up, starts as early as train would
    for name in ("train", "tune", "tune_worker", "preprocess", "split", "fetch"):
        assert scheduling.priority(params, BY_NAME[name], "iris") == 5, name
        assert scheduling.priority(params, BY_NAME[name], "mnist") == 7, name
    # select is read by explain; baseline and evaluate by select: they take explain's
    for name in ("select", "baseline", "evaluate"):
        assert scheduling.priority(params, BY_NAME[name], "iris") == 3, name
    # what reads explain's outputs, or nothing explain waits for, keeps its own
    for name in ("audit", "reference", "multiclass"):
        assert scheduling.priority(params, BY_NAME[name], "mnist") == 0, name


def test_priority_by_project_needs_a_default(raw_params, write_params):
    raw_params["resources"]["train"]["priority"] = {"mnist": 3}
    with pytest.raises(ParamsError, match=r"resources\.train.*priority: a mapping by project "
                                          r"needs a 'default' entry, got \['mnist'\]"):
        jobs.load(str(write_params(raw_params)))
