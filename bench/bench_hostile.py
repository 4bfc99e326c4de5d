"""The model server under a hostile load: half the requests bad, of every kind a client can
send, from 8 keep-alive clients for 20 s, over real HTTP on 127.0.0.1.

Counts every answer by status: no bad request may get a 5xx or drop another client's request,
and every good one must be answered 200 with the label the bundle's own ``predict`` gives. A
client that stops mid-body must lose its connection within the body timeout. The server's
resident memory is read from /proc before and after. Run it on a finished pipeline (``--root``,
default the repository); the server is started by its CLI and stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path

import yaml

from _common import REPO
from bench_serve import HOST, Client, count, counted, free_port, rows, start, stop, v2_body


def bad_requests(good: bytes, serve: dict) -> list[tuple[str, str, bytes, dict]]:
    """(method, path, body, headers) of every kind of request the server must refuse (4xx)."""
    path = "/v2/models/iris/infer"
    request = json.loads(good)
    first, rest = request["inputs"][0], request["inputs"][1:]

    def changed(**fields) -> bytes:
        return json.dumps({**request, "inputs": [{**first, **fields}, *rest]}).encode()

    deep = b'{"inputs": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    return [
        ("POST", path, b'{"inputs": [', {}),
        ("POST", path, b'{"id": "\\ud800", ' + good[1:], {}),
        ("POST", path, changed(data=["tall"]), {}),
        ("POST", path, changed(data=[float("nan")]), {}),
        ("POST", path, changed(datatype="INT64", data=[2 ** 70]), {}),
        ("POST", path, changed(data=[[[5.1]]]), {}),
        ("POST", path, changed(data=[10 ** 400]), {}),
        ("POST", path, changed(datatype="X"), {}),
        ("POST", path, deep, {}),
        ("POST", path, changed(shape=[serve["max_rows"] + 1], data=[]), {}),
        ("POST", path, good, {"Content-Length": str(serve["max_body_bytes"] + 1)}),
        ("POST", "/v2/models/nope/infer", good, {}),
        ("POST", "/v1/models/iris:predict", b'{"instances": [{"x": [1, {"a": 2}]}]}', {}),
        ("GET", "/x" * 32_000, b"", {}),
    ]


def expected_labels(root: Path, project: str, n: int) -> list[str]:
    from dlpipe.bundle.inference import load_bundle

    return [str(label) for label in load_bundle(project, root).predict(rows(root, project, n))
            ["label"]]


def hostile_run(port: int, goods: list, bads: list, clients: int, seconds: float) -> dict:
    def work(client: Client, index: int, counts: dict) -> None:
        if index % 2:
            method, path, body, headers = bads[(index // 2) % len(bads)]
            try:
                client.connection.request(method, path, body=body or None, headers={
                    "Content-Type": "application/json", **headers})
                answer = client.connection.getresponse()
                answer.read()
                count(counts, f"bad {answer.status // 100}xx")
            except OSError:
                count(counts, "bad: connection closed by the server")
            client.reconnect() if headers else None  # a body the server did not read
            return
        path, body, label = goods[index % len(goods)]
        try:
            status, answer = client.call("POST", path, body)
            right = status == 200 and json.loads(answer)["outputs"][0]["data"] == [label]
        except OSError:
            right = False
        count(counts, "good answered with predict's label" if right else "good wrong or lost")

    return counted(port, work, clients, seconds)


def stalled_body(port: int, timeout: float) -> str:
    """A client that declares 1000 bytes, sends 10 and waits: what it gets, and when."""
    started = time.perf_counter()
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000"
                     b"\r\nContent-Type: application/json\r\n\r\n" + b'{"inputs":')
        sock.settimeout(timeout + 30)
        received, chunk = b"", b"x"
        try:
            while chunk:  # until the server closes the connection (an empty read)
                chunk = sock.recv(4096)
                received += chunk
            closed = True
        except TimeoutError:
            closed = False
    answer = received.split(b"\r\n", 1)[0].decode()
    return f"{answer!r} after {time.perf_counter() - started:.1f} s, connection closed: {closed}"


def memory_kb(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines)
            if k in ("VmRSS", "VmHWM")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    serve = yaml.safe_load((root / "params.yaml").read_text())["serve"]
    port, log = free_port(), Path(tempfile.mkdtemp(prefix="dlpipe_hostile_", dir="/tmp")) / "log"
    server = start(root, ["iris", "price"], port, log)
    try:
        meta = {p: json.loads(Client(port).call("GET", f"/v2/models/{p}")[1])
                for p in ("iris", "price")}
        goods = [(f"/v2/models/{p}/infer", v2_body(meta[p], rows(root, p, 10).iloc[[k]]), label)
                 for p in ("iris", "price") for k, label in enumerate(expected_labels(root, p, 10))]
        bads = bad_requests(goods[0][1], serve)
        before = memory_kb(server.pid)
        counts = hostile_run(port, goods, bads, args.clients, args.seconds)
        after = memory_kb(server.pid)
        print(f"hostile load, {args.seconds:g} s, {args.clients} clients, 1 request in 2 bad "
              f"({len(bads)} kinds): {dict(sorted(counts.items()))}")
        print(f"answers >= 500: {counts.get('bad 5xx', 0)} (target 0); good requests wrong or "
              f"lost: {counts.get('good wrong or lost', 0)} (target 0)")
        print(f"server memory: resident {before['VmRSS'] / 1024:.0f} MB before, "
              f"{after['VmRSS'] / 1024:.0f} MB after, peak {after['VmHWM'] / 1024:.0f} MB")
        print(f"stalled body: {stalled_body(port, serve['body_timeout_seconds'])}")
        errors = log.read_text().count("Traceback")
        print(f"tracebacks in the server's log: {errors} (target 0)")
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
