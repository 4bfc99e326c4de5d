# One rule per row of the stage table (src/dlpipe/pipeline/table.py): every field comes from it.
from pathlib import Path

from dlpipe.pipeline import jobs, scheduling, snakemake as adapter
from dlpipe.pipeline.table import STAGES


wildcard_constraints:
    project="|".join(PARAMS.projects),
    worker=r"\d+",


def caption(stage):
    """The stage's caption for the report (workflow/report/<stage>.rst), else the generic one."""
    own = Path(workflow.current_basedir) / ".." / "report" / f"{stage.name}.rst"
    return f"../report/{stage.name}.rst" if own.exists() else "../report/stage.rst"


def flagged(stage, path, out):
    """Directories and figures as Snakemake wants them: figures go into `--report`."""
    target = directory(path) if out.is_directory else path
    if not out.figure:
        return target
    return report(target, caption=caption(stage), category="{project}", subcategory=stage.name,
                  patterns=["{figure}.png"] if out.is_directory else [])


def by_project(value, stage):
    """A job's value of ``value(params, stage, project)``; jobs of the whole pipeline: 'all'."""
    return lambda wildcards: value(PARAMS, stage, getattr(wildcards, "project", jobs.ALL))


for stage in STAGES:

    rule:
        name:
            stage.name
        input:
            adapter.inputs(stage, PARAMS),
        output:
            [flagged(stage, path, out) for path, out in adapter.outputs(stage)],
        params:
            values=adapter.param_values(stage, PARAMS),
            command=adapter.command(stage, PARAMS),
        log:
            adapter.log(stage),
        benchmark:
            adapter.benchmark(stage)
        threads: scheduling.resources(PARAMS, stage).threads
        priority: by_project(scheduling.priority, stage)
        resources:
            mem_mb=by_project(scheduling.memory, stage),
            runtime=scheduling.resources(PARAMS, stage).runtime,
        shell:
            "{params.command}"
