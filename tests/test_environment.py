"""environment.yml (conda users) lists the same packages and ranges as pyproject.toml (its
extras too), and the pinned lock satisfies pyproject's ranges."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from support import ROOT


def _name(text: str) -> str:
    return re.split(r"[<>=!~ \[]", text, maxsplit=1)[0].lower().replace("_", "-")


def pyproject() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    deps = project["dependencies"] + [d for extra in extras for d in extra]
    return {_name(d): Requirement(d) for d in deps}


def conda() -> dict[str, str]:
    entries = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    flat = [e for e in entries if isinstance(e, str)]
    flat += [e for block in entries if isinstance(block, dict) for e in block["pip"]]
    return {_name(e): e.replace(" ", "") for e in flat
            if _name(e) not in ("python", "pip", "-e")}


def test_environment_yml_lists_the_pyproject_packages():
    ours, theirs = pyproject(), conda()
    assert set(theirs) == set(ours)
    for name, requirement in ours.items():
        conda_requirement = Requirement(theirs[name])
        assert (conda_requirement.specifier, conda_requirement.extras) == (
            requirement.specifier, requirement.extras), name


def test_lock_satisfies_pyproject_ranges():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    for name, requirement in pyproject().items():
        assert name in pins, f"{name} is not pinned in requirements.lock"
        assert requirement.specifier.contains(pins[name]), (name, pins[name])
