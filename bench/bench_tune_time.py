"""Wall time of the tuning step (tune_worker jobs, then tune) at default params, repeated, with the
scores it reaches: the study's best CV value, and the train stage's CV accuracy of the tuned spec.

Every repeat starts a fresh Optuna journal in one temporary working directory (data from the
offline mirror, fetched and split once). The stages run as ``python -m dlpipe`` with the
caller's PYTHONPATH, so the same script times any checkout of the package:

    PYTHONPATH=/path/to/src .venv/bin/python bench/bench_tune_time.py [--projects iris price]
        [--repeats 3] [--params FILE] [--no-train]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402


def stage_package(root: Path) -> str:
    """Where the stages' ``dlpipe`` comes from (the PYTHONPATH of the run)."""
    done = subprocess.run([c.PYTHON, "-c", "import dlpipe; print(dlpipe.__file__)"], cwd=root,
                          env=c.env(), capture_output=True, text=True, check=True)
    return str(Path(done.stdout.strip()).parents[1])


def one_tune(root: Path, project: str) -> tuple[float, float, dict]:
    """Wall and CPU seconds (the stage processes' user + system time: the machine is shared, and
    CPU time shows the work when other jobs stretch the wall time) and the best_params."""
    shutil.rmtree(c.journal_path(root, project).parent, ignore_errors=True)
    workers = c.jobs.load(str(root / "params.yaml")).project(project).tune.workers
    cpu = c.children_cpu()
    seconds = c.run_tune(root, project, workers)
    cpu = c.children_cpu() - cpu
    return seconds, cpu, c.read_json(c.artefact(root, "tune", "best_params", project))


def spread(values: list[float]) -> str:
    return (f"min {min(values):6.1f}  median {statistics.median(values):6.1f}  "
            f"max {max(values):6.1f}")


def bench(root: Path, project: str, repeats: int, train: bool) -> None:
    c.prepare_data(root, project, ("fetch", "split", "preprocess"))
    times, cpus, bests = [], [], []
    for _ in range(repeats):
        seconds, cpu, best = one_tune(root, project)
        times.append(seconds)
        cpus.append(cpu)
        bests.append(best)
        print(f"  {project}: tune {seconds:6.1f} s wall, {cpu:6.1f} s CPU, best "
              f"{best['best_value']:.6f} "
              f"({best['n_complete']} complete, {best['n_pruned']} pruned, "
              f"{best['epochs_total']} epochs) tuned {best['tuned']}", flush=True)
    values = {round(b["best_value"], 10) for b in bests}
    print(f"{project}: tune wall s  {spread(times)}  (n={repeats})")
    print(f"{project}: tune CPU s   {spread(cpus)}; best_value "
          f"{'identical' if len(values) == 1 else sorted(values)} over repeats")
    if train:
        seconds = c.run_stage(root, "train", project)
        cv = c.read_json(c.artefact(root, "train", "cv", project))["summary"]["accuracy"]
        print(f"{project}: train {seconds:.1f} s, CV accuracy {cv['mean']:.6f} "
              f"+- {cv['std']:.6f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=c.default_params())
    parser.add_argument("--projects", nargs="+", default=["iris", "price"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-train", action="store_true")
    args = parser.parse_args()
    root = c.workdir("bench_tune_time")
    c.write_params(root, c.read_raw(args.params))
    print(f"package {stage_package(root)} | workdir {root}", flush=True)
    try:
        for project in args.projects:
            bench(root, project, args.repeats, not args.no_train)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
