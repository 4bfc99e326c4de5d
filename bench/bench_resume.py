"""Resume: a tune study SIGKILLed mid-way and restarted ends like an uninterrupted one.

In two temporary working directories, with a tiny budget (``--n-trials``, ``--epochs``):

1. ``python -m dlpipe tune_worker <project> --worker 0`` (then ``tune``) runs uninterrupted; its
   finished trials are counted.
2. The same command is started again elsewhere; once ``--kill-after`` trials are finished in the
   journal and the next one is running, the process gets SIGKILL. The command is then restarted
   and runs to the end (then ``tune`` collects). Its journal must hold the same number of
   finished (complete + pruned) trials as the uninterrupted run, and the tune stage's
   best_params.json must exist.

Usage: .venv/bin/python bench/bench_resume.py [--params FILE] [--project iris] [--mode tpe|grid]
       [--n-trials 6] [--epochs 10] [--kill-after 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

FINISHED = ("COMPLETE", "PRUNED")


def finished(trials: list) -> int:
    return sum(t.state.name in FINISHED for t in trials)


def kill_midway(root: Path, project: str, kill_after: int, timeout: float) -> dict:
    """Start the tune worker, SIGKILL it while trial ``kill_after`` runs; return what the journal
    held."""
    proc = subprocess.Popen(c.tune_commands(project, 1)[0], cwd=root, env=c.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"tune_worker ended (exit {proc.returncode}) before "
                                   f"{kill_after} trials finished: raise --n-trials or lower "
                                   "--kill-after")
            try:
                trials = c.journal_trials(root, project)
            except Exception:  # the file may be half-written while we read it
                trials = []
            running = [t for t in trials if t.state.name == "RUNNING" and t.user_attrs.get("owner")]
            if finished(trials) >= kill_after and running:
                time.sleep(1.0)  # let the running trial get into its folds
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return {"finished": finished(c.journal_trials(root, project)),
                        "states": c.count_states(c.journal_trials(root, project))}
            time.sleep(0.3)
        raise RuntimeError("timed out waiting for trials to finish")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=c.default_params())
    parser.add_argument("--project", default="iris")
    parser.add_argument("--mode", choices=("tpe", "random", "grid"), default=None,
                        help="tune.mode (default: the params file's)")
    parser.add_argument("--n-trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=10, help="model.epochs (tiny budget)")
    parser.add_argument("--kill-after", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    def edit(params: dict) -> None:
        section = params[args.project]
        section["model"]["epochs"] = args.epochs
        section["model"]["patience"] = min(section["model"]["patience"], args.epochs)
        section["tune"]["n_trials"] = args.n_trials
        section["tune"]["timeout"] = None
        section["tune"]["workers"] = 1  # one process to kill
        if args.mode:
            section["tune"]["mode"] = args.mode

    raw = c.read_raw(args.params)
    dirs = {}
    for name in ("straight", "killed"):
        dirs[name] = c.workdir(f"bench_resume_{name}")
        c.write_params(dirs[name], raw, edit)
        c.prepare_data(dirs[name], args.project, ("fetch", "split"))
    print(f"params {args.params} (+ {args.project}.model.epochs={args.epochs}, "
          f"tune.n_trials={args.n_trials}, mode={args.mode or 'as in file'}) | dirs "
          f"{dirs['straight']} {dirs['killed']}", flush=True)

    straight_s = c.run_tune(dirs["straight"], args.project)
    straight = c.journal_trials(dirs["straight"], args.project)
    print(f"uninterrupted: {finished(straight)} finished {c.count_states(straight)} "
          f"in {straight_s:.0f} s", flush=True)

    started = time.perf_counter()
    at_kill = kill_midway(dirs["killed"], args.project, args.kill_after, args.timeout)
    print(f"SIGKILL with {at_kill['finished']} finished trial(s) in the journal: "
          f"{at_kill['states']}", flush=True)
    c.run_tune(dirs["killed"], args.project)
    resumed_s = time.perf_counter() - started
    resumed = c.journal_trials(dirs["killed"], args.project)
    has_best = c.artefact(dirs["killed"], "tune", "best_params", args.project).exists()
    print(f"killed+restarted: {finished(resumed)} finished {c.count_states(resumed)} "
          f"in {resumed_s:.0f} s; best_params.json {'written' if has_best else 'MISSING'}")

    ok = finished(resumed) == finished(straight) == args.n_trials and has_best
    print(f"{c.verdict(ok)} finished trials: killed+restarted {finished(resumed)} vs "
          f"uninterrupted {finished(straight)} (wanted {args.n_trials})")
    if not args.keep:
        for root in dirs.values():
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
