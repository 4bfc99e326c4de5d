"""Denoising: seeded noise, and a KNN regressor that removes most of it."""

from __future__ import annotations

import numpy as np

from dlpipe.tasks import denoise

SEED = 42


def test_noise_is_seeded_and_bounded():
    X = np.full((5, 784), 200, dtype=np.uint8)
    a_train, a_test = denoise.noisy_pair(X, X, 100, 7)
    b_train, _ = denoise.noisy_pair(X, X, 100, 7)
    assert (a_train == b_train).all() and not (a_train == a_test).all()
    assert a_train.dtype == np.uint8 and a_train.min() >= 200 and a_train.max() == 255


def test_rmse_and_psnr():
    a = np.zeros((2, 4))
    assert denoise.rmse(a, a + 3) == 3.0
    assert denoise.psnr(255.0) == 0.0 and denoise.psnr(0.0) == float("inf")


def test_denoising_beats_the_noisy_baseline(mnist_small, cfg, value):
    result = denoise.run_task(*mnist_small, cfg.denoise, SEED, "mnist")
    table = result.scores
    noisy = value(table, "noisy_input", "test", "root_mean_squared_error")
    cleaned = value(table, "knn_regressor", "test", "root_mean_squared_error")
    assert cleaned < 0.8 * noisy
    assert value(table, "knn_regressor", "test", "psnr") > value(table, "noisy_input", "test",
                                                                 "psnr")
    per_image = result.tables["rmse_per_image.csv"]
    assert len(per_image) == len(mnist_small[3])
    assert (per_image["denoised_rmse"] < per_image["noisy_rmse"]).mean() > 0.9
