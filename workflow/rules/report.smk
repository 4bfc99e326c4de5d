# report stages: every rule field comes from the stage table (src/dlpipe/dag.py).


rule report:
    """Every project's tidy score rows in one table: reports/summary.{csv,md}."""
    input:
        stage_input("report"),
    output:
        stage_output("report"),
    params:
        values=stage_params("report"),
    log:
        stage_log("report"),
    benchmark:
        stage_benchmark("report")
    threads: stage_threads("report")
    resources:
        **stage_resources("report"),
    shell:
        stage_shell("report")
