"""Where the MNIST CNN's training step spends its time: TensorFlow's profiler over a few steps
of params.yaml's mnist network (``build_network``, Keras' ``fit``), its ops summed from the
profile's XPlane file and grouped (convolutions, batch norm, pooling, dense, the rest).

    python bench/profile_cnn.py [--steps 30] [--threads 1] [--norm fused|keras] [--top 20]

``--norm keras`` builds the conv blocks with Keras' own BatchNormalization instead of the fused
layer the network uses, for the two profiles side by side. The inputs are seeded random images
(the step's arithmetic does not depend on the pixels); one epoch of ``--steps`` batches is fit
first so that tracing stays out of the profile. Shares are of the summed op time of the steps
profiled; the step time is their wall time over ``--steps``.
"""

from __future__ import annotations

import argparse
import collections
import glob
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# op name fragments -> group, first match wins (gradients land with their forward op)
GROUPS = (("batch_normalization", "batch norm"), ("conv2d", "convolutions"),
          ("max_pooling", "pooling"), ("dense", "dense"), ("random_translation", "random shift"))


def group(op: str) -> str:
    return next((name for fragment, name in GROUPS if fragment in op), "rest")


def op_times(logdir: str) -> collections.Counter:
    """Milliseconds per op of the executor's thread(s) in the profile under ``logdir``."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
    space.ParseFromString(Path(path).read_bytes())
    times: collections.Counter = collections.Counter()
    for plane in space.planes:
        names = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # the ops, not Python's calls
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                if name != "ExecutorState::Process":
                    times[name] += event.duration_ps / 1e9
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--norm", choices=("fused", "keras"), default="fused")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    import dlpipe  # noqa: F401  (the CPU pins, before NumPy and TensorFlow load)
    from dlpipe import cpu

    cpu.limit_threads(args.threads)
    import numpy as np

    from dlpipe.models import network
    from dlpipe.pipeline import jobs

    if args.norm == "keras":  # Keras' own layer in the conv blocks
        network.FusedBatchNormalization = network.keras.layers.BatchNormalization
    tf = network.tf
    spec = jobs.load(str(ROOT / "params.yaml")).project("mnist").model
    rows = 128 * args.steps
    rng = np.random.default_rng(0)
    X, y = rng.random((rows, 784), dtype=np.float32), rng.integers(0, 10, rows)
    model = network.build_network(spec, 784, 10, onehot=False)
    model.fit(X, y, batch_size=128, epochs=1, verbose=0)  # tracing, outside the profile
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        started = time.perf_counter()
        model.fit(X, y, batch_size=128, epochs=1, verbose=0)
        wall = time.perf_counter() - started
        tf.profiler.experimental.stop()
        times = op_times(logdir)
    total = sum(times.values())
    print(f"{args.norm} batch norm, {args.threads} thread(s), {args.steps} steps of 128: "
          f"{wall / args.steps * 1000:.1f} ms per step, ops {total / args.steps:.1f} ms")
    shares: collections.Counter = collections.Counter()
    for op, ms in times.items():
        shares[group(op)] += ms
    for name, ms in shares.most_common():
        print(f"  {name:14s} {ms / total:6.1%}  {ms / args.steps:6.2f} ms per step")
    print(f"the {args.top} longest ops:")
    for op, ms in times.most_common(args.top):
        print(f"  {ms / total:6.1%}  {op.split('/', 1)[-1][:100]}")


if __name__ == "__main__":
    main()
