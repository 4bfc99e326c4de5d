"""The network on each Keras backend (TensorFlow, JAX, PyTorch) for iris, price and the MNIST CNN:
test accuracy with a bootstrap interval, whether a second run gives the same predictions, and
the time of an epoch, side by side in one run.

Data: each project's processed parts, made by its real fetch -> split -> preprocess stages in a
scratch directory (the mirror is the offline source). Model: the project's spec in params.yaml
as it stands before tuning (``model:``), fitted as the train stage's final fit (``training.fit``:
a seeded validation slice, EarlyStopping), with ``model.backend`` set. MNIST: the CNN on a
seeded ``--mnist-rows`` of the 60,000 training images and at most ``--cnn-epochs`` epochs (its
full fit takes minutes per backend), scored on all 10,000 test images.

Every fit runs in its own process (a process runs one backend), twice, on 2 threads (the train
stage's), one after the other. Per row: the test accuracy of the first run and the 2.5-97.5
percentiles of 2000 seeded bootstrap resamples of the test rows (the same resamples for every
backend), whether it lies in TensorFlow's interval, whether the second run predicted the same
probabilities bit for bit, the epochs, the fit's seconds and the median seconds of an epoch
after the first (the first carries tracing and compilation) with the first epoch's extra.

    python bench/bench_backends.py [--mnist-rows 6000] [--cnn-epochs 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import _common as c

BACKENDS = ("tensorflow", "jax", "torch")
PROJECTS = ("iris", "price", "mnist")
RESAMPLES, SEED, THREADS = 2000, 0, 2


def fit_worker(root: Path, project: str, backend: str, out: Path, rows: int, epochs: int) -> None:
    """In its own process: fit the project's network on ``backend`` and save the test part's
    probabilities and the epoch times (``out``)."""
    from dlpipe.models import backends

    backends.use(backend)
    import keras
    import pandas as pd

    from dlpipe.features import decode_labels
    from dlpipe.models import training

    section = c.jobs.load(str(root / "params.yaml")).project(project)
    spec = section.model.model_copy(update={"backend": backend})
    train, test = (pd.read_parquet(c.artefact(root, "preprocess", part, project))
                   for part in ("train", "test"))
    if project == "mnist":
        train = train.sample(n=min(rows, len(train)), random_state=SEED)
        spec = spec.model_copy(update={"epochs": min(spec.epochs, epochs), "verbose": 0})
    X, y = decode_labels(train)
    X_test, y_test = decode_labels(test)
    n_classes = int(max(y.max(), y_test.max())) + 1
    onehot = section.features.label_encoding == "onehot"
    clock = c.EpochClock()  # ticks at every epoch's end, whichever loop runs
    for owner, name, patched in c.epoch_clock_patches(training, clock):
        setattr(owner, name, patched)
    started = time.perf_counter()
    fitted = training.fit(spec, X, y, n_classes, onehot, SEED)
    seconds = time.perf_counter() - started
    proba = np.asarray(fitted.model.predict(X_test, batch_size=512, verbose=0))
    np.save(out.with_suffix(".npy"), proba)
    out.with_suffix(".json").write_text(json.dumps(
        {"backend": keras.backend.backend(), "start": started,
         "ends": [wall for wall, _ in clock.stamps],
         "seconds": seconds, "epochs": fitted.epochs, "rows": len(y), "y_test": y_test.tolist()}))


def prepare(root: Path) -> None:
    """The three projects' processed parts in ``root`` (fetch, split, preprocess)."""
    raw = c.read_raw(c.default_params())
    raw["projects"] = list(PROJECTS)
    c.write_params(root, raw)
    for project in PROJECTS:
        if not c.artefact(root, "preprocess", "test", project).exists():
            c.prepare_data(root, project)


def run_fit(root: Path, project: str, backend: str, out: Path, args) -> None:
    from dlpipe import cpu

    env = c.env()
    cpu.limit_threads(THREADS, env)
    env["JAX_COMPILATION_CACHE_DIR"] = ""  # each JAX fit compiles, as a first run does
    done = subprocess.run([c.PYTHON, __file__, "--worker", project, backend, str(out),
                           "--workdir", str(root), "--mnist-rows", str(args.mnist_rows),
                           "--cnn-epochs", str(args.cnn_epochs)], env=env, cwd=root,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{project} on {backend} failed:\n{done.stderr[-3000:]}")


def accuracy_interval(y: np.ndarray, proba: np.ndarray) -> tuple[float, float, float]:
    rng = np.random.default_rng(SEED)
    right = proba.argmax(axis=1) == y
    samples = [right[rng.integers(0, len(y), len(y))].mean() for _ in range(RESAMPLES)]
    return float(right.mean()), *np.percentile(samples, [2.5, 97.5])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--mnist-rows", type=int, default=6000)
    parser.add_argument("--cnn-epochs", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=PROJECTS)
    parser.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = c.workdir("backends", args.workdir)
    if args.worker:
        project, backend, out = args.worker
        fit_worker(root, project, backend, Path(out), args.mnist_rows, args.cnn_epochs)
        return 0
    prepare(root)
    print(f"one process per fit, {THREADS} threads; accuracy on the test part with its 95% "
          f"bootstrap interval ({RESAMPLES} resamples); MNIST: the CNN on {args.mnist_rows} "
          f"training images, at most {args.cnn_epochs} epochs")
    print(f"{'project':<7} {'backend':<10} {'accuracy':>8} {'interval':>17} {'in TF':>5} "
          f"{'2nd run':>9} {'epochs':>6} {'fit s':>7} {'s/epoch':>8} {'1st extra':>9}")
    for project in args.only:
        tf_interval = None
        for backend in BACKENDS:
            outs = [root / f"{project}-{backend}-{run}" for run in (1, 2)]
            for out in outs:
                run_fit(root, project, backend, out, args)
            info = json.loads(outs[0].with_suffix(".json").read_text())
            first, second = (np.load(out.with_suffix(".npy")) for out in outs)
            accuracy, low, high = accuracy_interval(np.asarray(info["y_test"]), first)
            if backend == "tensorflow":
                tf_interval = (low, high)
            inside = tf_interval[0] <= accuracy <= tf_interval[1]
            stamps = np.diff([info["start"], *info["ends"]])
            steady = float(np.median(stamps[1:])) if len(stamps) > 1 else float("nan")
            print(f"{project:<7} {info['backend']:<10} {accuracy:8.4f} [{low:.4f}, {high:.4f}] "
                  f"{'yes' if inside else 'NO':>5} "
                  f"{'same' if np.array_equal(first, second) else 'DIFFERS':>9} "
                  f"{info['epochs']:6d} {info['seconds']:7.1f} {steady:8.3f} "
                  f"{stamps[0] - steady:9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
