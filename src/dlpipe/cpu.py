"""One CPU code path on every x86-64-v3 machine: the run-time kernel choices numbers depend on.

NumPy, OpenBLAS (under NumPy, SciPy and scikit-learn), oneDNN (inside TensorFlow's matrix
products and, with its graph rewrites on, its convolutions), PyTorch's ATen and XLA (under JAX) each pick
their kernels when they load, by the CPU they find: an AVX-512 machine and an AVX2 machine then
sum in different orders and the numbers differ in the last bits, which training amplifies.
``pin`` caps every one of them at the x86-64-v3 level (AVX2 + FMA: Intel since 2013, AMD since
2015), so those machines all run the same kernels. It must run before NumPy or TensorFlow is imported: ``dlpipe/__init__.py``
calls it, and ``python -m dlpipe`` imports the package before anything else.
"""

from __future__ import annotations

import os
import platform

# Each variable is read once, when its library loads.
PINS = {
    # OpenBLAS: GEMM/LAPACK kernels by core type (SkylakeX on AVX-512, Haswell on AVX2, ...)
    "OPENBLAS_CORETYPE": "Haswell",
    # oneDNN: the sgemm under TensorFlow's Eigen contractions dispatches by ISA at run time
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # PyTorch's ATen kernels (the torch backend), chosen by CPU when torch loads
    "ATEN_CPU_CAPABILITY": "avx2",
    # TensorFlow's oneDNN graph rewrites: convolutions and matrix products in oneDNN's
    # kernels (the MNIST CNN trains ~1.4x faster than in Eigen's), capped at AVX2 above
    "TF_ENABLE_ONEDNN_OPTS": "1",
}
# XLA's CPU code generator (the jax backend) targets the CPU it runs on unless capped; a flag
# added to the user's XLA_FLAGS
XLA_PIN = "--xla_cpu_max_isa=AVX2"
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"
# Where nothing is pinned, TensorFlow's oneDNN graph rewrites would dispatch by the CPU's own
# ISA: off there.
ALWAYS = {"TF_ENABLE_ONEDNN_OPTS": "0"}
# NumPy: float32 exp/tanh/log loops are compiled per SIMD level and chosen at import
NUMPY_ABOVE_V3 = ("X86_V4", "AVX512_ICL", "AVX512_SPR")
REQUIRED_FLAGS = {"avx", "avx2", "fma", "f16c", "bmi2"}


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set[str]:
    """The first processor's feature flags (empty when the file cannot be read)."""
    try:
        with open(cpuinfo, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pinnable(machine: str | None = None, flags: set[str] | None = None) -> bool:
    """Whether this is an x86-64 CPU with everything the pinned kernels need."""
    machine = machine or platform.machine()
    return machine in {"x86_64", "AMD64"} and REQUIRED_FLAGS <= (
        cpu_flags() if flags is None else flags)


def pin(environ=os.environ) -> bool:
    """Set the pins in ``environ``; False (only ``ALWAYS`` set) below x86-64-v3 or not x86."""
    environ.update(ALWAYS)
    if not pinnable():
        return False
    environ.update(PINS)
    edit_words(environ, "XLA_FLAGS", add=[XLA_PIN])
    edit_words(environ, "NPY_DISABLE_CPU_FEATURES", add=NUMPY_ABOVE_V3)
    return True


def edit_words(environ, variable: str, add=(), drop: str | None = None) -> None:
    """Add ``add`` to the space-separated words of ``variable`` (those it lacks), after taking
    out the words that start with ``drop``; the user's other words stay, in their order. An
    empty result unsets the variable."""
    words = [word for word in environ.get(variable, "").split()
             if drop is None or not word.startswith(drop)]
    words += [word for word in add if word not in words]
    if words:
        environ[variable] = " ".join(words)
    else:
        environ.pop(variable, None)


# The thread pools of OpenMP (PyTorch's too), OpenBLAS, MKL and TensorFlow, each sized when its
# library loads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def limit_threads(threads: int, environ=os.environ) -> None:
    """Size every pool to ``threads`` for the libraries loaded from now on.

    A reduction split over 1 or 2 threads differs in the last digits, so a job's pools come
    from params, never from the front end's environment (Snakemake sets OMP_NUM_THREADS to its
    own cap, DVC sets nothing); OpenBLAS started with 1 thread keeps 1 thread's summation order
    even when raised later, so this must run before NumPy loads.
    """
    for variable in THREAD_VARIABLES:
        environ[variable] = str(threads)
    # XLA (the jax backend) has no thread count, only one thread or a pool over every core
    edit_words(environ, "XLA_FLAGS", add=[XLA_ONE_THREAD] * (threads == 1),
               drop=XLA_ONE_THREAD.split("=")[0])
