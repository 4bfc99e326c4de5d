"""Print the wall time of every stage of the last Snakemake run (from benchmarks/**/*.tsv).

    python bench/stage_timings.py [ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main(root: Path) -> None:
    rows = []
    for tsv in sorted((root / "benchmarks").glob("*/*.tsv")):
        frame = pd.read_csv(tsv, sep="\t")
        rows.append({"project": tsv.parent.name, "stage": tsv.stem, "seconds": frame["s"].iloc[-1],
                     "max_rss_mb": frame["max_rss"].iloc[-1]})
    if not rows:
        raise SystemExit(f"no benchmark files under {root / 'benchmarks'}: run `make run` first")
    table = pd.DataFrame(rows).sort_values(["project", "stage"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"\nsum of stage wall times: {table['seconds'].sum():.0f} s "
          f"({table['seconds'].sum() / 60:.1f} min; stages may overlap on 2 cores)")
    for project, part in table.groupby("project"):
        print(f"  {project}: {part['seconds'].sum():.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
