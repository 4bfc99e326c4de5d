"""What JAX's persistent compilation cache saves a job: the sentiment study's ``train`` (its CV
and final fit of the Transformer) on the JAX backend, on a seeded sample of the corpus, run
in a fresh process three ways, taking turns: no cache, an empty cache (filled as the job
compiles), and a warm one (a job after another, as ``train`` follows the tuning workers). Prints each way's median wall seconds (min-max), its
ratio to no cache, and whether the three trained the same weights.

    python bench/bench_jax_cache.py [--rows 1000] [--repeats 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import zipfile
from pathlib import Path

import _common as c

PROJECT = "sentiment"


def weights_digest(root: Path) -> str:
    with zipfile.ZipFile(c.artefact(root, "train", "bundle", PROJECT) / "model.keras") as saved:
        return hashlib.sha256(saved.read("model.weights.h5")).hexdigest()


def timed_train(root: Path, cache: str) -> tuple[float, str]:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = cache
    return c.run_stage(root, "train", PROJECT), weights_digest(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="the corpus' sample (split)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    root = c.workdir("jax_cache", args.workdir)

    def edit(raw):
        raw["projects"] = [PROJECT]
        section = raw[PROJECT]
        section.setdefault("split", {})["max_rows"] = args.rows
        section["model"]["backend"] = "jax"
        section["tune"].update(n_trials=2, max_rows=None)

    c.write_params(root, c.read_raw(c.default_params()), edit)
    warm = tempfile.mkdtemp(prefix="jax_cache_warm_")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = warm  # the tuning fills the warm cache
    c.prepare_data(root, PROJECT)
    c.run_tune(root, PROJECT)
    seconds: dict[str, list[float]] = {"no cache": [], "empty cache": [], "warm cache": []}
    digests = set()
    for _ in range(args.repeats):
        for way in seconds:
            with tempfile.TemporaryDirectory(prefix="jax_cache_empty_") as empty:
                cache = {"no cache": "", "empty cache": empty, "warm cache": warm}[way]
                took, digest = timed_train(root, cache)
            seconds[way].append(took)
            digests.add(digest)
    shutil.rmtree(warm)
    base = statistics.median(seconds["no cache"])
    print(f"`train {PROJECT}` on JAX, {args.rows} rows, {args.repeats} runs each, taking turns "
          f"(wall s: median, min-max; ratio of medians to no cache)")
    for way, times in seconds.items():
        middle = statistics.median(times)
        print(f"  {way:11s} {middle:6.1f}  {min(times):6.1f}-{max(times):6.1f}  "
              f"{middle / base:5.2f}x")
    print(f"same weights every way and run: {'yes' if len(digests) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
