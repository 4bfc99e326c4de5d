"""Print the wall time of every stage of the last Snakemake run (its benchmark files: one per job,
named as the Snakemake front end names them from the stage table, benchmarks/<project>/<job>.tsv).

    python bench/stage_timings.py [ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import _common  # noqa: E402,F401  (it puts src/ on the path)
from dlpipe.pipeline import jobs  # noqa: E402
from dlpipe.pipeline import snakemake as adapter  # noqa: E402
from dlpipe.pipeline.table import STAGES  # noqa: E402


def benchmark_files(root: Path) -> list[Path]:
    """Every job's benchmark file present under ``root`` (any project, any tuning worker)."""
    return [tsv for stage in STAGES
            for tsv in root.glob(jobs.fill(adapter.benchmark(stage),
                                           {"project": "*", "worker": "*"}))]


def job_times(root: Path) -> pd.DataFrame:
    """project, stage, seconds and max_rss_mb of every job's last run under ``root``."""
    rows = []
    for tsv in sorted(benchmark_files(root)):
        frame = pd.read_csv(tsv, sep="\t")
        rows.append({"project": tsv.parent.name, "stage": tsv.stem, "seconds": frame["s"].iloc[-1],
                     "max_rss_mb": frame["max_rss"].iloc[-1]})
    if not rows:
        raise SystemExit(f"no benchmark files under {root / 'benchmarks'}: run `make run` first")
    return pd.DataFrame(rows).sort_values(["project", "stage"])


def main(root: Path) -> None:
    table = job_times(root)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"\nsum of stage wall times: {table['seconds'].sum():.0f} s "
          f"({table['seconds'].sum() / 60:.1f} min; stages may overlap on 2 cores)")
    for project, part in table.groupby("project"):
        print(f"  {project}: {part['seconds'].sum():.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
