# model stages: every rule field comes from the stage table (src/dlpipe/dag.py).


rule tune_worker:
    """Run trials of the project's Optuna study (tune.workers jobs share one journal)."""
    input:
        stage_input("tune_worker"),
    output:
        stage_output("tune_worker"),
    params:
        values=stage_params("tune_worker"),
    log:
        stage_log("tune_worker"),
    benchmark:
        stage_benchmark("tune_worker")
    threads: stage_threads("tune_worker")
    resources:
        **stage_resources("tune_worker"),
    shell:
        stage_shell("tune_worker")


rule tune:
    """Collect the study: best params, trials table, figures."""
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
    threads: stage_threads("tune")
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
    threads: stage_threads("train")
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
    threads: stage_threads("evaluate")
    resources:
        **stage_resources("evaluate"),
    shell:
        stage_shell("evaluate")
