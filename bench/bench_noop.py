"""What a no-op costs: `snakemake -n` and `dvc repro` on the pipeline when everything is up to
date, next to the tools' floor on a toy DAG with the same number of jobs.

Run it in a repository whose pipeline has finished (e.g. after `make run` and `dvc commit`). The
toy DAG is a chain of as many trivial stages as the pipeline has jobs, built in a scratch
directory with its own git and DVC repository. Prints median wall seconds of `--repeat` runs
and the ratios against the target (<= 1.5x the floor); also whether Snakemake plans any job.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import REPO, env
from dlpipe.pipeline import jobs


def timed(command: list[str], cwd: Path, repeat: int) -> tuple[float, float, float, str]:
    """Min, median and max wall seconds of ``repeat`` runs, and the last run's output."""
    seconds, output = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env(), capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        output = done.stdout + done.stderr
    return min(seconds), statistics.median(seconds), max(seconds), output


def toy(where: Path, n_jobs: int) -> Path:
    """A chain of ``n_jobs`` stages that each copy one small file, run once by both tools."""
    rules = ["rule all:\n    input: 'out/s%d.txt'\n" % (n_jobs - 1)]
    stages = ["stages:"]
    for k in range(n_jobs):
        source = "seed.txt" if k == 0 else f"out/s{k - 1}.txt"
        rules.append(f"rule s{k}:\n    input: '{source}'\n    output: 'out/s{k}.txt'\n"
                     f"    shell: 'cp {{input}} {{output}}'\n")
        stages.append(f"  s{k}:\n    cmd: mkdir -p out && cp {source} out/s{k}.txt\n"
                      f"    deps: [{source}]\n    outs: [out/s{k}.txt]")
    (where / "Snakefile").write_text("\n".join(rules))
    (where / "dvc.yaml").write_text("\n".join(stages) + "\n")
    (where / "seed.txt").write_text("seed\n")
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "repro", "-q"]):
        subprocess.run(command, cwd=where, env=env(), check=True, capture_output=True)
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(REPO), help="a repository with a finished run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repo = Path(args.repo)
    n_jobs = len(jobs.jobs(jobs.load(str(repo / "params.yaml"))))
    floor = toy(Path(tempfile.mkdtemp(prefix="dlpipe_noop_", dir="/tmp")), n_jobs)
    print(f"{n_jobs} jobs; toy DAG in {floor}; {args.repeat} runs each (min / median / max s)")
    for name, command in (("snakemake -n", ["snakemake", "-n", "--cores", "1"]),
                          ("dvc repro", ["dvc", "repro"])):
        real = timed(command, repo, args.repeat)
        base = timed(command, floor, args.repeat)
        ratio = real[1] / base[1]
        planned = "nothing to do" if ("Nothing to be done" in real[3]
                                      or "up to date" in real[3]) else "PLANS JOBS"
        print(f"{name:13s} pipeline {real[0]:.2f} / {real[1]:.2f} / {real[2]:.2f}   toy "
              f"{base[0]:.2f} / {base[1]:.2f} / {base[2]:.2f}   ratio {ratio:.2f}x "
              f"(target <= 1.5x)   pipeline: {planned}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
