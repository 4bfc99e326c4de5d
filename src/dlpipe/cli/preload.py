"""``dlpipe preload -- COMMAND ...``: run COMMAND (``snakemake ...``, ``dvc repro``) with its stage
jobs forked from one process that has imported their libraries once.

Every ``python -m dlpipe STAGE PROJECT`` the command starts hands its job to that process
(:mod:`~dlpipe.cli.job_server`), which runs it as a fresh process would, without the ~2-6 s
of imports each job pays on its own. The server listens on a socket in a private temporary
directory, for the command's jobs only, and is stopped by its pid when the command ends.
Outside ``preload`` (a cluster's nodes, a plain ``snakemake``) every job runs on its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from dlpipe.cli.options import command_parser, params_option, read_params, refuse
from dlpipe.errors import DlpipeError

EXIT_NOT_FOUND = 127  # the shell's code for a command it cannot find


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "preload", __doc__.splitlines()[0].split(": ", 1)[1],
        epilog="e.g. dlpipe preload -- snakemake --workflow-profile profiles/default")
    params_option(parser, reads=": resources.default.threads, the pools the server loads")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("expected a command to run after --, got none")
    try:
        threads = read_params(args.params).resources["default"].threads
    except DlpipeError as exc:
        return refuse(exc)
    from dlpipe.cli import job_server
    from dlpipe.pipeline import job_client

    directory = tempfile.mkdtemp(prefix="dlpipe-jobs-")  # readable by this user only
    address = os.path.join(directory, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)
    listener.listen(64)
    sys.stdout.flush()
    sys.stderr.flush()
    server = os.fork()
    if server == 0:
        try:
            job_server.serve(listener, threads)
        finally:
            os._exit(1)
    listener.close()
    print(f"dlpipe preload: job server {server} ({threads} thread pools) for: "
          f"{' '.join(command)}", file=sys.stderr, flush=True)
    try:
        return _run(command, {**os.environ, job_client.ADDRESS: address})
    finally:
        os.kill(server, signal.SIGTERM)
        os.waitpid(server, 0)
        shutil.rmtree(directory, ignore_errors=True)


def _run(command: list[str], env: dict[str, str]) -> int:
    """Run the front end until it ends; its exit code (128 + the signal when stopped).

    The front end runs in a process group of its own, its jobs' processes with it. SIGTERM or
    SIGINT stops the run as a terminal's Ctrl-C stops a command: the group gets SIGINT, on
    which the jobs end, Snakemake removes their outputs and unlocks the working copy, and
    ``dvc repro`` stops at the failed stage. (Killed, Snakemake would leave its lock; on SIGTERM
    it waits for its running jobs; a SIGINT to ``dvc repro`` alone is ignored while a stage
    runs.) The job server stops a forked job once its client process has ended."""
    front_end: subprocess.Popen | None = None
    stopped_by: list[int] = []

    def stop(signum, _frame):
        stopped_by.append(signum)
        if front_end is not None:
            _interrupt(front_end.pid)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        front_end = subprocess.Popen(command, env=env, process_group=0)
    except FileNotFoundError:
        print(f"dlpipe: error: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if stopped_by:  # stopped as the front end started
        _interrupt(front_end.pid)
    code = front_end.wait()
    return 128 + stopped_by[0] if stopped_by else code


def _interrupt(group: int) -> None:
    try:
        os.killpg(group, signal.SIGINT)
    except ProcessLookupError:
        pass  # the group has ended
