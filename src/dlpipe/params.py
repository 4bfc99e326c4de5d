"""params.yaml: the single source of every knob, loaded and validated in one place.

Every field is required (no hidden defaults); an unknown key, a wrong type or an out-of-range value
raises :class:`ParamsError` naming the file, the key path, what was expected and what was found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dlpipe.errors import ParamsError

RESERVED_KEYS = ("seed", "projects", "resources")
PROJECT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SCORERS = ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
           "recall_macro", "precision_weighted", "recall_weighted", "roc_auc_ovr", "neg_log_loss")

Seed = Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]
PosInt = Annotated[int, Field(gt=0, strict=True)]
Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- data -----------------------------------------------------------------------------------------
class SklearnData(Strict):
    """A dataset embedded in scikit-learn (no network), e.g. ``load_iris``."""

    source: Literal["sklearn"]
    loader: Literal["load_iris", "load_wine", "load_breast_cancer", "load_digits"]
    target: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class OpenMLData(Strict):
    """An OpenML dataset; cached/mirrored as ``file`` (an ``.npz`` with ``X`` and ``y``)."""

    source: Literal["openml"]
    name: str
    version: PosInt
    file: str
    feature_prefix: str
    target: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class UrlData(Strict):
    """A CSV file downloaded from ``url``; cached/mirrored as ``file``."""

    source: Literal["url"]
    url: str = Field(pattern=r"^https?://")
    file: str
    target: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


DataParams = Annotated[Union[SklearnData, OpenMLData, UrlData], Field(discriminator="source")]


# --- split / features / cv ------------------------------------------------------------------------
class SplitParams(Strict):
    method: Literal["stratified", "ordered"]
    test_size: Union[Fraction, PosInt]
    seed: Seed
    max_rows: Union[PosInt, None]


class FeatureParams(Strict):
    scaler: Literal["standard", "minmax", "pixel", "none"]
    label_encoding: Literal["onehot", "integer"]


class CVParams(Strict):
    folds: Annotated[int, Field(ge=2, le=50, strict=True)]
    metrics: list[Literal[SCORERS]] = Field(min_length=1)  # type: ignore[valid-type]


# --- models ---------------------------------------------------------------------------------------
class KerasModel(Strict):
    """A Keras Sequential network; ``kind`` picks the MLP or the small CNN for images."""

    kind: Literal["mlp", "cnn"]
    n_layers: Annotated[int, Field(ge=1, le=10, strict=True)]
    units: PosInt
    activation: Literal["relu", "tanh", "sigmoid"]
    batch_norm: bool
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)]
    l2: Annotated[float, Field(ge=0.0)]
    conv_filters: PosInt
    conv_blocks: Annotated[int, Field(ge=0, le=4, strict=True)]
    image_shape: Union[tuple[PosInt, PosInt, PosInt], None]
    optimizer: Literal["adam", "sgd"]
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)]
    batch_size: PosInt
    epochs: PosInt
    patience: PosInt
    validation_fraction: Fraction
    verbose: Literal[0, 1, 2]

    @model_validator(mode="after")
    def _cnn_needs_shape(self) -> "KerasModel":
        if self.kind == "cnn" and self.image_shape is None:
            raise ValueError("kind 'cnn' needs image_shape [height, width, channels]")
        return self


# --- tuning ---------------------------------------------------------------------------------------
class IntSpace(Strict):
    type: Literal["int"]
    low: int
    high: int
    step: PosInt
    log: bool


class FloatSpace(Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool
    grid: list[float]


class CategoricalSpace(Strict):
    type: Literal["categorical"]
    choices: list[Union[str, int, float, bool]] = Field(min_length=1)


SearchSpace = Annotated[Union[IntSpace, FloatSpace, CategoricalSpace], Field(discriminator="type")]


class TuneParams(Strict):
    mode: Literal["tpe", "random", "grid"]
    n_trials: PosInt
    timeout: Union[PosInt, None]
    pruner: Literal["median", "none"]
    pruner_startup_trials: Annotated[int, Field(ge=0, strict=True)]
    pruner_warmup_steps: Annotated[int, Field(ge=0, strict=True)]
    max_rows: Union[PosInt, None]
    metric: Literal["accuracy", "f1_macro", "balanced_accuracy"]
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


class EvaluateParams(Strict):
    metrics: list[Literal[SCORERS]] = Field(min_length=1)  # type: ignore[valid-type]


class StageResources(Strict):
    """What Snakemake (and SLURM through it) reserves for each job of a stage."""

    threads: Annotated[int, Field(ge=1, le=256, strict=True)]
    mem_mb: Annotated[int, Field(ge=100, strict=True)]
    runtime: Annotated[int, Field(ge=1, strict=True)]  # minutes


class ProjectParams(Strict):
    data: DataParams
    split: SplitParams
    features: FeatureParams
    cv: CVParams
    model: KerasModel
    tune: TuneParams
    evaluate: EvaluateParams

    @model_validator(mode="after")
    def _search_space_names_model_fields(self) -> "ProjectParams":
        unknown = sorted(set(self.tune.search_space) - set(KerasModel.model_fields))
        if unknown:
            raise ValueError(f"tune.search_space names {unknown}, which are not model keys "
                             f"(expected some of {sorted(KerasModel.model_fields)})")
        return self


class Params(Strict):
    seed: Seed
    projects: list[str] = Field(min_length=1)
    resources: dict[str, StageResources]
    sections: dict[str, ProjectParams]
    source: str = "params.yaml"

    def project(self, name: str) -> ProjectParams:
        if name not in self.projects:
            raise ParamsError(f"{self.source}: projects: expected one of {self.projects}, got {name!r}")
        return self.sections[name]


# --- loading --------------------------------------------------------------------------------------
def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate ``path``; raise ParamsError with one clear message on any problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found (expected a params YAML file)") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    return parse_params(raw, source=str(path))


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: top level: expected a mapping, got {type(raw).__name__}")
    missing = [key for key in RESERVED_KEYS if key not in raw]
    if missing:
        raise ParamsError(f"{source}: {missing[0]}: missing key (expected top-level keys "
                          f"{list(RESERVED_KEYS)} plus one section per project)")
    projects = raw["projects"]
    if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
        raise ParamsError(f"{source}: projects: expected a list of project names, got {projects!r}")
    sections = {k: v for k, v in raw.items() if k not in RESERVED_KEYS}
    for name in sections:
        if not PROJECT_NAME.match(str(name)):
            raise ParamsError(f"{source}: {name}: unknown key (expected {list(RESERVED_KEYS)} or a "
                              "project section named like 'iris')")
    for name in projects:
        if name not in sections:
            raise ParamsError(f"{source}: projects: unknown project {name!r} (expected one of "
                              f"{sorted(sections)}, the sections in the file)")
    if len(set(projects)) != len(projects):
        raise ParamsError(f"{source}: projects: expected unique names, got {projects!r}")
    try:
        return Params(seed=raw["seed"], projects=projects, resources=raw["resources"],
                      sections=sections, source=source)
    except ValidationError as exc:
        raise ParamsError(_first_error(exc, source)) from None


_UNION_TAGS = {"sklearn", "openml", "url", "int", "float", "categorical"}


def _key(loc: tuple) -> str:
    """The key path as the user wrote it: without pydantic's union/validator tags."""
    parts = [str(p) for p in loc if p != "sections"]
    return ".".join(p for p in parts if p not in _UNION_TAGS and "[" not in p and "-" not in p)


def _expected(err: dict) -> str:
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        return "no such key (check the spelling; see params.yaml for the known keys)"
    if err["type"] == "missing":
        return "this key (it is required)"
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _first_error(exc: ValidationError, source: str) -> str:
    """One line for the most telling problem: an unknown key first (it explains a missing one);
    the alternatives of a union (e.g. a fraction or a row count) joined with 'or'."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    key = _key(errors[0]["loc"])
    same = [e for e in errors if _key(e["loc"]) == key and e["type"] == errors[0]["type"]
            or _key(e["loc"]) == key and errors[0]["type"] not in ("extra_forbidden", "missing")]
    expected = " or ".join(dict.fromkeys(_expected(e) for e in same))
    err = errors[0]
    got = "nothing" if err["type"] == "missing" else repr(err.get("input"))
    if len(got) > 80:
        got = got[:77] + "..."
    others = len({_key(e["loc"]) for e in errors}) - 1
    more = f" (and {others} more problem(s))" if others else ""
    return f"{source}: {key or 'top level'}: expected {expected}, got {got}{more}"
