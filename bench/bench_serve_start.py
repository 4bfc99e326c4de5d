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
import tempfile
import time
from pathlib import Path

import _common
from _common import paired, smaps_rollup
from bench_serve import Client, free_port, rows, served_params, start, stop, v2_body


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
    params = served_params(root / "params.yaml", scratch)
    frames = {p: rows(root, p, args.rows).drop(columns="target") for p in args.projects}
    seen: dict[str, list[dict]] = {code: [] for code in codes}
    answers = set()
    for _ in range(args.repeats):
        for code, src in codes.items():  # in turns, so a drift in the machine hits both
            port, started = free_port(), time.perf_counter()
            server = start(root, args.projects, port, scratch / "server.log", params, src,
                           poll=0.02)
            ready = time.perf_counter() - started
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
