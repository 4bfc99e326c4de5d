"""What starting and ending a stage's process costs around its node: for every stage of the
stage table, a fresh interpreter imports what ``python -m dlpipe <stage>`` imports (the CLI's run
command, the runner and the stage's node module), timed, and lists the heavy packages that
came with it; ``python -m dlpipe --help`` and the serve command's module beside them. Then the
end: whole processes that import Keras (as a network stage does), or the runner and a stage's
node module, and exit the interpreter's usual way or as ``python -m dlpipe`` does
(``dlpipe.cli.ending.end_process``), taking turns.

    python bench/bench_starts.py [--repeats 3]

The import phase only: reading a network input (a ``.keras`` file) loads Keras later, in the
runner, so a stage whose inputs hold a network pays TensorFlow's import even when its node
module does not bring it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

HEAVY = ("tensorflow", "keras", "torch", "jax", "optuna", "matplotlib", "shap", "sklearn",
         "pandas", "scipy")
PROBE = """
import json, sys, time
started = time.perf_counter()
import dlpipe.cli.run, dlpipe.pipeline.runner
{imports}
print(json.dumps({{"seconds": time.perf_counter() - started,
                  "heavy": [p for p in {heavy!r} if p in sys.modules]}}))
"""


def probe(imports: str) -> dict:
    code = PROBE.format(imports=imports, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from dlpipe.pipeline.table import STAGES

    modules = {stage.name: stage.node.partition(":")[0] for stage in STAGES}
    modules["serve (cli)"] = "dlpipe.cli.serve"
    print(f"{'stage':14s} {'import s (min-max)':>22s}  heavy packages imported")
    for name, module in modules.items():
        runs = [probe(f"import {module}") for _ in range(args.repeats)]
        seconds = [r["seconds"] for r in runs]
        print(f"{name:14s} {np.median(seconds):8.2f} ({min(seconds):.2f}-{max(seconds):.2f})"
              f"  {' '.join(runs[0]['heavy']) or '-'}")
    helps = [wall([sys.executable, "-m", "dlpipe", "--help"]) for _ in range(args.repeats)]
    print(f"{'dlpipe --help':14s} {np.median(helps):8.2f} ({min(helps):.2f}-{max(helps):.2f})"
          "  (whole process)")
    print(f"\n{'process end':30s} {'usual exit s':>20s} {'end_process s':>20s} {'saved s':>18s}")
    for name, imports in (("keras (a network's node)", "import keras"),
                          ("the runner and select", "import dlpipe.cli.run, "
                           "dlpipe.pipeline.runner, dlpipe.stages.select"),
                          ("the runner and explain", "import dlpipe.cli.run, "
                           "dlpipe.pipeline.runner, dlpipe.stages.explain")):
        usual, quick = [], []
        for _ in range(args.repeats + 2):  # in turns, so a drift in the machine hits both
            usual.append(wall([sys.executable, "-c", f"{imports}\nraise SystemExit(0)"]))
            quick.append(wall([sys.executable, "-c", f"{imports}\nfrom dlpipe.cli.ending import "
                                                     "end_process\nend_process(0)"]))
        saved = np.subtract(usual, quick)
        print(f"{name:30s} {spread(usual):>20s} {spread(quick):>20s} {spread(saved):>18s}")


def spread(values: list[float]) -> str:
    return f"{np.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    main()
