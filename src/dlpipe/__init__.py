"""dlpipe: a reproducible deep-learning study pipeline (one DAG, Snakemake and DVC front ends)."""

__version__ = "0.1.0"
