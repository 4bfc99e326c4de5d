"""dlpipe: a reproducible deep-learning study pipeline (one DAG, Snakemake and DVC front ends)."""

from dlpipe import cpu

# Before anything imports NumPy or TensorFlow: the same kernels on every x86-64-v3 machine.
CPU_PINNED = cpu.pin()

__version__ = "0.1.0"
