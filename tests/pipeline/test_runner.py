"""The runner: inputs read, only declared params passed, outputs written, nothing on failure."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from dlpipe.params import parse_params
from dlpipe.pipeline import runner
from dlpipe.pipeline.stage import Stage, text

OUTPUTS = {"counts": text("out/{project}/counts.csv"), "info": text("out/{project}/info.json")}


def probe(function: str, **changes) -> Stage:
    fields = dict(name="probe", doc="a probe", node=f"probe_nodes:{function}", code=(),
                  inputs={"train": "split.train"}, params=("{project}.split",),
                  outputs=OUTPUTS)
    return Stage(**{**fields, **changes})


@pytest.fixture
def workdir(tmp_path, monkeypatch, three_class_frame):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/interim/iris").mkdir(parents=True)
    three_class_frame.to_parquet(tmp_path / "data/interim/iris/train.parquet")
    return tmp_path


def test_the_node_gets_its_inputs_declared_params_and_project(workdir, raw_params):
    runner.run(probe("count_rows"), {"project": "iris"}, parse_params(raw_params))
    counts = pd.read_csv(workdir / "out/iris/counts.csv")
    assert counts.to_dict("records") == [{"project": "iris", "rows": 60,
                                          "seed": raw_params["defaults"]["split"]["seed"]}]
    assert (workdir / "out/iris/info.json").read_text().count('"target"') == 1


def test_a_node_that_forgets_an_output_writes_nothing(workdir, raw_params):
    with pytest.raises(TypeError, match=r"returned \['counts'\], expected the outputs "
                                        r"\['counts', 'info'\]"):
        runner.run(probe("forgets_an_output", params=()), {"project": "iris"},
                   parse_params(raw_params))
    assert not (workdir / "out").exists()


def test_a_known_error_is_one_line(tmp_path):
    params = tmp_path / "broken.yaml"
    params.write_text("seed: 1\n")
    done = subprocess.run([sys.executable, "-m", "dlpipe", "split", "iris", "--params",
                           str(params)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"dlpipe: error: {params}: projects: missing key (expected top-level keys "
        "['seed', 'projects', 'resources', 'serve', 'retrain', 'container', 'defaults', 'task_defaults'] "
        "plus one section per project)"]


def test_a_failing_stage_keeps_its_traceback_in_the_log(tmp_path, write_params, raw_params):
    write_params(raw_params)
    (tmp_path / "data/raw").mkdir(parents=True)
    (tmp_path / "data/raw/iris.parquet").write_text("not a parquet file")
    done = subprocess.run([sys.executable, "-m", "dlpipe", "split", "iris"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 1
    log = (tmp_path / "logs/iris/split.log").read_text()
    assert "Traceback (most recent call last)" in log and "split iris failed" in log
    assert not (tmp_path / "data/interim").exists()


def _file_size_limit(limit: int):
    """In the child: files may grow to ``limit`` bytes, past it a write fails with EFBIG (as a
    full disk fails one with ENOSPC) instead of the signal that would kill the process."""
    import resource
    import signal

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_write_that_fails_is_one_line_naming_the_job_and_file(tmp_path, write_params,
                                                                 raw_params):
    """A full disk (here: a file size limit) under a stage: one line with the stage and the
    output's path, exit 2, the traceback in the log, the previous outputs as they were and no
    temporary file left."""
    write_params(raw_params)
    env = {**__import__("os").environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for stage in ("fetch", "split"):
        subprocess.run([sys.executable, "-m", "dlpipe", stage, "iris"], cwd=tmp_path, env=env,
                       check=True, capture_output=True)
    interim = tmp_path / "data/interim/iris"
    before = {path.name: path.read_bytes() for path in interim.iterdir()}
    done = subprocess.run([sys.executable, "-m", "dlpipe", "split", "iris"], cwd=tmp_path,
                          env=env, capture_output=True, text=True,
                          preexec_fn=_file_size_limit(4600))
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("dlpipe: error")]
    assert len(errors) == 1 and errors[0].startswith(
        "dlpipe: error: split iris: data/interim/iris/train.parquet: ") and \
        errors[0].endswith("File too large"), done.stderr
    assert {path.name: path.read_bytes() for path in interim.iterdir()} == before
    assert "Traceback (most recent call last)" in (tmp_path / "logs/iris/split.log").read_text()


def test_the_peak_memory_is_the_process_s_high_water_mark():
    """Memory held for a moment and freed still counts (a sampler a few seconds apart
    misses it)."""
    script = ("import numpy as np, psutil; from dlpipe.pipeline.runner import peak_memory_mb; "
              "now = psutil.Process().memory_info().rss // 2**20; "
              "a = np.ones(300 * 2**20 // 8); del a; print(now, peak_memory_mb())")
    now, peak = map(int, subprocess.run([sys.executable, "-c", script], capture_output=True,
                                        text=True, check=True).stdout.split())
    assert peak >= now + 290


FROZEN = """
import gc, json, weakref
import pandas  # a library's objects, as a job imports its node's
from dlpipe.pipeline.runner import keep_out_of_collections
gc.disable()  # only the collections the code asks for
class Node: pass
def garbage_cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)
before = garbage_cycle()
keep_out_of_collections(collect=True)
frozen = gc.get_freeze_count()
after = garbage_cycle()
gc.collect()
print(json.dumps([before() is None, frozen, after() is None]))
"""


def test_a_job_keeps_its_imports_out_of_the_collector_and_still_frees_what_it_makes():
    """The job server's preload and a job's process, once their imports are done: garbage
    left by then is collected first, what is alive is kept out of every collection, and the
    cycles the job makes afterwards are freed as usual."""
    done = subprocess.run([sys.executable, "-c", FROZEN], capture_output=True, text=True,
                          check=True)
    freed_before, frozen, freed_after = json.loads(done.stdout)
    assert freed_before and freed_after
    assert frozen > 50_000  # pandas and NumPy alone
