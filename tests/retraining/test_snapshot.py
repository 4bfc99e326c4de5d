"""The working copy's state kept aside during a retraining: put back exactly (bytes and times),
paths that did not exist removed, and a copy left by an interrupted retraining refused until it
is restored."""

from __future__ import annotations

import os

import pytest

from dlpipe.errors import DataError
from dlpipe.retraining import snapshot


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "models/shop").mkdir(parents=True)
    (tmp_path / "models/shop/model.keras").write_bytes(b"old model")
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    os.utime(tmp_path / "params.yaml", (1_000_000, 1_000_000))
    return tmp_path


def change(repo):
    (repo / "models/shop/model.keras").write_bytes(b"new model")
    (repo / "models/shop/extra.json").write_text("{}")
    (repo / "params.yaml").write_text("seed: 2\n")
    (repo / "data/retrain").mkdir(parents=True)
    (repo / "data/retrain/shop.csv").write_text("a,b\n")


def test_restore_puts_every_path_back_as_it_was(repo):
    kept = snapshot.take(repo, "shop", ["models/shop", "params.yaml", "data/retrain/shop.csv"])
    assert kept.absent == ["data/retrain/shop.csv"]
    change(repo)
    snapshot.restore(kept)
    assert (repo / "models/shop/model.keras").read_bytes() == b"old model"
    assert not (repo / "models/shop/extra.json").exists()
    assert (repo / "params.yaml").read_text() == "seed: 1\n"
    assert (repo / "params.yaml").stat().st_mtime == 1_000_000  # front ends compare times
    assert not (repo / "data/retrain/shop.csv").exists()
    assert not snapshot.place(repo, "shop").exists()


def test_discard_keeps_the_new_state(repo):
    kept = snapshot.take(repo, "shop", ["models/shop", "params.yaml"])
    change(repo)
    snapshot.discard(kept)
    assert (repo / "models/shop/model.keras").read_bytes() == b"new model"
    assert not snapshot.place(repo, "shop").exists()


def test_an_interrupted_retraining_is_refused_until_restored(repo):
    snapshot.take(repo, "shop", ["models/shop", "params.yaml"])
    change(repo)  # ... and the process was killed here
    with pytest.raises(DataError, match="interrupted retraining of shop.*--restore"):
        snapshot.take(repo, "shop", ["params.yaml"])
    snapshot.restore(snapshot.opened(repo, "shop"))
    assert (repo / "params.yaml").read_text() == "seed: 1\n"
    with pytest.raises(DataError, match="no state of an interrupted retraining"):
        snapshot.opened(repo, "shop")


def test_a_copy_cut_short_guarded_nothing_and_is_replaced(repo):
    (snapshot.place(repo, "shop") / "models").mkdir(parents=True)  # no list: never finished
    kept = snapshot.take(repo, "shop", ["params.yaml"])
    assert kept.saved == ["params.yaml"]


def test_one_retraining_at_a_time_in_a_repository(repo):
    with snapshot.only_retraining(repo):
        with pytest.raises(DataError, match=rf"another retraining runs in .* \(process "
                                            rf"{os.getpid()}\): one at a time"):
            with snapshot.only_retraining(repo):
                pass
    with snapshot.only_retraining(repo):  # released when the first one ended
        pass
