"""One front end at a time in a working copy.

Snakemake and ``dvc repro`` both run the stage table's jobs, each keeping its own record of what
is up to date; run at once in one working copy, one reads outputs the other is rewriting. So
Snakemake claims the working copy while it runs (``.dlpipe/front-end.json``: its pid and host,
written when it starts, removed when it ends), DVC's own lock records the ``dvc`` process running a
stage (``.dvc/tmp/rwlock``), and each job refuses to start while the *other* front end runs
here: a job under DVC (``DVC_STAGE`` set) when a Snakemake claim is live, any other job when a
DVC process holds the lock. Liveness is judged on the host that wrote the claim only.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from dlpipe.errors import DlpipeError

CLAIM = Path(".dlpipe/front-end.json")
DVC_LOCK = Path(".dvc/tmp/rwlock")
WAIT = "one front end at a time in a working copy: wait for it to finish, or stop it"


def _alive(pid: object, host: object = None, program: str = "") -> bool:
    """A process ``pid`` runs on this host (``host``: the one that wrote it) and its command
    line names ``program`` (DVC's lock records no host: on a cluster node, a pid of the login
    node's may belong to anything)."""
    if not isinstance(pid, int) or pid <= 0 or host not in (None, socket.gethostname()):
        return False
    if not Path("/proc").is_dir():  # no process table to read the command from
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return program.encode() in command


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def snakemake_running(root: Path) -> int | None:
    """The pid of a live Snakemake that claimed ``root``, else None."""
    claim = _read(root / CLAIM)
    if isinstance(claim, dict) and _alive(claim.get("pid"), claim.get("host"), "snakemake"):
        return claim["pid"]
    return None


def dvc_running(root: Path) -> tuple[int, str] | None:
    """The pid and command of a live DVC process holding a stage's lock in ``root``."""
    lock = _read(root / DVC_LOCK)
    if not isinstance(lock, dict):
        return None
    for kind in ("write", "read"):
        for info in (lock.get(kind) or {}).values():
            holders = info if isinstance(info, list) else [info]
            for holder in holders:
                if isinstance(holder, dict) and _alive(holder.get("pid"), None, "dvc"):
                    return holder["pid"], str(holder.get("cmd", "dvc"))
    return None


def check(root: Path = Path(".")) -> None:
    """Refuse (:class:`DlpipeError`, one line) a job while the other front end runs here."""
    if os.environ.get("DVC_STAGE"):
        pid = snakemake_running(root)
        if pid is not None:
            raise DlpipeError(f"snakemake (pid {pid}) is running in this working copy; {WAIT}")
        return
    dvc = dvc_running(root)
    if dvc is not None:
        raise DlpipeError(f"{dvc[1]!r} (pid {dvc[0]}) is running in this working copy; {WAIT}")


def claim(root: Path = Path(".")) -> None:
    """Snakemake's start: refused while DVC runs here, else the working copy is claimed."""
    check(root)
    (root / CLAIM).parent.mkdir(exist_ok=True)
    (root / CLAIM).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))


def release(root: Path = Path(".")) -> None:
    """Snakemake's end: its claim removed (another process's is left alone)."""
    claim = _read(root / CLAIM)
    if isinstance(claim, dict) and claim.get("pid") == os.getpid():
        (root / CLAIM).unlink(missing_ok=True)
