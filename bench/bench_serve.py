"""The model server over real HTTP: single-row latency, throughput under 8 clients, one MNIST
batch of 1000 images as JSON and in the binary tensor extension (taking turns), and a load
run with bad requests mixed in; beside it, in the same run, the same figures of a plain
FastAPI echo endpoint (``echo_app.py``), the framework's ceiling.

Run it on a finished pipeline (``--root``, default the repository): the server is started by
its CLI (``python -m dlpipe serve``, one process) on the bundles under ``<root>/models/``, on
a free port of 127.0.0.1, and stopped by its pid at the end; its params are ``--params``
(default the root's) with the prediction log moved to a temporary directory. The server's
code is the one ``python -m dlpipe`` imports (set PYTHONPATH to compare two checkouts).
Request rows are the projects' test rows (``<root>/data/interim/<project>/test.parquet``);
inputs are named as the server's model metadata says. Prints each figure next to its target
and the echo's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import PYTHON, REPO, env

HOST = "127.0.0.1"
# ms, ms, share of the echo's requests/s, s
TARGETS = {"p50": 1.0, "p99": 5.0, "ratio": 0.5, "mnist": 0.3}
ECHO = Path(__file__).resolve().parent / "echo_app.py"


class Client:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers: dict = {}  # of the last answer

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body,
                                    headers={"Content-Type": "application/json", **(headers or {})})
            answer = self.connection.getresponse()
            data = answer.read()
            self.headers = dict(answer.getheaders())
            if answer.getheader("connection", "").lower() == "close":
                self.reconnect()
            return answer.status, data
        except (OSError, http.client.HTTPException):
            self.reconnect()
            raise

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start(root: Path, projects: list[str], port: int, log: Path,
          params: Path | None = None, src: str | None = None, poll: float = 0.2
          ) -> subprocess.Popen:
    """The server of ``projects`` under ``root`` (with ``params``, default the root's; with
    ``src`` first on the path, default the code ``python -m dlpipe`` imports)."""
    command = [PYTHON, "-m", "dlpipe", "serve", *projects, "--host", HOST, "--port", str(port),
               "--params", str(params or root / "params.yaml"), "--root", str(root)]
    return launch(command, port, "/v2/health/ready", log, "the server", 120, cwd=root,
                  extra_env={"PYTHONPATH": src} if src else None, poll=poll)


def start_echo(port: int, log: Path) -> subprocess.Popen:
    """The echo endpoint (``echo_app.py``) on ``port``."""
    return launch([PYTHON, str(ECHO), str(port)], port, "/ready", log, "the echo server", 60)


def launch(command: list[str], port: int, ready: str, log: Path, name: str, seconds: int,
           cwd: Path | None = None, extra_env: dict | None = None, poll: float = 0.2
           ) -> subprocess.Popen:
    """``command`` started, once ``GET ready`` on ``port`` answers 200 within ``seconds``
    (asked every ``poll`` seconds)."""
    server = subprocess.Popen(command, cwd=cwd, env={**env(), **(extra_env or {})},
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{name} exited ({server.returncode}):\n{log.read_text()}")
        try:
            if Client(port).call("GET", ready)[0] == 200:
                return server
        except OSError:
            time.sleep(poll)
    stop(server)
    raise SystemExit(f"{name} was not ready within {seconds} s:\n{log.read_text()}")


def served_params(given: Path, where: Path) -> Path:
    """``given`` with the prediction log in ``where`` (not in the finished run's data/)."""
    import yaml

    raw = yaml.safe_load(given.read_text())
    if raw["serve"]["monitor"]["log_dir"] is not None:
        raw["serve"]["monitor"]["log_dir"] = str(where / "served")
    path = where / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def rows(root: Path, project: str, n: int) -> pd.DataFrame:
    return pd.read_parquet(root / "data" / "interim" / project / "test.parquet").head(n)


def v2_body(metadata: dict, frame: pd.DataFrame) -> bytes:
    """A V2 request for ``frame``'s rows: one tensor per input (or the image tensor)."""
    inputs = metadata["inputs"]
    if [i["name"] for i in inputs] == ["input"]:
        pixels = frame.drop(columns=["target"], errors="ignore").to_numpy().tolist()
        tensors = [{"name": "input", "shape": [len(frame), len(pixels[0])], "datatype": "FP32",
                    "data": pixels}]
    else:
        tensors = [{"name": i["name"], "shape": [len(frame)], "datatype": i["datatype"],
                    "data": [None if pd.isna(v) else (str(v) if i["datatype"] == "BYTES" else v)
                             for v in frame[i["name"]].tolist()]} for i in inputs]
    return json.dumps({"inputs": tensors}).encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def latency(port: int, project: str, body: bytes, warmup: int, n: int,
            path: str | None = None) -> tuple[float, float]:
    """p50 and p99 milliseconds of ``n`` single-row requests after ``warmup`` others (to the
    project's infer endpoint, or ``path``)."""
    client, seconds = Client(port), []
    path = path or f"/v2/models/{project}/infer"
    for k in range(warmup + n):
        started = time.perf_counter()
        status, answer = client.call("POST", path, body)
        if status != 200:
            raise SystemExit(f"{project}: {status} {answer[:200]!r}")
        if k >= warmup:
            seconds.append(time.perf_counter() - started)
    return percentile(seconds, 0.5) * 1e3, percentile(seconds, 0.99) * 1e3


def run_clients(port: int, work, clients: int, seconds: float) -> list[dict]:
    """``work(client, index, counts)`` repeatedly in ``clients`` threads for ``seconds``."""
    stop_at = time.monotonic() + seconds
    results = [dict() for _ in range(clients)]

    def loop(k: int) -> None:
        client, index = Client(port), 0
        while time.monotonic() < stop_at:
            work(client, index, results[k])
            index += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def counted(port: int, work, clients: int, seconds: float) -> dict:
    """Every client's counts of :func:`run_clients`, summed by key."""
    totals: dict = {}
    for result in run_clients(port, work, clients, seconds):
        for key, value in result.items():
            totals[key] = totals.get(key, 0) + value
    return totals


def count(counts: dict, key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def throughput(port: int, bodies: dict[str, bytes], clients: int, seconds: float) -> float:
    return rate(port, [(f"/v2/models/{p}/infer", body) for p, body in bodies.items()], clients,
                seconds)


def rate(port: int, paths: list[tuple[str, bytes]], clients: int, seconds: float) -> float:
    """Requests/s of ``clients`` keep-alive clients posting ``paths``' bodies in turn."""

    def work(client: Client, index: int, counts: dict) -> None:
        path, body = paths[index % len(paths)]
        count(counts, "ok" if client.call("POST", path, body)[0] == 200 else "failed")

    started = time.perf_counter()
    results = run_clients(port, work, clients, seconds)
    elapsed = time.perf_counter() - started
    failed = sum(r.get("failed", 0) for r in results)
    if failed:
        raise SystemExit(f"throughput: {failed} requests failed")
    return sum(r.get("ok", 0) for r in results) / elapsed


def bad_requests(project: str, metadata: dict, good: bytes, limit: int, max_rows: int) -> list:
    """(path, body, headers) of requests the server must refuse with a 4xx and survive."""
    path = f"/v2/models/{project}/infer"
    request = json.loads(good)
    first = request["inputs"][0]
    text = {**request, "inputs": [{**first, "data": ["tall"]}, *request["inputs"][1:]]}
    nan = {**request, "inputs": [{**first, "data": [float("nan")]}, *request["inputs"][1:]]}
    many = {"inputs": [{**first, "shape": [max_rows + 1], "data": []}]}
    return [(path, b'{"inputs": [', {}), (path, json.dumps(text).encode(), {}),
            (path, json.dumps(nan).encode(), {}), ("/v2/models/nope/infer", good, {}),
            (path, json.dumps(many).encode(), {}),
            (path, good, {"Content-Length": str(limit + 1)})]  # declared too large


def load_run(port: int, goods: list[tuple[str, bytes]], bads: list, clients: int,
             seconds: float) -> dict:
    """Requests from ``clients`` threads for ``seconds``, every fifth one bad; the counts."""

    def work(client: Client, index: int, counts: dict) -> None:
        if index % 5 == 4:
            path, body, headers = bads[(index // 5) % len(bads)]
            try:
                client.connection.request("POST", path, body=body, headers={
                    "Content-Type": "application/json", **headers})
                answer = client.connection.getresponse()
                answer.read()
                count(counts, "bad 4xx" if 400 <= answer.status < 500 else f"bad {answer.status}")
            except (OSError, http.client.HTTPException):
                count(counts, "bad: connection closed by the server")
            if headers:  # the server closes a connection whose body it did not read
                client.reconnect()
            return
        path, body = goods[index % len(goods)]
        count(counts, "good sent")
        try:
            ok = client.call("POST", path, body)[0] == 200
        except (OSError, http.client.HTTPException):
            ok = False
        count(counts, "good answered" if ok else "good lost")

    return counted(port, work, clients, seconds)


def v2_binary_body(frame: pd.DataFrame, datatype: str = "FP32") -> tuple[bytes, dict]:
    """The image request ``tritonclient.http`` sends by default: the pixels as one tensor of
    ``datatype`` (FP32 as the metadata says, or UINT8: a byte per pixel) in the binary
    extension, answers asked in binary too."""
    import tritonclient.http as triton

    pixels = frame.drop(columns=["target"], errors="ignore").to_numpy(
        {"FP32": np.float32, "UINT8": np.uint8}[datatype])
    tensor = triton.InferInput("input", list(pixels.shape), datatype)
    tensor.set_data_from_numpy(pixels)
    body, json_size = triton.InferenceServerClient.generate_request_body([tensor])
    return body, {"Inference-Header-Content-Length": str(json_size)}


def labels_in(answer: bytes, headers: dict) -> int:
    """How many labels an answer holds, JSON or binary."""
    import tritonclient.http as triton

    length = headers.get("inference-header-content-length")
    if length is None:
        return len(json.loads(answer)["outputs"][0]["data"])
    return len(triton.InferResult.from_response_body(answer, header_length=int(length))
               .as_numpy("label"))


def mnist_batches(port: int, bodies: dict[str, tuple[bytes, dict]], repeat: int
                  ) -> dict[str, list[float]]:
    """Seconds per request of each body, the bodies taking turns (the same conditions)."""
    client, seconds = Client(port), {name: [] for name in bodies}
    for _ in range(repeat):
        for name, (body, headers) in bodies.items():
            started = time.perf_counter()
            status, answer = client.call("POST", "/v2/models/mnist/infer", body, headers)
            seconds[name].append(time.perf_counter() - started)
            headers_seen = {k.lower(): v for k, v in client.headers.items()}
            if status != 200 or labels_in(answer, headers_seen) != 1000:
                raise SystemExit(f"mnist batch ({name}): {status} {answer[:200]!r}")
    return seconds


def verdict(value: float, target: float, higher: bool = False) -> str:
    met = value >= target if higher else value <= target
    return f"(target {'>=' if higher else '<='} {target:g}: {'met' if met else 'MISSED'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--params", help="the server's params file (default: the root's)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    projects = [p for p in ("iris", "price", "mnist")
                if (root / "models" / p / "schema.json").is_file()]
    if not {"iris", "price"} <= set(projects):
        raise SystemExit(f"{root}/models: needs the iris and price bundles (found {projects}): "
                         "run the pipeline there first (make run, or the stages up to train)")
    import yaml

    serve = yaml.safe_load(Path(args.params or root / "params.yaml").read_text())["serve"]
    where = Path(tempfile.mkdtemp(prefix="dlpipe_serve_", dir="/tmp"))
    port, log, echo_port = free_port(), where / "log", free_port()
    params = served_params(Path(args.params or root / "params.yaml"), where)
    server = start(root, projects, port, log, params)
    echo = start_echo(echo_port, where / "echo.log")
    try:
        report(args, root, projects, port, serve, echo_port)
    finally:
        stop(server)
        stop(echo)
    print(f"server stopped (exit {server.returncode}); its log: {log}")
    return 0


def report(args, root: Path, projects: list[str], port: int, serve: dict,
           echo_port: int) -> None:
    client = Client(port)
    meta = {p: json.loads(client.call("GET", f"/v2/models/{p}")[1]) for p in projects}
    single = {p: v2_body(meta[p], rows(root, p, 1)) for p in ("iris", "price")}
    print(f"server: 1 process on {HOST}:{port}, serving {', '.join(projects)}; echo on "
          f"{HOST}:{echo_port}")
    for project, body in single.items():
        p50, p99 = latency(port, project, body, args.warmup, args.requests)
        e50, e99 = latency(echo_port, project, body, args.warmup, args.requests, "/echo")
        print(f"{project:5s} single row, {args.requests} requests: p50 {p50:6.2f} ms "
              f"{verdict(p50, TARGETS['p50'])}   p99 {p99:6.2f} ms {verdict(p99, TARGETS['p99'])}"
              f"   (echo of the body: p50 {e50:.2f} ms, p99 {e99:.2f} ms)")
    for project, body in single.items():
        rps = rate(port, [(f"/v2/models/{project}/infer", body)], args.clients,
                   args.throughput_seconds)
        echo = rate(echo_port, [("/echo", body)], args.clients, args.throughput_seconds)
        print(f"throughput, {args.clients} clients (keep-alive, {project} rows): {rps:6.0f} "
              f"requests/s, echo {echo:6.0f}: {rps / echo:.2f} of the echo "
              f"{verdict(rps / echo, TARGETS['ratio'], higher=True)}")
    if "mnist" in projects:
        images = rows(root, "mnist", 1000)
        bodies = {"JSON": (v2_body(meta["mnist"], images), {}),
                  "binary": v2_binary_body(images),
                  "binary UINT8": v2_binary_body(images, "UINT8")}
        seconds = mnist_batches(port, bodies, 7)
        for name, (body, _) in bodies.items():
            times = seconds[name]
            print(f"mnist 1000 images in one request, {name:12s} ({len(body) / 1e6:4.1f} MB): "
                  f"median {statistics.median(times):.3f} s, min {min(times):.3f}, max "
                  f"{max(times):.3f} of {len(times)} "
                  f"{verdict(statistics.median(times), TARGETS['mnist'])}")
        ratio = statistics.median(seconds["JSON"]) / statistics.median(seconds["binary"])
        print(f"mnist 1000 images: binary {ratio:.1f}x faster than JSON (medians, taking turns)")
    else:
        print("mnist 1000 images: skipped (no mnist bundle)")
    bads = bad_requests("iris", meta["iris"], single["iris"], serve["max_body_bytes"],
                        serve["max_rows"])
    goods = [(f"/v2/models/{p}/infer", body) for p, body in single.items()]
    counts = load_run(port, goods, bads, args.clients, args.load_seconds)
    healthy = Client(port).call("GET", "/v2/health/ready")[0] == 200 and \
        Client(port).call("POST", goods[0][0], goods[0][1])[0] == 200
    print(f"load run, {args.load_seconds:g} s, {args.clients} clients, 1 request in 5 bad: "
          f"{dict(sorted(counts.items()))}; good requests lost: {counts.get('good lost', 0)} "
          f"(target 0); healthy at the end: {healthy}")


if __name__ == "__main__":
    raise SystemExit(main())
