"""params.yaml: read, merge each project over ``defaults`` (and over its task's
``task_defaults``), validate, and report the first problem in one line.

An unknown key, a wrong type or an out-of-range value raises :class:`ParamsError` naming the file,
the key path where the value was written (``penguins.cv.folds``, or ``defaults.cv.folds`` when
the project inherits it), what was expected and what was found.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dlpipe.errors import ParamsError
from dlpipe.params.schema import DEFAULT_PARAMS, PROJECT_NAME, RESERVED_KEYS, TASKS, Params

# --- loading --------------------------------------------------------------------------------------
def load_params(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and validate ``path``; raise ParamsError with one clear message on any problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found (expected a params YAML file)") from None
    except OSError as exc:  # unreadable: its permissions (a mounted copy), or a directory
        raise ParamsError(f"{path}: cannot be read ({exc.strerror or exc}; expected a params "
                          "YAML file this user may read)") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    return parse_params(raw, source=str(path))


# Mappings whose keys the user names (search dimensions): a project replaces them whole, so that
# its search space is exactly what it lists.
WHOLE = {("tune", "search_space"), ("gbdt", "search_space")}


def merged(defaults: Any, section: Any, path: tuple[str, ...] = ()) -> Any:
    """``section`` over ``defaults``: mappings merge key by key, anything else is replaced."""
    if not isinstance(defaults, dict) or not isinstance(section, dict) or path in WHOLE:
        return copy.deepcopy(section)
    out = copy.deepcopy(defaults)
    for key, value in section.items():
        out[key] = merged(defaults[key], value, (*path, key)) if key in defaults \
            else copy.deepcopy(value)
    return out


def with_task_network(defaults: dict, section: Any) -> dict:
    """The defaults a project's section merges over: a ``tasks.mlp`` the section states merges
    over ``defaults.model`` (the network the task builds, stating only what differs), not over
    ``defaults.tasks.mlp`` (null: the task is off)."""
    tasks = section.get("tasks") if isinstance(section, dict) else None
    if not isinstance(tasks, dict) or not isinstance(tasks.get("mlp"), dict) or not isinstance(
            defaults.get("tasks"), dict):
        return defaults
    return {**defaults, "tasks": {**defaults["tasks"], "mlp": defaults.get("model")}}


def task_layers(layers: Any, source: str) -> dict:
    """``task_defaults``: for each task, the defaults a project of that task inherits over
    ``defaults`` (a regression project's metrics, for instance)."""
    if not isinstance(layers, dict) or set(layers) != set(TASKS) or not all(
            isinstance(v, dict) for v in layers.values()):
        raise ParamsError(f"{source}: task_defaults: expected a mapping for each of "
                          f"{list(TASKS)}, got {layers!r}")
    return layers


def with_task(defaults: dict, layers: dict, section: Any) -> dict:
    """``defaults`` with the layer of the section's task (stated, or the default one) merged
    over it; a task no layer names is left for validation to refuse."""
    task = section.get("task") if isinstance(section, dict) and "task" in section \
        else defaults.get("task")
    return merged(defaults, layers[task]) if task in layers else defaults


def parse_params(raw: Any, source: str = DEFAULT_PARAMS) -> Params:
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: top level: expected a mapping, got {type(raw).__name__}")
    missing = [key for key in RESERVED_KEYS if key not in raw]
    if missing:
        raise ParamsError(f"{source}: {missing[0]}: missing key (expected top-level keys "
                          f"{list(RESERVED_KEYS)} plus one section per project)")
    projects = raw["projects"]
    if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
        raise ParamsError(f"{source}: projects: expected a list of project names, got {projects!r}")
    defaults = raw["defaults"]
    if not isinstance(defaults, dict):
        raise ParamsError(f"{source}: defaults: expected a mapping of section defaults, got "
                          f"{defaults!r}")
    by_task = task_layers(raw["task_defaults"], source)
    sections = {k: v for k, v in raw.items() if k not in RESERVED_KEYS}
    for name, section in sections.items():
        if not PROJECT_NAME.match(str(name)):
            raise ParamsError(f"{source}: {name}: unknown key (expected {list(RESERVED_KEYS)} or a "
                              "project section named like 'iris')")
        if section is not None and not isinstance(section, dict):
            raise ParamsError(f"{source}: {name}: expected a mapping (a project section), got "
                              f"{section!r}")
    for name in projects:
        if name not in sections:
            raise ParamsError(f"{source}: projects: unknown project {name!r} (expected one of "
                              f"{sorted(sections)}, the sections in the file)")
    if len(set(projects)) != len(projects):
        raise ParamsError(f"{source}: projects: expected unique names, got {projects!r}")
    project_params = {name: merged(with_task_network(with_task(defaults, by_task, section),
                                                     section), section or {})
                      for name, section in sections.items()}
    try:
        return Params(seed=raw["seed"], projects=projects, resources=raw["resources"],
                      serve=raw["serve"], retrain=raw["retrain"], container=raw["container"],
                      project_params=project_params,
                      default_drift=defaults.get("drift"), source=source)
    except ValidationError as exc:
        raise ParamsError(_first_error(exc, source, raw)) from None


def written_at(key: str, raw: dict) -> str:
    """Where the value at ``key`` (``project.section...``) comes from: the project's own section,
    or ``defaults`` when the project inherits it."""
    project, *rest = key.split(".")
    if project not in raw or project in RESERVED_KEYS or not rest:
        return key
    section = raw.get(project)
    task = section.get("task") if isinstance(section, dict) and "task" in section else (
        raw.get("defaults") or {}).get("task")
    layer = (raw.get("task_defaults") or {}).get(task) if isinstance(task, str) else None
    for where, node in ((project, section), (f"task_defaults.{task}", layer),
                        ("defaults", raw.get("defaults"))):
        for part in rest:
            node = node.get(part) if isinstance(node, dict) and part in node else _ABSENT
        if node is not _ABSENT:
            return ".".join([where, *rest])
    return key


_ABSENT = object()
_UNION_FIELDS = {"data": 1, "search_space": 2, "models": 2}  # field -> distance to its tag


def _key(loc: tuple) -> str:
    """The key path as the user wrote it: without pydantic's union and validator tags (a
    discriminated union adds the tag, e.g. 'url' after 'data' or 'svc' after 'models.<name>')."""
    parts = [str(p) for p in loc if p != "project_params"]
    if parts[:1] == ["default_drift"]:
        parts[:1] = ["defaults", "drift"]
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


def _first_error(exc: ValidationError, source: str, raw: dict) -> str:
    """One line for the most telling problem: an unknown key first (it explains a missing one);
    the alternatives of a union (e.g. a fraction or a row count) joined with 'or'."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    key = _key(errors[0]["loc"])
    same = [e for e in errors if _key(e["loc"]) == key and e["type"] == errors[0]["type"]
            or _key(e["loc"]) == key and errors[0]["type"] not in ("extra_forbidden", "missing")]
    expected = " or ".join(dict.fromkeys(_expected(e) for e in same))
    err = errors[0]
    where = written_at(key, raw) or "top level"
    others = len({written_at(_key(e["loc"]), raw) for e in errors}) - 1
    more = f" (and {others} more problem(s))" if others else ""
    if err["type"] == "value_error" and [*err["loc"]][:1] == ["project_params"] and len(
            err["loc"]) == 2:  # a rule across a project's sections names its keys itself
        return f"{source}: {where}: {expected}{more}"
    got = "nothing" if err["type"] == "missing" else repr(err.get("input"))
    if len(got) > 80:
        got = got[:77] + "..."
    return f"{source}: {where}: expected {expected}, got {got}{more}"
