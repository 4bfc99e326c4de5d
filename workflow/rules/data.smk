# data stages: every rule field comes from the stage table (src/dlpipe/dag.py).


rule fetch:
    """Load the dataset from the cache, the mirror or online; verify its checksum."""
    input:
        stage_input("fetch"),
    output:
        stage_output("fetch"),
    params:
        values=stage_params("fetch"),
    log:
        stage_log("fetch"),
    benchmark:
        stage_benchmark("fetch")
    threads: stage_threads("fetch")
    resources:
        **stage_resources("fetch"),
    shell:
        stage_shell("fetch")


rule split:
    """Seeded train/test split."""
    input:
        stage_input("split"),
    output:
        stage_output("split"),
    params:
        values=stage_params("split"),
    log:
        stage_log("split"),
    benchmark:
        stage_benchmark("split")
    threads: stage_threads("split")
    resources:
        **stage_resources("split"),
    shell:
        stage_shell("split")


rule preprocess:
    """Fit scaling and label encoding on the training part only."""
    input:
        stage_input("preprocess"),
    output:
        stage_output("preprocess"),
    params:
        values=stage_params("preprocess"),
    log:
        stage_log("preprocess"),
    benchmark:
        stage_benchmark("preprocess")
    threads: stage_threads("preprocess")
    resources:
        **stage_resources("preprocess"),
    shell:
        stage_shell("preprocess")
