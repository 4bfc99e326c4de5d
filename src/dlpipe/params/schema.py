"""The params schema: every section of params.yaml as a strict, immutable pydantic model.

Every field is required (no hidden defaults: the values live in params.yaml); unknown keys are
refused. :mod:`dlpipe.params.loading` turns validation errors into one line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from dlpipe.errors import ParamsError
from dlpipe.params.base import ClassNames, Fraction, KerasModel, PosInt, Seed, Strict
from dlpipe.params.data import DataParams
from dlpipe.params.export import ExportParams
from dlpipe.params.features import FeatureParams
from dlpipe.params.families import GBDT_KEYS, GbdtParams, ServeFamily, trained, unknown_keys
from dlpipe.params.insight import AuditParams, DriftParams, ExplainParams
from dlpipe.params.search_space import FloatSpace, IntSpace, SearchSpace
from dlpipe.params.scoring import (SCORERS, VALUE_SCORERS, AnyScorer, DecisionParams,
                                   EvaluateParams, TuneScorer)
from dlpipe.params.container import ContainerParams
from dlpipe.params.retrain import RetrainParams
from dlpipe.params.serve import ServeParams
from dlpipe.params.tasks import TasksParams

DEFAULT_PARAMS = "params.yaml"  # the params file every command reads unless told another
RESERVED_KEYS = ("seed", "projects", "resources", "serve", "retrain", "container", "defaults",
                 "task_defaults")
TASKS = ("classification", "regression")
PROJECT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# --- split / features / cv ------------------------------------------------------------------------
class SplitParams(Strict):
    method: Literal["stratified", "ordered"]
    test_size: Union[Fraction, PosInt]
    seed: Seed
    max_rows: Union[PosInt, None]
    bins: Annotated[int, Field(ge=1, strict=True)]  # a numeric target's strata: quantile bins
    order_by: Union[str, None]  # ordered: the column (dates or numbers) that orders the rows

    @model_validator(mode="after")
    def _order_by_needs_ordered(self) -> "SplitParams":
        if self.order_by is not None and self.method != "ordered":
            raise ValueError(f"order_by {self.order_by!r} needs method 'ordered' (stratified "
                             "draws the test rows at random)")
        return self


class CVParams(Strict):
    """k-fold CV of the tuned model in the train stage (``max_rows``: a seeded stratified
    subsample of the training part, for data too large to fit k extra times)."""

    folds: Annotated[int, Field(ge=2, le=50, strict=True)]
    method: Literal["shuffled", "ordered"]  # ordered: forward chaining in the rows' order
    max_rows: Union[PosInt, None]
    metrics: list[AnyScorer] = Field(min_length=1)


class BaselineParams(Strict):
    """The classical reference every network is shown beside: a logistic regression (a numeric
    target: a ridge regression) on the same preprocessing and the same CV folds."""

    C: Annotated[float, Field(gt=0.0)]
    max_iter: PosInt
    alpha: Annotated[float, Field(ge=0.0)]  # ridge: the L2 penalty of a numeric target's


# --- tuning ---------------------------------------------------------------------------------------
class TuneParams(Strict):
    mode: Literal["tpe", "random", "grid"]
    sampler_startup_trials: Annotated[int, Field(ge=0, strict=True)]  # TPE: random trials first
    n_trials: PosInt
    timeout: Union[PosInt, None]
    pruner: Literal["median", "none"]
    pruner_startup_trials: Annotated[int, Field(ge=0, strict=True)]
    pruner_warmup_steps: Annotated[int, Field(ge=0, strict=True)]
    max_rows: Union[PosInt, None]
    metric: TuneScorer
    workers: Annotated[int, Field(ge=1, le=64, strict=True)]
    search_space: dict[str, SearchSpace]

    @model_validator(mode="after")
    def _grid_needs_values(self) -> "TuneParams":
        for name, space in self.search_space.items():
            if isinstance(space, (IntSpace, FloatSpace)) and space.low > space.high:
                raise ValueError(f"search_space.{name}: low must be <= high")
            if self.mode == "grid" and isinstance(space, FloatSpace) and not space.grid:
                raise ValueError(f"search_space.{name}: mode 'grid' needs a non-empty 'grid' list")
        return self


MemoryMB = Annotated[int, Field(ge=100, strict=True)]
Priority = Annotated[int, Field(ge=0, strict=True)]


class StageResources(Strict):
    """What Snakemake (and SLURM through it) reserves for each job of a stage, and the order
    its scheduler starts ready jobs in. ``mem_mb`` and ``priority`` may differ by project."""

    threads: Annotated[int, Field(ge=1, le=256, strict=True)]
    # MB; or per project: {default: MB, <project>: MB, ...}
    mem_mb: Union[MemoryMB, dict[str, MemoryMB]]
    runtime: Annotated[int, Field(ge=1, strict=True)]  # minutes
    # higher: started first when ready; or per project, as mem_mb
    priority: Union[Priority, dict[str, Priority]]

    @model_validator(mode="after")
    def _by_project_has_a_default(self) -> "StageResources":
        for name in ("mem_mb", "priority"):
            value = getattr(self, name)
            if isinstance(value, dict) and "default" not in value:
                raise ValueError(f"{name}: a mapping by project needs a 'default' entry, got "
                                 f"{sorted(value)}")
        return self

    def memory(self, project: str) -> int:
        """The MB a job of ``project`` reserves."""
        return _of_project(self.mem_mb, project)

    def rank(self, project: str) -> int:
        """The priority of ``project``'s job (before it takes its readers')."""
        return _of_project(self.priority, project)


def _of_project(value: int | dict[str, int], project: str) -> int:
    return value if isinstance(value, int) else value.get(project, value["default"])


class ProjectParams(Strict):
    task: Literal[TASKS]  # type: ignore[valid-type]  # classes, or a numeric target's values
    data: DataParams
    class_names: ClassNames  # a name per value of the label ({0: low cost, ...}); null: as is
    unlabelled_rows: Literal["drop", "error"]  # rows whose label is missing
    split: SplitParams
    features: FeatureParams
    cv: CVParams
    model: KerasModel
    tune: TuneParams
    evaluate: EvaluateParams
    decision: DecisionParams
    baseline: BaselineParams
    gbdt: Union[GbdtParams, None]  # gradient-boosted trees beside the network; null: none
    serve_family: ServeFamily  # auto: the select stage's champion by CV; or the family named
    export: ExportParams
    explain: ExplainParams
    audit: AuditParams
    drift: DriftParams
    tasks: TasksParams  # the MNIST tasks (binary, multiclass, multilabel, denoise, mlp)

    @model_validator(mode="after")
    def _model_keys_fit(self) -> "ProjectParams":
        unknown = sorted(set(self.tune.search_space) - set(KerasModel.model_fields))
        if unknown:
            raise ValueError(f"tune.search_space names {unknown}, which are not model keys "
                             f"(expected some of {sorted(KerasModel.model_fields)})")
        if unknown_keys(self.gbdt):
            raise ValueError(f"gbdt.search_space names {unknown_keys(self.gbdt)}, which "
                             f"HistGradientBoosting does not take (expected some of "
                             f"{list(GBDT_KEYS)})")
        if self.serve_family not in ("auto", *trained(self.gbdt)):
            raise ValueError(f"serve_family: {self.serve_family!r} is not trained (gbdt: null); "
                             f"expected one of {['auto', *trained(self.gbdt)]}")
        if self.data.source == "images" and (self.model.image_shape is None or
                                             self.model.image_shape[-1] not in (1, 3)):
            raise ValueError(f"model.image_shape: a folder of images is read at [height, width, "
                             f"channels] with 1 (grey) or 3 (RGB) channels, got "
                             f"{self.model.image_shape}")
        if (self.model.kind == "transformer") != (self.features.text_encoding == "tokens"):
            raise ValueError(f"model.kind {self.model.kind!r} with features.text_encoding "
                             f"{self.features.text_encoding!r}: a transformer reads word ids "
                             "(tokens), the other kinds TF-IDF weights (tfidf)")
        if self.model.kind == "transformer" and len(self.features.text) != 1:
            raise ValueError(f"model.kind transformer reads one free-text column, got "
                             f"features.text {self.features.text}")
        if self.cv.method == "ordered" and self.split.method != "ordered":
            raise ValueError("cv.method ordered needs split.method ordered (a stratified split "
                             "shuffles the training rows, so they have no order to follow)")
        if self.tune.metric not in self.cv.metrics:
            raise ValueError(f"tune.metric: {self.tune.metric!r} must be one of cv.metrics "
                             f"{self.cv.metrics}: the select stage compares the families' CV "
                             "scores by it")
        if self.task == "regression":
            return self._fits_regression()
        if self.model.loss != "auto":
            raise ValueError(f"model.loss {self.model.loss!r} is for a numeric target; a "
                             "project of classes trains with cross-entropy: set auto")
        for key, names in self._scorers():
            for name in set(names) & set(VALUE_SCORERS):
                raise ValueError(f"{key}: {name!r} scores a numeric target; a project of "
                                 f"classes is scored by {list(SCORERS)}")
        return self

    def _scorers(self) -> tuple[tuple[str, list[str]], ...]:
        return (("cv.metrics", self.cv.metrics), ("tune.metric", [self.tune.metric]),
                ("evaluate.metrics", self.evaluate.metrics))

    def _fits_regression(self) -> "ProjectParams":
        """A numeric target has no classes: no class names, no positive class, no MNIST task,
        and it is scored by the value metrics only."""
        for key, names in self._scorers():
            for name in sorted(set(names) - set(VALUE_SCORERS)):
                raise ValueError(f"{key}: {name!r} scores classes; a regression project is "
                                 f"scored by {list(VALUE_SCORERS)}")
        for key, value in (("class_names", self.class_names),
                           ("decision.positive_class", self.decision.positive_class)):
            if value is not None:
                raise ValueError(f"{key}: a regression project has no classes: set null")
        on = [name for name, spec in self.tasks if spec is not None and name != "model_defaults"]
        if on:
            raise ValueError(f"tasks.{on[0]}: the MNIST tasks need classes; a regression "
                             "project leaves them null")
        return self


class Params(Strict):
    seed: Seed
    projects: list[str] = Field(min_length=1)
    resources: dict[str, StageResources]
    serve: ServeParams
    retrain: RetrainParams
    container: ContainerParams
    project_params: dict[str, ProjectParams]  # each project's section merged over defaults
    default_drift: DriftParams  # defaults.drift: for a bundle of a project with no section
    source: str = DEFAULT_PARAMS

    def project(self, name: str) -> ProjectParams:
        if name not in self.projects:
            raise ParamsError(f"{self.source}: projects: expected one of {self.projects}, got {name!r}")
        return self.project_params[name]
