"""params.yaml: the single source of every knob, loaded and validated in one place.

Every field is required (no hidden defaults); an unknown key, a wrong type or an out-of-range value
raises :class:`ParamsError` naming the file, the key path, what was expected and what was found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import Field, ValidationError, model_validator

from dlpipe.errors import ParamsError
from dlpipe.params_base import Fraction, KerasModel, PosInt, Seed, Strict
from dlpipe.study.params import StudyParams

RESERVED_KEYS = ("seed", "projects", "resources")
PROJECT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SCORERS = ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
           "recall_macro", "precision_weighted", "recall_weighted", "roc_auc_ovr", "neg_log_loss")


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
    """k-fold CV of the tuned model in the train stage (``max_rows``: a seeded stratified
    subsample of the training part, for data too large to fit k extra times)."""

    folds: Annotated[int, Field(ge=2, le=50, strict=True)]
    max_rows: Union[PosInt, None]
    metrics: list[Literal[SCORERS]] = Field(min_length=1)  # type: ignore[valid-type]


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
    sampler_startup_trials: Annotated[int, Field(ge=0, strict=True)]  # TPE: random trials first
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
    # the scikit-learn classification study (digit images only); absent for other projects
    study: Union[StudyParams, None] = None

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


_UNION_FIELDS = {"data": 1, "search_space": 2, "models": 2}  # field -> distance to its tag


def _key(loc: tuple) -> str:
    """The key path as the user wrote it: without pydantic's union and validator tags (a
    discriminated union adds the tag, e.g. 'url' after 'data' or 'svc' after 'models.<name>')."""
    parts = [str(p) for p in loc if p != "sections"]
    kept = [p for i, p in enumerate(parts) if "[" not in p and "-" not in p and not any(
        i >= d and parts[i - d] == field for field, d in _UNION_FIELDS.items())]
    return ".".join(kept)


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
