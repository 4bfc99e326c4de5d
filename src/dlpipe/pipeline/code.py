"""Which source files a stage's results depend on, derived from the imports of its code.

A job runs ``python -m dlpipe STAGE PROJECT``: the command line and the runner (their imports at
module level), the node's module with everything it imports, at module level or inside a
function, followed through the package, and the catalog's reader of each kind of file the job
reads or writes. Both front ends list these files as the job's dependencies, so a change to
any of them makes the job (and what depends on it) out of date; a module none of them
reaches changes nothing.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

from dlpipe.pipeline.stage import Stage

PACKAGE = Path(__file__).resolve().parents[1]  # src/dlpipe
# the module the catalog imports to read or write each kind of file (inside the function that
# does it, so a job depends on it only if it has that kind)
READERS = {".keras": "dlpipe.models.network", ".skops": "dlpipe.bundle.files"}
# what every job runs before its node: the command line, its logs, the runner
RUNNER = ("dlpipe.__main__", "dlpipe.cli", "dlpipe.cli.run", "dlpipe.logs",
          "dlpipe.pipeline.runner")


def module_file(module: str) -> Path | None:
    """The source file of a dlpipe module (a package's ``__init__.py``), or None."""
    parts = module.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


# an import statement naming dlpipe, at the start of a line: its indentation, and the rest of
# the line or, for a parenthesised list of names, up to its closing parenthesis
DLPIPE_IMPORT = re.compile(r"^([ \t]*)((?:from|import)[ \t]+dlpipe[^(\n]*(?:\([^)]*\))?[^\n]*)",
                           re.MULTILINE)


def _statements(source: str, lazy: bool) -> list[ast.stmt]:
    """The import statements of ``source`` that name dlpipe: those at the top level, and with
    ``lazy`` the indented ones too (inside a function, say). Parsing these few lines instead of
    the whole module keeps a front end's start-up short."""
    try:
        return [ast.parse(match.group(2)).body[0] for match in DLPIPE_IMPORT.finditer(source)
                if lazy or not match.group(1)]
    except SyntaxError:  # a statement the pattern cuts short: read the whole module
        tree = ast.parse(source)
        return [node for node in (ast.walk(tree) if lazy else tree.body)
                if isinstance(node, (ast.Import, ast.ImportFrom))]


@lru_cache(maxsize=None)
def imports(module: str, lazy: bool) -> frozenset[str]:
    """The dlpipe modules ``module`` imports (``lazy``: inside functions too), with the
    packages importing them runs."""
    path = module_file(module)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in _statements(path.read_text(), lazy):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if module_file(f"{node.module}.{alias.name}") is not None}
    named = {name for name in found if name == "dlpipe" or name.startswith("dlpipe.")}
    return frozenset(_with_packages(named) - {module})


def _with_packages(modules: set[str]) -> set[str]:
    """``modules`` and every package above them (importing ``a.b.c`` runs ``a`` and ``a.b``)."""
    out = set(modules)
    for name in modules:
        parts = name.split(".")
        out |= {".".join(parts[:k]) for k in range(1, len(parts))}
    return out


@lru_cache(maxsize=None)
def reach(roots: tuple[str, ...], lazy: bool) -> frozenset[str]:
    """Every dlpipe module ``roots`` import, followed transitively."""
    seen: set[str] = set()
    todo = list(_with_packages(set(roots)))
    while todo:
        module = todo.pop()
        if module in seen or module_file(module) is None:
            continue
        seen.add(module)
        todo += imports(module, lazy) - seen
    return frozenset(seen)


def reader_modules(suffixes: frozenset[str]) -> tuple[str, ...]:
    """The catalog's readers for the kinds of file ``suffixes`` name (a directory, "", may
    hold any kind)."""
    return tuple(module for suffix, module in READERS.items()
                 if suffix in suffixes or "" in suffixes)


def code_files(stage: Stage, suffixes: frozenset[str]) -> tuple[str, ...]:
    """The source files (relative to ``src/dlpipe``) a job of ``stage`` runs, sorted;
    ``suffixes`` are those of the files it reads and writes ("" for a directory)."""
    node_module = stage.node.partition(":")[0]
    modules = (reach(RUNNER, lazy=False)
               | reach((node_module, *reader_modules(suffixes)), lazy=True))
    files = {module_file(m).relative_to(PACKAGE).as_posix() for m in modules}
    return tuple(sorted(files | set(stage.code)))
