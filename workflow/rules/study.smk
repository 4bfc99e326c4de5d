# The MNIST classification study: one rule per task (a project with a `study:` section), so
# changing one task's params re-runs only that task. Fields come from src/dlpipe/dag.py.


rule binary:
    """'Is it a 5': CV decision scores, PR/ROC curves, threshold for a target precision."""
    input:
        stage_input("binary"),
    output:
        stage_output("binary"),
    params:
        values=stage_params("binary"),
    log:
        stage_log("binary"),
    benchmark:
        stage_benchmark("binary")
    threads: stage_threads("binary")
    resources:
        **stage_resources("binary"),
    shell:
        stage_shell("binary")


rule multiclass:
    """SVC, OneVsRest SVC, SGD with and without scaling, tuned KNN."""
    input:
        stage_input("multiclass"),
    output:
        stage_output("multiclass"),
    params:
        values=stage_params("multiclass"),
    log:
        stage_log("multiclass"),
    benchmark:
        stage_benchmark("multiclass")
    threads: stage_threads("multiclass")
    resources:
        **stage_resources("multiclass"),
    shell:
        stage_shell("multiclass")


rule multilabel:
    """KNN on [digit >= 7, digit is odd]."""
    input:
        stage_input("multilabel"),
    output:
        stage_output("multilabel"),
    params:
        values=stage_params("multilabel"),
    log:
        stage_log("multilabel"),
    benchmark:
        stage_benchmark("multilabel")
    threads: stage_threads("multilabel")
    resources:
        **stage_resources("multilabel"),
    shell:
        stage_shell("multilabel")


rule denoise:
    """Multi-output KNN mapping noisy to clean images."""
    input:
        stage_input("denoise"),
    output:
        stage_output("denoise"),
    params:
        values=stage_params("denoise"),
    log:
        stage_log("denoise"),
    benchmark:
        stage_benchmark("denoise")
    threads: stage_threads("denoise")
    resources:
        **stage_resources("denoise"),
    shell:
        stage_shell("denoise")


rule mlp:
    """A Keras MLP on x/255 pixels, built by the same builder as the main model."""
    input:
        stage_input("mlp"),
    output:
        stage_output("mlp"),
    params:
        values=stage_params("mlp"),
    log:
        stage_log("mlp"),
    benchmark:
        stage_benchmark("mlp")
    threads: stage_threads("mlp")
    resources:
        **stage_resources("mlp"),
    shell:
        stage_shell("mlp")


rule models:
    """Every model of the project: test metrics, fit and predict seconds."""
    input:
        stage_input("models"),
    output:
        stage_output("models"),
    params:
        values=stage_params("models"),
    log:
        stage_log("models"),
    benchmark:
        stage_benchmark("models")
    threads: stage_threads("models")
    resources:
        **stage_resources("models"),
    shell:
        stage_shell("models")
