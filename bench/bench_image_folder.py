"""MNIST as a folder of PNG files, added with `dlpipe add --images`, against the MNIST CNN's band.

The 70 000 digits of the mirror's `mnist_784.npz` are written as 28x28 grey PNG files, one
subfolder per digit, in a scratch copy of the repository; `dlpipe add mnist_png --images ...
--size 28 28` makes the project, whose network, tuning and CV settings are then set to the MNIST
study's (`mnist.model`, `mnist.tune`, `mnist.cv`; a stratified test part of 10 000 images, as
the folder has no canonical order; a fifth with `--per-class`), and `snakemake project_mnist_png` runs it on 2 cores.
Printed: the time to write and to read the files, the run's wall time, and the served test
accuracy next to the target: at least the committed MNIST CNN's test accuracy minus 0.002.

    python bench/bench_image_folder.py [--workdir DIR] [--per-class N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from _common import (MIRROR, PYTHON, REPO, env, job_seconds, run_project, scratch_repo,
                     verdict)

NAME = "mnist_png"
FOLDER = f"data/external/{NAME}"
BAND = 0.002  # the folder project's accuracy may sit this far below the MNIST CNN's


def write_pngs(root: Path, per_class: int | None) -> float:
    """MNIST's digits as PNG files under ``root/FOLDER/<digit>/``; seconds taken."""
    from PIL import Image

    started = time.perf_counter()
    with np.load(Path(MIRROR) / "mnist_784.npz") as arrays:
        X, y = arrays["X"], arrays["y"]
    for digit in range(10):
        folder = root / FOLDER / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        rows = np.flatnonzero(y == digit)[:per_class]
        for k in rows:
            Image.fromarray(X[k].reshape(28, 28)).save(folder / f"{k:05d}.png")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--per-class", type=int, default=None,
                        help="images per digit (default: all 70 000 images)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_image_folder."))
    work.mkdir(parents=True, exist_ok=True)
    seconds = {}
    repo = scratch_repo(work / "repo", lambda root: seconds.setdefault(
        "write", write_pngs(root, args.per_class)))
    run = lambda *cmd: __import__("subprocess").run(cmd, cwd=repo, env=env(),  # noqa: E731
                                                    capture_output=True, text=True)
    started = time.perf_counter()
    done = run(PYTHON, "-m", "dlpipe", "add", NAME, "--images", FOLDER, "--size", "28", "28")
    seconds["add (reads every file)"] = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    study = raw["mnist"]
    raw[NAME].update(model={**study["model"], "image_shape": [28, 28, 1]},
                     tune=study["tune"], cv=study["cv"], serve_family="network",
                     split={"method": "stratified",
                            "test_size": 10000 if args.per_class is None else 0.2})
    raw["projects"] = [NAME]
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    seconds["snakemake project (fetch included)"], done = run_project(repo, NAME)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    seconds["of which fetch (decodes every file)"] = job_seconds(repo, NAME)["fetch"]
    test = json.loads((repo / f"reports/{NAME}/metrics.json").read_text())["test"]
    mnist = json.loads((REPO / "reports/mnist/metrics.json").read_text())["test"]
    images = sum(1 for _ in (repo / FOLDER).rglob("*.png"))
    print(f"{images} PNG files, 28x28 grey; scratch repo {repo}")
    for what, value in seconds.items():
        print(f"  {what:38s} {value:7.1f} s")
    target = mnist["accuracy"] - BAND
    print(f"test accuracy {test['accuracy']:.4f} (MNIST CNN, committed: {mnist['accuracy']:.4f}; "
          f"target >= {target:.4f}): {verdict(test['accuracy'] >= target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
