"""``retrain --when-needed``: the latest rows the served model answered drift, or their accuracy
(measured on those labelled, else estimated from the model's confidence) is below the
trigger's; otherwise no retraining, said with what was checked."""

from __future__ import annotations

import pandas as pd

from dlpipe.bundle.inference import load_bundle
from dlpipe.cli import main
from dlpipe.insight.drift import load_reference
from dlpipe.params import load_params
from dlpipe.params.retrain import TriggerParams
from dlpipe.retraining.trigger import reasons
from pets import PROJECT

LOG = f"data/served/{PROJECT}"


def check(repo, on_drift=True, accuracy_below=None):
    params = load_params("params.yaml")
    return reasons(load_bundle(PROJECT, repo), load_reference(PROJECT, repo), repo / LOG, 1000,
                   TriggerParams(on_drift=on_drift, accuracy_below=accuracy_below),
                   params.project(PROJECT).drift, 5)


def test_rows_like_the_training_rows_need_no_retraining(repo, capsys):
    why, fine = check(repo)
    assert why == [] and "drift in the latest 60 served rows: none" in fine[0]
    assert main(["retrain", PROJECT, "--when-needed"]) == 3
    assert "pets: no retraining needed" in capsys.readouterr().out


def test_drifted_rows_call_for_retraining(repo):
    moved = pd.read_csv("served.csv").assign(size=lambda f: f["size"] + 10)
    moved.to_csv("moved.csv", index=False)
    assert main(["predict", PROJECT, "--input", "moved.csv", "--output", "o.csv", "--ignore",
                 "id", "--log"]) == 0
    why, _ = check(repo)
    assert why == ["drift in the latest 120 served rows: found (alpha 0.05)"]


def test_accuracy_is_measured_on_labels_else_estimated(repo):
    why, fine = check(repo, on_drift=False, accuracy_below=0.999)
    assert "60 served rows estimated from the model's confidence" in (why + fine)[0]
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 0
    right = (pd.read_csv("out.csv")["label"] == pd.read_csv("labels.csv")["label"]).mean()
    measured, _ = check(repo, on_drift=False, accuracy_below=0.999)
    assert measured == [f"accuracy of the latest 60 served rows measured on 60 labelled: "
                        f"{right:.3f} (trigger below 0.999)"]
    why, fine = check(repo, on_drift=False, accuracy_below=0.01)
    assert why == [] and "measured on 60 labelled" in fine[0]
