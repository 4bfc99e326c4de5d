"""The ``tasks:`` section of the mnist project: the scikit-learn classification tasks and the MLP.

Same rules as the rest of the schema: every field is required, unknown keys are refused. A model is
a mapping ``name -> spec``; ``kind`` picks the estimator and the spec carries every knob, including
how much training data it sees (``train_rows``, null = all), whether that data is augmented with
one-pixel shifts or deskewed, and how many cores it may use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, model_validator

from dlpipe.params.base import KerasModel, PosInt, Seed, Strict

NJobs = Annotated[int, Field(ge=1, le=64, strict=True)]
Probability = Annotated[float, Field(gt=0.0, lt=1.0)]


class _Data(Strict):
    """What every model sees: its training rows and their preprocessing.

    ``train_rows`` is a seeded stratified subsample of the training part taken *before*
    augmentation (augmentation then multiplies it by 5). ``deskew`` straightens each image by its
    second moments and centres it on its centre of mass (so it undoes shifts: not with ``augment``).
    ``scaler``: ``pixel`` is x/255, ``standard`` is x/255 then a StandardScaler fitted on train.
    """

    train_rows: Union[PosInt, None]
    n_jobs: NJobs
    augment: bool
    deskew: bool
    scaler: Literal["pixel", "standard"]

    @model_validator(mode="after")
    def _augment_or_deskew(self):
        if self.augment and self.deskew:
            raise ValueError("augment and deskew together: deskewing re-centres each image, "
                             "which undoes the one-pixel shifts (pick one)")
        return self


class SGDModel(_Data):
    kind: Literal["sgd"]
    loss: Literal["hinge", "log_loss", "modified_huber"]
    alpha: Annotated[float, Field(gt=0.0)]
    max_iter: PosInt
    tol: Union[Annotated[float, Field(gt=0.0)], None]


class SVCModel(_Data):
    """RBF (or poly) SVC. ``strategy`` ovo is SVC's own one-vs-one; ovr wraps it in
    OneVsRestClassifier. ``pca_components`` projects onto that many principal components first."""

    kind: Literal["svc"]
    strategy: Literal["ovo", "ovr"]
    kernel: Literal["rbf", "poly"]
    C: Annotated[float, Field(gt=0.0)]
    gamma: Union[Literal["scale", "auto"], Annotated[float, Field(gt=0.0)]]
    degree: Annotated[int, Field(ge=1, le=10, strict=True)]
    pca_components: Union[PosInt, None]
    cache_mb: PosInt


class KnnTune(Strict):
    """Optuna (seeded TPE) over n_neighbors and weights, k-fold CV accuracy on a subsample."""

    n_trials: PosInt
    folds: Annotated[int, Field(ge=2, le=20, strict=True)]
    rows: PosInt
    n_neighbors_low: PosInt
    n_neighbors_high: PosInt
    weights: list[Literal["uniform", "distance"]] = Field(min_length=1)

    @model_validator(mode="after")
    def _range(self):
        if self.n_neighbors_low > self.n_neighbors_high:
            raise ValueError("n_neighbors_low must be <= n_neighbors_high")
        return self


class KnnModel(_Data):
    """k-nearest neighbours; with ``tune`` set, n_neighbors and weights are the tuned values."""

    kind: Literal["knn"]
    n_neighbors: PosInt
    weights: Literal["uniform", "distance"]
    tune: Union[KnnTune, None]


class ForestModel(_Data):
    kind: Literal["random_forest"]
    n_estimators: PosInt
    max_depth: Union[PosInt, None]
    max_features: Union[Literal["sqrt", "log2"], Annotated[float, Field(gt=0.0, le=1.0)]]
    min_samples_leaf: PosInt


class DummyModel(_Data):
    kind: Literal["dummy"]
    strategy: Literal["most_frequent", "prior", "stratified", "uniform"]


ModelSpec = Annotated[Union[SGDModel, SVCModel, KnnModel, ForestModel, DummyModel],
                      Field(discriminator="kind")]
Models = Annotated[dict[str, ModelSpec], Field(min_length=1)]


def _names_ok(models: dict[str, Any]) -> None:
    for name in models:
        if not name.replace("_", "").isalnum() or not name[:1].isalpha():
            raise ValueError(f"model name {name!r}: use letters, digits and '_' (it names files)")


class BinaryParams(Strict):
    """"Is it a ``positive_digit``": CV scores (``cv_folds``) on train, threshold for
    ``target_precision``, test metrics for every model."""

    positive_digit: Annotated[int, Field(ge=0, le=9, strict=True)]
    cv_folds: Annotated[int, Field(ge=2, le=20, strict=True)]
    target_precision: Probability
    models: Models

    @model_validator(mode="after")
    def _check(self):
        _names_ok(self.models)
        for name, spec in self.models.items():
            if isinstance(spec, SVCModel) and spec.strategy == "ovr":
                raise ValueError(f"models.{name}: strategy ovr means nothing for a binary task")
            if isinstance(spec, KnnModel) and spec.tune is not None:
                raise ValueError(f"models.{name}: KNN tuning is for the multiclass task")
        return self


class MulticlassParams(Strict):
    models: Models

    @model_validator(mode="after")
    def _check(self):
        _names_ok(self.models)
        return self


def _untuned(model: KnnModel) -> None:
    if model.tune is not None:
        raise ValueError("model.tune: KNN tuning is for the multiclass task")


class MultilabelParams(Strict):
    """Labels [digit >= ``large_from``, digit is odd]; KNN handles multi-label targets natively."""

    large_from: Annotated[int, Field(ge=1, le=9, strict=True)]
    model: KnnModel

    @model_validator(mode="after")
    def _check(self):
        _untuned(self.model)
        return self


class DenoiseParams(Strict):
    """Integer noise uniform in [0, ``noise``) added to each pixel (clipped at 255), drawn from
    ``noise_seed``; a multi-output KNN regressor maps noisy -> clean."""

    noise: Annotated[int, Field(ge=1, le=255, strict=True)]
    noise_seed: Seed
    n_examples: Annotated[int, Field(ge=1, le=20, strict=True)]
    model: KnnModel

    @model_validator(mode="after")
    def _check(self):
        _untuned(self.model)
        if self.model.augment or self.model.deskew:
            raise ValueError("model: augment/deskew would change the clean targets; set both false")
        return self


class TasksParams(Strict):
    """The tasks a project runs; null leaves a task out (its stage then writes empty outputs).
    ``model_defaults`` holds what every task model sees unless its spec says otherwise
    (training rows, cores, augmentation, deskewing, scaler): a spec states only what differs."""

    model_defaults: _Data
    binary: Union[BinaryParams, None]
    multiclass: Union[MulticlassParams, None]
    multilabel: Union[MultilabelParams, None]
    denoise: Union[DenoiseParams, None]
    mlp: Union[KerasModel, None]  # a Keras MLP on x/255 pixels, same builder as the main model

    @model_validator(mode="before")
    @classmethod
    def _merge_model_defaults(cls, raw: Any) -> Any:
        """Each task model's spec over ``model_defaults``, key by key (the spec wins)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("model_defaults"), dict):
            return raw
        base, out = raw["model_defaults"], dict(raw)
        for task, many in (("binary", True), ("multiclass", True), ("multilabel", False),
                           ("denoise", False)):
            section = out.get(task)
            key = "models" if many else "model"
            if not isinstance(section, dict) or not isinstance(section.get(key), dict):
                continue
            specs = section[key] if many else {key: section[key]}
            merged = {name: {**base, **spec} if isinstance(spec, dict) else spec
                      for name, spec in specs.items()}
            out[task] = {**section, key: merged if many else merged[key]}
        return out
