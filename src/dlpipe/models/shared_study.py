"""A study several workers share through one journal: who owns a running trial, the trials a
dead worker left running, and the budget claimed one trial at a time."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path

import optuna
from optuna.trial import TrialState

log = logging.getLogger(__name__)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead(owner: str) -> bool:
    host, _, pid = owner.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's trial: only that machine can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_stale(study: optuna.Study) -> int:
    """Fail trials left RUNNING by a dead process on this host and re-queue their parameters."""
    recovered = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = trial.user_attrs.get("owner", "")
        if owner and is_dead(owner):
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            if trial.params:
                study.enqueue_trial(trial.params, skip_if_exists=False)
            recovered += 1
    if recovered:
        log.info("resumed study %s: %d interrupted trial(s) re-queued", study.study_name, recovered)
    return recovered


def finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def claimed(study: optuna.Study) -> int:
    """Trials finished or being run by some worker (queued ones are not: nobody owns them)."""
    return len(study.get_trials(deepcopy=False, states=FINISHED + (TrialState.RUNNING,)))


@contextlib.contextmanager
def claim_lock(journal: Path):
    """Hold the journal's claim lock: no other worker asks for a trial meanwhile.

    Counting the claimed trials and asking for a new one must be one step, or two workers that
    finish trials at the same moment both see room for one more and the study overshoots its
    budget. The lock is an ``flock`` on a file beside the journal, which the kernel releases
    when its holder dies, so a killed worker never leaves it behind.
    """
    with open(journal.with_name(journal.name + ".claims"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ask_within_budget(study: optuna.Study, journal: Path, n_trials: int
                      ) -> optuna.Trial | None:
    """A new trial, or None once the budget is finished or in other workers' hands (queued
    trials are not claimed: nobody owns them)."""
    with claim_lock(journal):
        if claimed(study) >= n_trials:
            return None
        return study.ask()
