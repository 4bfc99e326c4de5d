"""What a no-op costs: `snakemake -n`, `dvc status` and `dvc repro` on the pipeline when everything
is up to date, next to the tools' floor on a toy DAG with the same number of jobs, as found and
right after `dvc commit -f` (which rewrites every DVC output with a new mtime).

Run it in a repository whose pipeline has finished (e.g. a scratch copy after `make run` and
`dvc commit`): it runs `dvc commit -f` there. The toy DAG is a chain of as many trivial stages as
the pipeline has jobs, built in a scratch directory with its own git and DVC repository and run
by both tools. Prints min / median / max wall seconds of `--repeat` runs (and the median CPU
seconds, steadier on a shared machine), the ratio of the medians against the target (<= 1.5x the
floor), and whether the pipeline has nothing to do.

On a machine with SLURM's client configured but no controller running, every Snakemake start
waits ~9 s: the SLURM executor plugin runs `scontrol show config` when it loads, which retries
until SLURM's message timeout. `--local` sets SLURM_CONF=/dev/null for every command (toy and
pipeline alike), as a local run may.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import REPO, env
from dlpipe.pipeline import jobs

# (name, command, what it prints when nothing is to be done, target ratio to the toy floor)
COMMANDS = (("snakemake -n", ["snakemake", "-n", "--cores", "1"], "Nothing to be done", 1.3),
            ("dvc status", ["dvc", "status"], "up to date", 1.5),
            ("dvc repro", ["dvc", "repro"], "Data and pipelines are up to date", 1.5))


def run_env(local: bool) -> dict[str, str]:
    return {**env(), "SLURM_CONF": "/dev/null"} if local else env()


def timed(command: list[str], cwd: Path, repeat: int, local: bool):
    """Wall seconds of ``repeat`` runs, their median CPU seconds (user + system), and the last
    run's output."""
    seconds, cpu, output = [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=run_env(local), capture_output=True,
                              text=True)
        seconds.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        output = done.stdout + done.stderr
    return seconds, statistics.median(cpu), output


def toy(where: Path, n_jobs: int, local: bool) -> Path:
    """A chain of ``n_jobs`` stages that each copy one small file, run by DVC, then recorded by
    Snakemake (`--touch` writes its metadata) as a finished run of both."""
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
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "repro", "-q"],
                    ["snakemake", "--touch", "--cores", "1"]):
        subprocess.run(command, cwd=where, env=run_env(local), check=True, capture_output=True)
    return where


def slurm_probe() -> float | None:
    """Seconds `scontrol show config` takes here (what each Snakemake start waits), if any."""
    if not shutil.which("scontrol"):
        return None
    started = time.perf_counter()
    subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=60)
    return time.perf_counter() - started


def spread(seconds: list[float], cpu: float) -> str:
    return (f"{min(seconds):5.2f} /{statistics.median(seconds):5.2f} /{max(seconds):5.2f}"
            f" ({cpu:4.2f})")


def measure(state: str, repo: Path, floor: Path, repeat: int, local: bool) -> bool:
    ok = True
    for name, command, quiet, target in COMMANDS:
        real, real_cpu, output = timed(command, repo, repeat, local)
        base, base_cpu, _ = timed(command, floor, repeat, local)
        ratio = statistics.median(real) / statistics.median(base)
        nothing = quiet in output
        ok &= nothing and ratio <= target
        print(f"{state:21s} {name:13s} {spread(real, real_cpu)}   {spread(base, base_cpu)}"
              f"   {ratio:5.2f}x (target <= {target}x: {'met' if ratio <= target else 'MISSED'})"
              f"   {'nothing to do' if nothing else 'PLANS JOBS'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(REPO), help="a repository with a finished run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--local", action="store_true",
                        help="SLURM_CONF=/dev/null for every command (skips the SLURM probe)")
    args = parser.parse_args()
    repo = Path(args.repo)
    n_jobs = len(jobs.jobs(jobs.load(str(repo / "params.yaml"))))
    floor = toy(Path(tempfile.mkdtemp(prefix="dlpipe_noop_", dir="/tmp")), n_jobs, args.local)
    probe = None if args.local else slurm_probe()
    print(f"{n_jobs} jobs; toy DAG in {floor}; {args.repeat} runs each; "
          f"SLURM_CONF={'/dev/null' if args.local else os.environ.get('SLURM_CONF', '(unset)')}")
    if probe is not None and probe > 1:
        print(f"every Snakemake start waits for `scontrol show config`: {probe:.1f} s here "
              "(--local skips it)")
    print(f"{'state':21s} {'command':13s} {'pipeline: wall min / med / max (CPU)':36s}"
          f" {'toy floor: wall min / med / max (CPU)':37s} ratio of medians")
    ok = measure("as found", repo, floor, args.repeat, args.local)
    for where in (repo, floor):
        subprocess.run(["dvc", "commit", "-f", "-q"], cwd=where, env=run_env(args.local),
                       check=True, capture_output=True)
    ok &= measure("after dvc commit -f", repo, floor, args.repeat, args.local)
    print("all figures within target, nothing to do" if ok else "some figure MISSED its target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
