"""``dlpipe preload``: stage jobs forked from the job server write what fresh processes write;
a job it cannot serve runs on its own; exit codes, error lines and a killed client reach the
right process; without a server every job runs on its own."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dlpipe.pipeline import job_client
from support import wait_for

FORKED = "forked by the job server"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def job_environment(**env: str) -> dict[str, str]:
    """This environment with no job server of the test session's own, and this package."""
    inherited = {k: v for k, v in os.environ.items() if k != job_client.ADDRESS}
    return {**inherited, "PYTHONPATH": SRC, **env}


def dlpipe(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlpipe", *args], cwd=cwd,
                          env=job_environment(**env), capture_output=True, text=True,
                          timeout=600)


def files(root: Path) -> dict[str, object]:
    """Each data file's bytes; a fitted transformer (skops) by what it makes of the test part
    (its file names arrays by their memory addresses)."""
    import pandas as pd

    from dlpipe.bundle.files import load_transformer

    test = pd.read_parquet(root / "data/interim/iris/test.parquet")
    def content(path: Path):
        if path.suffix == ".skops":
            return load_transformer(path).transform(test).tobytes()
        return path.read_bytes()
    return {p.relative_to(root).as_posix(): content(p)
            for p in sorted((root / "data").rglob("*")) if p.is_file()}


@pytest.fixture
def working_copies(tmp_path, raw_params):
    """Three working copies of an iris-only project; the third's params give `split` two
    threads (the server loads one-thread pools)."""
    import yaml

    raw = {**copy.deepcopy(raw_params), "projects": ["iris"]}
    copies = []
    for name, split_threads in (("fresh", 1), ("preloaded", 1), ("other_pools", 2)):
        root = tmp_path / name
        root.mkdir()
        params = copy.deepcopy(raw)
        params["resources"]["split"]["threads"] = split_threads
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        copies.append(root)
    return copies


def test_forked_jobs_write_what_fresh_ones_write_and_a_job_needing_other_pools_runs_alone(
        working_copies, tmp_path):
    fresh, preloaded, other_pools = working_copies
    for stage in ("fetch", "split", "preprocess"):
        assert dlpipe(stage, "iris", cwd=fresh).returncode == 0
    script = tmp_path / "jobs.sh"
    script.write_text(f"""set -e
cd {preloaded}
for stage in fetch split preprocess; do {sys.executable} -m dlpipe $stage iris; done
cd {other_pools}
{sys.executable} -m dlpipe fetch iris && {sys.executable} -m dlpipe split iris
set +e
{sys.executable} -m dlpipe split no_such_project
echo "exit $?" > {tmp_path / "refused"}
""")
    done = dlpipe("preload", "--", "bash", str(script), cwd=preloaded)
    assert done.returncode == 0, done.stderr
    assert files(preloaded) == files(fresh)
    assert FORKED in (preloaded / "logs/iris/preprocess.log").read_text()
    assert FORKED not in (fresh / "logs/iris/preprocess.log").read_text()
    # two threads: the job ran in its own process, with the same outputs
    assert FORKED in (other_pools / "logs/iris/fetch.log").read_text()
    assert FORKED not in (other_pools / "logs/iris/split.log").read_text()
    assert (other_pools / "data/interim/iris/train.parquet").read_bytes() == (
        fresh / "data/interim/iris/train.parquet").read_bytes()
    # a refused job: its exit code and its one error line reach the caller
    assert (tmp_path / "refused").read_text() == "exit 2\n"
    assert "dlpipe: error:" in done.stderr and "no_such_project" in done.stderr


def test_without_a_server_a_job_runs_on_its_own(working_copies, tmp_path):
    fresh = working_copies[0]
    done = dlpipe("fetch", "iris", cwd=fresh, **{job_client.ADDRESS: str(tmp_path / "none")})
    assert done.returncode == 0, done.stderr
    assert FORKED not in (fresh / "logs/iris/fetch.log").read_text()


SERVER = """import os, signal, socket, sys, time
from dlpipe.cli import job_server
job_server.preload = lambda threads: None  # the loop alone: each job sleeps
job_server._run_job = lambda request, streams: (time.sleep(600), os._exit(0))
if sys.argv[2:] == ["signal_at_fork"]:  # the job is sent SIGTERM as it forks
    fork = os.fork
    def signalled_fork():
        pid = fork()
        if pid:
            os.kill(pid, signal.SIGTERM)
        return pid
    job_server.os.fork = signalled_fork
listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
listener.bind(sys.argv[1])
listener.listen(4)
print("listening", flush=True)
job_server.serve(listener, 1)
"""


def sleeping_job(tmp_path: Path, *server_args: str):
    """A job server whose jobs sleep, and a client connected to it that has asked for a job."""
    address = str(tmp_path / "socket")
    server = subprocess.Popen([sys.executable, "-c", SERVER, address, *server_args],
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": SRC},
                              text=True)
    assert server.stdout.readline() == "listening\n"
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.connect(address)
    socket.send_fds(client, [b'{"argv": [], "cwd": "/", "env": {}}'], [1, 2])
    return server, client


def test_a_job_signalled_as_it_forks_ends_by_the_signal(tmp_path):
    """SIGTERM reaching a job before it runs is neither lost (the job would sleep on) nor taken
    by the server's own handler: the job ends by it, as a fresh process would."""
    server, client = sleeping_job(tmp_path, "signal_at_fork")
    try:
        client.settimeout(60)
        assert client.recv(64).decode().startswith("pid ")
        assert client.recv(64).decode() == f"exit {128 + signal.SIGTERM}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_job_whose_client_is_gone_is_stopped(tmp_path):
    """The front end kills a job's process (the client): the server stops the forked job."""
    server, client = sleeping_job(tmp_path)
    try:
        job = int(client.recv(64).decode().split()[1])
        os.kill(job, 0)  # running
        client.close()

        def ended() -> bool:
            try:
                os.kill(job, 0)
            except ProcessLookupError:
                return True  # stopped and reaped by the server
            return False

        wait_for(ended, 30, said=lambda: f"job {job} still runs after its client closed",
                 every=0.05)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_preload_needs_a_command_and_names_a_missing_one(tmp_path, write_params, raw_params):
    write_params(raw_params)
    assert dlpipe("preload", cwd=tmp_path).returncode == 2
    missing = dlpipe("preload", "--", "no-such-program", cwd=tmp_path)
    assert missing.returncode == 127 and "command not found: no-such-program" in missing.stderr


FRONT_END = """import pathlib, subprocess, sys, time
job = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
job.stdout.readline()
try:  # from the moment the test may send its signal
    pathlib.Path("started").touch()
    time.sleep(60)
except KeyboardInterrupt:
    job.wait()
    pathlib.Path("front_end").write_text("interrupted")
    sys.exit(1)
"""
JOB = """import pathlib, time
try:
    print("running", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    pathlib.Path("job").write_text("interrupted")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_preload_interrupts_its_front_end_and_the_jobs_it_started(
        tmp_path, write_params, raw_params, signum):
    """SIGTERM or SIGINT to `dlpipe preload` reaches its front end and that front end's job as
    one SIGINT each (a terminal's Ctrl-C), so both end as they handle it; `preload` waits for
    them and exits with 128 + the signal."""
    write_params(raw_params)
    preload = subprocess.Popen(
        [sys.executable, "-m", "dlpipe", "preload", "--", sys.executable, "-c", FRONT_END, JOB],
        cwd=tmp_path, env=job_environment(), stderr=subprocess.PIPE, text=True)
    try:
        server = int(preload.stderr.readline().split("job server ")[1].split()[0])
        wait_for((tmp_path / "started").exists, 120, preload)
        preload.send_signal(signum)
        assert preload.wait(timeout=60) == 128 + signum
    finally:
        preload.kill()
    assert (tmp_path / "job").read_text() == "interrupted"
    assert (tmp_path / "front_end").read_text() == "interrupted"
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)  # stopped and reaped


@pytest.mark.parametrize("params, expected", [
    ({"model": {"backend": "tensorflow"}}, {"tensorflow"}),
    ({"model": {"backend": "tensorflow"}, "tasks": {"mlp": {"backend": "jax"}}},
     {"tensorflow", "jax"}),
    ({"tune": {"search_space": {"backend": {"type": "categorical", "choices": ["torch"]}}}},
     {"torch"}),
    ({"split": {"seed": 1}}, set()),
])
def test_every_backend_a_project_names_is_found(params, expected):
    assert job_client.backends_named(params) == expected


def test_a_forked_job_runs_only_what_its_server_loaded(monkeypatch):
    assert job_client.fits(2, {"jax"})  # a fresh process runs anything
    monkeypatch.setattr(job_client, "preloaded_threads", 1)
    assert job_client.fits(1, {"tensorflow"}) and job_client.fits(1, set())
    assert not job_client.fits(2, {"tensorflow"}) and not job_client.fits(1, {"torch"})


def test_only_a_stage_that_trains_networks_needs_the_backend_its_project_names(
        raw_params, write_params):
    """A project training on PyTorch: its tuning, final fit and MNIST MLP need PyTorch's
    Keras; its evaluation, export and the rest load the networks with TensorFlow, so a forked
    job runs them."""
    from dlpipe.cli import run
    from dlpipe.pipeline import jobs
    from dlpipe.pipeline.table import BY_NAME, STAGES

    raw = copy.deepcopy(raw_params)
    raw["iris"]["model"]["backend"] = "torch"
    params = jobs.load(str(write_params(raw)))
    assert {stage.name for stage in STAGES if stage.trains} == {"tune_worker", "train", "mlp"}
    needs = {stage.name: run._backends(params, stage, {"project": "iris"}) for stage in STAGES
             if stage.scope != "all"}
    assert needs["train"] == needs["tune_worker"] == {"torch"}
    assert needs["evaluate"] == needs["export"] == needs["tune"] == set()
    assert run._backends(params, BY_NAME["report"], {"project": jobs.ALL}) == set()
