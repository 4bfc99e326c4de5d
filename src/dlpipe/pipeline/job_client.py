"""A stage job's side of ``dlpipe preload``: hand the job to the job server, or run it here.

A stage job spends most of its start importing libraries (TensorFlow and Keras ~4 s, pandas
and scikit-learn ~1.5 s) before it reads a file. Under ``dlpipe preload`` a server process has
imported them once; ``python -m dlpipe STAGE PROJECT`` then sends its arguments, environment,
working directory and output streams to the server, which forks a process that runs the job as
this one would have, and gets back its exit code. Without a server (or when the job needs
another thread count or Keras backend than the server loaded) the job runs in this process.
This module imports nothing heavy: it runs before the job's own imports.
"""

from __future__ import annotations

import os
import sys

ADDRESS = "DLPIPE_JOB_SERVER"  # the server's socket, set by ``dlpipe preload`` for its command
OWN_PROCESS = b"own process"  # the server's answer for a job that must run in its own process
OWN_PROCESS_EXIT = 75  # a forked job's exit code for the same (EX_TEMPFAIL; stages use 0-2)
INTERRUPTED = 130  # the exit code of a job stopped by SIGINT, as a shell reports it
MESSAGE_BYTES = 1 << 20  # a request's arguments and environment, sent as one message
# set in the server before it forks: the thread count its libraries were loaded with
preloaded_threads: int | None = None


def forward(argv: list[str]) -> int | None:
    """The exit code of the stage job ``argv`` run by the job server; None when no server
    answers at ``DLPIPE_JOB_SERVER`` or the job must run in its own process (the caller runs
    it then: nothing of it has started)."""
    path = os.environ.get(ADDRESS)
    if not path:
        return None
    import json
    import socket

    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(path)
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(connection, [request], [sys.stdout.fileno(), sys.stderr.fileno()])
    except (OSError, ValueError):  # no server, or no output streams to hand over
        connection.close()
        return None
    with connection:
        while True:  # the server's messages: "pid N", then OWN_PROCESS or "exit N"
            try:
                reply = connection.recv(64)
            except KeyboardInterrupt:  # Ctrl-C: the server stops the job as this end closes
                return INTERRUPTED
            if not reply:
                print("dlpipe: error: the job server ended before the job", file=sys.stderr)
                return 1
            if reply == OWN_PROCESS:
                return None
            word, _, value = reply.decode().partition(" ")
            if word == "exit":
                return int(value)


def fits(threads: int, backends: set[str]) -> bool:
    """Whether this process can run a job whose pools have ``threads`` and whose networks
    train on ``backends``: any job in a fresh process; in one forked by the job server, only
    the thread count its libraries were loaded with, and TensorFlow (Keras has loaded it)."""
    return preloaded_threads is None or (threads == preloaded_threads
                                         and backends <= {"tensorflow"})


def backends_named(value, key: str | None = None) -> set[str]:
    """Every Keras backend a project's params name (``model.backend``, the MNIST MLP's, or a
    tuned choice of backends)."""
    if key == "backend":
        if isinstance(value, dict):
            return {str(v) for v in value.get("choices") or []}
        return {str(value)}
    if isinstance(value, dict):
        return set().union(*(backends_named(v, k) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return set().union(*(backends_named(v) for v in value))
    return set()
