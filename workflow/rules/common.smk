# Helpers that turn a row of the stage table into rule fields.
import json

from dlpipe import dag
from dlpipe.paths import TEMPLATES

REPORT_CAPTIONS = "workflow/report"


wildcard_constraints:
    project="|".join(PARAMS.projects),


def stage_input(name):
    return dag.snakemake_inputs(dag.BY_NAME[name], PARAMS.projects)


def stage_output(name):
    """Outputs; figures are flagged for `snakemake --report` with a caption per artefact."""
    stage = dag.BY_NAME[name]
    outs = []
    for artefact, template in zip((*stage.outs, *stage.metrics, *stage.uncached),
                                  dag.snakemake_outputs(stage)):
        if template.endswith(".png"):
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
    return TEMPLATES["log"].format(project="{project}", stage=name)


def stage_benchmark(name):
    return TEMPLATES["benchmark"].format(project="{project}", stage=name)


def stage_shell(name):
    return dag.command(name, "{wildcards.project}")


def stage_resources(name):
    stage = dag.BY_NAME[name]
    return {"mem_mb": stage.mem_mb, "runtime": stage.runtime}
