"""The stage table as Snakemake rule fields (``workflow/rules/stages.smk`` makes one rule per
stage from these): wildcard patterns, input functions, outputs, params, log, benchmark, shell."""

from __future__ import annotations

import json
from typing import Any, Callable

from dlpipe.params import Params
from dlpipe.pipeline import jobs
from dlpipe.pipeline.stage import Output, Stage


def patterns(stage: Stage) -> jobs.Wildcards:
    """The job's wildcards as Snakemake patterns (or the fixed project of a once-only stage)."""
    if stage.scope == "all":
        return {"project": jobs.ALL}
    if stage.scope == "worker":
        return {"project": "{project}", "worker": "{worker}"}
    return {"project": "{project}"}


def inputs(stage: Stage, params: Params) -> Callable[[Any], list[str]]:
    return lambda wildcards: jobs.deps(stage, {"project": jobs.ALL, **dict(wildcards)}, params)


def outputs(stage: Stage) -> list[tuple[str, Output]]:
    return [(jobs.fill(out.path, patterns(stage)), out) for out in stage.outputs.values()]


def param_values(stage: Stage, config: dict[str, Any]) -> Callable[[Any], str]:
    """A JSON string of the declared params.yaml values: a change re-runs the job."""
    return lambda wildcards: json.dumps(jobs.param_values(
        stage, getattr(wildcards, "project", jobs.ALL), config), sort_keys=True)


def command(stage: Stage) -> Callable[[Any], str]:
    """The job's command, as a rule param: Snakemake evaluates a rule's ``shell:`` expression
    when the job runs, after the loop that defines the rules has moved on to the last stage."""
    return lambda wildcards: jobs.command(stage, {"project": jobs.ALL, **dict(wildcards)})


def log(stage: Stage) -> str:
    return jobs.log_path(stage, patterns(stage))


def benchmark(stage: Stage) -> str:
    return log(stage).replace("logs/", "benchmarks/", 1).replace(".log", ".tsv")
