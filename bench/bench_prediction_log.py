"""What the prediction log costs the server: requests/s of 8 keep-alive clients and single-row
latency with the log on (every answer appended before it is sent) and off, side by side.

Two servers run on the same bundles (a finished pipeline under ``--root``; only iris and price
are served), one with ``serve.monitor.log_dir`` set (its log in a temporary directory) and one
with it null; the measurements take turns (off, on, off, on, ...) so a drift of the machine
hits both. Target: the log costs at most 10 % of requests/s. Prints each round, the medians,
their ratio and the spread.

    python bench/bench_prediction_log.py --root /path/to/finished/run [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import yaml

from _common import REPO
from bench_serve import Client, free_port, latency, rows, start, stop, throughput, v2_body

PROJECTS = ("iris", "price")


def params_file(where: Path, log_dir: str | None) -> Path:
    """The repository's params with the monitor's log directory set (None: no log)."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["serve"]["monitor"]["log_dir"] = log_dir
    path = where / ("params-log.yaml" if log_dir else "params-nolog.yaml")
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="per throughput round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="single-row latency sample")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    scratch = Path(tempfile.mkdtemp(prefix="dlpipe_log_bench_", dir="/tmp"))
    servers, ports = {}, {}
    for mode, log_dir in (("off", None), ("on", str(scratch / "served"))):
        ports[mode] = free_port()
        servers[mode] = start(root, list(PROJECTS), ports[mode], scratch / f"serve-{mode}.log",
                              params=params_file(scratch, log_dir))
    try:
        meta = {p: json.loads(Client(ports["off"]).call("GET", f"/v2/models/{p}")[1])
                for p in PROJECTS}
        single = {p: v2_body(meta[p], rows(root, p, 1)) for p in PROJECTS}
        rps: dict[str, list[float]] = {"off": [], "on": []}
        for round_ in range(args.rounds):
            for mode in ("off", "on"):
                rps[mode].append(throughput(ports[mode], single, args.clients, args.seconds))
            print(f"round {round_ + 1}: off {rps['off'][-1]:6.0f} req/s, on {rps['on'][-1]:6.0f}"
                  f" req/s")
        for mode in ("off", "on"):
            p50, p99 = latency(ports[mode], "price", single["price"], 50, args.requests)
            print(f"log {mode:3s}: {statistics.median(rps[mode]):6.0f} req/s median (range "
                  f"{min(rps[mode]):.0f}-{max(rps[mode]):.0f}), price single row p50 "
                  f"{p50:.2f} ms p99 {p99:.2f} ms")
        ratio = statistics.median(rps["on"]) / statistics.median(rps["off"])
        per_round = [on / off for on, off in zip(rps["on"], rps["off"])]
        verdict = "met" if ratio >= 0.9 else "MISSED"
        print(f"log on / off, requests/s: {ratio:.3f} (per round {min(per_round):.3f}-"
              f"{max(per_round):.3f}); target >= 0.90: {verdict}")
        logged = sum(1 for f in (scratch / "served").rglob("predictions-*.jsonl")
                     for _ in f.open("rb"))
        print(f"rows logged by the 'on' server: {logged}")
    finally:
        for server in servers.values():
            stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
