"""The scikit-learn MNIST study on a few hundred images: every task runs and returns sane rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import ParamsError
from dlpipe.metrics import ROW_COLUMNS
from dlpipe.tasks import binary, denoise, multiclass, multilabel
from dlpipe.tasks.augment import augment_shifts, deskew, shift_images
from dlpipe.params.tasks import parse_study

SEED = 42


def _check_rows(result, task: str, project: str = "mnist") -> pd.DataFrame:
    table = result.rows
    assert list(table.columns) == ROW_COLUMNS
    assert (table["task"] == task).all() and (table["project"] == project).all()
    assert set(table["split"]) <= {"cv", "train", "test"}
    assert table["value"].notna().all()
    assert {"fit_seconds", "predict_seconds"} <= set(table["metric"])
    json.dumps(result.metrics, allow_nan=True)  # JSON-ready
    return table


def _value(table, model, split, metric) -> float:
    hit = table[(table["model"] == model) & (table["split"] == split) & (table["metric"] == metric)]
    assert len(hit) == 1, (model, split, metric)
    return float(hit["value"].iloc[0])


# --- augmentation ---------------------------------------------------------------------------------
def test_shift_moves_pixels_and_fills_zeros():
    X = np.arange(1, 28 * 28 + 1, dtype=np.int32).reshape(1, -1)
    img = X.reshape(28, 28)
    down = shift_images(X, 1, 0).reshape(28, 28)
    assert (down[0] == 0).all() and (down[1:] == img[:-1]).all()
    up = shift_images(X, -1, 0).reshape(28, 28)
    assert (up[-1] == 0).all() and (up[:-1] == img[1:]).all()
    right = shift_images(X, 0, 1).reshape(28, 28)
    assert (right[:, 0] == 0).all() and (right[:, 1:] == img[:, :-1]).all()
    left = shift_images(X, 0, -1).reshape(28, 28)
    assert (left[:, -1] == 0).all() and (left[:, :-1] == img[:, 1:]).all()
    assert shift_images(X, 0, 0).tolist() == X.tolist()


def test_augment_adds_four_shifted_copies(mnist_small):
    X, y = mnist_small[0][:10], mnist_small[1][:10]
    X_aug, y_aug = augment_shifts(X, y)
    assert X_aug.shape == (50, 784) and X_aug.dtype == X.dtype
    assert (X_aug[:10] == X).all() and (y_aug == np.tile(y, 5)).all()
    # every copy keeps the ink (digits do not touch the border) and moves the centre of mass by 1
    rows = np.arange(28)

    def centre(A):
        return (A.reshape(-1, 28, 28).sum(axis=2) * rows).sum(axis=1) / A.sum(axis=1)

    assert np.allclose(X_aug[10:20].sum(axis=1), X.sum(axis=1))
    assert np.allclose(centre(X_aug[10:20]) - centre(X), 1.0)   # first copy: one row down


def test_deskew_straightens_a_sheared_bar():
    img = np.zeros((28, 28), dtype=np.float32)
    for r in range(6, 22):
        img[r, 10 + (r - 6) // 2: 13 + (r - 6) // 2] = 255  # a slanted stroke
    out = deskew(img.reshape(1, -1)).reshape(28, 28)
    cols = np.arange(28)
    centre_col = [(out[r] * cols).sum() / out[r].sum() for r in range(8, 20) if out[r].sum() > 0]
    assert np.ptp(centre_col) < 1.5          # the stroke is now (almost) vertical
    assert abs(out.sum() - img.sum()) / img.sum() < 0.05


# --- binary ---------------------------------------------------------------------------------------
def test_threshold_reaches_the_requested_precision():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.1
    s = rng.normal(size=2000) + 2.0 * y
    for target in (0.5, 0.8, 0.9, 0.95):
        t, p, r = binary.threshold_for_precision(y, s, target)
        pred = s >= t
        assert pred.sum() > 0
        assert (y & pred).sum() / pred.sum() >= target
        assert p == pytest.approx((y & pred).sum() / pred.sum())
        assert r == pytest.approx((y & pred).sum() / y.sum())
    assert binary.threshold_for_precision(y, np.zeros(2000), 0.9) is None


def test_binary_task(mnist_small, cfg, tmp_path):
    result = binary.run_task(*mnist_small, cfg.binary, SEED)
    table = _check_rows(result, "binary")
    assert set(table["model"]) == set(cfg.binary.models)
    for name in ("sgd", "random_forest", "svc"):
        assert _value(table, name, "test", "roc_auc") > 0.9
        assert _value(table, name, "cv", "precision_at_threshold") >= cfg.binary.target_precision
        assert 0 < _value(table, name, "cv", "recall_at_threshold") <= 1
        assert _value(table, name, "test", "f1") > 0.3   # a 30-tree forest on 1200 rows is timid
    assert _value(table, "svc", "test", "f1") > 0.8
    assert _value(table, "never_5", "test", "recall") == 0.0
    assert _value(table, "never_5", "test", "accuracy") > 0.85
    assert result.metrics["best_model"] in ("sgd", "random_forest", "svc")
    assert {"confusion", "pr_sgd", "roc_sgd"} <= set(result.plot_data)
    assert list(result.plot_data["confusion"].columns) == ["actual", "predicted"]
    paths = result.write(tmp_path)
    assert all(p.exists() for p in paths.values())
    assert (tmp_path / "figures" / "roc_curves.png").stat().st_size > 1000


# --- multiclass -----------------------------------------------------------------------------------
def test_multiclass_task_with_tuning_and_augmentation(mnist_small, defaults_raw):
    raw = {"models": {
        "svc": dict(defaults_raw["multiclass"]["models"]["svc"], pca_components=30),
        "svc_ovr": dict(defaults_raw["multiclass"]["models"]["svc_ovr"], pca_components=30,
                        train_rows=600, n_jobs=1),
        "sgd_scaled": dict(defaults_raw["multiclass"]["models"]["sgd_scaled"], n_jobs=1),
        "knn": dict(defaults_raw["multiclass"]["models"]["knn"], n_jobs=1,
                    tune=dict(defaults_raw["multiclass"]["models"]["knn"]["tune"], n_trials=4,
                              rows=600)),
        "knn_shifted": {"kind": "knn", "n_neighbors": 3, "weights": "distance", "tune": None,
                        "train_rows": 600, "n_jobs": 1, "augment": True, "deskew": False,
                        "scaler": "pixel"}}}
    study = parse_study(dict(defaults_raw, multiclass=raw))
    X_tr, y_tr, X_te, y_te = mnist_small
    result = multiclass.run_task(X_tr, y_tr, X_te, y_te, study.multiclass, SEED)
    table = _check_rows(result, "multiclass")
    for name in raw["models"]:
        assert _value(table, name, "test", "accuracy") > 0.7
        assert 0 < _value(table, name, "test", "f1_macro") <= 1
    assert _value(table, "svc", "test", "accuracy") > 0.85
    tuned = result.metrics["models"]["knn"]
    assert tuned["tuning"]["trials"] == 4 and tuned["tuning"]["rows"] == 600
    assert tuned["params"]["n_neighbors"] == tuned["tuning"]["best"]["n_neighbors"]
    assert _value(table, "knn", "train", "tune_seconds") > 0
    assert result.metrics["models"]["knn_shifted"]["fit_rows"] == 3000
    assert len(result.metrics["models"]["svc"]["per_class"]) == 10
    assert len(result.plot_data["confusion"]) == len(y_te)


# --- multilabel -----------------------------------------------------------------------------------
def test_multilabel_task(mnist_small, cfg):
    result = multilabel.run_task(*mnist_small, cfg.multilabel, SEED)
    table = _check_rows(result, "multilabel")
    assert _value(table, "knn", "test", "f1_macro") > 0.85
    assert _value(table, "knn", "test", "f1_weighted") > 0.85
    assert multilabel.labels(np.array([7, 2, 9, 3]), 7).tolist() == [
        [True, True], [False, False], [True, True], [False, True]]


# --- denoise --------------------------------------------------------------------------------------
def test_denoise_beats_the_noisy_baseline(mnist_small, cfg, tmp_path):
    result = denoise.run_task(*mnist_small, cfg.denoise, SEED)
    table = _check_rows(result, "denoise")
    noisy = _value(table, "noisy_input", "test", "root_mean_squared_error")
    cleaned = _value(table, "knn_regressor", "test", "root_mean_squared_error")
    assert cleaned < 0.8 * noisy
    assert _value(table, "knn_regressor", "test", "psnr") > _value(table, "noisy_input", "test",
                                                                      "psnr")
    assert result.write_figures(tmp_path)[0].stat().st_size > 1000


def test_noise_is_seeded_and_bounded():
    X = np.full((5, 784), 200, dtype=np.uint8)
    a_train, a_test = denoise.noisy_pair(X, X, 100, 7)
    b_train, _ = denoise.noisy_pair(X, X, 100, 7)
    assert (a_train == b_train).all() and not (a_train == a_test).all()
    assert a_train.dtype == np.uint8 and a_train.min() >= 200 and a_train.max() == 255


# --- params ---------------------------------------------------------------------------------------
def test_defaults_validate_and_errors_name_the_key(defaults_raw):
    parse_study(defaults_raw)
    bad = dict(defaults_raw, binary=dict(defaults_raw["binary"], target_precision=1.5))
    with pytest.raises(ParamsError, match=r"mnist\.study\.binary\.target_precision"):
        parse_study(bad)
    missing = {k: v for k, v in defaults_raw["multilabel"]["model"].items() if k != "n_jobs"}
    with pytest.raises(ParamsError, match=r"multilabel\.model\.n_jobs: expected this key"):
        parse_study(dict(defaults_raw, multilabel=dict(defaults_raw["multilabel"], model=missing)))
    both = dict(defaults_raw["multilabel"]["model"], augment=True, deskew=True)
    with pytest.raises(ParamsError, match="undoes the one-pixel shifts"):
        parse_study(dict(defaults_raw, multilabel=dict(defaults_raw["multilabel"], model=both)))
