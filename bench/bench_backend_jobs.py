"""What a job pays for its Keras backend, beside its work: fresh processes taking turns.

1. A fit job on each backend (a small MLP through ``training.fit``, as a tuning or train job
   fits one): its wall seconds, peak memory and the frameworks it imported. With ``--vs-src``
   (another checkout's ``src``), the same job on that code takes turns with this one's.
2. Loading a saved network in TensorFlow's process (as evaluate, export and the server do), the
   network trained on each backend: Keras' default (the training configuration compiled
   again) against ``load_network`` (that configuration left unread), and the frameworks each
   load imported.

    python bench/bench_backend_jobs.py [--repeats 5] [--backends tensorflow torch jax]
                                       [--vs-src OTHER/src]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import _common  # noqa: F401  (it puts src/ on the path)
from _common import spread

FRAMEWORKS = ("tensorflow", "torch", "jax")
PARAMS = str(_common.REPO / "params.yaml")
FIT = """
import json, sys
from dlpipe.models import backends
backends.use(sys.argv[1])
import numpy as np, yaml
from dlpipe.models import training
from dlpipe.params import KerasModel
model = yaml.safe_load(open(sys.argv[2]))["defaults"]["model"]  # params.yaml's base network
spec = KerasModel(**{**model, "backend": sys.argv[1], "epochs": 3, "patience": 2, "verbose": 0})
X = np.random.default_rng(0).normal(size=(400, 8)).astype(np.float32)
fitted = training.fit(spec, X, (X[:, 0] > 0).astype(int), 2, True, seed=0)
if len(sys.argv) > 3:
    fitted.model.save(sys.argv[3])
print(json.dumps(sorted(set(%r) & set(sys.modules))))
""" % (FRAMEWORKS,)
LOAD = """
import json, sys, time
from dlpipe.models import network
started = time.perf_counter()
if sys.argv[2] == "keras":
    network.keras.saving.load_model(sys.argv[1], safe_mode=True)
else:
    network.load_network(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "imported": sorted(set(%r) & set(sys.modules))}))
""" % (FRAMEWORKS,)


def run(code: str, *args: str, src: Path = _common.REPO / "src") -> tuple[float, float, str]:
    """Wall seconds and peak MiB of a fresh process running ``code``, and its last line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=err,
                                env={**_common.env(), "PYTHONPATH": str(src)})
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, as time(1) reads it
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode:
            sys.exit(err.read()[-3000:])
        return wall, usage.ru_maxrss / 1024, out.read().strip().splitlines()[-1]


def fit_jobs(args) -> None:
    """Part 1: each backend's fit job, this code and (with --vs-src) the other's in turn,
    after one warm-up run of each (the page cache, and JAX's compilation cache)."""
    codes = {"this": _common.REPO / "src", **({"other": args.vs_src} if args.vs_src else {})}
    for backend in args.backends:
        seen = {name: {"wall": [], "peak": [], "imported": None} for name in codes}
        for src in codes.values():
            run(FIT, backend, PARAMS, src=src)
        for _ in range(args.repeats):
            for name, src in codes.items():
                wall, peak, imported = run(FIT, backend, PARAMS, src=src)
                seen[name]["wall"].append(wall)
                seen[name]["peak"].append(peak)
                seen[name]["imported"] = json.loads(imported)
        for name, figures in seen.items():
            print(f"fit job on {backend:10s} {name:5s} code: wall {spread(figures['wall'], 's')}, "
                  f"peak {np.median(figures['peak']):.0f} MiB, imported {figures['imported']}")
        if args.vs_src:
            ratios = np.divide(seen["this"]["wall"], seen["other"]["wall"])
            print(f"  this/other wall, pair by pair: {spread(list(ratios), 'x', 3)}")


def loads(args) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for backend in args.backends:
            path = str(Path(scratch) / f"{backend}.keras")
            run(FIT, backend, PARAMS, path)
            seen: dict[str, list] = {"keras": [], "load_network": []}
            for _ in range(args.repeats):
                for how in seen:
                    seen[how].append(json.loads(run(LOAD, path, how)[2]))
            for how, done in seen.items():
                print(f"load of a {backend:10s} network, {how:12s}: "
                      f"{spread([d['seconds'] for d in done], 's')}, imported {done[0]['imported']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=list(FRAMEWORKS))
    parser.add_argument("--vs-src", type=Path, help="another checkout's src, in turns with this")
    args = parser.parse_args()
    fit_jobs(args)
    loads(args)


if __name__ == "__main__":
    main()
