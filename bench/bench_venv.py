"""`make venv` from nothing: the checkout's own recipe into a fresh directory, with an empty uv
cache as on a new machine (pip's cache as this machine has it), its wall and CPU seconds against
the three-minute target, then the first and a second import of the heavy libraries in the new
venv (the first compiles what was not compiled at install). With --vs-root, each run takes turns
with another checkout's recipe (the anchor: the code before, say), and the wall ratios of the
pairs close the output.

    python bench/bench_venv.py [--root CHECKOUT] [--runs 1] [--machine-cache] [--vs-root OTHER]

Nothing of the checkout's own .venv is touched: each run builds VENV=<temporary>/.venv and
removes it, with its uv cache unless --machine-cache keeps the machine's own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import children_cpu, spread

TARGET_S = 180.0
HEAVY = "import tensorflow, keras, torch, jax, sklearn, pandas, pyarrow, snakemake, dvc.repo"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None
          ) -> tuple[float, float]:
    """``command``'s wall and CPU seconds (its children included); it must succeed."""
    cpu, started = children_cpu(), time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall, children_cpu() - cpu


def one_run(root: Path, machine_cache: bool) -> float:
    """One ``make venv`` of ``root`` and two imports in it, printed; its wall seconds."""
    where = Path(tempfile.mkdtemp(prefix="dlpipe-venv-"))
    try:
        venv = where / ".venv"
        env = dict(os.environ) if machine_cache else {**os.environ,
                                                      "UV_CACHE_DIR": str(where / "uv-cache")}
        made, cpu = timed(["make", "--no-print-directory", "venv", f"VENV={venv}"], root, env)
        cache = "the machine's uv cache" if machine_cache else "an empty uv cache"
        print(f"make venv of {root} ({cache}): {made:6.1f} s wall, {cpu:6.1f} s CPU "
              f"(target <= {TARGET_S:.0f} s wall)")
        python = str(venv / "bin" / "python")
        for which in ("first", "second"):
            wall, cpu = timed([python, "-c", HEAVY], root)
            print(f"  {which} import of the heavy libraries: {wall:5.1f} s wall, {cpu:5.1f} s CPU")
        return made
    finally:
        shutil.rmtree(where, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--machine-cache", action="store_true",
                        help="install from the machine's uv cache, not an empty one")
    parser.add_argument("--vs-root", type=Path, default=None,
                        help="another checkout whose make venv takes turns with this one's")
    args = parser.parse_args()
    ratios = []
    for _ in range(args.runs):
        wall = one_run(args.root.resolve(), args.machine_cache)
        if args.vs_root:
            ratios.append(wall / one_run(args.vs_root.resolve(), args.machine_cache))
    if ratios:
        print(f"wall, {args.root} / {args.vs_root}: {spread(ratios, 'x', 3)}")


if __name__ == "__main__":
    main()
