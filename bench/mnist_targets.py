"""MNIST targets from the pipeline's own outputs (run `make run` first, on a quiet machine).

Prints every figure of the MNIST study next to its target: best classical multi-class accuracy, the
binary 5-detector's best F1 and ROC AUC, multi-label F1 macro, Keras MLP and CNN accuracy, the
MNIST wall time (sum of the MNIST stages' wall times from benchmarks/, an upper bound when stages
overlap) and peak memory (the largest of the MNIST jobs' logged peaks: a forked job's benchmark
measures the process that waits for it).

Every file is found through the stage table: each task's ``reports/mnist/<task>/metrics.json``
(``{model: {split: {metric: value}}}``) and ``info.json`` (best model, model name), the CNN's
``reports/mnist/metrics.json`` (``{"test": {...}}``), and each MNIST job's Snakemake benchmark
and log (``stage_timings.job_times``).

    python bench/mnist_targets.py [ROOT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import _common  # noqa: E402,F401  (it puts src/ on the path)
from dlpipe.pipeline import jobs  # noqa: E402
from dlpipe.pipeline.table import BY_NAME  # noqa: E402
from stage_timings import job_times  # noqa: E402

PROJECT = "mnist"


def artefact(root: Path, stage: str, output: str) -> dict:
    """The JSON the stage table declares as ``stage``'s ``output`` for the MNIST project."""
    path = jobs.fill(BY_NAME[stage].outputs[output].path, {"project": PROJECT})
    return json.loads((root / path).read_text())


def main(root: Path) -> int:
    multiclass = artefact(root, "multiclass", "metrics")
    binary, binary_info = artefact(root, "binary", "metrics"), artefact(root, "binary", "info")
    multilabel = artefact(root, "multilabel", "metrics")
    multilabel_model = artefact(root, "multilabel", "info")["model"]
    mlp, mlp_model = artefact(root, "mlp", "metrics"), artefact(root, "mlp", "info")["model"]
    classical = max(m["test"]["accuracy"] for m in multiclass.values())
    best_binary = binary[binary_info["best_model"]]["test"]
    times = job_times(root)
    times = times[times["project"] == PROJECT]
    if times.empty:
        raise SystemExit(f"no MNIST benchmark files under {root / 'benchmarks'}: run `make run`")
    wall, peak = times["seconds"].sum(), times["peak_mb"].max()
    figures = [
        ("multi-class, best classical model: test accuracy", classical, ">=", 0.985),
        ("binary 5-detector, best model: test F1", best_binary["f1"], ">=", 0.95),
        ("binary 5-detector, best model: test ROC AUC", best_binary["roc_auc"], ">=", 0.998),
        ("multi-label KNN: test F1 macro", multilabel[multilabel_model]["test"]["f1_macro"],
         ">=", 0.98),
        ("Keras MLP: test accuracy", mlp[mlp_model]["test"]["accuracy"], ">=", 0.986),
        ("Keras CNN: test accuracy", artefact(root, "evaluate", "metrics")["test"]["accuracy"],
         ">=", 0.993),
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
