"""dlpipe's image, built by ``dlpipe image`` (make image) with podman on a tiny iris run, and
run for real: it serves iris on 127.0.0.1, copied in or mounted, and the standard clients and
curl get what ``dlpipe predict`` gives; a bad request gets a 400 naming the input; a stage run
inside on the mounted working copy writes the files it writes outside; its packages are the
lock's, with the Keras backends container.backends names; a missing bundle, a mount without
bundles, a busy port and a failed build are refused clearly, leaving nothing tagged.

Runs where podman can be had (container/setup-podman.sh installs it as root on Debian);
skipped with the script's reason otherwise.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest
import yaml

from dlpipe.io import file_sha256
from frontends import (clients_answer_as_predict, commit, make_repo, run_dlpipe as dlpipe,
                       run_project, sh)
from support import ROOT, free_port

pytestmark = pytest.mark.slow
UNSUPPORTED = 3  # container/setup-podman.sh: podman cannot be had here
IMAGE = "localhost/dlpipe-test"
PORT = 8080  # serve.port of the image's params.yaml


def podman(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A tiny iris run, and the image of its bundle; the repository and the image's tag."""
    setup = subprocess.run(["bash", str(ROOT / "container/setup-podman.sh")],
                           capture_output=True, text=True, timeout=600)
    if setup.returncode == UNSUPPORTED:
        pytest.skip(f"podman cannot be had here: {setup.stderr.strip().splitlines()[-1]}")
    assert setup.returncode == 0, setup.stdout + setup.stderr
    repo = make_repo(tmp_path_factory.mktemp("image") / "repo", (), ("iris",))
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["container"]["name"] = IMAGE
    raw["container"]["backends"] = ["jax"]  # one extra in, one out (torch is the largest)
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    commit(repo, "the test's image name")
    run_project(repo, "iris")
    done = dlpipe(repo, "image", "iris")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tag = f"{IMAGE}:{sh('git', 'rev-parse', '--short=12', 'HEAD', cwd=repo).strip()}"
    assert f"built {tag} and {IMAGE}:latest" in done.stdout
    yield repo, tag
    podman("rmi", "--force", tag, f"{IMAGE}:latest")


def start(*args: str) -> tuple[str, str]:
    """A detached container of ``args`` (podman run options, image, command) published on a
    free port of 127.0.0.1, once it answers ready; its URL and id."""
    port = free_port()
    run = podman("run", "--detach", "--rm", "--publish", f"127.0.0.1:{port}:{PORT}", *args)
    assert run.returncode == 0, run.stderr
    cid = run.stdout.strip().splitlines()[-1]
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    while subprocess.run(["curl", "-sf", f"{url}/v2/health/ready"],
                         capture_output=True).returncode != 0:
        if time.monotonic() > deadline or podman("container", "exists", cid).returncode != 0:
            logs = podman("logs", cid).stderr
            stop(cid)
            raise AssertionError(f"the container did not get ready: {logs[-3000:]}")
        time.sleep(0.25)
    return url, cid


def stop(cid: str) -> None:
    podman("stop", "--time", "10", cid)
    assert podman("container", "exists", cid).returncode == 1  # --rm: gone once stopped


def test_the_image_serves_what_predict_gives_copied_in_or_mounted(built, tmp_path):
    repo, tag = built
    url, cid = start(tag)
    try:
        assert podman("healthcheck", "run", cid).returncode == 0
        assert podman("exec", cid, "id", "-un").stdout.strip() == "dlpipe"
        clients_answer_as_predict(repo, ("iris",), tmp_path, url=url)
        bad = {"inputs": [{"name": "petal length (cm)", "shape": [1], "datatype": "FP64",
                           "data": [1.0]}]}
        answer = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-H",
                                 "Content-Type: application/json", "--data", json.dumps(bad),
                                 f"{url}/v2/models/iris/infer"], capture_output=True, text=True)
        body, status = answer.stdout.rsplit("\n", 1)
        assert status == "400" and "sepal length (cm)" in json.loads(body)["error"], body
    finally:
        stop(cid)
    # the bundles of a working copy mounted at /srv/dlpipe, served as its owner
    url, cid = start("--user", "0:0", "--volume", f"{repo}:/srv/dlpipe", tag, "serve",
                     "--host", "0.0.0.0", "iris")
    try:
        clients_answer_as_predict(repo, ("iris",), tmp_path, url=url)
    finally:
        stop(cid)


def test_labels_name_the_revision_and_the_bundle_digest(built):
    repo, tag = built
    labels = json.loads(podman("image", "inspect", "--format", "{{json .Labels}}", tag).stdout)
    assert labels["org.opencontainers.image.revision"] == tag.rsplit(":", 1)[1]
    assert labels["io.dlpipe.bundle.iris"] == \
        f"sha256:{file_sha256(repo / 'models/iris/.manifest.json')}"
    assert labels["io.dlpipe.backends"] == "tensorflow jax"
    config = json.loads(podman("image", "inspect", "--format", "{{json .Config}}", tag).stdout)
    assert config["User"] == "dlpipe" and config["Entrypoint"] == ["dlpipe"]
    assert "/v2/health/ready" in (ROOT / "container/healthcheck.py").read_text()
    health = json.loads(podman("image", "inspect", tag).stdout)[0]["Healthcheck"]
    assert health["Test"] == ["CMD", "python3", "/opt/dlpipe/healthcheck.py"]


def test_every_installed_package_is_at_the_locks_version(built):
    _, tag = built
    lock = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (ROOT / "requirements.lock").read_text().split() if "==" in line}
    freeze = podman("run", "--rm", "--network", "none", "--entrypoint", "pip", tag,
                    "freeze", "--all").stdout.splitlines()
    # dlpipe itself, from the wheel built of this checkout
    assert [line for line in freeze if " @ " in line] == \
        ["dlpipe @ file:///opt/dlpipe/dlpipe-0.1.0-py3-none-any.whl"]
    installed = dict(line.lower().replace("_", "-").split("==") for line in freeze
                     if " @ " not in line)
    assert installed.pop("pip")  # the base's own pip, which installed the rest
    assert {name: lock.get(name) for name in installed} == installed
    assert {"tensorflow-cpu", "jax", "fastapi", "kubernetes-validate"} <= set(installed)
    # the backend container.backends leaves out, and the tests' and docs' extras, stay out
    assert not {"torch", "pytest", "mkdocs"} & set(installed)


def test_a_stage_inside_writes_what_it_writes_outside(built, tmp_path):
    """``evaluate iris`` in the image, on the working copy mounted at /srv/dlpipe: its outputs
    equal those of the run outside (its JSON without wall-clock seconds)."""
    repo, tag = built
    outputs = ["reports/iris/metrics.json", "reports/iris/per_class.csv",
               "reports/scores/iris/evaluate.csv", "reports/iris/figures/confusion.png"]
    outside = {name: (repo / name).read_bytes() for name in outputs}
    for name in outputs:
        (repo / name).unlink()
    run = podman("run", "--rm", "--network", "none", "--user", "0:0", "--volume",
                 f"{repo}:/srv/dlpipe", tag, "evaluate", "iris", timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    for name in outputs:
        inside = (repo / name).read_bytes()
        if name.endswith(".json"):
            assert _timeless(json.loads(inside)) == _timeless(json.loads(outside[name])), name
        elif name.endswith(".csv"):
            assert _timeless_rows(inside) == _timeless_rows(outside[name]), name
        else:
            assert inside[:24] == outside[name][:24]  # a PNG of the same width and height


def _timeless_rows(text: bytes) -> list[str]:
    """A CSV file's lines, score rows of wall-clock seconds left out."""
    return [line for line in text.decode().splitlines() if "_seconds," not in line]


def _timeless(value):
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if not k.endswith("_seconds")}
    return value


def test_a_mount_without_bundles_and_a_busy_port_are_refused(built, tmp_path):
    repo, tag = built
    shutil.copy(repo / "params.yaml", tmp_path / "params.yaml")
    tmp_path.chmod(0o755)  # readable by the image's user
    empty = podman("run", "--rm", "--network", "none", "--volume", f"{tmp_path}:/srv/dlpipe",
                   tag)
    assert empty.returncode == 2
    assert "dlpipe: error: models/*: no model bundle to serve" in empty.stderr
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        published = podman("run", "--detach", "--rm", "--name", "dlpipe-test-busy", "--publish",
                           f"127.0.0.1:{port}:{PORT}", tag)
        assert published.returncode != 0 and "address already in use" in published.stderr
        assert podman("container", "exists", "dlpipe-test-busy").returncode == 1
        host = podman("run", "--rm", "--network", "host", tag, "serve", "--host", "127.0.0.1",
                      "--port", str(port))
        assert host.returncode == 2
        assert host.stderr.strip().splitlines()[-1] == (
            f"dlpipe: error: 127.0.0.1:{port}: the port is in use (another server?): stop it, "
            "or serve on another port (--port, serve.port)")


def test_no_bundle_and_a_failed_build_leave_no_tag(built):
    repo, _ = built
    missing = dlpipe(repo, "image", "iris", "koala")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"dlpipe: error: {repo}/models/koala: project 'koala' has no bundle: run its select "
        "stage (`python -m dlpipe select koala`, or `make run`)")
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw.update(container={**raw["container"], "name": f"{IMAGE}-broken",
                          "base": "localhost/no-such-base:1"})
    (repo / "broken.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    broken = dlpipe(repo, "image", "iris", "--params", "broken.yaml")
    assert broken.returncode == 2 and "podman build of" in broken.stderr
    assert podman("images", "--quiet", f"{IMAGE}-broken").stdout.strip() == ""
