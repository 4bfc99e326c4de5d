"""A numeric target through the network: the linear output, the target standardised on the
rows a fit trains on, predictions in the target's units, k-fold CV scored by the value
metrics, deterministic (scikit-learn's diabetes table: 442 rows, a disease-progression score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from dlpipe.errors import DataError
from dlpipe.metrics import direction, value_score
from support import feature_params

training = pytest.importorskip("dlpipe.models.training")
network = pytest.importorskip("dlpipe.models.network")
from test_network import spec  # noqa: E402


@pytest.fixture(scope="module")
def diabetes() -> tuple[pd.DataFrame, np.ndarray]:
    data = load_diabetes(as_frame=True)
    return data.data, data.target.to_numpy(dtype=np.float64)


def value_spec(**kw):
    return spec(**{"n_layers": 1, "units": 16, "epochs": 200, "patience": 20, "batch_size": 32,
                   "learning_rate": 0.01, "validation_fraction": 0.15, **kw})


def test_the_value_metrics_match_their_definitions():
    y, p = np.array([1.0, 2.0, 4.0, 8.0]), np.array([1.5, 2.0, 3.0, 10.0])
    assert value_score("rmse", y, p) == pytest.approx(np.sqrt((0.25 + 0 + 1 + 4) / 4))
    assert value_score("mae", y, p.reshape(-1, 1)) == pytest.approx(3.5 / 4)
    assert value_score("mape", y, p) == pytest.approx((0.5 + 0 + 0.25 + 0.25) / 4)
    assert value_score("r2", y, p) == pytest.approx(1 - 5.25 / np.sum((y - y.mean()) ** 2))
    assert [direction(m) for m in ("rmse", "mae", "mape", "r2", "accuracy")] == [
        "minimize", "minimize", "minimize", "maximize", "maximize"]


def test_mape_of_a_target_with_zeros_is_refused_and_class_metrics_are_not_value_metrics():
    with pytest.raises(DataError, match="'mape' divides by the target, which is 0 in 1 rows"):
        value_score("mape", np.array([0.0, 1.0]), np.array([0.1, 1.0]))
    with pytest.raises(DataError, match="metric 'accuracy' is not for a numeric target"):
        value_score("accuracy", np.array([0.0, 1.0]), np.array([0.1, 1.0]))


def test_a_value_network_has_one_linear_output_and_the_loss_params_name():
    mse = network.build_network(spec(), 4, None, onehot=False)
    assert mse.output_shape == (None, 1)
    assert mse.layers[-1].get_config()["activation"] == "linear"
    assert mse.loss == "mean_squared_error"
    huber = network.build_network(spec(loss="huber"), 4, None, onehot=False)
    assert type(huber.loss).__name__ == "Huber"


def test_the_target_is_standardised_on_the_training_rows_and_predicted_in_its_units(diabetes):
    X, y = diabetes
    X = X.to_numpy(dtype=np.float32)
    parts = training.setup(value_spec(), X, y, None, False, seed=3)
    learnt = np.array([target for _, target in parts.train.unbatch().as_numpy_iterator()])
    held = np.array([target for _, target in parts.val.unbatch().as_numpy_iterator()])
    assert len(learnt) + len(held) == len(y)
    assert learnt.mean() == pytest.approx(0, abs=1e-5) and learnt.std() == pytest.approx(1, 1e-4)
    assert parts.scale.mean != pytest.approx(float(y.mean()), abs=1e-6)  # not all rows
    fitted = training.train(value_spec(), parts)
    predicted = training.predict_proba(fitted.model, X, 32).ravel()
    raw = training.predict_proba(fitted.network, X, 32).ravel()
    assert predicted == pytest.approx(raw * parts.scale.std + parts.scale.mean, rel=1e-4)
    assert abs(predicted.mean() - y.mean()) < 0.1 * y.std()  # in the target's units
    assert value_score("r2", y, predicted) > 0.4


def test_cv_of_a_numeric_target_scores_each_fold_near_a_ridge_on_the_same_folds(diabetes):
    X, y = diabetes
    results = training.cross_validate(value_spec(), feature_params(scaler="standard"), X, y,
                                      folds=3, method="shuffled", seed=0, metrics=["r2", "rmse"])
    again = training.cross_validate(value_spec(), feature_params(scaler="standard"), X, y,
                                    folds=3, method="shuffled", seed=0, metrics=["r2", "rmse"])
    assert [r.scores for r in results] == [r.scores for r in again]  # deterministic
    folds = KFold(n_splits=3, shuffle=True, random_state=0).split(X)
    for result, (train_rows, val_rows) in zip(results, folds):
        assert result.val_rows == val_rows.tolist()
        ridge = Ridge(alpha=1.0).fit(X.iloc[train_rows], y[train_rows])
        ridge_r2 = value_score("r2", y[val_rows], ridge.predict(X.iloc[val_rows]))
        assert result.scores["r2"] > ridge_r2 - 0.1, (result.scores, ridge_r2)
        assert result.scores["rmse"] == pytest.approx(
            np.sqrt(np.mean((y[val_rows] - y[val_rows].mean()) ** 2)
                    * (1 - result.scores["r2"])), rel=1e-6)


def test_the_network_in_target_units_saves_and_loads_in_safe_mode(diabetes, tmp_path):
    X, y = diabetes
    X = X.to_numpy(dtype=np.float32)
    fitted = training.fit(value_spec(epochs=5), X, y, None, False, seed=1)
    fitted.model.save(tmp_path / "model.keras")
    loaded = network.load_network(str(tmp_path / "model.keras"))
    assert np.array_equal(loaded.predict(X[:20], verbose=0), fitted.model.predict(X[:20],
                                                                                   verbose=0))
