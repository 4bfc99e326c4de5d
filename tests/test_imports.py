"""Importing a library without the optional packages it would load for nothing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from dlpipe import imports
from support import ROOT


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A module no test has imported yet."""
    (tmp_path / "dlpipe_probe_package.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "dlpipe_probe_package", raising=False)
    return "dlpipe_probe_package"


def test_a_hidden_package_fails_to_import_inside_the_block_and_imports_after(package):
    with imports.without(package):
        with pytest.raises(ImportError):
            importlib.import_module(package)
    assert importlib.import_module(package).LOADED
    assert sys.modules[package].LOADED


def test_a_package_loaded_already_stays_visible(package):
    loaded = importlib.import_module(package)
    with imports.without(package):
        assert importlib.import_module(package) is loaded
    assert sys.modules[package] is loaded


def test_the_feature_transformer_files_load_without_pytorch():
    """skops lists scikit-learn's estimators by importing every subpackage, PyTorch's
    array-API adapter among them (~1.2 s and ~180 MB a process): the bundle's files load skops
    without it, and PyTorch stays importable."""
    pytest.importorskip("torch")
    probe = ("import sys; from dlpipe.bundle import files; files._skops(); "
             "assert 'torch' not in sys.modules, 'torch loaded'; import torch")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
