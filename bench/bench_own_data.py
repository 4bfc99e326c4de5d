"""Your own CSV as a project by params alone: `dlpipe add`, then both front ends, measured.

Builds a CSV with string labels, categorical features, missing values and an ID column from the
mobile price table of the mirror (labels renamed budget/mid/upper/premium, the yes/no columns as
text, 5 % of four columns blanked with a seeded draw, a phone_id column), copies the repository
to two scratch git repos with `projects: [iris]`, runs `dlpipe add phones --file ... --target
price_class --drop phone_id` in each (no other edit), then `snakemake` in one and `dvc repro` in
the other, at once (one core each). Prints each figure next to its target:

- lines of the section `add` wrote (<= 12)
- identical metrics from both front ends, and a second run of each that does nothing
- the tuned network's CV accuracy against the logistic-regression baseline's (within 1 point or
  above)
- the content checksum of the CSV computed in two separate processes (equal)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from _common import MIRROR, PYTHON, env, scratch_repo, verdict

CSV = "data/external/phones.csv"
YES_NO = ("blue", "dual_sim", "four_g", "three_g", "touch_screen", "wifi")
BLANKED = ("battery_power", "px_height", "mobile_wt", "wifi")
CLASSES = {0: "budget", 1: "mid", 2: "upper", 3: "premium"}


def phones_csv(target: Path, seed: int = 0) -> None:
    """The mobile price table as a user might bring it: text labels and flags, gaps, an ID."""
    frame = pd.read_csv(Path(MIRROR) / "mobile_price.csv")
    frame["price_class"] = frame.pop("price_range").map(CLASSES)
    for column in YES_NO:
        frame[column] = frame[column].map({0: "no", 1: "yes"})
    rng = np.random.default_rng(seed)
    for column in BLANKED:
        frame.loc[rng.random(len(frame)) < 0.05, column] = None
    frame.insert(0, "phone_id", [f"P{k:05d}" for k in range(len(frame))])
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)


def run(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, **kw)


def add_project(repo: Path) -> int:
    """`dlpipe add` and the number of lines it added to params.yaml."""
    before = (repo / "params.yaml").read_text().splitlines()
    done = run([PYTHON, "-m", "dlpipe", "add", "phones", "--file", CSV, "--target",
                "price_class", "--drop", "phone_id"], repo)
    if done.returncode != 0:
        sys.exit(f"dlpipe add failed:\n{done.stderr}")
    after = (repo / "params.yaml").read_text().splitlines()
    assert len(after) - len(before) == 2 + len(after[after.index("phones:"):])  # + projects, blank
    return len(after[after.index("phones:"):])  # the section, from its `phones:` line


def results(repo: Path) -> pd.DataFrame:
    summary = pd.read_csv(repo / "reports/summary.csv")
    return summary[~summary["metric"].str.endswith("_seconds")].reset_index(drop=True)


def checksum_in_a_process(repo: Path) -> str:
    code = ("import sys; from dlpipe import datasets, io; from dlpipe.params import load_params;"
            "p = load_params('params.yaml'); "
            "print(io.frame_sha256(datasets.read_table('phones', p.project('phones').data)))")
    return run([PYTHON, "-c", code], repo, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=None, help="scratch directory (default: /tmp)")
    args = parser.parse_args()
    root = Path(args.workdir or f"/tmp/dlpipe_own_data_{int(time.time())}")
    smk, dvc = root / "smk", root / "dvc"
    for repo in (smk, dvc):
        repo.mkdir(parents=True)
        scratch_repo(repo, lambda root: phones_csv(root / CSV))
    lines = [add_project(repo) for repo in (smk, dvc)][0]
    started = time.perf_counter()
    runs = [subprocess.Popen(command, cwd=cwd, env=env(), stdout=open(cwd / "run.log", "w"),
                             stderr=subprocess.STDOUT)
            for command, cwd in ((["snakemake", "--cores", "1"], smk), (["dvc", "repro"], dvc))]
    codes = [process.wait() for process in runs]
    seconds = time.perf_counter() - started
    if any(codes):
        sys.exit(f"a front end failed ({codes}); see {smk}/run.log and {dvc}/run.log")
    same = results(smk).equals(results(dvc))
    again_smk = "Nothing to be done" in run(["snakemake", "-n", "--cores", "1"], smk).stdout
    again_dvc = "up to date" in run(["dvc", "repro"], dvc).stdout
    summary = results(smk)
    cv = summary[(summary["project"] == "phones") & (summary["split"] == "cv")
                 & (summary["metric"] == "accuracy")].set_index("model")["value"]
    network = cv.drop("logistic_regression").max()
    baseline = cv["logistic_regression"]
    sums = {checksum_in_a_process(smk), checksum_in_a_process(smk)}
    print(f"scratch repos: {smk} {dvc}; both front ends at once: {seconds:.0f} s")
    print(f"section written by add:        {lines} lines (target <= 12)  {verdict(lines <= 12)}")
    print(f"identical metrics (smk vs dvc): {same}  {verdict(same)}")
    print(f"second run does nothing:        snakemake {again_smk}, dvc {again_dvc}  "
          f"{verdict(again_smk and again_dvc)}")
    print(f"CV accuracy, tuned network:     {network:.4f}")
    print(f"CV accuracy, logistic baseline: {baseline:.4f}  (network - baseline "
          f"{100 * (network - baseline):+.2f} points, target >= -1)  "
          f"{verdict(network >= baseline - 0.01)}")
    print(f"checksum in two processes:      {' == '.join(sums) if len(sums) == 1 else sums}  "
          f"{verdict(len(sums) == 1)}")
    print(json.dumps({"per_class": pd.read_csv(smk / "reports/phones/per_class.csv")
                      .to_dict("records")}, indent=None)[:400])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
