"""Append-only JSON Lines logs in size-rotated segments, safe against a killed writer.

A record is one line, written with one ``write`` call on a file opened for appending, so
writers never interleave and a record the call returned from is in the kernel's hands: a
killed process loses nothing it wrote (a power cut may, unless ``fsync`` flushes each record
to disk). A process killed inside the call can leave a torn last line without its newline;
readers skip it. Each writer owns its segments (its process id is in their names), so several
server processes log side by side.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import orjson

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"


def encode(record: dict[str, Any]) -> bytes:
    """One line of JSON; NumPy numbers and arrays as numbers, NaN as null, anything else (a
    date) as its text."""
    return orjson.dumps(record, default=str,
                        option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE)


class SegmentWriter:
    """Appends records to ``directory/<kind>-<start time>-<pid>-<n>.jsonl``, beginning a new
    segment once the current one holds ``segment_bytes``. Thread-safe."""

    def __init__(self, directory: Path, kind: str, segment_bytes: int, fsync: bool):
        self.directory, self.kind = Path(directory), kind
        self.segment_bytes, self.fsync = segment_bytes, fsync
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._size = 0
        self._count = 0
        self._started = time.strftime("%Y%m%dT%H%M%S", time.gmtime())

    def write(self, records: list[dict[str, Any]]) -> None:
        """Append ``records`` (one request's rows) as one write: all of them or, if the
        process dies inside the call, a torn tail the readers skip."""
        data = b"".join(encode(record) for record in records)
        with self._lock:
            if self._fd is None or self._size >= self.segment_bytes:
                self._open_next()
            written = os.write(self._fd, data)
            while written < len(data):  # a short write (a signal, a full pipe) goes on
                written += os.write(self._fd, data[written:])
            if self.fsync:
                os.fsync(self._fd)
            self._size += len(data)

    def _open_next(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._count += 1
        path = self.directory / (f"{self.kind}-{self._started}-{os.getpid()}-"
                                 f"{self._count:04d}{SUFFIX}")
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size
        if self.fsync:  # the new file's name must survive a power cut too
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def segments(directory: Path, kind: str) -> list[Path]:
    """The segments of ``kind`` in the order they were begun (time, process, number)."""
    return sorted(Path(directory).glob(f"{kind}-*{SUFFIX}"))


def read(directory: Path, kind: str) -> Iterator[dict[str, Any]]:
    """Every complete record of ``kind`` under ``directory``; a torn line (a writer killed
    mid-record) is skipped with a warning."""
    for path in segments(directory, kind):
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    log.warning("%s:%d: a record cut short (its writer was killed while "
                                "writing it): skipped", path, number)
                    continue
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    log.warning("%s:%d: not a JSON record: skipped", path, number)
