# model stages: rule fields come from the stage table (src/dlpipe/dag.py).

rule tune:
    """Optuna study with k-fold CV on the training part."""
    input:
        stage_input("tune"),
    output:
        stage_output("tune"),
    params:
        values=stage_params("tune"),
    log:
        stage_log("tune"),
    benchmark:
        stage_benchmark("tune")
    threads: dag.BY_NAME["tune"].threads
    resources:
        **stage_resources("tune"),
    shell:
        stage_shell("tune")

rule train:
    """k-fold CV of the tuned model, then the final fit on all training data."""
    input:
        stage_input("train"),
    output:
        stage_output("train"),
    params:
        values=stage_params("train"),
    log:
        stage_log("train"),
    benchmark:
        stage_benchmark("train")
    threads: dag.BY_NAME["train"].threads
    resources:
        **stage_resources("train"),
    shell:
        stage_shell("train")

rule evaluate:
    """Test metrics, confusion matrix and tidy score rows."""
    input:
        stage_input("evaluate"),
    output:
        stage_output("evaluate"),
    params:
        values=stage_params("evaluate"),
    log:
        stage_log("evaluate"),
    benchmark:
        stage_benchmark("evaluate")
    threads: dag.BY_NAME["evaluate"].threads
    resources:
        **stage_resources("evaluate"),
    shell:
        stage_shell("evaluate")
