"""The job server of ``dlpipe preload``: one process imports the libraries the stages use, then
forks a process for each stage job a client (:mod:`~dlpipe.pipeline.job_client`) sends it.

A forked job starts where a fresh ``python -m dlpipe`` would be after its imports: the same
CPU pins and thread pools (loaded with the params' default thread count), no TensorFlow
context yet (none is made before the fork), Keras on TensorFlow. It takes the client's
arguments, environment, working directory and output streams, and runs the job through the
same CLI code, so its outputs are those of a fresh process. The server is single-threaded: it
accepts requests, forks, reaps its jobs and answers each client with its job's exit code; a
job whose client is gone (killed by its front end) is stopped.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
import traceback

from dlpipe.pipeline import job_client

POLL_SECONDS = 0.05  # how often the server reaps its ended jobs between requests


def preload(threads: int) -> None:
    """Import what the stages import, with pools of ``threads`` (as the CLI sizes a job's)."""
    from dlpipe import cpu

    cpu.limit_threads(threads)  # before NumPy loads
    job_client.preloaded_threads = threads
    from dlpipe.models import backends

    backends.activate()  # TensorFlow as a network job loads it
    import keras  # noqa: F401

    from dlpipe.pipeline import runner
    from dlpipe.pipeline.table import STAGES

    for stage in STAGES:
        runner.node_of(stage)  # its node module, as a job imports it
    from dlpipe.bundle import files

    files._skops()  # noqa: SLF001 (skops.io as the bundle's files load it, without PyTorch)
    runner.keep_out_of_collections(collect=True)  # before any fork: the jobs share these pages


def serve(listener: socket.socket, threads: int) -> None:
    """Preload, then answer requests on ``listener`` until SIGTERM (or the parent ends)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C stops the command, which
    parent = os.getppid()                          # stops the server
    preload(threads)
    jobs: dict[int, socket.socket] = {}  # pid -> its client's connection
    watched = selectors.DefaultSelector()
    watched.register(listener, selectors.EVENT_READ)

    def stop(*_):
        for pid in jobs:
            _signal(pid, signal.SIGTERM)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    while os.getppid() == parent:
        for key, _ in watched.select(POLL_SECONDS):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                pid = _start(connection, listener, jobs)
                if pid is not None:
                    jobs[pid] = connection
                    watched.register(connection, selectors.EVENT_READ, pid)
            else:  # a client's end closed before its job's: nobody waits for the job
                _signal(key.data, signal.SIGTERM)
                watched.unregister(key.fileobj)
        _answer_ended(jobs, watched)
    stop()


def _start(connection: socket.socket, listener: socket.socket,
           jobs: dict[int, socket.socket]) -> int | None:
    """Fork the job a client asks for; its pid (None if the request was unreadable)."""
    try:
        message, streams, _, _ = socket.recv_fds(connection, job_client.MESSAGE_BYTES, 2)
        request = json.loads(message)
    except (OSError, ValueError):
        connection.close()
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    # A SIGTERM sent while the child forks is held until it has its own handlers: unheld, the
    # interpreter's fork clears it (the job would never stop) or the server's handler takes it.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for held in (listener, connection, *jobs.values()):
            held.close()
        _run_job(request, streams)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    for stream in streams:
        os.close(stream)
    try:
        connection.send(f"pid {pid}".encode())
    except OSError:
        pass  # the client is gone: the server sees its end closed and stops the job
    return pid


def _run_job(request: dict, streams: list[int]) -> None:
    """In the forked process: become the client's job, run it, exit with its code."""
    code = 1
    try:
        stdin = os.open(os.devnull, os.O_RDONLY)
        for target, source in ((0, stdin), (1, streams[0]), (2, streams[1])):
            os.dup2(source, target)
        for held in (stdin, *streams):
            os.close(held)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.argv[0], *request["argv"]]
        from dlpipe.cli import main
        from dlpipe.cli.ending import end_process

        code = main(request["argv"])
        end_process(code)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _answer_ended(jobs: dict[int, socket.socket], watched: selectors.BaseSelector) -> None:
    """Reap the jobs that ended and send each one's client its exit code."""
    while jobs:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        connection = jobs.pop(pid, None)
        if connection is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        answer = (job_client.OWN_PROCESS if code == job_client.OWN_PROCESS_EXIT
                  else f"exit {code if code >= 0 else 128 - code}".encode())
        try:
            connection.send(answer)
        except OSError:
            pass
        if connection in watched.get_map():
            watched.unregister(connection)
        connection.close()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
