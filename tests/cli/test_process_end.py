"""A ``python -m dlpipe`` process, a stage job's or a command's, ends with its code, its exit
handlers run, without the interpreter's teardown; a thread still running gets the usual exit,
which waits for it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
# an object the interpreter's teardown frees, printing " freed"
FREED = """
class Freed:
    def __del__(self):
        print(" freed")

kept = Freed()
"""


def ended(body: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import atexit, sys, threading, time
        from pathlib import Path
        from dlpipe.cli.ending import end_process

        atexit.register(lambda: Path({str(tmp_path / "handler")!r}).write_text("ran"))
        print("buffered", end="")  # still in the buffer: the exit flushes it
    """) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)


def test_a_process_ends_with_its_code_handlers_and_flushed_output_but_no_teardown(tmp_path):
    done = ended(FREED + """
end_process(3)
print(" not reached")
""", tmp_path)
    assert done.returncode == 3 and done.stdout == "buffered"
    assert (tmp_path / "handler").read_text() == "ran"


def test_a_running_thread_gets_the_usual_exit_which_waits_for_it(tmp_path):
    done = ended(f"""
        def late():
            time.sleep(0.5)
            Path({str(tmp_path / "thread")!r}).write_text("finished")

        threading.Thread(target=late).start()
        end_process(0)
        print(" and on")
        raise SystemExit(4)
    """, tmp_path)
    assert done.returncode == 4 and done.stdout == "buffered and on\n"
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "handler").read_text() == "ran"


def as_dlpipe(argv: list[str], tmp_path: Path, before: str = "") -> subprocess.CompletedProcess:
    """``python -m dlpipe ARGV`` in ``tmp_path`` (no params file there), with ``before`` run
    first in the same process."""
    script = before + textwrap.dedent(f"""
        import runpy, sys
        sys.argv = ["dlpipe", *{argv!r}]
        runpy.run_module("dlpipe", run_name="__main__", alter_sys=True)
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300, cwd=tmp_path)


JOB_AND_COMMAND = pytest.mark.parametrize(
    "argv", [["split", "iris"], ["feedback", "iris", "--input", "x.csv"]],
    ids=["a stage job", "a command"])


@JOB_AND_COMMAND
def test_a_stage_job_and_a_command_end_without_teardown(argv, tmp_path):
    done = as_dlpipe(argv, tmp_path, FREED)
    assert done.returncode == 2, done.stderr  # refused: params.yaml is not there
    assert "params.yaml" in done.stderr
    assert "freed" not in done.stdout


@JOB_AND_COMMAND
def test_a_process_leaving_a_thread_runs_once_and_exits_as_usual_with_its_code(argv, tmp_path):
    done = as_dlpipe(argv, tmp_path, FREED + textwrap.dedent(f"""
        import threading, time
        from pathlib import Path
        from dlpipe.cli import ending

        ended, end = threading.Event(), ending.end_process

        def told(code):
            ended.set()
            end(code)

        def late():  # still running when the command's process ends
            ended.wait(60)
            time.sleep(0.3)
            Path({str(tmp_path / "thread")!r}).write_text("finished")

        ending.end_process = told
        threading.Thread(target=late).start()
    """))
    assert done.returncode == 2 and done.stderr.count("params.yaml") == 1, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"
    assert done.stdout == " freed\n"  # the usual exit's teardown
