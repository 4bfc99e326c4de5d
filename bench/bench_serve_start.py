"""``dlpipe serve`` from its start to its first answer: a whole server process on a finished
run's bundles, this code against another checkout's (``--vs-src``), taking turns. For each
start: the seconds until ``/v2/health/ready`` answers 200, the process's resident memory then
(RSS and PSS), and the labels it gives a few test rows of each project, which must be the same
in every start of both codes. The server listens on a free port of 127.0.0.1 and is stopped by
its pid; its prediction log goes to a temporary directory.

    .venv/bin/python bench/bench_serve_start.py --vs-src OTHER/src [--root RUN]
        [--projects iris price] [--rows 5] [--repeats 7]
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

import _common
from _common import PYTHON, env, paired, smaps_rollup
from bench_serve import HOST, Client, free_port, rows, stop, v2_body


def start(root: Path, projects: list[str], src: str, params: Path, log: Path
          ) -> tuple[subprocess.Popen, int, float]:
    """The server started with ``src`` first on the path, once ready: (process, port,
    seconds from its start)."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([PYTHON, "-m", "dlpipe", "serve", *projects, "--host", HOST,
                               "--port", str(port), "--params", str(params), "--root",
                               str(root)], cwd=root, env={**env(), "PYTHONPATH": src},
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    while time.perf_counter() - started < 120:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            if Client(port).call("GET", "/v2/health/ready")[0] == 200:
                return server, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    stop(server)
    raise SystemExit(f"the server was not ready within 120 s:\n{log.read_text()}")


def labels(port: int, project: str, frame) -> list:
    """The labels the server at ``port`` gives ``frame``'s rows of ``project``."""
    client = Client(port)
    status, metadata = client.call("GET", f"/v2/models/{project}")
    status, body = client.call("POST", f"/v2/models/{project}/infer",
                               v2_body(json.loads(metadata), frame))
    if status != 200:
        raise SystemExit(f"{project}: the server answered {status}: {body[:500]!r}")
    outputs = {o["name"]: o["data"] for o in json.loads(body)["outputs"]}
    return outputs.get("label", outputs.get("value"))


def main() -> None:
    args, root, codes = _common.two_checkouts_args(__doc__)
    scratch = Path(tempfile.mkdtemp(prefix="bench-serve-start-"))
    raw = yaml.safe_load((root / "params.yaml").read_text())
    raw.setdefault("serve", {}).setdefault("monitor", {})["log_dir"] = str(scratch / "log")
    params = scratch / "params.yaml"
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    frames = {p: rows(root, p, args.rows).drop(columns="target") for p in args.projects}
    seen: dict[str, list[dict]] = {code: [] for code in codes}
    answers = set()
    for _ in range(args.repeats):
        for code, src in codes.items():  # in turns, so a drift in the machine hits both
            server, port, ready = start(root, args.projects, src, params, scratch / "server.log")
            try:
                memory = smaps_rollup(server.pid)
                answers.add(json.dumps({p: labels(port, p, f) for p, f in frames.items()}))
            finally:
                stop(server)
            seen[code].append({"ready": ready, "rss": memory["Rss"] / 1024,
                               "pss": memory["Pss"] / 1024})
    print(f"dlpipe serve {' '.join(args.projects)}: {args.repeats} starts each in turn")
    for key, unit in (("ready", "s"), ("rss", "MiB"), ("pss", "MiB")):
        print(f"  {key:5s} {paired(seen['this code'], seen['--vs-src'], key, unit)}")
    same = len(answers) == 1
    print(f"  labels of {args.rows} test rows per project: "
          f"{'the same in every start of both codes' if same else 'DIFFER'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
