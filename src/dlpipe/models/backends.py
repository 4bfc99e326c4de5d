"""Keras' backend for this process: TensorFlow, JAX or PyTorch, chosen by params, never by the
environment.

Keras reads ``KERAS_BACKEND`` once, when it is imported, so a process runs one backend: a job
that trains a network calls :func:`use` with its ``model.backend`` before Keras loads; every
other process (evaluation, export, serving) loads the saved networks with TensorFlow, whatever
backend trained them (a ``.keras`` file holds weights and a config, no backend's code).
"""

from __future__ import annotations

import logging
import os
import sys

from dlpipe import imports
from dlpipe.errors import ParamsError
from dlpipe.params.base import missing_backend

DEFAULT = "tensorflow"
log = logging.getLogger(__name__)
_chosen = DEFAULT
_announced: str | None = None
_deterministic = False  # TensorFlow's op determinism is switched on once per process


def use(name: str) -> None:
    """Make ``name`` the backend Keras loads with in this process.

    Refused with one line when its package is not installed (params refuse it at load too),
    or when Keras is loaded already with another backend (it cannot switch in a running
    process).
    """
    global _chosen, _announced
    problem = missing_backend(name)
    if problem:
        raise ParamsError(f"model.backend: expected {problem}, got {name!r}")
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise ParamsError(f"model.backend: {name}, but Keras runs {loaded} in this process "
                          "already (one backend per process: run the job on its own)")
    if _announced != name:  # once per process in its log, not per fold
        log.info("Keras backend %s", name)
        _announced = name
    _chosen = name
    activate()


def activate() -> None:
    """Point Keras at the chosen backend: called by the modules that import Keras, first. On
    TensorFlow, TensorFlow loads here (Keras would load it) as :func:`load_tensorflow` loads it;
    on PyTorch, Keras loads here without JAX: its Orbax checkpoint callback imports JAX when it
    is installed (~0.6 s and ~100 MB), for checkpoints dlpipe never asks of it."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = _chosen
        if _chosen == "tensorflow":
            load_tensorflow()
        elif _chosen == "jax":
            jax_compilation_cache()
        else:
            with imports.without("jax"):
                import keras  # noqa: F401


# Every compilation is kept (JAX keeps only those over 1 s by default: most of a small
# network's take less, and a job compiles hundreds); eviction over the size locks the cache,
# so that jobs side by side share it safely.
JAX_CACHE = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
             "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
             "JAX_COMPILATION_CACHE_MAX_SIZE": str(2**30)}


def jax_compilation_cache(environ=os.environ) -> None:
    """JAX's persistent compilation cache, in ``~/.cache/dlpipe/jax`` (``XDG_CACHE_HOME``):
    every fold, trial and job after the first loads its compiled steps instead of compiling
    them again. A cached step is the same machine code, so the numbers are the same. A user's
    own ``JAX_COMPILATION_CACHE_DIR`` (and JAX variable) wins; an empty one: no cache. JAX
    reads these when it loads."""
    if "JAX_COMPILATION_CACHE_DIR" not in environ:
        base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        environ["JAX_COMPILATION_CACHE_DIR"] = os.path.join(base, "dlpipe", "jax")
    if not environ["JAX_COMPILATION_CACHE_DIR"]:
        return
    for variable, value in JAX_CACHE.items():
        environ.setdefault(variable, value)


def load_tensorflow():
    """TensorFlow, quiet, and without JAX unless JAX is the backend: its LiteRT converter
    imports JAX when it is installed, for converting JAX functions (which dlpipe never asks of
    it)."""
    # 3 also hides a harmless C++ "NodeDef mentions attribute use_unbounded_threadpool" line
    # that this TensorFlow/Keras pair prints on every fit; Python errors still raise as usual.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with imports.without(*([] if _chosen == "jax" else ["jax"])):
        import tensorflow
    return tensorflow


def loaded_backend() -> str | None:
    """The backend of the Keras loaded in this process, None before Keras loads."""
    keras = sys.modules.get("keras")
    return None if keras is None else keras.backend.backend()


def seed(seed: int) -> None:
    """Seed Python, NumPy and the backend, and make the backend's ops deterministic (two runs
    on one machine give bit-identical weights; JAX on a CPU is deterministic as it is)."""
    global _deterministic
    import keras

    backend = keras.backend.backend()
    # Keras seeds TensorFlow too whenever it is installed, importing it (~5 s) into a job that
    # trains on JAX or PyTorch and never runs a TensorFlow op
    with imports.without(*([] if backend == "tensorflow" else ["tensorflow"])):
        keras.utils.set_random_seed(seed)
    if backend == "tensorflow" and not _deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        _deterministic = True
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True)
