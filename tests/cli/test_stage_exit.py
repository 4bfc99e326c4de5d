"""A stage job's process ends with its code, its exit handlers run, without the interpreter's
teardown; a thread still running gets the usual exit, which waits for it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")


def ended(body: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import atexit, sys, threading, time
        from pathlib import Path
        from dlpipe.cli.run import end_job

        atexit.register(lambda: Path({str(tmp_path / "handler")!r}).write_text("ran"))
        print("buffered", end="")  # still in the buffer: the exit flushes it
    """) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_job_ends_with_its_code_handlers_and_flushed_output_but_no_teardown(tmp_path):
    done = ended("""
        class Freed:
            def __del__(self):
                print(" freed")  # the interpreter's teardown would print this

        kept = Freed()
        end_job(3)
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
        end_job(0)
        print(" and on")
        raise SystemExit(4)
    """, tmp_path)
    assert done.returncode == 4 and done.stdout == "buffered and on\n"
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "handler").read_text() == "ran"


def test_only_a_stage_job_ends_without_teardown():
    """``python -m dlpipe`` ends a stage job early; a command (predict, serve, ...) exits as
    usual."""
    from dlpipe.cli import COMMANDS, runs_a_stage

    assert runs_a_stage(["train", "iris"])
    assert runs_a_stage(["tune_worker", "price", "--worker", "0"])
    assert not any(runs_a_stage([command, "iris"]) for command in COMMANDS)
