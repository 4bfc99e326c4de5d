# Helpers that turn a row of the stage table (src/dlpipe/dag.py) into rule fields.
import json

from dlpipe import dag
from dlpipe.paths import DIRECTORIES, TEMPLATES


wildcard_constraints:
    project="|".join(PARAMS.projects),
    worker=r"\d+",


def stage_input(name):
    stage = dag.BY_NAME[name]
    return lambda wc: dag.concrete_deps(stage, {"project": dag.ALL, **dict(wc)}, PARAMS)


def stage_output(name):
    """Outputs; figures are flagged for `snakemake --report` with a caption per artefact."""
    stage = dag.BY_NAME[name]
    outs = []
    for artefact, template in zip(dag.outputs(stage), dag.snakemake_outputs(stage)):
        if artefact == "task_figures":
            outs.append(report(directory(template), patterns=["{figure}.png"],
                               caption=f"../report/{name}.rst", category="{project}",
                               subcategory=name))
        elif artefact in DIRECTORIES:
            outs.append(directory(template))
        elif template.endswith(".png"):
            outs.append(report(template, caption=f"../report/{artefact}.rst",
                               category="{project}", subcategory=name))
        else:
            outs.append(template)
    return outs


def stage_params(name):
    """A JSON string of the declared params.yaml values: a change re-runs the job."""
    stage = dag.BY_NAME[name]
    return lambda wc: json.dumps(
        dag.param_values(stage, getattr(wc, "project", dag.ALL), config), sort_keys=True)


def stage_log(name):
    return dag.snakemake_log(dag.BY_NAME[name])


def stage_benchmark(name):
    return dag.snakemake_benchmark(dag.BY_NAME[name])


def stage_threads(name):
    return PARAMS.resources[name].threads


def stage_resources(name):
    spec = PARAMS.resources[name]
    return {"mem_mb": spec.mem_mb, "runtime": spec.runtime}


def stage_shell(name):
    return dag.snakemake_shell(dag.BY_NAME[name])
