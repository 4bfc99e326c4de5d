"""Print the wall time of every stage of the last Snakemake run (its benchmark files: one per job,
named as the Snakemake front end names them from the stage table, benchmarks/<project>/<job>.tsv),
and how busy the cores were: from each job's log (its start and done lines, to the second), the
seconds each number of jobs ran side by side and the core-seconds left idle.

    python bench/stage_timings.py [ROOT] [--cores 2]
"""

from __future__ import annotations

import argparse
import datetime
import re
from collections import Counter
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


def logged_peak(log: Path) -> float:
    """The peak memory (MB) the job's log gives on its done line; NaN if it gives none. Exact,
    where the benchmark's max_rss samples every 30 s after a job's first 15 s."""
    found = PEAK.findall(log.read_text(errors="replace")) if log.is_file() else []
    return float(found[-1]) if found else float("nan")


PEAK = re.compile(r": done in [\d.]+ s \(peak memory (\d+) MB\)")


def job_times(root: Path) -> pd.DataFrame:
    """project, stage, seconds, max_rss_mb (sampled) and peak_mb (from the log) of every
    job's last run under ``root``."""
    rows = []
    for tsv in sorted(benchmark_files(root)):
        frame = pd.read_csv(tsv, sep="\t")
        log = root / "logs" / tsv.parent.name / f"{tsv.stem}.log"
        rows.append({"project": tsv.parent.name, "stage": tsv.stem, "seconds": frame["s"].iloc[-1],
                     "max_rss_mb": frame["max_rss"].iloc[-1], "peak_mb": logged_peak(log)})
    if not rows:
        raise SystemExit(f"no benchmark files under {root / 'benchmarks'}: run `make run` first")
    return pd.DataFrame(rows).sort_values(["project", "stage"])


# a job's first and last line in its log (logs/<project>/<job>.log), as the runner writes them
LOG_LINE = re.compile(r"(\d\d:\d\d:\d\d) INFO dlpipe: python -m dlpipe .*: (start|done in)")


def job_spans(root: Path) -> list[tuple[int, int]]:
    """(start, end) of every job whose log holds both lines, in seconds from the first start
    (a run that passes midnight counts on)."""
    spans = []
    for log in sorted(root.glob("logs/*/*.log")):
        found = {}
        for line in log.read_text(errors="replace").splitlines():
            match = LOG_LINE.match(line)
            if match:
                found[match.group(2)] = datetime.datetime.strptime(match.group(1), "%H:%M:%S")
        if len(found) == 2:
            spans.append((found["start"], found["done in"]))
    if not spans:
        return []
    first = run_start(sorted({_of_day(start) for start, _ in spans}))
    seconds = [((_of_day(s) - first) % 86400, (_of_day(e) - first) % 86400) for s, e in spans]
    return [(s, max(s, e)) for s, e in seconds]


def _of_day(moment: datetime.datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def run_start(starts: list[int]) -> int:
    """The first job's start (seconds of the day) among ``starts`` (sorted, the logs carry no
    date): the one after the longest gap on the 24-hour clock, so that a run over midnight
    begins before it."""
    gaps = [(later - earlier) % 86400 for earlier, later in zip([starts[-1], *starts], starts)]
    return starts[max(range(len(starts)), key=lambda k: gaps[k] or 86400)]


def busy(spans: list[tuple[int, int]], cores: int) -> None:
    """Print how many seconds each number of jobs ran side by side, and the idle core-seconds."""
    end = max(e for _, e in spans)
    running = [0] * (end + 1)
    for start, stop in spans:
        for second in range(start, stop):
            running[second] += 1
    counts = Counter(min(n, cores) for n in running[:end])
    idle = sum(max(0, cores - n) for n in running[:end])
    print(f"\nfrom the jobs' logs: {len(spans)} jobs over {end} s; seconds with "
          + ", ".join(f"{n} running: {counts[n]}" for n in range(cores + 1))
          + f"; idle core-seconds {idle} ({idle / (cores * end):.0%} of {cores} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path("."))
    parser.add_argument("--cores", type=int, default=2, help="the cores the run had")
    args = parser.parse_args()
    table = job_times(args.root)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"\nsum of stage wall times: {table['seconds'].sum():.0f} s "
          f"({table['seconds'].sum() / 60:.1f} min; stages may overlap on {args.cores} cores)")
    for project, part in table.groupby("project"):
        print(f"  {project}: {part['seconds'].sum():.0f} s")
    spans = job_spans(args.root)
    if spans:
        busy(spans, args.cores)


if __name__ == "__main__":
    main()
