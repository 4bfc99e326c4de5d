# The cross-project summary (stage table row "report").


rule report:
    """Every project's tidy score rows in one table: reports/summary.{csv,md}."""
    input:
        stage_input("report"),
    output:
        stage_output("report"),
    params:
        values=stage_params("report"),
    log:
        TEMPLATES["log"].format(project=dag.ALL, stage="report"),
    benchmark:
        TEMPLATES["benchmark"].format(project=dag.ALL, stage="report")
    threads: dag.BY_NAME["report"].threads
    resources:
        **stage_resources("report"),
    shell:
        dag.command("report", dag.ALL)
