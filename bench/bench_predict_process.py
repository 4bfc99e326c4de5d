"""``dlpipe predict`` as a user runs it: a whole process that loads a project's bundle and
predicts a few rows of its test part, this code against another checkout's (``--vs-src``),
taking turns. Reads a finished run's bundles under ``--root`` (default the repository) and
writes only to a temporary directory. Each code's predictions must be the same in every run;
the two codes' labels must be equal, and the largest difference of their probabilities (or
values) is printed (an MLP read without Keras sums in NumPy's order, not TensorFlow's).

    .venv/bin/python bench/bench_predict_process.py --vs-src OTHER/src [--root RUN]
        [--projects iris price] [--rows 5] [--repeats 7]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

import _common
from _common import PYTHON, env, paired


def predict(root: Path, project: str, src: str, rows: Path, out: Path) -> dict:
    """One ``python -m dlpipe predict`` process with ``src`` first on the path: its wall and
    CPU seconds, its peak RSS and a digest of what it wrote."""
    with tempfile.TemporaryFile("w+") as errors:  # not a pipe: unread, it could fill and stop it
        started = time.perf_counter()
        child = subprocess.Popen([PYTHON, "-m", "dlpipe", "predict", project, "--input",
                                  str(rows), "--output", str(out)], cwd=root,
                                 env={**env(), "PYTHONPATH": src}, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"dlpipe predict {project} failed:\n{errors.read()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "digest": hashlib.sha256(out.read_bytes()).hexdigest(),
            "table": pd.read_csv(out)}


def main() -> None:
    args, root, codes = _common.two_checkouts_args(__doc__)
    scratch = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    for project in args.projects:
        test = pd.read_parquet(root / f"data/interim/{project}/test.parquet")
        rows = scratch / f"{project}.csv"
        test.drop(columns="target").head(args.rows).to_csv(rows, index=False)
        seen: dict[str, list[dict]] = {code: [] for code in codes}
        digests: dict[str, set] = {code: set() for code in codes}
        tables = {}
        for _ in range(args.repeats):
            for code, src in codes.items():  # in turns, so a drift in the machine hits both
                run = predict(root, project, src, rows, scratch / f"{project}-out.csv")
                digests[code].add(run.pop("digest"))
                tables[code] = run.pop("table")
                seen[code].append(run)
        print(f"{project}: dlpipe predict on {args.rows} rows, {args.repeats} runs each in turn")
        ours, theirs = seen["this code"], seen["--vs-src"]
        for key, unit in (("wall", "s"), ("cpu", "s"), ("rss", "MiB")):
            print(f"  {key:4s} {paired(ours, theirs, key, unit)}")
        steady = all(len(d) == 1 for d in digests.values())
        print(f"  predictions: {'each code the same in every run' if steady else 'DIFFER'}")
        new, old = tables["this code"], tables["--vs-src"]
        labels = "label" not in new or new["label"].equals(old["label"])
        numbers = [c for c in new.columns if c.startswith("proba_") or c == "value"]
        largest = float((new[numbers] - old[numbers]).abs().to_numpy().max())
        print(f"  against --vs-src: labels {'equal' if labels else 'DIFFER'}, "
              f"max |difference| {largest:.2g}")
        if not steady or not labels:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
