"""Shared helpers of the benches: a throw-away working directory with its own params file, the real
stages run as ``python -m dlpipe STAGE PROJECT`` there, and read-only access to the Optuna journal.

Nothing here touches the repository's data/, models/ or reports/: every run happens in a temporary
directory (or one named with ``--workdir``) and reads its data from the offline mirror.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from dlpipe.pipeline import jobs  # noqa: E402
from dlpipe.pipeline.table import BY_NAME  # noqa: E402

PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() \
    else sys.executable
MIRROR = os.environ.get("DLPIPE_DATA_MIRROR", str(REPO.parent / "shared" / "data"))
DATA_STAGES = ("fetch", "split", "preprocess")


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    """The median of ``values`` with their range and count, the way the benches quote a figure."""
    return (f"median {statistics.median(values):.{digits}f} {unit} (min {min(values):.{digits}f}, "
            f"max {max(values):.{digits}f}, {len(values)} runs)")


def smaps_rollup(pid: int) -> dict[str, int]:
    """The process's memory totals (Rss, Pss, Private_Dirty, ...) in KiB, from Linux's
    /proc/PID/smaps_rollup; OSError once the process has ended."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            name, _, value = line.partition(":")
            amount = value.split()
            if amount[1:] == ["kB"]:
                fields[name] = int(amount[0])
    return fields


def paired(ours: list[dict], theirs: list[dict], key: str, unit: str, digits: int = 2) -> str:
    """``key`` of this code's runs and of ``--vs-src``'s, taken in turns, and its ratio pair
    by pair: how a bench compares two checkouts."""
    ratios = [a[key] / b[key] for a, b in zip(ours, theirs)]
    return (f"this code {spread([r[key] for r in ours], unit, digits)}; --vs-src "
            f"{spread([r[key] for r in theirs], unit, digits)}; ratio pair by pair "
            f"{spread(ratios, '', 3)}")


def default_params() -> str:
    return str(REPO / "params.yaml")


def read_raw(params_file: str) -> dict[str, Any]:
    return yaml.safe_load(Path(params_file).read_text())


def workdir(tag: str, given: str | None = None) -> Path:
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix=f"dlpipe_{tag}_", dir="/tmp"))


def write_params(root: Path, raw: dict[str, Any],
                 edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Write ``raw`` (edited by ``edit`` on a deep copy) as ``root/params.yaml``; validate it."""
    raw = copy.deepcopy(raw)
    if edit is not None:
        edit(raw)
    target = root / "params.yaml"
    target.write_text(yaml.safe_dump(raw, sort_keys=False))
    jobs.load(str(target))  # validates exactly as the pipeline does
    return target


def artefact(root: Path, stage: str, output: str, project: str, worker: int | None = None) -> Path:
    """The file the stage table declares as ``stage``'s ``output`` for ``project``, in ``root``."""
    wildcards = {"project": project} if worker is None else {"project": project, "worker": worker}
    return root / jobs.fill(BY_NAME[stage].outputs[output].path, wildcards)


def scratch_repo(where: Path, write_data: Callable[[Path], None]) -> Path:
    """A git repo at ``where`` holding the repository's tracked files (no results), with
    `projects: [iris]`, and the data ``write_data`` writes there (given the repo's root)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file() and not name.startswith("reports/") and name != "dvc.lock":
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, where / name)
    params = where / "params.yaml"
    params.write_text(params.read_text().replace(
        "projects:                     # enabled projects (each has a section below)\n"
        "  - mnist\n  - iris\n  - price\n  - sentiment\n",
        "projects:                     # enabled projects (each has a section below)\n"
        "  - iris\n"))
    write_data(where)
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "base"]):
        subprocess.run(command, cwd=where, check=True)
    return where


def env() -> dict[str, str]:
    """The environment of a bench's commands: the mirror, and the venv's tools (python,
    snakemake, dvc) first on PATH, as `make` puts them."""
    out = dict(os.environ)
    out["PATH"] = f"{Path(PYTHON).parent}:{out.get('PATH', '')}"
    out["DLPIPE_DATA_MIRROR"] = MIRROR
    out.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return out


def stage_cmd(stage: str, project: str, *extra: str) -> list[str]:
    return [PYTHON, "-m", "dlpipe", stage, project, *extra, "--params", "params.yaml"]


def _check(done: subprocess.CompletedProcess, what: str, root: Path) -> None:
    if done.returncode != 0:
        tail = "\n".join((done.stderr or "").splitlines()[-25:])
        raise RuntimeError(f"`dlpipe {what}` failed in {root} (exit {done.returncode}):\n{tail}")


def run_stage(root: Path, stage: str, project: str, *extra: str, timeout: float = 3600) -> float:
    """Run one real stage in ``root``; return its wall time in seconds (raise on failure)."""
    started = time.perf_counter()
    done = subprocess.run(stage_cmd(stage, project, *extra), cwd=root, env=env(),
                          capture_output=True, text=True, timeout=timeout)
    _check(done, " ".join([stage, project, *extra]), root)
    return time.perf_counter() - started


def run_project(repo: Path, project: str) -> tuple[float, subprocess.CompletedProcess]:
    """`snakemake project_<project>` in ``repo`` on 2 cores with the workflow profile, as a
    user runs one project: its wall seconds and the finished process (its output captured)."""
    started = time.perf_counter()
    done = subprocess.run([str(Path(PYTHON).parent / "snakemake"), f"project_{project}",
                           "--cores", "2", "--workflow-profile", "profiles/default"], cwd=repo,
                          env=env(), capture_output=True, text=True)
    return time.perf_counter() - started, done


def job_seconds(repo: Path, project: str) -> dict[str, float]:
    """Each of the project's jobs' wall seconds in the last Snakemake run (its benchmark
    files, benchmarks/<project>/<job>.tsv), by job name."""
    return {tsv.stem: float(tsv.read_text().splitlines()[-1].split("\t")[0])
            for tsv in sorted((repo / f"benchmarks/{project}").glob("*.tsv"))}


def tune_commands(project: str, workers: int) -> list[list[str]]:
    """The commands of the tuning step: the worker jobs (run at once), as the front ends do."""
    return [stage_cmd("tune_worker", project, "--worker", str(k)) for k in range(workers)]


def run_tune(root: Path, project: str, workers: int = 1, timeout: float = 6 * 3600) -> float:
    """The whole tuning step (every worker in parallel, then the collecting stage); wall time."""
    started = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=root, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for cmd in tune_commands(project, workers)]
    for cmd, proc in zip(tune_commands(project, workers), procs):
        out, err = proc.communicate(timeout=timeout)
        _check(subprocess.CompletedProcess(cmd, proc.returncode, out, err), " ".join(cmd[3:5]),
               root)
    run_stage(root, "tune", project)
    return time.perf_counter() - started


def prepare_data(root: Path, project: str, stages: tuple[str, ...] = DATA_STAGES) -> float:
    return sum(run_stage(root, stage, project) for stage in stages)


def finished_run_args(doc: str, calls: int, calls_help: str
                      ) -> tuple[argparse.Namespace, Path, list[str]]:
    """The arguments of a bench on a finished run's bundles (``--root``, ``--calls``), the
    resolved root and its projects with a bundle and a test part."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--calls", type=int, default=calls, help=calls_help)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    return args, root, bundles_with_test_part(root)


def two_checkouts_args(doc: str) -> tuple[argparse.Namespace, Path, dict[str, str]]:
    """The arguments of a bench taking turns between this code and another checkout's
    (``--vs-src``) on a finished run's bundles: the arguments, the resolved root, and each
    code's src/ by its name in the printed figures."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--vs-src", required=True, help="another checkout's src/ (the code before)")
    parser.add_argument("--root", default=str(REPO), help="a finished run's working copy")
    parser.add_argument("--projects", nargs="+", default=["iris", "price"])
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    codes = {"this code": str(REPO / "src"), "--vs-src": str(Path(args.vs_src).resolve())}
    return args, Path(args.root).resolve(), codes


def bundles_with_test_part(root: Path) -> list[str]:
    """The projects of a finished run under ``root`` with a bundle (``models/<p>/``) and a test
    part (``data/interim/<p>/test.parquet``); exits naming both if there is none."""
    projects = sorted(p.parent.name for p in (root / "models").glob("*/schema.json")
                      if (root / "data" / "interim" / p.parent.name / "test.parquet").is_file())
    if not projects:
        raise SystemExit(f"{root}: no bundle with a test part (models/<p>/, data/interim/<p>/)")
    return projects


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# --- the Optuna journal, read-only ------------------------------------------------------------------
def journal_path(root: Path, project: str) -> Path:
    return root / jobs.fill(BY_NAME["tune_worker"].state, {"project": project})


def journal_trials(root: Path, project: str) -> list:
    """Every trial of every study in the project's journal (FrozenTrial objects), by number."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = journal_path(root, project)
    if not path.exists():
        return []
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(path)))
    trials = []
    for study in storage.get_all_studies():
        trials.extend(storage.get_all_trials(study._study_id, deepcopy=False))
    return sorted(trials, key=lambda t: t.number)


def count_states(trials: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- an epoch clock for a fit -----------------------------------------------------------------------
class EpochClock:
    """A Keras callback keeping the time at each epoch's end."""

    def __new__(cls):
        import keras

        class Clock(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                stamps.append(now())

        stamps: list[tuple[float, float]] = []
        clock = Clock()
        clock.stamps = stamps
        return clock


def timed_fit(original, clock):
    def fit(self, *args, callbacks=None, **kw):
        return original(self, *args, callbacks=[*(callbacks or []), clock], **kw)
    return fit


def clocked_epochs(original, clock):
    def epoch_function(*args, **kw):
        epoch = original(*args, **kw)

        def timed(*a, **k):
            out = epoch(*a, **k)
            clock.on_epoch_end(0)
            return out
        return timed
    return epoch_function


def now() -> tuple[float, float]:
    """Wall time and this process's CPU time (all threads): the machine is shared, and CPU time
    shows the work a variant does when other jobs stretch its wall time."""
    return time.perf_counter(), time.process_time()


def epoch_clock_patches(training, clock) -> list[tuple[object, str, Callable]]:
    """(owner, name, replacement) that make ``training.fit`` tick ``clock`` at every epoch's
    end: its epoch loop's epoch function on TensorFlow, else Keras' ``fit`` (the other
    backends, or a package without the loop)."""
    import keras

    if hasattr(training, "loop") and keras.backend.backend() == "tensorflow":
        return [(training.loop, "epoch_function",
                 clocked_epochs(training.loop.epoch_function, clock))]
    return [(keras.Model, "fit", timed_fit(keras.Model.fit, clock))]
