"""Editing params.yaml's text to add a project (its name appended to ``projects`` and its
section to the end) or to give a project a new version of its data, comments and layout kept.
:func:`edited` and :func:`with_data` are pure (a text in, a text out); :func:`saved` and
:func:`write` write the file, and put it back if the result does not validate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from dlpipe.errors import ParamsError
from dlpipe.io import write_text
from dlpipe.params import load_params
from dlpipe.params.schema import PROJECT_NAME, RESERVED_KEYS


@dataclass(frozen=True)
class Added:
    """What ``add`` wrote: the section's text (as appended to params.yaml) and the warnings."""

    name: str
    path: str
    text: str
    warnings: list[str]


def opened(params: Path, name: str, replace: bool) -> tuple[str, dict, Path]:
    """The text and content of ``params`` (valid as it is) without the section of ``name``
    (``replace``: a section it has is written anew), and the repository's root; refuses a
    name that is not a project name or that has a section already."""
    load_params(params)  # the file as it is must be valid first
    text = params.read_text()
    raw = yaml.safe_load(text)
    if not PROJECT_NAME.match(name) or name in RESERVED_KEYS:
        raise ParamsError(f"{name!r}: not a project name (expected lower-case letters, digits "
                          f"and _, starting with a letter; not one of {list(RESERVED_KEYS)})")
    if name in raw and not replace:
        raise ParamsError(f"{params}: {name}: the project already has a section (--replace "
                          "writes it anew)")
    if name in raw:
        text, raw = without_section(text, name), {k: v for k, v in raw.items() if k != name}
    return text, raw, Path(os.path.abspath(params)).parent


def saved(params: Path, text: str, raw: dict, name: str, section: dict) -> str:
    """``params`` written as ``text`` with project ``name`` and its ``section`` added (and
    validated); the section's text."""
    block = section_text(name, section)
    new = edited(text, name, block, listed=name in raw["projects"])
    if _parsed(new) != with_project(raw, name, section):
        raise ParamsError(f"{params}: cannot add {name} by editing the text (an unusual layout): "
                          "add the section and the name in projects by hand")
    write(params, params.read_text(), new)
    return block


def with_project(raw: dict, name: str, section: dict) -> dict:
    """``raw`` with project ``name``: its section set and its name in ``projects`` (last, if it
    was not there)."""
    listed = raw["projects"] if name in raw["projects"] else [*raw["projects"], name]
    return {**raw, "projects": listed, name: section}


def without_section(text: str, name: str) -> str:
    """``text`` (a params file) without the top-level section ``name`` (its lines up to the next
    top-level key) and the blank lines before it."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not
                lines[i].startswith((" ", "\t", "#"))), len(lines))
    while start > 0 and not lines[start - 1].strip():
        start -= 1
    return "".join(lines[:start] + lines[end:])


def _flow(value) -> str:
    """``value`` as YAML on one line: a list in flow style, a scalar quoted only if needed."""
    return yaml.safe_dump([value], default_flow_style=True, width=float("inf")).strip()[1:-1]


def section_text(name: str, section: dict) -> str:
    """The section as YAML lines: mappings in block style, each list on one line."""
    lines = [f"{name}:"]
    for part, fields in section.items():
        if not isinstance(fields, dict):
            lines.append(f"  {part}: {_flow(fields)}")
            continue
        lines.append(f"  {part}:")
        lines += [f"    {key}: {_flow(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def edited(text: str, name: str, section: str, listed: bool = False) -> str:
    """``text`` (a params file) with ``name`` appended to its ``projects`` list (flow style on one
    line, or block style) unless ``listed``, and ``section`` appended to the end; comments and
    layout kept."""
    if listed:
        return text + ("" if text.endswith("\n") else "\n") + "\n" + section
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith("projects:")), None)
    if at is None:
        raise ParamsError("params file: no top-level 'projects:' line to add the project to")
    value, mark, comment = lines[at][len("projects:"):].rstrip("\n").partition("#")
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        items = value[1:-1].strip()
        entries = f"{items}, {name}" if items else name
        lines[at] = f"projects: [{entries}]" + (f"  {mark}{comment}" if mark else "") + "\n"
    else:
        end = next((i for i in range(at + 1, len(lines)) if lines[i].strip() and not
                    lines[i].startswith((" ", "\t", "#", "- "))), len(lines))
        items = [i for i in range(at + 1, end) if lines[i].lstrip().startswith("- ")]
        if value or not items:
            raise ParamsError("params file: 'projects:' is neither a [flow] list on one line nor "
                              "a block of '- name' lines: add the project by hand")
        last = lines[items[-1]]
        lines.insert(items[-1] + 1, last[:len(last) - len(last.lstrip())] + f"- {name}\n")
    body = "".join(lines)
    return body + ("" if body.endswith("\n") else "\n") + "\n" + section


def with_data(text: str, name: str, data: dict, class_names: dict | None = None) -> str:
    """``text`` (a params file) with the ``data:`` block of project ``name`` replaced by ``data``
    and, given ``class_names``, a ``class_names:`` line after it; the rest kept as it is.
    Refused (:class:`ParamsError`) where the result would not read back as that change."""
    raw = yaml.safe_load(text)
    section = raw.get(name)
    where = f"params file: {name}.data"
    if not isinstance(section, dict) or "data" not in section:
        raise ParamsError(f"{where}: missing: the project has no data section to replace")
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not
                lines[i].startswith((" ", "\t", "#"))), len(lines))
    at = next((i for i in range(start + 1, end) if lines[i].startswith("  data:")), None)
    stop = next((i for i in range((at or end) + 1, end) if lines[i].strip()
                 and len(lines[i]) - len(lines[i].lstrip(" ")) <= 2), end)
    while at is not None and stop > at + 1 and not lines[stop - 1].strip():
        stop -= 1
    block = ["  data:\n"] + [f"    {key}: {_flow(value)}\n" for key, value in data.items()]
    if class_names is not None:
        block.append(f"  class_names: {_flow(class_names)}\n")
    new = "".join(lines[:at] + block + lines[stop:]) if at is not None else text
    wanted = {**section, "data": data, **({} if class_names is None else
                                          {"class_names": class_names})}
    if at is None or _parsed(new) != {**raw, name: wanted}:
        raise ParamsError(f"{where}: cannot replace it by editing the text (an unusual layout): "
                          f"write {data} there by hand")
    return new


def repo_file(file: str, root: Path, option: str) -> str:
    """``file`` as a path relative to ``root`` (the repository), refused outside it or missing."""
    full = Path(os.path.normpath(root / file))
    try:
        relative = full.relative_to(root)
    except ValueError:
        raise ParamsError(f"{option} {file}: outside the repository {root} (copy it under "
                          "data/external/)") from None
    if not full.exists():
        raise ParamsError(f"{option} {file}: no such file or folder under {root}")
    return relative.as_posix()


def _parsed(text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def write(params: Path, old: str, new: str) -> None:
    """Write ``new`` to ``params`` and validate it; restore ``old`` if it does not validate."""
    write_text(params, new)
    try:
        load_params(params)
    except ParamsError as exc:
        write_text(params, old)
        raise ParamsError(f"{exc} (the section did not validate: {params} restored)") from None
