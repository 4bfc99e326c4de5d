"""What a job saves by keeping its imports out of the garbage collector's reach
(``runner.keep_out_of_collections``): a tuning job of one project from an empty study, this
code against another checkout's (``--vs-src``), taking turns, in a fresh process and forked by
the job server of ``dlpipe preload``. For the forked job also its peak private and
proportional memory (the server's pages it copied, and its share of the rest), sampled from
/proc every 0.2 s. The trials' values must be the same in every run.

    .venv/bin/python bench/bench_gc_freeze.py --vs-src OTHER/src [--project iris] [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

import _common
from _common import (PYTHON, children_cpu, env, journal_path, journal_trials, paired,
                     smaps_rollup, stage_cmd)

MEMORY = ("Pss", "Private_Dirty")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs-src", required=True, help="another checkout's src/ (the code before)")
    parser.add_argument("--project", default="iris")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    root = _common.workdir("gc", args.workdir)
    raw = _common.read_raw(_common.default_params())
    _common.write_params(root, raw, lambda r: r.update(projects=[args.project]))
    _common.prepare_data(root, args.project)
    codes = {"this code": str(_common.REPO / "src"), "--vs-src": str(Path(args.vs_src).resolve())}
    seen: dict[tuple[str, str], list[dict]] = {}
    values = set()
    for repeat in range(args.repeats):
        for how in ("fresh", "forked"):
            for code, src in codes.items():
                run = tune_job(root, args.project, src, forked=how == "forked")
                seen.setdefault((how, code), []).append(run)
                values.add(run.pop("values"))
                print(f"run {repeat + 1} {how:6s} {code:9s} " + "  ".join(
                    f"{k} {v:.1f}" for k, v in run.items()), flush=True)
    print(f"\n{args.project} tune_worker from an empty study, {args.repeats} runs each in turn")
    for how in ("fresh", "forked"):
        ours, theirs = seen[(how, "this code")], seen[(how, "--vs-src")]
        for key, unit in (("wall", "s"), ("cpu", "s"), *((m, "MiB") for m in MEMORY)):
            if key not in ours[0]:
                continue
            print(f"{how:6s} {key:13s} {paired(ours, theirs, key, unit, 1)}")
    print(f"the trials' values: {'the same in every run' if len(values) == 1 else 'DIFFER'}")
    if len(values) != 1:
        raise SystemExit(1)


def tune_job(root: Path, project: str, src: str, forked: bool) -> dict:
    """One tune_worker job on ``src``'s code from an empty study: wall and CPU seconds, the
    forked job's peak memory, and its trials' values."""
    shutil.rmtree(journal_path(root, project).parent, ignore_errors=True)
    journal_path(root, project).parent.mkdir(parents=True)
    command = stage_cmd("tune_worker", project, "--worker", "0")
    if forked:
        command = [PYTHON, "-m", "dlpipe", "preload", "--", *command]
    cpu, started = children_cpu(), time.perf_counter()
    # the job's log lines go to a file: a pipe nobody reads until the end would stop the job
    # once it held 64 KiB
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(command, cwd=root, env={**env(), "PYTHONPATH": src},
                                stdout=subprocess.DEVNULL, stderr=errors, text=True)
        peak: dict[str, float] = {}
        while proc.poll() is None:
            if forked:
                for job in descendants(proc.pid, depth=2):  # preload -> its server -> the job
                    for key, kib in memory(job.pid).items():
                        peak[key] = max(peak.get(key, 0.0), kib / 1024)
            time.sleep(0.2)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed: {errors.read()[-3000:]}")
    trials = journal_trials(root, project)
    return {"wall": wall, "cpu": children_cpu() - cpu, **peak,
            "values": tuple(t.value for t in trials)}


def descendants(pid: int, depth: int) -> list[psutil.Process]:
    """The processes ``depth`` generations below ``pid``."""
    try:
        level = [psutil.Process(pid)]
    except psutil.Error:  # ended since the caller looked
        return []
    for _ in range(depth):
        level = [child for parent in level for child in _children(parent)]
    return level


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.Error:  # ended between two samples
        return []


def memory(pid: int) -> dict[str, int]:
    """The process's Pss and Private_Dirty in KiB (empty once it has ended)."""
    try:
        fields = smaps_rollup(pid)
    except OSError:
        return {}
    return {key: fields[key] for key in MEMORY if key in fields}


if __name__ == "__main__":
    main()
