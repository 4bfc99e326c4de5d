"""Fitting: fold isolation in CV, the learning-rate schedule, batch norm warm-up and
determinism (tiny data, a few epochs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from support import feature_params

training = pytest.importorskip("dlpipe.models.training")
from test_network import spec  # noqa: E402


@pytest.fixture
def spied(monkeypatch) -> list:
    """Every transformer cross_validate makes, with the index of the rows each was fitted on."""
    made: list = []
    real = training.make_transformer

    def spy(features, X):
        transformer = real(features, X)
        fit = transformer.fit

        def recording_fit(rows, y=None):
            transformer.fitted_on = set(rows.index)
            return fit(rows, y)

        transformer.fit = recording_fit
        made.append(transformer)
        return transformer

    monkeypatch.setattr(training, "make_transformer", spy)
    return made


def cv(X, y, **features):
    return training.cross_validate(spec(epochs=1), feature_params(**features), X, y, folds=3,
                                   method="shuffled", seed=0, metrics=["accuracy"])


def test_fold_isolation_the_transformer_never_sees_the_validation_fold(three_class_frame,
                                                                       spied):
    X, y = three_class_frame[["a", "b"]], three_class_frame["target"].to_numpy()
    results = cv(X, y, scaler="standard")
    assert len(spied) == 3
    for transformer, result in zip(spied, results):
        assert transformer.fitted_on.isdisjoint(result.val_rows)
        assert len(transformer.fitted_on) + len(result.val_rows) == 60
        scaler = transformer.named_steps["columns"].named_transformers_["numeric"][-1]
        assert scaler.mean_ == pytest.approx(X.drop(index=result.val_rows).mean().to_numpy())


def test_imputation_and_categories_come_from_the_training_fold(three_class_frame, spied):
    X = three_class_frame[["a", "b"]].assign(colour=["red", "blue"] * 30)
    X.loc[7, "colour"] = "green"  # one row only: in exactly one validation fold
    X.loc[11, "a"] = np.nan
    y = three_class_frame["target"].to_numpy()
    results = cv(X, y, scaler="standard")
    for transformer, result in zip(spied, results):
        train = X.drop(index=result.val_rows)
        parts = transformer.named_steps["columns"].named_transformers_
        assert parts["numeric"]["impute"].statistics_ == pytest.approx(
            train[["a", "b"]].median().to_numpy())
        categories = parts["categorical"]["onehot"].categories_[0].tolist()
        assert categories == sorted(set(train["colour"]))
        if 7 in result.val_rows:
            assert "green" not in categories
        if 11 in result.val_rows:  # the NaN is filled with the training fold's median
            row = transformer.transform(X.loc[[11]])
            scaler = parts["numeric"]["scale"]
            median = train["a"].median()
            assert row[0, 0] == pytest.approx((median - scaler.mean_[0]) / scaler.scale_[0])
    assert any(7 in r.val_rows for r in results) and any(11 in r.val_rows for r in results)


def test_lr_decay_lowers_the_rate_every_epoch(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    fitted = training.fit(spec(lr_decay=0.5, epochs=3, patience=5), X, y, 3, True, seed=7)
    assert fitted.history["learning_rate"].to_numpy() == pytest.approx([0.01, 0.005, 0.0025])
    constant = training.fit(spec(epochs=3, patience=5), X, y, 3, True, seed=7)
    assert constant.history["learning_rate"].to_numpy() == pytest.approx([0.01] * 3)


def test_batch_norm_statistics_warm_up_within_a_small_fold():
    # 300 rows at batch 32 is ~50 steps: the moving statistics used in inference must be
    # warm by then, or a CV fold of a small subsample validates far below its fit
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    X = (np.column_stack([y * 3.0, -y * 3.0]) + rng.normal(0, 0.5, (300, 2)) + 50).astype(
        np.float32)  # far from the zero mean the moving statistics start at
    fitted = training.fit(spec(batch_norm=True, epochs=5, patience=10, batch_size=32,
                               learning_rate=0.01), X, y, 3, True, seed=1)
    accuracy = (training.predict_proba(fitted.model, X, 32).argmax(axis=1) == y).mean()
    assert accuracy > 0.9


def test_same_seed_same_numbers(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    first = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    second = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    other = training.fit(spec(dropout=0.2), X, y, 3, True, seed=8)
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        assert np.array_equal(a, b)
    assert first.history.equals(second.history)
    assert not np.array_equal(first.model.get_weights()[0], other.model.get_weights()[0])


def test_a_reused_model_fits_like_a_new_one(three_class_frame):
    # CV folds share one model (reset between folds) so its functions are traced once; the
    # reset must leave nothing of the previous fit behind: weights, batch-norm statistics,
    # dropout seeds, optimizer moments and step, learning rate
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    model = spec(dropout=0.2, batch_norm=True, lr_decay=0.5, epochs=4, patience=5)
    new = training.fit(model, X, y, 3, True, seed=8)
    first = training.fit(model, X, y, 3, True, seed=7)
    reused = training.fit(model, X, y, 3, True, seed=8, reuse=first.model)
    assert reused.model is first.model
    for a, b in zip(new.model.get_weights(), reused.model.get_weights()):
        assert np.array_equal(a, b)
    assert new.history.equals(reused.history)


def test_a_model_of_another_layout_is_not_reused(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    first = training.fit(spec(), X, y, 3, True, seed=7)
    wider = training.fit(spec(), np.column_stack([X, X[:, :1]]), y, 3, True, seed=7,
                         reuse=first.model)
    assert wider.model is not first.model and wider.model.input_shape == (None, 3)


def keras_fit(model, parts):
    """What the epoch loop replaces: Keras' fit with EarlyStopping and the LR schedule."""
    import keras
    return parts.model.fit(parts.train, validation_data=parts.val, epochs=model.epochs,
                           verbose=0, shuffle=False, callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=model.patience,
                                      restore_best_weights=True),
        keras.callbacks.LearningRateScheduler(
            lambda epoch, _rate: model.learning_rate * model.lr_decay**epoch)])


def test_the_epoch_loop_gives_the_numbers_of_keras_fit(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    model = spec(epochs=60, patience=3, learning_rate=0.05, lr_decay=0.95, dropout=0.2,
                 batch_norm=True)
    ours = training.fit(model, X, y, 3, True, seed=7)
    parts = training.setup(model, X, y, 3, True, seed=7)
    theirs = pd.DataFrame(keras_fit(model, parts).history)
    assert ours.epochs < 60  # EarlyStopping ended both, at the same epoch
    assert ours.history.drop(columns="epoch").equals(theirs)
    for a, b in zip(ours.model.get_weights(), parts.model.get_weights()):
        assert np.array_equal(a, b)  # the best epoch's weights, restored


def test_progress_is_one_line_per_epoch_when_verbose(three_class_frame, capsys):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    training.fit(spec(epochs=2, patience=5, verbose=2), X, y, 3, True, seed=7)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
    assert "val_loss: " in lines[0] and "learning_rate: 0.0100" in lines[0]
    training.fit(spec(epochs=2, patience=5), X, y, 3, True, seed=7)
    assert capsys.readouterr().out == ""


def epochs_of(dataset, count: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    return [[(np.asarray(a), np.asarray(b)) for a, b in dataset] for _ in range(count)]


def test_gathered_batches_are_the_sliced_ones_every_epoch(monkeypatch):
    # a large training array is gathered by batch instead of copied: the same elements in the
    # same order, reshuffled alike every epoch
    rng = np.random.default_rng(0)
    X = rng.random((300, 4), dtype=np.float32)
    rows = rng.permutation(300)[:250]
    Y = rng.random((250, 3), dtype=np.float32)
    sliced = epochs_of(training.shuffled_batches(X, rows, Y, 32, seed=5), 3)
    monkeypatch.setattr(training, "GATHER_BYTES", 0)
    gathered = epochs_of(training.shuffled_batches(X, rows, Y, 32, seed=5), 3)
    assert [len(epoch) for epoch in gathered] == [8, 8, 8]
    for epoch_sliced, epoch_gathered in zip(sliced, gathered):
        for (xs, ys), (xg, yg) in zip(epoch_sliced, epoch_gathered, strict=True):
            assert np.array_equal(xs, xg) and np.array_equal(ys, yg)
    assert not np.array_equal(sliced[0][0][0], sliced[1][0][0])  # reshuffled each epoch
    assert set(map(tuple, np.concatenate([x for x, _ in gathered[0]]))) == set(map(tuple, X[rows]))


def test_a_gathered_fit_is_the_sliced_fit(three_class_frame, monkeypatch):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    sliced = training.fit(spec(dropout=0.2, epochs=3), X, y, 3, True, seed=7)
    monkeypatch.setattr(training, "GATHER_BYTES", 0)
    gathered = training.fit(spec(dropout=0.2, epochs=3), X, y, 3, True, seed=7)
    for a, b in zip(sliced.model.get_weights(), gathered.model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert sliced.history.equals(gathered.history)
