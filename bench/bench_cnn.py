"""The MNIST CNN's training throughput against the CPU's peak, under TensorFlow's two kernel
paths: Eigen (``TF_ENABLE_ONEDNN_OPTS=0``) and oneDNN's graph rewrites (``1``, what the pins set;
both capped at AVX2 by ``ONEDNN_MAX_CPU_ISA``), taking turns, each fit in a fresh process.

    python bench/bench_cnn.py [--rows 12800] [--epochs 3] [--repeats 3] [--threads 2]
                              [--batch-sizes 128]

Each fit is params.yaml's mnist network (``build_network`` and the project's epoch loop, every
epoch run in full) on the first ``--rows`` of the MNIST mirror's 60,000 training images, x/255.
FLOPs are counted from the model's layers (2 x multiply-adds of every convolution and dense
layer, forward; x3 for forward and backward); the figure is that over the median steady epoch
(epochs after the first). Peak: ``threads`` cores x 32 float32 FLOP per cycle (two 8-wide AVX2
FMA units) x the clock ``/proc/cpuinfo`` reports. Target: >= 40 % of it. Two fits of a setting
must give the same weights (printed as a hash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_SHARE = 0.40
# setting -> (TF_ENABLE_ONEDNN_OPTS, the convolutions' normalisation)
SETTINGS = {"eigen": ("0", "fused"), "onednn": ("1", "fused"),
            "onednn-keras-norm": ("1", "keras")}


def model_flops(model) -> float:
    """Forward FLOPs of one image through ``model``'s Conv2D and Dense layers."""
    flops = 0.0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, h, w, out = layer.output.shape
            kh, kw, cin, _ = layer.kernel.shape
            flops += 2.0 * h * w * out * kh * kw * cin
        elif kind == "Dense":
            cin, out = layer.kernel.shape
            flops += 2.0 * cin * out
    return flops


def fit_worker(rows: int, epochs: int, batch: int, threads: int) -> dict:
    """In its own process (its kernel setting in the environment): one fit, timed per epoch."""
    import dlpipe  # noqa: F401  (the CPU pins, before NumPy's BLAS and TensorFlow load)
    from dlpipe import cpu

    cpu.limit_threads(threads)
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = os.environ["BENCH_ONEDNN"]
    from dlpipe.models import loop, network, training
    from dlpipe.pipeline import jobs

    if os.environ["BENCH_NORM"] == "keras":  # Keras' own layer in the conv blocks
        network.FusedBatchNormalization = network.keras.layers.BatchNormalization

    spec = jobs.load(str(ROOT / "params.yaml")).project("mnist").model.model_copy(
        update={"epochs": epochs, "patience": epochs + 1, "batch_size": batch, "verbose": 1})
    mirror = Path(os.environ.get("DLPIPE_DATA_MIRROR", ROOT.parent / "shared" / "data"))
    data = np.load(mirror / "mnist_784.npz")
    X = data["X"][:rows].astype(np.float32) / 255.0
    y = data["y"][:rows].astype(np.int64)
    ends: list[float] = []
    loop.progress = lambda epoch, n, seconds, logs: ends.append(seconds)
    fitted = training.fit(spec, X, y, 10, True, 0)
    weights = b"".join(np.asarray(w).tobytes() for w in fitted.network.get_weights())
    return {"epoch_seconds": ends, "flops_per_image": 3 * model_flops(fitted.network),
            "fit_rows": rows - int(np.ceil(rows * spec.validation_fraction)),
            "weights": hashlib.sha256(weights).hexdigest()[:12]}


def clock_ghz() -> float:
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        return next(float(line.split(":")[1]) for line in info if line.startswith("cpu MHz")) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=12800)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128])
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=list(SETTINGS))
    parser.add_argument("--worker", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(fit_worker(*args.worker)))
        return
    peak = args.threads * 32 * clock_ghz()
    print(f"peak (AVX2 FMA, {args.threads} cores at {clock_ghz():.2f} GHz): {peak:.0f} GFLOP/s; "
          f"target >= {TARGET_SHARE:.0%} = {TARGET_SHARE * peak:.0f} GFLOP/s")
    results: dict[tuple[str, int], list[dict]] = {}
    for _ in range(args.repeats):
        for batch in args.batch_sizes:
            for name in args.settings:  # taking turns
                onednn, norm = SETTINGS[name]
                env = dict(os.environ, BENCH_ONEDNN=onednn, BENCH_NORM=norm,
                           TF_CPP_MIN_LOG_LEVEL="3")
                started = time.perf_counter()
                done = subprocess.run([sys.executable, __file__, "--worker", str(args.rows),
                                       str(args.epochs), str(batch), str(args.threads)],
                                      env=env, capture_output=True, text=True, check=True)
                run = json.loads(done.stdout.strip().splitlines()[-1])
                run["process_seconds"] = time.perf_counter() - started
                results.setdefault((name, batch), []).append(run)
    print(f"{'setting':17s} {'batch':>5s} {'s/epoch (min-max)':>20s} {'GFLOP/s':>8s} "
          f"{'of peak':>8s} {'weights':>10s}")
    for (name, batch), runs in results.items():
        steady = [float(np.median(r["epoch_seconds"][1:])) for r in runs]
        work = runs[0]["flops_per_image"] * runs[0]["fit_rows"] / 1e9
        rate = work / float(np.median(steady))
        hashes = sorted({r["weights"] for r in runs})
        print(f"{name:17s} {batch:5d} {np.median(steady):8.2f} ({min(steady):.2f}-{max(steady):.2f})"
              f" {rate:8.1f} {rate / peak:8.1%} {','.join(hashes):>10s}"
              f"  {'met' if rate >= TARGET_SHARE * peak else 'missed'}")
    for batch in args.batch_sizes:  # the fused normalisation against Keras', fit by fit
        fused, plain = results.get(("onednn", batch)), results.get(("onednn-keras-norm", batch))
        if fused and plain:
            ratios = [float(np.median(a["epoch_seconds"][1:]) / np.median(b["epoch_seconds"][1:]))
                      for a, b in zip(fused, plain)]
            print(f"batch {batch}: s/epoch with the fused normalisation / with Keras': "
                  f"{np.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}, "
                  f"{len(ratios)} pairs)")
    flops = next(iter(results.values()))[0]["flops_per_image"]
    print(f"{flops / 1e6:.1f} MFLOP per image forward and backward; {args.rows} rows, "
          f"{args.epochs} epochs, {args.threads} threads, {args.repeats} fits per setting")


if __name__ == "__main__":
    main()
