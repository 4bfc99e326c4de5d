"""The one runner: resolve a job's files, read its inputs, call its node with its declared
params, write its outputs atomically, log and time it.

Nodes never see a path, the stage table or params they did not declare.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any, Callable

from dlpipe import cpu
from dlpipe.errors import StorageError
from dlpipe.params import Params
from dlpipe.pipeline import catalog, guard, jobs, scheduling
from dlpipe.pipeline.stage import Section, Stage

log = logging.getLogger("dlpipe")
CONTEXT = ("project", "worker", "journal", "code_digest")  # what a node may ask for by name


def node_of(stage: Stage) -> Callable[..., dict[str, Any]]:
    module, _, function = stage.node.partition(":")
    return getattr(importlib.import_module(module), function)


def context(stage: Stage, wildcards: jobs.Wildcards, wanted: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in wildcards.items() if k in wanted}
    if "journal" in wanted and stage.state is not None:
        values["journal"] = Path(jobs.fill(stage.state, wildcards))
    if "code_digest" in wanted:
        values["code_digest"] = jobs.code_digest(stage)
    return values


def read_inputs(stage: Stage, wildcards: jobs.Wildcards, params: Params) -> dict[str, Any]:
    """Each input loaded: a file by its suffix, a list of files as a list, the project's params
    section as the validated, merged section."""
    values: dict[str, Any] = {argument: params.project(wildcards["project"])
                              for argument, reference in stage.inputs.items()
                              if isinstance(reference, Section)}
    for argument, paths in jobs.input_paths(stage, wildcards, params).items():
        if isinstance(paths, list):
            values[argument] = [catalog.read(p) for p in paths]
        else:
            values[argument] = catalog.read(paths)
    return values


def run(stage: Stage, wildcards: jobs.Wildcards, params: Params) -> None:
    """Run one job of ``stage`` in the current directory."""
    node = node_of(stage)
    wanted = set(inspect.signature(node).parameters) & set(CONTEXT)
    arguments = {**read_inputs(stage, wildcards, params),
                 **jobs.param_arguments(stage, params, wildcards["project"]),
                 **context(stage, wildcards, wanted)}
    produced = node(**arguments)
    expected = set(stage.outputs)
    if not isinstance(produced, dict) or set(produced) != expected:
        got = sorted(produced) if isinstance(produced, dict) else type(produced).__name__
        raise TypeError(f"{stage.node} returned {got}, expected the outputs {sorted(expected)}")
    for name, path in jobs.output_paths(stage, wildcards).items():
        try:
            catalog.write(path, produced[name], manifest=stage.outputs[name].verified)
        except OSError as error:  # named by the output, not the temporary file it failed in
            raise OSError(error.errno, error.strerror or str(error), str(path)) from error


def _storage_error(job: str, error: OSError) -> StorageError:
    """One line: the job, the file and the system's reason (the log keeps the traceback)."""
    reason = error.strerror or str(error).splitlines()[0]
    where = f"{error.filename}: " if error.filename else ""
    return StorageError(f"{job}: {where}{reason}")


def execute(stage: Stage, wildcards: jobs.Wildcards, params: Params, params_file: str) -> None:
    """Run a job as the CLI does: thread pools sized from params, logged and timed; refused
    while the other front end runs in this working copy."""
    guard.check()
    threads = scheduling.resources(params, stage).threads
    command = jobs.command(stage, wildcards, params_file)
    log.info("%s: start (params %s, %d threads, log %s)", command, params_file, threads,
             jobs.log_path(stage, wildcards))
    started = time.perf_counter()
    # Pools sized from params (see cpu.limit_threads; the CLI calls it before NumPy loads);
    # threadpool_limits covers libraries a caller has loaded already. Two tuning workers on
    # two cores must not each spread over both, either.
    cpu.limit_threads(threads)
    from threadpoolctl import threadpool_limits

    node_of(stage)  # its imports, then out of the collector's reach
    keep_out_of_collections()
    with threadpool_limits(limits=threads):
        try:
            run(stage, wildcards, params)
        except OSError as error:
            raise _storage_error(f"{stage.name} {wildcards['project']}", error) from error
    log.info("%s: done in %.1f s (peak memory %d MB)", command, time.perf_counter() - started,
             peak_memory_mb())


def keep_out_of_collections(collect: bool = False) -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``), after
    a full collection if ``collect``. Once a job has imported its libraries (~430 000 objects
    with TensorFlow and scikit-learn), a full collection, the one each tuning trial ends with
    or the interpreter's own, scans only what the job made since, and in a job forked by the
    job server it no longer writes to the server's pages, which stay shared. The objects are
    never freed: the modules they make up live as long as the process anyway."""
    if collect:
        gc.collect()
    gc.freeze()


def peak_memory_mb() -> int:
    """This process's resident high-water mark, in MB: exact, where Snakemake's benchmark
    samples a job every 30 s after its first 15 and misses most peaks of a longer job (the
    scheduler's memory for each stage in params.yaml comes from this figure)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10))  # bytes | KiB
