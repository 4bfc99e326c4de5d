"""Keras' backend from params: a backend that is missing or cannot load is refused in one line;
on JAX and PyTorch every kind of network trains deterministically and its saved file loads
with TensorFlow (which evaluates, exports and serves it) with the same predictions, and an MLP
without Keras from the answers it stores."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dlpipe.bundle.network_file import read_network
from dlpipe.errors import ParamsError
from dlpipe.models import backends
from dlpipe.params import base, parse_params
from support import ROOT


def test_a_backend_that_is_not_installed_is_refused_naming_its_extra(monkeypatch, raw_params):
    found = base.importlib.util.find_spec
    monkeypatch.setattr(base, "_INSTALLED", set())
    monkeypatch.setattr(base.importlib.util, "find_spec",
                        lambda name: None if name == "jax" else found(name))
    raw_params["iris"].setdefault("model", {})["backend"] = "jax"
    with pytest.raises(ParamsError) as error:
        parse_params(raw_params, source="p.yaml")  # at load, before any job runs
    expected = ("an installed backend (pip install 'dlpipe[jax]' installs jax; dlpipe's image "
                "carries those in container.backends), got 'jax'")
    assert str(error.value) == f"p.yaml: iris.model.backend: expected {expected}"
    with pytest.raises(ParamsError) as error:
        backends.use("jax")  # and by a caller that builds its spec itself
    assert str(error.value) == f"model.backend: expected {expected}"


def test_keras_loaded_with_another_backend_is_not_switched(monkeypatch):
    monkeypatch.setattr(backends, "loaded_backend", lambda: "tensorflow")
    with pytest.raises(ParamsError, match="model.backend: torch, but Keras runs tensorflow in "
                       "this process already"):
        backends.use("torch")
    backends.use("tensorflow")  # the backend it runs is no switch


def test_the_backend_comes_from_params_not_from_the_environment(monkeypatch):
    monkeypatch.setitem(os.environ, "KERAS_BACKEND", "torch")  # a user's shell setting
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setattr(backends, "_chosen", backends.DEFAULT)
    backends.activate()
    assert os.environ["KERAS_BACKEND"] == "tensorflow"
    backends.use("jax")
    assert os.environ["KERAS_BACKEND"] == "jax"


def test_tensorflow_loads_without_jax_unless_jax_is_the_backend():
    """TensorFlow's LiteRT converter imports JAX when it is installed (~0.5 s per process);
    a TensorFlow job goes without, and JAX stays importable."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    pytest.importorskip("dlpipe.models.network")
    assert backends.loaded_backend() == "tensorflow" and "jax" not in sys.modules


def fit_on(backend: str, where, *kinds: str) -> None:
    where.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "backend_workload.py"), backend,
                           str(where), *kinds], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # the job never runs a TensorFlow op, so it never imports TensorFlow (~5 s); nor JAX on
    # PyTorch (~0.6 s: Keras' Orbax callback would)
    assert done.stdout.splitlines()[-1] == f"backend {backend} beside no other backend"


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_every_network_trains_reproducibly_and_loads_with_tensorflow(backend, tmp_path):
    pytest.importorskip(backend)
    network = pytest.importorskip("dlpipe.models.network")
    fit_on(backend, tmp_path / "first")
    if backend == "jax":  # a second process (the DAG tests repeat both backends' runs too)
        fit_on(backend, tmp_path / "second", "mlp")
        first, second = (np.load(tmp_path / run / "mlp.weights.npz")
                         for run in ("first", "second"))
        assert all(np.array_equal(first[k], second[k]) for k in first)
    for kind in ("mlp", "value", "cnn", "transformer"):
        run = tmp_path / "first"
        loaded = network.load_network(str(run / f"{kind}.keras"))
        assert network.keras.backend.backend() == "tensorflow"
        predicted = np.asarray(loaded.predict(np.load(run / f"{kind}.X.npy"), verbose=0))
        np.testing.assert_allclose(predicted, np.load(run / f"{kind}.predicted.npy"),
                                   atol=1e-5, rtol=1e-5, err_msg=kind)
        answers = json.loads((run / f"{kind}.answers.json").read_text())
        if kind in ("cnn", "transformer"):  # no NumPy pass: no answers, Keras loads it
            assert answers is None
            continue
        # an MLP trained on this backend is read without Keras, held to the answers it stored
        from_file = read_network(run / f"{kind}.keras", answers)
        np.testing.assert_allclose(from_file(np.load(run / f"{kind}.X.npy")), predicted,
                                   atol=1e-5, rtol=1e-5, err_msg=kind)
    # a job that loads the network (evaluate, export, serve) imports no other backend
    code = ("import sys; from dlpipe.models.network import load_network; "
            f"load_network({str(run / 'cnn.keras')!r}); print(sorted({{'jax', 'torch'}} "
            "& set(sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.splitlines()[-1:] == ["[]"], done.stderr[-3000:]


def test_jax_keeps_its_compilations_in_the_user_cache_unless_told_otherwise(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    backends.jax_compilation_cache(environ)
    assert environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "dlpipe" / "jax")
    assert environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
    assert int(environ["JAX_COMPILATION_CACHE_MAX_SIZE"]) > 0  # eviction, and so its file lock
    environ = {"JAX_COMPILATION_CACHE_DIR": "/elsewhere",
               "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "2"}
    backends.jax_compilation_cache(environ)  # the user's directory and settings
    assert environ["JAX_COMPILATION_CACHE_DIR"] == "/elsewhere"
    assert environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "2"
    assert environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] == "0"
    environ = {"JAX_COMPILATION_CACHE_DIR": ""}  # none at all
    backends.jax_compilation_cache(environ)
    assert environ == {"JAX_COMPILATION_CACHE_DIR": ""}
