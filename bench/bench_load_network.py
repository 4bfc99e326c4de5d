"""What loading a saved network costs a job or a server (TensorFlow's process): a small CNN is
trained and saved on each Keras backend, then fresh processes that have imported TensorFlow
load it, with Keras' default (the training configuration compiled again) and with
``load_network`` (that configuration left unread), taking turns. Prints each load's median and
range, and the other backends the load imported.

    python bench/bench_load_network.py [--repeats 5] [--backends tensorflow torch jax]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import _common  # noqa: F401  (it puts src/ on the path)

TRAIN = """
import sys
from dlpipe.models import backends
backends.use(sys.argv[1])
import keras, numpy as np
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                          keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(64, 28, 28, 1), np.arange(64) % 10, epochs=1, verbose=0)
model.save(sys.argv[2])
"""
LOAD = """
import json, sys, time
from dlpipe.models import network
started = time.perf_counter()
if sys.argv[2] == "keras":
    network.keras.saving.load_model(sys.argv[1], safe_mode=True)
else:
    network.load_network(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "imported": sorted({"jax", "torch"} & set(sys.modules))}))
"""


def run(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**_common.env(), "PYTHONPATH": str(_common.REPO / "src")})
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for backend in args.backends:
            path = str(Path(scratch) / f"{backend}.keras")
            run(TRAIN, backend, path)
            seen: dict[str, list] = {"keras": [], "load_network": []}
            for _ in range(args.repeats):
                for how in seen:
                    seen[how].append(json.loads(run(LOAD, path, how)))
            for how, loads in seen.items():
                seconds = [load["seconds"] for load in loads]
                print(f"trained on {backend:10s} {how:12s} median {np.median(seconds):5.2f} s "
                      f"({min(seconds):.2f}-{max(seconds):.2f}, {len(seconds)} loads), imported "
                      f"{loads[0]['imported'] or 'no other backend'}")


if __name__ == "__main__":
    main()
