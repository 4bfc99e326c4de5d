"""The working copy's state before a retraining, kept so that a model that is not promoted
leaves no trace: the project's outputs and logs, the params file, the data file, DVC's lock
and Snakemake's records of how each output was made. Restored, both front ends find nothing
to do, as before.

Each path is copied (times kept) under ``.dlpipe/retrain/<project>/``; a list of what was
copied, and of what did not exist (removed on restore), is written last, so a copy interrupted
part-way is known for one that never guarded a change.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from dlpipe.errors import DataError

PLACE = ".dlpipe/retrain"
LIST = "paths.json"


@dataclass(frozen=True)
class Snapshot:
    root: Path
    where: Path
    saved: list[str]  # relative paths copied under ``where``
    absent: list[str]  # relative paths that did not exist


@contextlib.contextmanager
def only_retraining(root: Path) -> Iterator[None]:
    """Hold the working copy's retraining lock: one retraining at a time in a repository, as
    each one's put-back restores the params file whole. An ``flock``, which the kernel drops
    with a killed process."""
    path = Path(root) / PLACE / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise DataError(f"another retraining runs in {root} (process {holder}): one at a "
                            "time") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def place(root: Path, project: str) -> Path:
    return Path(root) / PLACE / project


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def take(root: Path, project: str, paths: list[str]) -> Snapshot:
    """Copy ``paths`` (relative to ``root``) aside; refused while an earlier retraining's copy
    is still there (it was interrupted: :func:`restore` it, or remove it to keep the files as
    they are)."""
    where = place(root, project)
    if (where / LIST).is_file():
        raise DataError(f"{where}: an interrupted retraining of {project} left the working "
                        f"copy's previous state here: `dlpipe retrain {project} --restore` puts "
                        "it back (or delete the folder to keep the files as they are now)")
    _remove(where)
    saved, absent = [], []
    for relative in dict.fromkeys(paths):
        source, copy = Path(root) / relative, where / relative
        if not source.exists():
            absent.append(relative)
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=False)
        else:
            shutil.copy2(source, copy)
        saved.append(relative)
    (where / LIST).write_text(json.dumps({"saved": saved, "absent": absent}, indent=1))
    return Snapshot(Path(root), where, saved, absent)


def opened(root: Path, project: str) -> Snapshot:
    """The snapshot a retraining of ``project`` left under ``root``."""
    where = place(root, project)
    if not (where / LIST).is_file():
        raise DataError(f"{where / LIST}: no state of an interrupted retraining of {project} "
                        "to restore")
    listed = json.loads((where / LIST).read_text())
    return Snapshot(Path(root), where, listed["saved"], listed["absent"])


def restore(snapshot: Snapshot) -> None:
    """Put every saved path back as it was, remove those that did not exist, and drop the
    copy."""
    for relative in snapshot.saved:
        target = snapshot.root / relative
        _remove(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(snapshot.where / relative, target)
    for relative in snapshot.absent:
        _remove(snapshot.root / relative)
    discard(snapshot)


def discard(snapshot: Snapshot) -> None:
    """Keep the working copy as it is now: drop the copy (its list first)."""
    (snapshot.where / LIST).unlink(missing_ok=True)
    shutil.rmtree(snapshot.where, ignore_errors=True)
