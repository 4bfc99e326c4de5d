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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # stop it too
    try:
        return subprocess.call(command, env={**os.environ, job_client.ADDRESS: address})
    except FileNotFoundError:
        print(f"dlpipe: error: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        os.kill(server, signal.SIGTERM)
        os.waitpid(server, 0)
        shutil.rmtree(directory, ignore_errors=True)
