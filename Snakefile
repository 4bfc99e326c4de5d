# dlpipe: the Snakemake front end. One rule per row of the stage table
# (src/dlpipe/pipeline/table.py), which also renders dvc.yaml.
# It lives at the repository root with profiles/ beside it, so that a plain `snakemake` here
# finds it and applies profiles/default (Snakemake looks for profiles/default in the working
# directory and beside the Snakefile); the rules, report captions and plot templates are in
# workflow/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


# One validator for both front ends: stop with dlpipe's message (file, key, expected, got).
from dlpipe.errors import DlpipeError, ParamsError
from dlpipe.pipeline import guard, jobs

# `snakemake --configfile other.yaml` runs every job with other.yaml (a whole params file)
PARAMS_FILE = (workflow.overwrite_configfiles or workflow.configfiles)[-1]
try:
    PARAMS = jobs.load(str(PARAMS_FILE))
except ParamsError as exc:
    raise WorkflowError(str(exc)) from None


include: "workflow/rules/stages.smk"


# One front end at a time in a working copy: not while `dvc repro` runs a stage here, and the
# working copy claimed until this run ends (DVC's jobs refuse to start meanwhile).
onstart:
    try:
        guard.claim()
    except DlpipeError as exc:
        raise WorkflowError(str(exc)) from None


onsuccess:
    guard.release()


onerror:
    guard.release()


JOBS = jobs.jobs(PARAMS)


rule all:
    input:
        [path for job in JOBS for path in job["outs"]],
    default_target: True


# `snakemake project_<p>`: every job of one project (`dlpipe add` points to it)
for _project in PARAMS.projects:

    rule:
        name:
            f"project_{_project}"
        input:
            [path for job in JOBS if job["project"] == _project for path in job["outs"]],
