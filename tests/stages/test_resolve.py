"""resolve: the project's section merged over defaults, as the file DVC reads params keys from."""

from __future__ import annotations

from dlpipe.params import parse_params
from dlpipe.stages.resolve import resolve


def test_the_project_params_hold_inherited_and_stated_values(raw_params):
    raw_params["defaults"]["cv"]["folds"] = 4
    params = parse_params(raw_params)
    digests = {"train": "0123456789ab"}
    written = resolve(section=params.project("iris"), seed=params.seed,
                      digests=digests)["params"]
    assert written.pop("seed") == raw_params["seed"]  # a top-level key the stages read
    assert written.pop("code") == digests  # what each stage's code digest is
    assert written["cv"]["folds"] == 4  # inherited from defaults
    assert written["tune"]["n_trials"] == raw_params["iris"]["tune"]["n_trials"]  # its own
    assert written["tasks"]["binary"] is None  # a key DVC can read although the task is off
    assert parse_params({**raw_params, "iris": written}).project("iris") == params.project("iris")
