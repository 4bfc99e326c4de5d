"""The CPU pins: the same kernels, hence the same bits, on an AVX-512 and an AVX2 machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dlpipe import cpu
from support import ROOT

# What an AVX2-only machine (x86-64-v3) picks by itself: OpenBLAS's Haswell kernels, oneDNN's
# AVX2 ISA, NumPy's X86_V3 loops. This machine capped the same way stands in for one.
AVX2_MACHINE = {"OPENBLAS_CORETYPE": "Haswell", "ONEDNN_MAX_CPU_ISA": "AVX2",
                "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
V3 = {"avx", "avx2", "fma", "f16c", "bmi2", "sse4_2"}


def test_pin_sets_every_library_on_an_x86_64_v3_cpu(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: V3)
    monkeypatch.setattr(cpu.platform, "machine", lambda: "x86_64")
    environ = {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR", "XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    assert cpu.pin(environ) is True
    assert environ["OPENBLAS_CORETYPE"] == "Haswell" and environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2"
    assert environ["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_cpu_max_isa=AVX2"
    assert cpu.pin(environ) and environ["XLA_FLAGS"].count("max_isa") == 1  # not added twice
    assert environ["TF_ENABLE_ONEDNN_OPTS"] == "1"  # its kernels capped at AVX2 too
    # a feature the user disabled stays disabled, and none is listed twice
    assert environ["NPY_DISABLE_CPU_FEATURES"].split() == ["AVX512_SPR", "X86_V4", "AVX512_ICL"]


@pytest.mark.parametrize("machine, flags", [("aarch64", V3), ("x86_64", V3 - {"avx2"})])
def test_pin_leaves_kernels_alone_where_the_pinned_ones_cannot_run(monkeypatch, machine, flags):
    # Haswell kernels on a CPU without AVX2 would stop with an illegal instruction
    monkeypatch.setattr(cpu, "cpu_flags", lambda: flags)
    monkeypatch.setattr(cpu.platform, "machine", lambda: machine)
    environ: dict[str, str] = {}
    assert cpu.pin(environ) is False
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "0"}


def test_cpu_flags_reads_the_first_processor(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma\n\nflags\t\t: other\n")
    assert cpu.cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "fma"}
    assert cpu.cpu_flags(str(tmp_path / "missing")) == set()


def workload(mode: str, machine: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {*AVX2_MACHINE, *cpu.PINS}}
    env.update(machine, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "cpu_workload.py"), mode],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


@pytest.mark.skipif(not cpu.pinnable(), reason="the pins need an x86-64-v3 CPU")
def test_pinned_numbers_are_bit_identical_on_this_machine_and_an_avx2_one():
    here, avx2 = workload("pinned", {}), workload("pinned", AVX2_MACHINE)
    assert here["openblas"] == "['Haswell']"
    assert here == avx2
    if "avx512f" in cpu.cpu_flags():
        # the control: unpinned, this AVX-512 machine computes other bits than an AVX2 one
        free_here, free_avx2 = workload("free", {}), workload("free", AVX2_MACHINE)
        assert free_here["sklearn"] != free_avx2["sklearn"]
        assert free_here["keras"] != free_avx2["keras"]


def test_limit_threads_sizes_every_pool():
    environ = {"OMP_NUM_THREADS": "1", "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"}
    cpu.limit_threads(3, environ)
    assert environ == {**{variable: "3" for variable in cpu.THREAD_VARIABLES},
                       "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"}
    cpu.limit_threads(1, environ)  # XLA: one thread, or its pool over every core
    assert environ["XLA_FLAGS"] == "--xla_cpu_max_isa=AVX2 --xla_cpu_multi_thread_eigen=false"
    cpu.limit_threads(2, environ)
    assert environ["XLA_FLAGS"] == "--xla_cpu_max_isa=AVX2"


def test_the_cli_sizes_the_pools_before_numpy_loads(tmp_path):
    # OpenBLAS keeps the summation order of the thread count it started with, so the job's
    # threads must be in the environment before anything imports NumPy: Snakemake's
    # OMP_NUM_THREADS=1 (its --cores 1 cap) must not reach a job whose params say 2.
    script = """
import sys
from dlpipe.cli import run as cli
from dlpipe.pipeline import jobs
params = jobs.load(sys.argv[1])
assert "numpy" not in sys.modules, "NumPy loaded before the CLI sizes the thread pools"
from dlpipe import cpu
cpu.limit_threads(2)
from threadpoolctl import threadpool_info
import numpy
print(sorted({i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"}))
"""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script, str(ROOT / "params.yaml")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2]"
