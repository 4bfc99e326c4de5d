"""The stage table as Snakemake rule fields (``workflow/rules/stages.smk`` makes one rule per
stage from these): wildcard patterns, input functions, outputs, params, log, benchmark, command."""

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


def _wildcards(wildcards: Any) -> jobs.Wildcards:
    return {"project": jobs.ALL, **dict(wildcards)}


def inputs(stage: Stage, params: Params) -> Callable[[Any], list[str]]:
    return lambda wildcards: jobs.deps(stage, _wildcards(wildcards), params)


def outputs(stage: Stage) -> list[tuple[str, Output]]:
    return [(jobs.fill(out.path, patterns(stage)), out) for out in stage.outputs.values()]


def param_values(stage: Stage, params: Params) -> Callable[[Any], str]:
    """A JSON string of the declared project params' values and the stage's code digest: a
    change of either re-runs the job."""
    digest = jobs.code_digest(stage)

    def values(wildcards: Any) -> str:
        project = _wildcards(wildcards)["project"]
        arguments = {**jobs.param_arguments(stage, params, project), "code": digest}
        if jobs.reads_section(stage):
            arguments["section"] = params.project(project)
        return json.dumps({key: value.model_dump(mode="json") if hasattr(value, "model_dump")
                           else value for key, value in arguments.items()}, sort_keys=True)
    return values


def command(stage: Stage, params: Params) -> Callable[[Any], str]:
    """The job's command, as a rule param: Snakemake evaluates a rule's ``shell:`` expression
    when the job runs, after the loop that defines the rules has moved on to the last stage."""
    return lambda wildcards: jobs.command(stage, _wildcards(wildcards), params.source)


def log(stage: Stage) -> str:
    return jobs.log_path(stage, patterns(stage))


def benchmark(stage: Stage) -> str:
    return log(stage).replace("logs/", "benchmarks/", 1).replace(".log", ".tsv")
