"""dlpipe's container image: how long `dlpipe image` (make image) takes cold and again, whether a
second build installs the same packages, how long a container takes from start to ready, and
the single-row latency of the server inside it beside the same server outside (interleaved).

    python bench/bench_image.py --root REPO --projects iris [--cold] [--rounds 7]
    python bench/bench_image.py client URL PROJECT --requests 300   # one client's run

The root is a checkout with the projects' bundles (models/<p>/) and their test parts
(data/interim/<p>/test.parquet). --cold removes the image, its base and the gathered wheels
first, so the first build does everything a clean clone's `make image` does after `make venv`.
Everything is served on 127.0.0.1 and stopped by its container id or pid.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from _common import spread
from bench_serve import free_port

PYTHON = sys.executable


def podman(*args: str, check: bool = True) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"podman {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def build(root: Path, projects: list[str], *options: str) -> float:
    started = time.monotonic()
    done = subprocess.run([PYTHON, "-m", "dlpipe", "image", *projects, *options], cwd=root,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    print("  " + done.stdout.strip().splitlines()[-1])
    return time.monotonic() - started


def freeze(tag: str) -> list[str]:
    return sorted(podman("run", "--rm", "--network", "none", "--entrypoint", "pip", tag,
                         "freeze", "--all").split())


def wait_ready(url: str, deadline: float = 120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        try:
            host, port = url.removeprefix("http://").split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=1)
            connection.request("GET", "/v2/health/ready")
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} not ready within {deadline} s")


def start_container(tag: str) -> tuple[str, str, float]:
    port = free_port()
    started = time.monotonic()
    cid = podman("run", "--detach", "--rm", "--publish", f"127.0.0.1:{port}:8080",
                 tag).strip().splitlines()[-1]
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url, cid, time.monotonic() - started


def one_row_body(root: Path, project: str) -> bytes:
    rows = pd.read_parquet(root / f"data/interim/{project}/test.parquet").drop(columns="target")
    row = rows.head(1)
    kinds = {"i": "INT64", "f": "FP64"}
    return json.dumps({"inputs": [
        {"name": name, "shape": [1], "datatype": kinds.get(row[name].dtype.kind, "BYTES"),
         "data": [row[name].iloc[0].item() if kinds.get(row[name].dtype.kind)
                  else str(row[name].iloc[0])]} for name in row.columns]}).encode()


def latencies(url: str, project: str, body: bytes, requests: int) -> list[float]:
    """Milliseconds of ``requests`` single-row V2 requests on one keep-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        connection.request("POST", f"/v2/models/{project}/infer", body=body,
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"{url}: {answer.status}")
        out.append((time.perf_counter() - started) * 1000)
    connection.close()
    return out


def v2_body(metadata: dict, rows: pd.DataFrame) -> bytes:
    """A V2 request of ``rows`` with one tensor per input the metadata lists (an image
    project's one ``input`` of pixels)."""
    inputs = []
    for spec in metadata["inputs"]:
        if spec["name"] == "input":
            values = rows.to_numpy("float32")
            inputs.append({"name": "input", "shape": list(values.shape), "datatype": "FP32",
                           "data": values.ravel().tolist()})
            continue
        column = rows[spec["name"]]
        data = [None if pd.isna(v) else (str(v) if spec["datatype"] == "BYTES" else v)
                for v in column.tolist()]
        inputs.append({"name": spec["name"], "shape": [len(rows)], "datatype": spec["datatype"],
                       "data": data})
    return json.dumps({"inputs": inputs}).encode()


def served_answers(url: str, project: str, rows: pd.DataFrame, chunk: int = 500) -> tuple:
    """The server's V2 answers on ``rows`` in requests of ``chunk`` rows: labels (None for a
    numeric target) and the probabilities or values, as float32."""
    import numpy as np

    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=300)
    connection.request("GET", f"/v2/models/{project}")
    metadata = json.loads(connection.getresponse().read())
    labels, numbers = [], []
    for start in range(0, len(rows), chunk):
        connection.request("POST", f"/v2/models/{project}/infer",
                           body=v2_body(metadata, rows.iloc[start:start + chunk]),
                           headers={"Content-Type": "application/json"})
        outputs = {o["name"]: o for o in json.loads(connection.getresponse().read())["outputs"]}
        labels += outputs["label"]["data"] if "label" in outputs else []
        numbers += outputs["probabilities" if "label" in outputs else "value"]["data"]
    connection.close()
    return labels or None, np.float32(numbers)


def compare_answers(root: Path, inside: str, outside: str, project: str) -> str:
    """On the project's whole test part: the image's answers against the same server's outside
    (the same requests), and against `dlpipe predict` outside (one batch of every row)."""
    import numpy as np

    test = root / f"data/interim/{project}/test.parquet"
    rows = pd.read_parquet(test).drop(columns="target")
    out = root / f".dlpipe/bench-{project}.csv"
    subprocess.run([PYTHON, "-m", "dlpipe", "predict", project, "--input", str(test), "--output",
                    str(out)], cwd=root, check=True, capture_output=True)
    predicted = pd.read_csv(out, dtype={"label": str})
    labels_in, numbers_in = served_answers(inside, project, rows)
    labels_out, numbers_out = served_answers(outside, project, rows)
    same_server = labels_in == labels_out and np.array_equal(numbers_in, numbers_out)
    if labels_in is None:
        expected_labels, expected = None, predicted["value"].to_numpy(np.float32)
    else:
        expected_labels = predicted["label"].tolist()
        expected = predicted.filter(like="proba_").to_numpy(np.float32).ravel()
    return (f"{project}: {len(rows)} test rows; inside vs outside server "
            f"{'bit-equal' if same_server else 'DIFFERENT'}; vs dlpipe predict: labels "
            f"{'equal' if labels_in == expected_labels else 'DIFFERENT'}, largest difference "
            f"{np.abs(numbers_in - expected).max():.1e}")


def serve_outside(root: Path, projects: list[str]) -> tuple[str, subprocess.Popen]:
    port = free_port()
    server = subprocess.Popen([PYTHON, "-m", "dlpipe", "serve", *projects, "--host", "127.0.0.1",
                               "--port", str(port)], cwd=root, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url, server


def compare(root: Path, tag: str, projects: list[str], rounds: int, requests: int) -> None:
    """The image and the same server outside, both up: their answers, then single-row
    latency on the first project, taking turns."""
    project = projects[0]
    body = one_row_body(root, project)
    inside, cid, _ = start_container(tag)
    outside, server = serve_outside(root, projects)
    try:
        for name in projects:
            print("  " + compare_answers(root, inside, outside, name))
        for url in (inside, outside):  # warm both (first requests trace the graph)
            latencies(url, project, body, 50)
        ins, outs, ratios = [], [], []
        for index in range(rounds):  # take turns, the order swapped each round
            pair = [(inside, ins), (outside, outs)]
            for url, into in (pair if index % 2 == 0 else pair[::-1]):
                into.append(statistics.median(latencies(url, project, body, requests)))
            ratios.append(ins[-1] / outs[-1])
        print(f"single-row p50, inside : {spread(ins, 'ms')}")
        print(f"single-row p50, outside: {spread(outs, 'ms')}")
        print(f"inside / outside, per round: {spread(ratios, '', 3)}")
    finally:
        podman("stop", "--time", "10", cid, check=False)
        server.terminate()
        server.wait(timeout=30)


def build_twice(root: Path, tag: str, settings: dict, args) -> None:
    """A build (cold: from nothing), then one with no cache: their times, packages and size."""
    if args.cold:
        for image in (f"{settings['name']}:latest", settings["base"]):
            podman("rmi", "--force", image, check=False)
        podman("image", "prune", "--force", check=False)
        shutil.rmtree(root / ".dlpipe/wheels", ignore_errors=True)
    first = build(root, args.projects)
    print(f"build{' (cold: base, wheels, every layer)' if args.cold else ''}: {first:.0f} s")
    packages = freeze(tag)
    podman("rmi", "--force", tag, check=False)
    second = build(root, args.projects, "--no-cache")
    same = freeze(tag) == packages
    print(f"second build (base and wheels kept, every layer rebuilt): {second:.0f} s; "
          f"installed packages {'the same' if same else 'DIFFERENT'} ({len(packages)} in pip freeze)")
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag))
    biggest = podman("run", "--rm", "--network", "none", "--entrypoint", "sh", tag, "-c",
                     "du -sm /opt/dlpipe/lib/python3.11/site-packages/* | sort -n | tail -6")
    print(f"image size {size / 1e9:.2f} GB; largest installed packages (MB):")
    print("  " + "\n  ".join(reversed(biggest.strip().splitlines())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--projects", nargs="+", default=["iris"])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--no-build", action="store_true",
                        help="measure the image already built (<container.name>:latest)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    root = args.root.resolve()
    settings = yaml.safe_load((root / "params.yaml").read_text())["container"]
    tag = f"{settings['name']}:latest"
    if not args.no_build:
        build_twice(root, tag, settings, args)
    starts = []
    for _ in range(args.starts):
        _, cid, seconds = start_container(tag)
        starts.append(seconds)
        podman("stop", "--time", "10", cid, check=False)
    print(f"container start to ready ({', '.join(args.projects)}): {spread(starts, 's')}")
    compare(root, tag, args.projects, args.rounds, args.requests)


def client() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("url")
    parser.add_argument("project")
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    times = latencies(args.url, args.project, one_row_body(args.root, args.project), args.requests)
    print(f"p50 {statistics.median(times):.3f} ms over {len(times)} requests")


if __name__ == "__main__":
    client() if sys.argv[1:2] == ["client"] else main()
