"""Write docs/reference/params.md: every key of params.yaml, from the params models themselves.

The reference walks the pydantic models of :mod:`dlpipe.params` from the top-level ``Params``
down (``model_fields``, recursively) and prints, per model, each key with its type and
constraints, its value in params.yaml (under ``defaults:``, ``resources.default`` or at the top
level) and what it means: the field's description, else the comment params.yaml has beside (or
just above) the key, else the comment beside the field in the model's source.

    .venv/bin/python docs/gen_params.py          # rewrite docs/reference/params.md

:func:`params_reference` is pure (the text of params.yaml in, Markdown out);
``tests/test_docs.py`` regenerates the page and compares it with the committed file.
"""

from __future__ import annotations

import inspect
import io
import re
import sys
import tokenize
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import annotated_types as at
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dlpipe.params import Params
from dlpipe.params.schema import RESERVED_KEYS

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "reference" / "params.md"
COMMAND = ".venv/bin/python docs/gen_params.py"

# The top-level model is what loading builds, not the file's layout: each project section
# (and `defaults:`) becomes project_params, defaults.drift is also kept as default_drift, and
# source is the file's path. Every field of Params must be named here (a new one fails).
TOP_LEVEL = {"seed": "seed", "projects": "projects", "resources": "resources", "serve": "serve",
             "retrain": "retrain", "container": "container",
             "project_params": "<p>", "default_drift": None, "source": None}
# what stands for the user's names in a key path, per mapping field
PLACEHOLDERS = {"resources": "<stage>", "search_space": "<key>", "models": "<name>"}
# Comments in params.yaml that run down a block as one paragraph: they describe the block's key,
# not the keys they happen to sit beside.
WRAPPED = {("resources",), ("defaults", "decision")}


# --- params.yaml: values and comments by key path --------------------------------------------
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w]*|\d+)\s*:(?:\s|$)")


def _comment_start(line: str) -> int | None:
    """Where the line's comment starts (a '#' outside quotes, at the start or after a blank)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def yaml_comments(text: str) -> dict[tuple[str, ...], str]:
    """The comment of each key path of a block-style YAML file: the comment on the key's line,
    comment-only lines continuing it (aligned with it), and comment-only lines just above the key
    (aligned with the key). Comments of keys inside a WRAPPED block belong to the block's key."""
    comments: dict[tuple[str, ...], list[str]] = {}
    stack: list[tuple[int, str]] = []
    seen_key = False
    leading: list[str] = []
    last: tuple[tuple[str, ...], int] | None = None  # key path and column of the last comment
    wrapped: tuple[tuple[str, ...], int] | None = None  # (key path, indent) collecting a paragraph
    depth = 0  # open brackets of a flow mapping or list that runs over several lines
    for line in text.splitlines():
        start = _comment_start(line)
        comment = line[start + 1:].strip() if start is not None else ""
        body = line[:start] if start is not None else line
        inside, depth = depth > 0, depth + sum(body.count(c) for c in "{[") - sum(
            body.count(c) for c in "}]")
        if not body.strip():
            if not comment:  # a blank line ends every run
                leading, last = [], None
            elif last and last[1] == start:
                comments[last[0]].append(comment)
            elif seen_key:
                leading.append(comment)
            continue
        match = None if inside else KEY_LINE.match(body)
        if not match:  # a list item or a continued flow mapping
            if comment and last:
                comments[last[0]].append(comment)
            continue
        seen_key = True
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*[key for _, key in stack], match["key"])
        stack.append((indent, match["key"]))
        if wrapped and indent <= wrapped[1]:
            wrapped = None
        if path in WRAPPED:
            wrapped = (path, indent)
        owner = wrapped[0] if wrapped and comment else path
        if wrapped and not comment and path != wrapped[0]:
            wrapped = None  # the paragraph ended: later comments are their keys' own
        texts = comments.setdefault(owner, [])
        texts.extend(leading)
        leading = []
        if comment:
            texts.append(comment)
            last = (owner, start)
        else:
            last = None
    return {path: " ".join(texts) for path, texts in comments.items() if texts}


_ABSENT = object()


def _lookup(raw, path: tuple[str, ...]):
    node = raw
    for part in path:
        if not isinstance(node, dict):
            return _ABSENT
        key = next((k for k in node if str(k) == part), _ABSENT)
        if key is _ABSENT:
            return _ABSENT
        node = node[key]
    return node


# --- the models: types and source comments ----------------------------------------------------
def _source_comments(model: type) -> dict[str, str]:
    """The comment beside each field in the model's class body (``units: PosInt  # ...``)."""
    try:
        source = inspect.getsource(model)
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        text = token.string.lstrip("#").strip()
        match = re.match(r"^ {4}(\w+)\s*:", lines[token.start[0] - 1])
        if match and not text.startswith("type:") and match[1] in model.model_fields:
            found[match[1]] = text
    return found


def _docstring(model: type) -> str:
    doc = model.__dict__.get("__doc__")
    if not doc:
        return ""
    text = inspect.cleandoc(doc).replace("``", "`")
    return "\n".join(line for line in text.splitlines())


def _yaml_scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
        "\n...").removesuffix("...").strip()


def _constraints(metadata) -> list[str]:
    said = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            said += _constraints(item.metadata)
        elif isinstance(item, at.Gt):
            said.append(f"> {item.gt}")
        elif isinstance(item, at.Ge):
            said.append(f">= {item.ge}")
        elif isinstance(item, at.Lt):
            said.append(f"< {item.lt}")
        elif isinstance(item, at.Le):
            said.append(f"<= {item.le}")
        elif isinstance(item, at.MinLen):
            said.append(f"at least {item.min_length}")
        elif isinstance(item, at.MaxLen):
            said.append(f"at most {item.max_length}")
        elif getattr(item, "pattern", None):
            said.append(f"matching `{item.pattern}`")
    return said


BASIC = {int: "int", float: "number", str: "text", bool: "true or false", type(None): "null"}


def anchor(model: type) -> str:
    return "model-" + model.__name__.strip("_").lower()


def render_type(tp, metadata=()) -> str:
    """A type as a reader of params.yaml needs it: YAML words, constraints, links to models."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return render_type(args[0], [*args[1:], *metadata])
    said = _constraints(metadata)
    if origin in (typing.Union, types.UnionType):
        parts = [render_type(a) for a in args if a is not type(None)]
        text = " or ".join(parts) + (" or null" if type(None) in args else "")
    elif origin is typing.Literal:
        values = [f"`{_yaml_scalar(v)}`" for v in args]
        text = values[0] if len(values) == 1 else "one of " + ", ".join(values)
    elif origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
        text = f"list of {render_type(args[0])}"
    elif origin is tuple:
        text = "[" + ", ".join(render_type(a) for a in args) + "]"
    elif origin is dict:
        text = f"mapping of {render_type(args[0])} to {render_type(args[1])}"
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        text = f"[{tp.__name__.strip('_')}](#{anchor(tp)})"
    else:
        text = BASIC.get(tp, getattr(tp, "__name__", str(tp)))
    return text + (f" ({', '.join(said)})" if said else "")


def _nested(tp, metadata=()) -> list[tuple[type, str | None, str | None]]:
    """The models inside a field's type: (model, the placeholder of a mapping it sits in,
    the discriminator value that picks it in a union)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _nested(args[0], [*args[1:], *metadata])
    if origin in (typing.Union, types.UnionType):
        found = [n for a in args for n in _nested(a)]
        many = [m for m, _, _ in found]
        if len(many) > 1:  # a discriminated union: each model names its tag
            return [(m, key, _tag(m)) for m, key, _ in found]
        return found
    if origin is dict:
        return [(m, "<name>", tag) for m, _, tag in _nested(args[1])]
    if origin in (list, tuple):
        return [n for a in args for n in _nested(a)]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [(tp, None, None)]
    return []


def _tag(model: type) -> str | None:
    for name, info in model.model_fields.items():
        if typing.get_origin(info.annotation) is typing.Literal and name in ("source", "type",
                                                                             "kind"):
            return f"{name}: {_yaml_scalar(typing.get_args(info.annotation)[0])}"
    return None


# --- the walk ---------------------------------------------------------------------------------
@dataclass
class Place:
    """Where a model sits in params.yaml: its key path as shown, and the key paths of the file
    that hold it (``defaults`` first for a project's keys), filtered by a union's tag."""

    shown: str
    candidates: list[tuple[str, ...]]
    default: tuple[str, ...] | None  # where the value shown as the default lives
    tag: str | None = None


@dataclass
class Section:
    model: type
    places: list[Place] = field(default_factory=list)


def _matches(raw, path: tuple[str, ...], tag: str | None) -> bool:
    if tag is None:
        return True
    key, value = tag.split(": ", 1)
    found = _lookup(raw, (*path, key))
    return found is not _ABSENT and _yaml_scalar(found) == value


def _child(place: Place, raw, name: str, placeholder: str | None, tag: str | None) -> Place:
    shown = f"{place.shown}.{name}" if place.shown else name
    candidates = [(*c, name) for c in place.candidates]
    default = (*place.default, name) if place.default is not None else None
    if placeholder:
        shown += "." + PLACEHOLDERS.get(name, placeholder)
        expanded = []
        for c in candidates:
            node = _lookup(raw, c)
            if isinstance(node, dict):
                expanded += [(*c, str(k)) for k in node]
        candidates, default = expanded, None
    if tag:
        candidates = [c for c in candidates if _matches(raw, c, tag)]
        if default is not None and not _matches(raw, default, tag):
            default = None
    return Place(shown, candidates, default, tag)


def walk(raw) -> list[Section]:
    """Every model under Params, once each, in the order a reader meets them (breadth first)."""
    unnamed = set(Params.model_fields) - set(TOP_LEVEL)
    if unnamed:
        raise SystemExit(f"gen_params.py: Params has fields {sorted(unnamed)} that TOP_LEVEL "
                         "does not place in params.yaml")
    projects = [k for k in raw if k not in RESERVED_KEYS]
    sections: dict[type, Section] = {}
    queue: list[tuple[type, Place]] = []
    top = Place("", [()], ())
    for name, shown in TOP_LEVEL.items():
        if shown is None:
            continue
        info = Params.model_fields[name]
        for model, key, tag in _nested(info.annotation):
            if name == "project_params":
                place = Place("<p>", [("defaults",), *[(p,) for p in projects]], ("defaults",))
            elif key:
                place = _child(top, raw, name, key, tag)
                place.default = ("resources", "default") if name == "resources" else None
            else:
                place = _child(top, raw, name, None, tag)
            queue.append((model, place))
    while queue:
        model, place = queue.pop(0)
        sections.setdefault(model, Section(model)).places.append(place)
        for name, info in model.model_fields.items():
            for nested, key, tag in _nested(info.annotation, info.metadata):
                queue.append((nested, _child(place, raw, name, key, tag)))
    return list(sections.values())


# --- the page ---------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(raw, path: tuple[str, ...] | None, info: FieldInfo) -> str:
    if path is None:
        return "—"
    value = _lookup(raw, path)
    if value is _ABSENT:
        return "—"
    if _nested(info.annotation, info.metadata) and value is not None:
        return "(a mapping)"
    return f"`{_cell(_yaml_scalar(value))}`"


def _meaning(name: str, info: FieldInfo, section: Section, comments: dict,
             source: dict[str, str]) -> str:
    """The field's description; else the comment params.yaml has for the key where its value
    is shown (``defaults:``, the top level, ``resources.default``); else the comment beside the
    field in the model's source; else a project section's comment, naming the project."""
    if info.description:
        return info.description
    for place in section.places:
        if place.default is not None and (*place.default, name) in comments:
            return comments[(*place.default, name)].removesuffix(":")
    if name in source:
        return source[name]
    for place in section.places:
        for candidate in place.candidates:
            if candidate[:1] != ("defaults",) and (*candidate, name) in comments:
                text = comments[(*candidate, name)].removesuffix(":")
                return f"in `{candidate[0]}`: {text}" if place.shown.startswith("<p>") else text
    return ""


def _top_table(raw, comments) -> list[str]:
    rows = ["| key | type | value in params.yaml | meaning |", "|---|---|---|---|"]
    for name, shown in TOP_LEVEL.items():
        if shown is None:
            continue
        info = Params.model_fields[name]
        kind = render_type(info.annotation, info.metadata)
        if name == "project_params":
            kind = render_type(typing.get_args(info.annotation)[1])
            rows.append(f"| `defaults` | {kind}, every key optional | (a mapping) | "
                        f"{_cell(comments.get(('defaults',), ''))} |")
            rows.append(f"| `<p>` (a project's name) | {kind}, merged over `defaults` | "
                        "(a mapping) "
                        "| a project section; `projects` names the ones that run |")
            continue
        value = _value(raw, (name,), info)
        if name == "resources":
            value = "(a mapping)"
        rows.append(f"| `{name}` | {kind} | {value} | {_cell(comments.get((name,), ''))} |")
    return rows


def _by_project(value) -> str:
    """A resource's value: ``500``, or by project ``500; mnist 2050`` (default first)."""
    if not isinstance(value, dict):
        return str(value)
    return "; ".join([str(value.get("default"))] + [f"{project} {number}" for project, number
                                                     in value.items() if project != "default"])


def _resources_table(raw) -> list[str]:
    resources = raw.get("resources") or {}
    keys = list(Params.model_fields["resources"].annotation.__args__[1].model_fields)
    rows = ["| stage | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for stage, spec in resources.items():
        rows.append(f"| `{stage}` | " + " | ".join(_by_project(spec.get(k, "—")) for k in keys)
                    + " |")
    return rows


def params_reference(params_text: str) -> str:
    """The reference page for a params.yaml with this text (its values and comments)."""
    raw = yaml.safe_load(params_text)
    comments = yaml_comments(params_text)
    out = [
        "# params.yaml reference",
        "",
        f"<!-- generated by docs/gen_params.py; do not edit: run `{COMMAND}` -->",
        "",
        "Every key of `params.yaml`, generated from the params models (`src/dlpipe/params/`) and "
        "the comments of `params.yaml`. Every key is required (once a project section is "
        "merged over `defaults:`) and an unknown key is refused.",
        "",
        "`<p>` stands for `defaults` or a project's name: each project section is merged over "
        "`defaults:` (mappings key by key; a project's `tune.search_space` replaces the default "
        "one whole), and the merged section must have every key. The column *value in "
        "params.yaml* is the value under `defaults:` for a project key, under "
        "`resources.default` for a stage's resources, and the value itself at the top level; "
        "— where the file gives none there (per project, or a name you choose).",
        "",
        "[Parameters](../params.md) explains how the file is organised and what a mistake "
        "says.",
        "",
        "## Top level {#top-level}",
        "",
        *_top_table(raw, comments),
        "",
    ]
    for section in walk(raw):
        model = section.model
        # the places params.yaml uses first (a KNN spec's tune: in a multiclass task's models)
        section.places.sort(key=lambda p: all(_lookup(raw, c) is _ABSENT for c in p.candidates))
        shown = list(dict.fromkeys(
            f"`{p.shown}`" + (f" ({p.tag})" if p.tag else "") for p in section.places))
        out += [f"## {shown[0]} {{#{anchor(model)}}}", ""]
        also = f" Also at {', '.join(shown[1:])}." if shown[1:] else ""
        out += [f"Model `{model.__name__}` (`{model.__module__}`).{also}", ""]
        if _docstring(model):
            out += [_docstring(model), ""]
        source = _source_comments(model)
        default = next((p.default for p in section.places if p.default is not None), None)
        out += ["| key | type | value in params.yaml | meaning |", "|---|---|---|---|"]
        for name, info in model.model_fields.items():
            kind = render_type(info.annotation, info.metadata)
            value = _value(raw, (*default, name) if default is not None else None, info)
            meaning = _meaning(name, info, section, comments, source)
            out.append(f"| `{name}` | {_cell(kind)} | {value} | {_cell(meaning)} |")
        out.append("")
        if section.places[0].shown == "resources.<stage>":
            out += ["Per stage in params.yaml (`default` serves every stage without an entry "
                    "of its own):", "", *_resources_table(raw), ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(params_reference((ROOT / "params.yaml").read_text()))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
