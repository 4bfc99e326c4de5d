"""The wheels `dlpipe image` gathers on the host before a build: how many, how many bytes, and
how long pip takes to gather them into an empty directory (as on a clean clone, whose
`.dlpipe/wheels` is empty), for the Keras backends named. Takes turns with another checkout's
code (`--vs-root`) and closes with the pairs' ratios.

    python bench/bench_wheels.py [--root REPO] [--backends jax torch] [--runs 3] [--vs-root OLD]

Each run gathers into a fresh temporary directory and removes it; pip fetches through the
host's pip configuration (its HTTP cache, if any, as it is).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, children_cpu, spread

GATHER = """
import sys
from pathlib import Path
root, cache, backends = Path(sys.argv[1]), Path(sys.argv[2]), tuple(sys.argv[3:])
sys.path.insert(0, str(root / "src"))
from dlpipe.deploy import podman
podman.gather_wheels(root, cache, backends)
"""


def gather(root: Path, backends: list[str]) -> tuple[float, float, int, float]:
    """One gathering with ``root``'s code: wall and CPU seconds, wheels and megabytes."""
    with tempfile.TemporaryDirectory(prefix="dlpipe-wheels-") as cache:
        cpu, started = children_cpu(), time.monotonic()
        subprocess.run([sys.executable, "-c", GATHER, str(root), cache, *backends], check=True,
                       stdout=subprocess.DEVNULL)
        wall, cpu = time.monotonic() - started, children_cpu() - cpu
        wheels = [w for w in Path(cache).glob("*.whl") if not w.name.startswith("dlpipe-")]
        return wall, cpu, len(wheels), sum(w.stat().st_size for w in wheels) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO))
    parser.add_argument("--backends", nargs="*", default=["jax"],
                        help="container.backends of the image (default: jax, as the tests' image)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--vs-root", help="another checkout, run in turn with this one")
    args = parser.parse_args()
    roots = {"this": Path(args.root).resolve()}
    if args.vs_root:
        roots["other"] = Path(args.vs_root).resolve()
    seen: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name in roots}
    for run in range(args.runs):
        for name, root in roots.items():
            wall, cpu, count, mb = gather(root, args.backends)
            seen[name].append((wall, cpu, count, mb))
            print(f"run {run + 1} {name}: {count} wheels, {mb:.0f} MB in {wall:.1f} s "
                  f"({cpu:.1f} s CPU)", flush=True)
    for name, runs in seen.items():
        print(f"{name} ({roots[name]}), backends {args.backends or 'none'}: {runs[0][2]} wheels, "
              f"{runs[0][3]:.0f} MB; wall {spread([r[0] for r in runs], 's', 1)}; "
              f"CPU {spread([r[1] for r in runs], 's', 1)}")
    if args.vs_root:
        ratios = [this[0] / other[0] for this, other in zip(seen["this"], seen["other"])]
        print(f"wall, this / other, pair by pair: {spread(ratios, '', 2)}")


if __name__ == "__main__":
    main()
