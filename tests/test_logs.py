"""Per-stage logs keep what the stage prints, its log lines and the detail of errors."""

from __future__ import annotations

import logging
import sys

import pytest

from dlpipe import logs


@pytest.fixture
def restore_streams():
    yield
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)


def test_the_log_file_gets_prints_log_lines_and_debug_detail(tmp_path, restore_streams, capfd):
    log_file = tmp_path / "logs" / "iris" / "train.log"
    logs.setup(log_file)
    print("Epoch 1/3 - loss: 0.9")  # what Keras prints per epoch
    logging.getLogger("dlpipe.train").info("final fit done")
    logging.getLogger("dlpipe").debug("error detail")
    sys.stdout.flush()
    text = log_file.read_text()
    assert "Epoch 1/3 - loss: 0.9" in text and "final fit done" in text
    assert "error detail" in text
    console = capfd.readouterr()
    assert "Epoch 1/3" in console.out and "final fit done" in console.err
    assert "error detail" not in console.err  # DEBUG only on the console with --verbose


def test_a_library_s_debug_chatter_stays_out_of_the_log_file(tmp_path, restore_streams):
    """JAX's compilation cache takes a file lock for every entry: four DEBUG lines each."""
    log_file = tmp_path / "tune_worker-0.log"
    logs.setup(log_file)
    logging.getLogger("filelock").debug("Attempting to acquire lock 1 on .lockfile")
    logging.getLogger("filelock").warning("the lock is stale")
    text = log_file.read_text()
    assert "Attempting" not in text and "the lock is stale" in text


def test_setting_up_again_starts_a_fresh_file(tmp_path, restore_streams):
    log_file = tmp_path / "stage.log"
    logs.setup(log_file)
    logging.getLogger("dlpipe").info("first run")
    logs.setup(log_file)
    logging.getLogger("dlpipe").info("second run")
    assert "first run" not in log_file.read_text() and "second run" in log_file.read_text()
