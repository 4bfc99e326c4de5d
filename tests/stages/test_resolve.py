"""resolve: the project's section merged over defaults, and each stage's own params file: the
values of the keys it reads and its code digest, the files DVC tracks."""

from __future__ import annotations

from dlpipe.params import parse_params
from dlpipe.stages.resolve import PROJECT_FILE, resolve


def _written(raw_params, keys: dict[str, list[str]]) -> dict:
    params = parse_params(raw_params)
    digests = {"code": {name: f"{name:0<12}"[:12] for name in keys}, "keys": keys}
    return resolve(section=params.project("iris"), seed=params.seed, digests=digests)["params"]


def test_the_project_file_holds_inherited_and_stated_values(raw_params):
    raw_params["defaults"]["cv"]["folds"] = 4
    project = _written(raw_params, {})[PROJECT_FILE]
    assert project.pop("seed") == raw_params["seed"]  # a top-level key the stages read
    assert project["cv"]["folds"] == 4  # inherited from defaults
    assert project["tune"]["n_trials"] == raw_params["iris"]["tune"]["n_trials"]  # its own
    assert parse_params({**raw_params, "iris": project}).project("iris") == \
        parse_params(raw_params).project("iris")


def test_a_stage_file_holds_exactly_its_keys_nested_and_its_digest(raw_params):
    raw_params["defaults"]["cv"]["folds"] = 4
    written = _written(raw_params, {"train": ["seed", "cv", "data.target"],
                                    "binary": ["seed", "tasks.binary"]})
    assert written["train.json"] == {"seed": raw_params["seed"], "cv": written[PROJECT_FILE]["cv"],
                                     "data": {"target": written[PROJECT_FILE]["data"]["target"]},
                                     "code": "train0000000"}
    assert written["train.json"]["cv"]["folds"] == 4
    # a key DVC can read although the task is off
    assert written["binary.json"] == {"seed": raw_params["seed"], "tasks": {"binary": None},
                                      "code": "binary000000"}
