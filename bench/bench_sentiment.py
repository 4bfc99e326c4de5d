"""The sentiment project: the Transformer's macro-F1 on the test part beside the TF-IDF + logistic
regression baseline's, each with a bootstrap interval, and their paired difference; and the
whole project's wall time on 2 cores.

By default the project runs first in a scratch repo (`projects: [sentiment]`, its corpus from
the mirror): `snakemake project_sentiment --cores 2`, timed. `--root DIR` reads a finished run
there instead (the repository after `make run`, say) and runs nothing.

Both families are scored from their bundles on every row of the test part; the interval is the
2.5-97.5 percentiles of 2000 seeded bootstrap resamples of those rows, the same resamples for
both (so the difference is paired).

    python bench/bench_sentiment.py [--root DIR] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _common import job_seconds, run_project, scratch_repo

PROJECT = "sentiment"
WALL_TARGET_S = 600
RESAMPLES, SEED = 2000, 0


def run_alone(where: Path) -> tuple[Path, float]:
    """A scratch repo where the project alone has run (2 cores), and the run's wall seconds."""
    repo = scratch_repo(where, lambda root: None)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace(
        "projects:                     # enabled projects (each has a section below)\n"
        "  - iris\n", f"projects:                     # enabled projects\n  - {PROJECT}\n"))
    wall, run = run_project(repo, PROJECT)
    if run.returncode:
        raise SystemExit(f"the run failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return repo, wall


def predictions(root: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The test part's labels and each family's predicted labels: the network with its feature
    transformer (word ids), and the linear family's fitted pipeline (TF-IDF, logistic
    regression)."""
    from dlpipe.bundle import files
    from dlpipe.models.network import load_network

    test = pd.read_parquet(root / f"data/interim/{PROJECT}/test.parquet")
    network_dir = root / f"models/{PROJECT}-network"
    schema = json.loads((network_dir / files.SCHEMA).read_text())
    X = test[[column["name"] for column in schema["columns"]]]
    classes = np.asarray(schema["classes"])
    network = load_network(str(network_dir / files.MODEL))
    words = files.load_transformer(network_dir / files.TRANSFORMER).transform(X)
    linear = files.load_transformer(root / f"models/{PROJECT}-linear" / files.ESTIMATOR)
    out = {"transformer": classes[network.predict(words, batch_size=512, verbose=0).argmax(1)],
           "tfidf_logistic": classes[linear.predict_proba(X).argmax(axis=1)]}
    return test["target"].astype(str).to_numpy(), out


def macro_f1_intervals(y: np.ndarray, predicted: dict[str, np.ndarray]) -> dict[str, tuple]:
    """Each family's macro-F1 and bootstrap interval, and the difference's (first - second)."""
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(SEED)
    draws = [rng.integers(0, len(y), len(y)) for _ in range(RESAMPLES)]
    scores = {name: (f1_score(y, p, average="macro"),
                     np.array([f1_score(y[d], p[d], average="macro") for d in draws]))
              for name, p in predicted.items()}
    (a, (va, sa)), (b, (vb, sb)) = scores.items()
    scores[f"{a} - {b}"] = (va - vb, sa - sb)
    return {name: (value, *np.percentile(sample, [2.5, 97.5]))
            for name, (value, sample) in scores.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=None, help="a finished run to read")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.root is None:
        where = args.workdir or Path(tempfile.mkdtemp(prefix="bench-sentiment-"))
        where.mkdir(parents=True, exist_ok=True)
        root, wall = run_alone(where)
        print(f"whole project (snakemake project_{PROJECT}, 2 cores): {wall:.0f} s "
              f"({wall / 60:.1f} min)   target <= {WALL_TARGET_S} s: "
              f"{'met' if wall <= WALL_TARGET_S else 'MISSED'}")
        for job, seconds in job_seconds(root, PROJECT).items():
            if seconds >= 1:
                print(f"  {job:<16} {seconds:7.1f} s")
    else:
        root = args.root
    y, predicted = predictions(root)
    print(f"test part: {len(y)} tweets, macro-F1 (95% bootstrap interval, {RESAMPLES} "
          "resamples, paired)")
    for name, (value, low, high) in macro_f1_intervals(y, predicted).items():
        print(f"  {name:<30} {value:7.4f}  [{low:.4f}, {high:.4f}]")
    selection = json.loads((root / f"reports/{PROJECT}/selection.json").read_text())
    print(f"served: {selection['served']} (by CV {selection['metric']}: " + ", ".join(
        f"{f} {s['cv']['mean']:.4f}" for f, s in selection["families"].items()) + ")")
    print(f"(run: {root})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
