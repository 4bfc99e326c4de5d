"""The same work through both front ends, from nothing: ``snakemake`` with the default profile
(jobs side by side) against ``dvc repro`` (one stage at a time), plain and under ``dlpipe
preload`` (what ``make repro`` runs), each in its own fresh clone of the repository's HEAD with
``projects`` narrowed to ``--projects``, one after the other.

    python bench/bench_front_ends.py [--projects iris price] [--keep]

Prints the wall times, their ratios, the sum of the Snakemake jobs' own times (their benchmark
files: plain DVC costs about that sum) and how many non-time rows of the two DVC runs'
``reports/summary.csv`` differ. Data come from the offline mirror (``DLPIPE_DATA_MIRROR``); the
clones are removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from _common import MIRROR, REPO
from compare_summary import differing
from stage_timings import job_times


def clone(where: Path, projects: list[str]) -> Path:
    """A clone of HEAD at ``where`` whose params enable ``projects`` only, using this venv."""
    subprocess.run(["git", "clone", "-q", str(REPO), str(where)], check=True)
    params = where / "params.yaml"
    text = params.read_text()
    start = text.index("projects:")
    end = text.index("\ndefaults:")
    params.write_text(text[:start] + "projects: " + yaml.safe_dump(projects, default_flow_style=True)
                      .strip() + text[end:])
    (where / ".venv").symlink_to(REPO / ".venv")
    return where


def timed(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "DLPIPE_DATA_MIRROR": MIRROR, "PYTHONPATH": str(cwd / "src"),
           "PATH": f"{cwd / '.venv' / 'bin'}:{os.environ['PATH']}"}
    started = time.perf_counter()
    with open(cwd / "front_end.out", "w") as out:
        subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", nargs="+", default=["iris", "price"])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="front_ends_"))
    try:
        smk = timed(["snakemake", "--workflow-profile", "profiles/default", "--cores", "2"],
                    clone(base / "snakemake", args.projects))
        walls = {}
        for name, command in (("dvc", ["dvc", "repro"]),
                              ("preload", ["python", "-m", "dlpipe", "preload", "--", "dvc",
                                           "repro"])):
            root = clone(base / name, args.projects)
            (root / "dvc.lock").unlink(missing_ok=True)  # every stage runs, as Snakemake's did
            walls[name] = timed(command, root)
        jobs = job_times(base / "snakemake")["seconds"].sum()
        compared, rows = differing(*(pd.read_csv(base / name / "reports/summary.csv")
                                     for name in ("dvc", "preload")))
        dvc, preload = walls["dvc"], walls["preload"]
        print(f"projects {' '.join(args.projects)}, from nothing, one run each")
        print(f"snakemake (2 cores, profiles/default): {smk:.0f} s; its jobs' own times: "
              f"{jobs:.0f} s")
        print(f"dvc repro (one stage at a time):       {dvc:.0f} s ({dvc / smk:.2f}x Snakemake's)")
        print(f"dlpipe preload -- dvc repro:           {preload:.0f} s ({preload / dvc:.2f}x "
              f"plain dvc repro's, {preload / smk:.2f}x Snakemake's)")
        print(f"the two DVC runs' summaries: {len(rows)} of {compared} non-time rows differ")
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
