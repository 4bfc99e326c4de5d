"""``dlpipe retrain``, in order: the labelled rows split into rows to learn from and holdout
rows; the new version of the data and its params; the working copy's state kept aside; the
project's stages run (Snakemake or ``dvc repro``); both models scored on the holdout; the new
one kept only if the paired test finds it better, else the kept state put back; a record of
the decision. Any failure on the way puts the kept state back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dlpipe.bundle.inference import load_bundle
from dlpipe.errors import DataError, ParamsError
from dlpipe.monitoring.labelled import labelled_rows
from dlpipe.monitoring.prediction_log import log_directory, now
from dlpipe.params import DEFAULT_PARAMS, Params, load_params
from dlpipe.pipeline import jobs
from dlpipe.retraining import data_version, promotion, snapshot, trigger
from dlpipe.retraining.rows import parts

STOP_SECONDS = 30  # a stopped run's grace to end its front end and jobs


@dataclass
class Outcome:
    decision: str  # promoted | kept | not needed
    lines: list[str] = field(default_factory=list)  # what to print
    record: dict | None = None


def _program(name: str) -> str:
    """``name`` from the running Python's environment, else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else (shutil.which(name) or name)


def command(runner: str, project: str, cores: int, params_file: str) -> list[str]:
    """The command that runs every stage of ``project`` the new data or params make stale,
    its jobs forked by ``dlpipe preload`` as ``make run`` and ``make repro`` run them."""
    if runner == "dvc":
        if params_file != DEFAULT_PARAMS:
            raise ParamsError(f"retrain.runner: dvc reads {DEFAULT_PARAMS} only, and the params "
                              f"file is {params_file}: use runner snakemake")
        front_end = [_program("dvc"), "repro", "--glob", f"*@{project}"]
    else:
        other = [] if params_file == DEFAULT_PARAMS else ["--configfile", params_file]
        front_end = [_program("snakemake"), "--workflow-profile", "profiles/default",
                     "--cores", str(cores), *other, f"project_{project}"]
    return [sys.executable, "-m", "dlpipe", "preload", "--params", params_file, "--",
            *front_end]


def kept_paths(params: Params, project: str, params_file: str, data_path: str) -> list[str]:
    """Everything a run of ``project``'s stages may change: its jobs' outputs and logs, the
    outputs of shared jobs they read (a front end may re-make them), the params and data
    files (and the data's DVC record), DVC's lock, Snakemake's records."""
    every = jobs.jobs(params)
    own = [job for job in every if job["project"] == project]
    read = {path for job in own for path in job["deps"]}
    outputs = [out for job in own for out in job["outs"]]
    outputs += [out for job in every if job["project"] != project
                for out in job["outs"] if out in read]
    data = Path(data_path)
    return [*outputs, f"logs/{project}", f"benchmarks/{project}", params_file, data_path,
            f"{data_path}.dvc", (data.parent / ".gitignore").as_posix(), "dvc.lock",
            ".snakemake/metadata"]


def _call(args: list[str], root: Path, log: Path) -> None:
    """Run ``args`` in ``root``; its output goes to ``log`` and, as it comes, to stderr (a
    project's stages take minutes: their progress shows)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = " ".join(Path(a).name if os.path.isabs(a) else a for a in args)
    print(f"dlpipe retrain: {shown} (output also in {log})", file=sys.stderr, flush=True)
    with open(log, "a") as out:
        out.write(f"$ {' '.join(args)}\n")
        process = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1)
        try:
            for line in process.stdout:
                out.write(line)
                sys.stderr.write(line)
            code = process.wait()
        except BaseException:
            _stop(process)
            raise
    if code != 0:
        raise DataError(f"`{shown}` failed (exit {code}): its output is in {log}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the run: SIGTERM first, on which ``dlpipe preload`` stops its front end and job
    server (a SIGKILL would leave the front end running); SIGKILL if it is still there."""
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def retrain(project: str, params_file: str = DEFAULT_PARAMS, when_needed: bool = False,
            runner: str | None = None) -> Outcome:
    """Retrain ``project`` of the params file (in the repository that holds it), one
    retraining at a time there."""
    root = Path(os.path.abspath(params_file)).parent
    with snapshot.only_retraining(root):
        return _planned(project, root, params_file, when_needed, runner)


def _planned(project: str, root: Path, params_file: str, when_needed: bool,
             runner: str | None) -> Outcome:
    """Steps 1-2: the rows and the new data version, planned; then the rest."""
    name = Path(params_file).name
    params = load_params(params_file)
    settings, knobs = params.project(project), params.retrain
    if params.serve.monitor.log_dir is None:
        raise DataError("serve.monitor.log_dir is null in the params file: no prediction log, "
                        "so no labelled rows to retrain on")
    directory = log_directory(root, params.serve.monitor.log_dir, project)
    served = load_bundle(project, root)
    why: list[str] = []
    if when_needed:
        from dlpipe.insight.drift import load_reference

        why, fine = trigger.reasons(served, load_reference(project, root), directory,
                                    params.serve.monitor.live_window_rows, knobs.trigger,
                                    settings.drift, knobs.min_rows)
        if not why:
            return Outcome("not needed", [f"{project}: no retraining needed"] + fine)
    rows, _ = labelled_rows(directory)
    data_version.check_rows(rows, project)
    split = parts(rows, knobs.holdout_share, promotion.appended_keys(directory))
    if len(split.holdout) < knobs.min_rows:
        raise DataError(f"{project}: {len(split.holdout)} labelled holdout rows, fewer than "
                        f"retrain.min_rows ({knobs.min_rows}): label more served rows first")
    if not split.learn:
        raise DataError(f"{project}: no labelled rows that earlier retrainings did not add "
                        "(or that are not holdout rows): nothing new to learn from")
    version = data_version.plan(project, settings, split.learn, root, knobs.data_dir,
                                (root / name).read_text())
    chosen = runner or knobs.runner
    log = directory / "retrain-runs" / f"{now().replace(':', '')}.log"
    return _retrain(project, version, params, root, name, chosen, served, split, why, log)


def _retrain(project, version, params, root: Path, name: str, chosen: str, served, split,
             why: list[str], log: Path) -> Outcome:
    """Steps 3-5: keep the state, run, decide, record."""
    knobs = params.retrain
    directory = log.parent.parent
    kept = snapshot.take(root, project, kept_paths(params, project, name, version.path))
    try:
        candidate, comparison = _candidate(project, version, root, name, chosen, knobs, served,
                                           split.holdout, log)
        if promotion.promoted(comparison) and (root / ".dvc").is_dir():
            _record_with_dvc(params, project, version.path, knobs.data_dir, chosen, root, log)
    except BaseException:
        snapshot.restore(kept)
        raise
    decision = "promoted" if promotion.promoted(comparison) else "kept"
    (snapshot.discard if decision == "promoted" else snapshot.restore)(kept)
    record = {"time": now(), "project": project, "decision": decision,
              "served_version": served.version, "candidate_version": candidate.version,
              "runner": chosen, "why": why, "log": str(log.relative_to(root)),
              "data": {"path": version.path, "old_sha256": version.old_sha256,
                       "new_sha256": version.new_sha256, "rows_before": version.rows_before,
                       "rows_added": version.rows_added},
              "holdout_rows": len(split.holdout), "comparison": comparison.as_dict(),
              "appended": [list(r.key) for r in split.learn] if decision == "promoted" else []}
    promotion.write_record(directory, record)
    return Outcome(decision, _summary(project, record, comparison), record)


def _candidate(project, version, root: Path, name: str, runner: str, knobs, served, holdout,
               log: Path):
    """Write the new data and params, run the stages, and compare the new bundle with the
    served one on the holdout."""
    data_version.write(version, root, root / name)
    _call(command(runner, project, knobs.cores, name), root, log)
    candidate = load_bundle(project, root)
    return candidate, promotion.decide(served, candidate, holdout, knobs.alpha, knobs.min_rows)


def _record_with_dvc(params: Params, project: str, data_path: str, data_dir: str, runner: str,
                     root: Path, log: Path) -> None:
    """Record the promoted state with DVC: the new data file (if DVC tracks it, or it is a file
    retraining made) and, after Snakemake, the project's stages' outputs in dvc.lock."""
    if (root / f"{data_path}.dvc").is_file() or data_path.startswith(data_dir.rstrip("/") + "/"):
        _call([_program("dvc"), "add", "--quiet", data_path], root, log)
    if runner == "snakemake":
        stages = dict.fromkeys(f"{job['stage']}@{project}" for job in jobs.jobs(params)
                               if job["project"] == project)
        _call([_program("dvc"), "commit", "--force", "--quiet", *stages], root, log)


def _summary(project: str, record: dict, comparison) -> list[str]:
    data = record["data"]
    why = [f"{project}: retraining: {reason}" for reason in record["why"]]
    return why + [f"{project}: {data['rows_added']} labelled rows added to {data['rows_before']} "
            f"({data['path']}, sha256 {data['new_sha256'][:12]}); both models scored on "
            f"{record['holdout_rows']} holdout rows",
            comparison.table(),
            f"{project}: {record['decision']}: "
            + (f"version {record['candidate_version']} replaces {record['served_version']} "
               "(restart `dlpipe serve` to serve it)" if record["decision"] == "promoted" else
               f"version {record['served_version']} stays; the working copy is as it was")]


def restore(project: str, params_file: str = DEFAULT_PARAMS) -> str:
    """Put back the state an interrupted retraining of ``project`` kept aside."""
    root = Path(os.path.abspath(params_file)).parent
    snapshot.restore(snapshot.opened(root, project))
    return f"{project}: the working copy's state before the interrupted retraining is back"
