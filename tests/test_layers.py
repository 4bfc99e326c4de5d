"""The package's layers: imports only point down, and modules and functions stay small.

Each unit (a module, or a subpackage taken whole) sits on one floor; a unit may import its own
modules and any unit on a lower floor, never one beside or above it. Imports inside functions
count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support import ROOT

PACKAGE = ROOT / "src" / "dlpipe"
FLOORS = (
    ("dlpipe.cpu",),
    ("dlpipe", "dlpipe.errors"),
    ("dlpipe.io", "dlpipe.imports", "dlpipe.logs", "dlpipe.frames", "dlpipe.csv_files",
     "dlpipe.encoders", "dlpipe.images", "dlpipe.row_columns"),
    ("dlpipe.params",),
    ("dlpipe.datasets", "dlpipe.features", "dlpipe.table_checks", "dlpipe.params_file"),
    ("dlpipe.metrics",),
    ("dlpipe.plots", "dlpipe.tables"),
    ("dlpipe.models",),
    ("dlpipe.bundle",),
    ("dlpipe.insight", "dlpipe.tasks"),
    ("dlpipe.monitoring",),
    ("dlpipe.serving",),
    ("dlpipe.stages",),
    ("dlpipe.pipeline", "dlpipe.projects", "dlpipe.image_projects"),
    ("dlpipe.retraining", "dlpipe.deploy"),
    ("dlpipe.cli",),
    ("dlpipe.__main__",),
)
MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 60


def unit_of(module: str) -> str:
    """The longest unit name ``module`` belongs to."""
    units = [u for floor in FLOORS for u in floor if module == u or module.startswith(u + ".")]
    return max(units, key=len)


def floor_of(unit: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if unit in floor)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str) -> set[str]:
    """Every dlpipe module ``source`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{a.name}" if node.module == "dlpipe" else node.module
                      for a in node.names}
    return {name for name in found if name == "dlpipe" or name.startswith("dlpipe.")}


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_sits_on_a_floor():
    for path in SOURCES:
        assert unit_of(module_name(path)), path


def not_below(module: str, source: str) -> list[str]:
    """The imports of ``module`` (its ``source``) that do not point to a lower floor."""
    unit = unit_of(module)
    return [name for name in sorted(imports(source))
            if unit_of(name) != unit and floor_of(unit_of(name)) >= floor_of(unit)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_point_down(path):
    assert not_below(module_name(path), path.read_text()) == []


def test_upward_and_sideways_imports_are_caught():
    lazy_upward = "def f():\n    from dlpipe.pipeline import runner\n"
    assert not_below("dlpipe.models.training", lazy_upward) == ["dlpipe.pipeline"]
    assert not_below("dlpipe.features", "from dlpipe.datasets import load\n") == [
        "dlpipe.datasets"]
    assert not_below("dlpipe.stages.split", "from dlpipe import features, io\n") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} has {length} lines"
