"""MNIST targets from the pipeline's own outputs (run `make run` first, on a quiet machine).

Prints every figure of issue #4 next to its target: best classical multi-class accuracy, the
binary 5-detector's best F1 and ROC AUC, multi-label F1 macro, Keras MLP and CNN accuracy, the
MNIST wall time (sum of the MNIST stages' wall times from benchmarks/, an upper bound when stages
overlap) and peak memory (largest max_rss of any MNIST job).

    python bench/mnist_targets.py [ROOT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd


def main(root: Path) -> int:
    reports = root / "reports" / "mnist"
    load = lambda name: json.loads((reports / name).read_text())  # noqa: E731
    multiclass, binary = load("multiclass/metrics.json"), load("binary/metrics.json")
    classical = max(m["test"]["accuracy"] for m in multiclass["models"].values())
    stages = [pd.read_csv(t, sep="\t").iloc[-1] for t in sorted(
        (root / "benchmarks" / "mnist").glob("*.tsv"))]
    wall = sum(float(s["s"]) for s in stages)
    peak = max(float(s["max_rss"]) for s in stages)
    figures = [
        ("multi-class, best classical model: test accuracy", classical, ">=", 0.985),
        ("binary 5-detector, best model: test F1", binary["best"]["f1"], ">=", 0.95),
        ("binary 5-detector, best model: test ROC AUC", binary["best"]["roc_auc"], ">=", 0.998),
        ("multi-label KNN: test F1 macro", load("multilabel/metrics.json")["test"]["f1_macro"],
         ">=", 0.98),
        ("Keras MLP: test accuracy", load("mlp/metrics.json")["test"]["accuracy"], ">=", 0.986),
        ("Keras CNN: test accuracy", load("metrics.json")["test"]["accuracy"], ">=", 0.993),
        ("MNIST stages wall time, s", wall, "<=", 20 * 60),
        ("peak memory of an MNIST job, MB", peak, "<=", 3 * 1024),
    ]
    missed = 0
    for name, value, op, target in figures:
        ok = value >= target if op == ">=" else value <= target
        missed += not ok
        print(f"{name:52s} {value:10.4f}  target {op} {target:<8} {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")))
