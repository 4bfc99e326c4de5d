"""Denoising task: seeded integer noise is added to every image; a multi-output KNN regressor
learns noisy -> clean on the training part. Test RMSE and PSNR (pixel scale 0-255) of the
denoised images against the clean ones, next to the noisy images' own (the baseline)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.features import subsample_rows
from dlpipe.metrics import SCORE_COLUMNS, score_rows
from dlpipe.params.tasks import DenoiseParams
from dlpipe.plots import Figure, plt
from dlpipe.tasks import TaskResult
from dlpipe.tasks.common import build_estimator, timed

TASK = "denoise"
PEAK = 255.0


def add_noise(X: np.ndarray, noise: int, rng: np.random.Generator) -> np.ndarray:
    """X + integers uniform in [0, noise), clipped to 255, as uint8."""
    X = np.asarray(X, dtype=np.int16)
    return np.minimum(X + rng.integers(0, noise, size=X.shape, dtype=np.int16), 255).astype(
        np.uint8)


def noisy_pair(X_train: np.ndarray, X_test: np.ndarray, noise: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Noisy training and test images from two independent streams of one seed."""
    train_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return add_noise(X_train, noise, train_rng), add_noise(X_test, noise, test_rng)


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean squared error over every pixel, in 0-255 units."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def psnr(error: float) -> float:
    """Peak signal-to-noise ratio (dB) of an RMSE in 0-255 units."""
    return float("inf") if error == 0 else float(20 * np.log10(PEAK / error))


def run_task(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
             cfg: DenoiseParams, seed: int, project: str) -> TaskResult:
    spec = cfg.model
    X_train, X_test = np.asarray(X_train), np.asarray(X_test)
    noisy_train, noisy_test = noisy_pair(X_train, X_test, cfg.noise, cfg.noise_seed)
    index = subsample_rows(np.asarray(y_train), spec.train_rows, seed)
    clean_fit = np.asarray(X_train[index], dtype=np.float32) / np.float32(PEAK)  # targets in 0-1
    model, fit_seconds = timed(lambda: build_estimator(spec, seed, regression=True).fit(
        noisy_train[index], clean_fit))
    denoised, predict_seconds = timed(lambda: np.clip(model.predict(noisy_test), 0, 1) * PEAK)
    clean = np.asarray(X_test, dtype=np.float64)
    noisy_err, denoised_err = rmse(noisy_test, clean), rmse(denoised, clean)
    per_image = pd.DataFrame({
        "image": np.arange(len(clean)),
        "noisy_rmse": np.sqrt(((noisy_test - clean) ** 2).mean(axis=1)),
        "denoised_rmse": np.sqrt(((denoised - clean) ** 2).mean(axis=1))})
    name = f"{spec.kind}_regressor"
    noisy_m = {"root_mean_squared_error": noisy_err, "psnr": psnr(noisy_err)}
    denoised_m = {"root_mean_squared_error": denoised_err, "psnr": psnr(denoised_err)}
    metrics = {"noisy_input": {"test": noisy_m}, name: {"test": denoised_m}}
    info = {"noise": cfg.noise, "noise_seed": cfg.noise_seed, "model": name,
            "params": spec.model_dump(mode="json"), "train_rows": int(len(index)),
            "n_test": int(len(clean)), "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds}
    table = pd.concat([
        score_rows(project, TASK, "noisy_input", "test", noisy_m),
        score_rows(project, TASK, name, "train", {"fit_seconds": fit_seconds}),
        score_rows(project, TASK, name, "test", {**denoised_m, "predict_seconds": predict_seconds}),
    ], ignore_index=True)[SCORE_COLUMNS]
    picks = np.random.default_rng(cfg.noise_seed).choice(
        len(clean), size=min(cfg.n_examples, len(clean)), replace=False)
    grid = (noisy_test[picks], denoised[picks], clean[picks])
    figures = {"examples.png": examples_figure(grid, noisy_err, denoised_err)}
    return TaskResult(table, metrics, info, {"rmse_per_image.csv": per_image}, figures)


def examples_figure(grid: tuple[np.ndarray, np.ndarray, np.ndarray], noisy_err: float,
                    denoised_err: float) -> Figure:
    """Rows of noisy, denoised and clean test images, one column per example."""
    titles = (f"noisy (RMSE {noisy_err:.1f})", f"denoised (RMSE {denoised_err:.1f})", "clean")
    n = len(grid[0])
    fig, axes = plt.subplots(3, n, figsize=(1.2 * n, 4.2), squeeze=False)
    for r, (images, title) in enumerate(zip(grid, titles)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.asarray(images[c]).reshape(28, 28), cmap="binary", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, fontsize=8)
    fig.suptitle("KNN denoising on the test set")
    return fig
