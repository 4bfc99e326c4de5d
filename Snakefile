# dlpipe: the Snakemake front end. Rules take their inputs, outputs, params and command from the
# one stage table (src/dlpipe/dag.py), which also renders dvc.yaml.
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


# One validator for both front ends: stop with dlpipe's message (file, key, expected, got).
from dlpipe import dag
from dlpipe.errors import ParamsError

try:
    PARAMS = dag.load(workflow.configfiles[0])
except ParamsError as exc:
    raise WorkflowError(str(exc)) from None


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/study.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        expand(TEMPLATES["metrics"], project=PARAMS.projects),
        expand(TEMPLATES["models_md"], project=dag.projects_of(dag.BY_NAME["models"], PARAMS)),
        TEMPLATES["summary_md"],
    default_target: True
