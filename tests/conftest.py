"""Shared fixtures: the repo's params as a dict, a tiny variant of it, small frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from support import SHARED_DATA, repo_params, tiny


@pytest.fixture
def raw_params() -> dict:
    return repo_params()


@pytest.fixture
def tiny_raw() -> dict:
    return tiny(repo_params())


@pytest.fixture
def write_params(tmp_path):
    def write(raw: dict, name: str = "params.yaml") -> Path:
        target = tmp_path / name
        target.write_text(yaml.safe_dump(raw, sort_keys=False))
        return target

    return write


@pytest.fixture
def three_class_frame() -> pd.DataFrame:
    """60 rows, 2 features, 3 balanced classes; class k is centred at (k, -k)."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    X = np.column_stack([y + rng.normal(0, 0.3, 60), -y + rng.normal(0, 0.3, 60)])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "target": y.astype(np.int64)})


@pytest.fixture
def mirror() -> Path:
    if not (SHARED_DATA / "mobile_price.csv").exists():
        pytest.skip(f"no dataset mirror at {SHARED_DATA} (set DLPIPE_DATA_MIRROR)")
    return SHARED_DATA
