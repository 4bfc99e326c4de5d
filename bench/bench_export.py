"""The export stage's LiteRT files against their targets, per project of a finished pipeline.

For every project with a trained model under ROOT (default: the repository), the export
stage's metrics and run information are read from ROOT when it has them; otherwise the export
node runs here on ROOT's model and processed parts, with the export params of PARAMS (default:
this repository's params.yaml, as ROOT's may predate the stage), and nothing is written to ROOT.
Printed per project: each file's size, test accuracy, agreement with the Keras labels and
single-row p50 latency, the int8 file's size ratio and accuracy difference to float32, and the
MNIST int8 targets: accuracy within 0.5 point of float32, at most 0.3x its size, at least 99 %
of the Keras labels.

    python bench/bench_export.py [ROOT] [--params PARAMS]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _common import REPO  # noqa: E402  (it puts src/ on the path)
import dlpipe  # noqa: E402,F401  (pins the CPU kernels before NumPy loads)
from dlpipe.pipeline import catalog, jobs  # noqa: E402
from dlpipe.pipeline.table import BY_NAME  # noqa: E402
from dlpipe.bundle import files  # noqa: E402

STAGE = BY_NAME["export"]
TARGETS = {"mnist": {"accuracy_drop_points": 0.5, "size_ratio": 0.3, "agreement": 0.99}}


def model_file(root: Path, project: str) -> Path:
    """The trained network in the project's bundle under ``root``."""
    bundle = jobs.source(STAGE.inputs["bundle"])[1].path
    return root / jobs.fill(bundle, {"project": project}) / bundle_files.MODEL


def measured(root: Path, project: str, params) -> tuple[dict, dict, str]:
    """The project's export metrics and run information, read or computed now."""
    wildcards = {"project": project}
    outputs = jobs.output_paths(STAGE, wildcards)
    if (root / outputs["metrics"]).exists() and (root / outputs["info"]).exists():
        return (json.loads((root / outputs["metrics"]).read_text()),
                json.loads((root / outputs["info"]).read_text()), "read from the export stage")
    from dlpipe.pipeline import runner

    # the node reads only the bundle's network: that file alone, so that a run from before
    # the bundle's other files works too
    inputs = {name: {bundle_files.MODEL: catalog.read(model_file(root, project))} if name == "bundle"
              else catalog.read(root / path)
              for name, path in jobs.input_paths(STAGE, wildcards, params).items()}
    out = runner.node_of(STAGE)(**inputs, **jobs.param_arguments(STAGE, params, project),
                                project=project)
    return out["metrics"], out["info"], "exported now (not written)"


def report(project: str, metrics: dict, info: dict, source: str) -> int:
    """Print the project's figures; return how many targets it missed."""
    print(f"\n{project} ({source}; latency: {info['threads']} thread, "
          f"{info['latency_runs']} single-row runs)")
    print(f"  {'format':8s} {'bytes':>10s} {'accuracy':>9s} {'agreement':>9s} {'p50 ms':>8s}")
    for fmt, values in metrics.items():
        print(f"  {fmt:8s} {values['size_bytes']:10d} {values['accuracy']:9.4f} "
              f"{values['agreement']:9.4f} {info[fmt]['latency_p50_ms']:8.4f}")
    if not {"float32", "int8"} <= set(metrics):
        return 0
    base, int8 = metrics["float32"], metrics["int8"]
    figures = [("int8 accuracy drop, points", 100 * (base["accuracy"] - int8["accuracy"]), "<=",
                "accuracy_drop_points"),
               ("int8 / float32 size", int8["size_bytes"] / base["size_bytes"], "<=",
                "size_ratio"),
               ("int8 agreement with Keras labels", int8["agreement"], ">=", "agreement"),
               ("int8 / float32 p50 latency",
                info["int8"]["latency_p50_ms"] / info["float32"]["latency_p50_ms"], None, None)]
    missed = 0
    for name, value, op, key in figures:
        target = TARGETS.get(project, {}).get(key) if key else None
        if target is None:
            print(f"  {name:36s} {value:8.4f}")
            continue
        ok = value <= target if op == "<=" else value >= target
        missed += not ok
        print(f"  {name:36s} {value:8.4f}  target {op} {target:<5} {'ok' if ok else 'MISSED'}")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default=str(REPO), type=Path)
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    args = parser.parse_args(argv)
    params = jobs.load(args.params)
    found = [p for p in params.projects if model_file(args.root, p).exists()]
    if not found:
        raise SystemExit(f"no trained model of a project of {args.params} under {args.root}")
    return 1 if sum(report(p, *measured(args.root, p, params)) for p in found) else 0


if __name__ == "__main__":
    sys.exit(main())
