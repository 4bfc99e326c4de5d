"""Which numbers of ``reports/summary.csv`` another machine reproduces: rows that differ (time
columns left out), by project and task, with the largest absolute difference.

    .venv/bin/python bench/compare_summary.py OTHER.csv [MINE.csv]

MINE defaults to the committed ``reports/summary.csv``; compare files of one commit.
"""

from __future__ import annotations

import sys

import pandas as pd

KEY = ["project", "task", "model", "split", "metric"]


def differing(mine: pd.DataFrame, other: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    both = mine.merge(other, on=KEY, suffixes=("_mine", "_other"))
    both = both[~both["metric"].str.endswith("_seconds")]
    same = (both["value_mine"] == both["value_other"]) | (
        both["value_mine"].isna() & both["value_other"].isna())
    rows = both[~same]
    # computed on the differing rows alone: a Series assigned to an empty frame would add its rows
    return len(both), rows.assign(diff=(rows["value_mine"] - rows["value_other"]).abs())


def main(argv: list[str]) -> int:
    other = pd.read_csv(argv[0])
    mine = pd.read_csv(argv[1] if len(argv) > 1 else "reports/summary.csv")
    total, rows = differing(mine, other)
    print(f"{len(rows)} of {total} non-time rows differ")
    if len(rows):
        print(rows.groupby(["project", "task"])["diff"].agg(rows="count", largest="max")
              .to_string())
        accuracy = rows[(rows["metric"] == "accuracy") & rows["split"].isin(["cv", "test"])]
        print(accuracy[KEY + ["value_mine", "value_other"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
