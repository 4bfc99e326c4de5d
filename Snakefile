# dlpipe: the Snakemake front end. One rule per row of the stage table
# (src/dlpipe/pipeline/table.py), which also renders dvc.yaml.
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


# One validator for both front ends: stop with dlpipe's message (file, key, expected, got).
from dlpipe.errors import ParamsError
from dlpipe.pipeline import jobs

# `snakemake --configfile other.yaml` runs every job with other.yaml (a whole params file)
PARAMS_FILE = (workflow.overwrite_configfiles or workflow.configfiles)[-1]
try:
    PARAMS = jobs.load(str(PARAMS_FILE))
except ParamsError as exc:
    raise WorkflowError(str(exc)) from None


include: "workflow/rules/stages.smk"


rule all:
    input:
        [path for job in jobs.jobs(PARAMS) for path in job["outs"]],
    default_target: True
