"""Helpers shared by the tests: the repo root, the data mirror, tiny params, feature params."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import yaml
from sklearn.model_selection import StratifiedKFold

SPLIT = StratifiedKFold.split  # the real split, kept before a test's spy replaces it

ROOT = Path(__file__).resolve().parents[1]
# absolute: the tests hand it to commands that run in other directories
SHARED_DATA = Path(os.environ.get("DLPIPE_DATA_MIRROR",
                                  ROOT.parent / "shared" / "data")).resolve()
# For a local Snakemake: its SLURM executor plugin probes the controller (`scontrol show config`)
# when it loads and waits ~10 s where a SLURM client is configured but no controller runs (as
# before and after the SLURM tests, which may run beside these).
LOCAL = {"SLURM_CONF": "/dev/null"}


def repo_params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def serve_limits(**limits):
    """ServeParams with ``limits`` and the repo's monitor section (its log under the caller's
    root, wherever that is)."""
    from dlpipe.params import ServeParams

    serve = repo_params()["serve"]
    return ServeParams.model_validate({
        "host": "127.0.0.1", "port": 8080, "monitor": serve["monitor"],
        "inline_body_bytes": serve["inline_body_bytes"],
        "challenger": serve["challenger"], **limits})


def feature_params(**overrides):
    """The repo's default feature params (``defaults.features``) with ``overrides``."""
    from dlpipe.params import FeatureParams

    return FeatureParams(**{**repo_params()["defaults"]["features"], **overrides})


def decision_params(**overrides):
    """The repo's default two-class decision (``defaults.decision``) with ``overrides``."""
    from dlpipe.params import DecisionParams

    return DecisionParams(**{**repo_params()["defaults"]["decision"], **overrides})


def train_bundle(train_part, test_part, features, target: str, project: str, seed: int = 0,
                 **model) -> dict:
    """The bundle the real preprocess and train nodes make of ``train_part`` (label column
    ``target``, as the data names it): the repo's default network changed by ``model``, 2-fold
    CV on accuracy, the default two-class decision."""
    from dlpipe.params import CVParams, KerasModel
    from dlpipe.stages.preprocess import preprocess
    from dlpipe.stages.train import train

    prepared = preprocess(train_part, test_part, features)
    spec = {**repo_params()["defaults"]["model"], **model}
    return train(train_part, prepared["train"], prepared["transformer"], prepared["names"],
                 {"model": KerasModel.model_validate(spec).model_dump()}, seed=seed,
                 features=features, cv=CVParams(folds=2, method="shuffled",
                                                max_rows=None, metrics=["accuracy"]),
                 decision=decision_params(), target=target, project=project)["bundle"]


TINY_TREES = {"max_iter": {"type": "int", "low": 10, "high": 30, "step": 1, "log": False},
              # tests' tables have tens of rows: scikit-learn's 20 rows per leaf would be a stump
              "min_samples_leaf": {"type": "int", "low": 2, "high": 5, "step": 1, "log": False},
              "learning_rate": {"type": "float", "low": 0.1, "high": 0.3, "log": True,
                                "grid": [0.1, 0.3]}}


def tiny(raw: dict) -> dict:
    """The repo's params shrunk for tests: few rows, 2 folds, 2 trials, 2 epochs, a few
    small trees, small explanations and audits."""
    raw = copy.deepcopy(raw)
    for project in raw["projects"]:
        section = raw[project]
        # a project states what differs from `defaults:`: the overrides are merged over them
        if project == "mnist":
            section.setdefault("split", {}).update(method="stratified", test_size=0.2,
                                                   max_rows=400)
        elif project in ("price", "sentiment", "digits"):  # the README tour's digits: 1797 images
            section.setdefault("split", {})["max_rows"] = 400
        section.setdefault("cv", {})["folds"] = 2
        section.setdefault("tune", {}).update(n_trials=2, max_rows=None, timeout=None)
        section.setdefault("model", {}).update(epochs=2, patience=1, verbose=0)
        section.setdefault("explain", {}).update(repeats=2, shap_rows=5, background_rows=10,
                                                 shap_permutations=2, image_rows=2, examples=2)
        section.setdefault("audit", {})["bootstrap"] = 20
        if section.get("gbdt", {}) is not None:  # null: the project trains no trees
            section["gbdt"] = {**section.get("gbdt", {}), "n_trials": 2, "timeout": None,
                               "search_space": TINY_TREES}
        if section.get("tasks"):
            section["tasks"] = tiny_study(section["tasks"])
    return raw


def tiny_study(tasks: dict) -> dict:
    """The MNIST tasks shrunk: small forests, 2 tuning trials, 2 MLP epochs."""
    tasks = copy.deepcopy(tasks)
    for task in ("binary", "multiclass"):
        for spec in tasks[task]["models"].values():
            if spec["kind"] == "random_forest":
                spec["n_estimators"] = 20
            if spec.get("tune"):
                spec["tune"].update(n_trials=2, rows=200, folds=2)
    tasks["mlp"].update(epochs=2, patience=1, verbose=0)
    return tasks


def copy_tracked_files(where: Path) -> None:
    """Copy the repository's tracked (and untracked, not ignored) files to ``where``; the
    results of the real run (reports/, dvc.lock) stay behind: a run there makes its own."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file() and not name.startswith("reports/") and name != "dvc.lock":
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, where / name)


def wait_for(condition: Callable[[], bool], seconds: float,
             process: subprocess.Popen | None = None, said: Callable[[], str] = str,
             every: float = 0.1) -> None:
    """Return once ``condition()`` holds; fail, with ``said()`` (a log's tail, say), if
    ``process`` ends or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert process is None or process.poll() is None, f"the process ended: {said()}"
        assert time.monotonic() < deadline, f"not within {seconds} s: {said()}"
        time.sleep(every)


def stand_in(program: str) -> subprocess.Popen:
    """A sleeping process whose command line names ``program`` (as a running Snakemake's or
    DVC's does), returned once it has exec'd."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", program])
    command = Path(f"/proc/{proc.pid}/cmdline")
    wait_for(lambda: program.encode() in command.read_bytes(), 10, proc, lambda: program,
             every=0.01)
    return proc


def networks_folds(train: pd.DataFrame, folds: int, seed: int) -> list[tuple[int, ...]]:
    """The validation rows of the folds the network's cross_validate splits ``train`` into."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [tuple(v) for _, v in SPLIT(splitter, train, train["target"].cat.codes)]


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def same_proba(got, expected) -> bool:
    """Whether a server's probabilities are the bundle's: the same shape, each within the
    compiled predictor's tolerance (the server predicts through it, NumPy's sums in place of
    TensorFlow's)."""
    import numpy as np

    from dlpipe.bundle.compiled import TOLERANCE

    got, expected = np.asarray(got), np.asarray(expected)
    return got.shape == expected.shape and float(np.max(np.abs(got - expected),
                                                       initial=0.0)) <= TOLERANCE


def keras_loaded(project: str, root):
    """The bundle of ``project`` under ``root`` with its network loaded by Keras, the reference
    a NumPy pass is held to (``load_bundle`` reads an MLP with stored answers without it)."""
    import dataclasses

    from dlpipe.bundle.inference import bundle_dir, load_bundle
    from dlpipe.models.network import load_network

    bundle = load_bundle(project, root)
    return dataclasses.replace(bundle, model=load_network(str(bundle_dir(project, root)
                                                              / "model.keras")))


def v2_inputs(bundle, frame) -> list[dict]:
    """One V2 tensor per feature column of ``frame``."""
    import pandas as pd

    types = {c["name"]: c["datatype"] for c in columns_metadata(bundle)}
    return [{"name": name, "shape": [len(frame)], "datatype": types[name],
             "data": [None if pd.isna(v) else v for v in frame[name].tolist()]}
            for name in types]


def columns_metadata(bundle) -> list[dict]:
    """The V2 metadata's inputs of ``bundle``."""
    from dlpipe.serving.protocols import v2_metadata

    return v2_metadata("p", bundle)["inputs"]
