"""The documentation: the MkDocs site builds with --strict, its nav and docs/ agree, README.md
stays a short front door whose links resolve, and the params reference matches the params models.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import typing

import yaml
from pydantic import BaseModel

from support import ROOT
from test_glossary import RETIRED

DOCS = ROOT / "docs"
README_MAX_LINES = 300
REGENERATE = ".venv/bin/python docs/gen_params.py"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def pages() -> set[str]:
    return {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}


def nav_entries(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [e for value in node.values() for e in nav_entries(value)]
    if isinstance(node, list):
        return [e for item in node for e in nav_entries(item)]
    return []


def test_site_builds_strict(tmp_path):
    """Every link and anchor resolves, every page is in the nav (mkdocs.yml's validation)."""
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "index.html").exists() and (site / "reference" / "params.html").exists()


def test_nav_and_pages_agree():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = nav_entries(config["nav"])
    assert len(nav) == len(set(nav)), f"a page is in the nav twice: {nav}"
    assert not set(nav) - pages(), f"in the nav, missing from docs/: {sorted(set(nav) - pages())}"
    assert not pages() - set(nav), f"in docs/, missing from the nav: {sorted(pages() - set(nav))}"


def test_readme_is_short_and_its_links_resolve():
    text = (ROOT / "README.md").read_text()
    lines = text.count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES})"
    targets = [t.split("#", 1)[0] for t in LINK.findall(text)
               if not re.match(r"^[a-z]+:", t) and not t.startswith("#")]
    broken = [t for t in targets if not (ROOT / t).exists()]
    assert not broken, f"README.md links to missing files: {broken}"
    # every page is linked (or the repository file it includes)
    linked = {(ROOT / t).resolve() for t in targets}
    unlinked = []
    for page in sorted(pages()):
        included = SNIPPET.findall((DOCS / page).read_text())
        if (DOCS / page).resolve() not in linked and not any(
                (ROOT / i).resolve() in linked for i in included):
            unlinked.append(page)
    assert not unlinked, f"README.md's Documentation section does not link {unlinked}"


def test_docs_use_no_retired_word():
    """The glossary of ARCHITECTURE.md holds in the docs as in the code (tests/test_glossary.py)."""
    found = [f"{page}: {pattern!r}, say {use!r}" for page in sorted(pages())
             for pattern, use in RETIRED.items()
             if re.search(pattern, (DOCS / page).read_text())]
    assert not found, found


def test_params_reference_is_current():
    spec = importlib.util.spec_from_file_location("gen_params", DOCS / "gen_params.py")
    module = importlib.util.module_from_spec(spec)
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
        del sys.modules[spec.name]
    expected = module.params_reference((ROOT / "params.yaml").read_text())
    committed = (DOCS / "reference" / "params.md").read_text()
    assert committed == expected, (
        f"docs/reference/params.md is not what the params models and params.yaml give: run "
        f"`{REGENERATE}` and commit the page")


def _models_in(tp) -> list[type]:
    found = [tp] if isinstance(tp, type) and issubclass(tp, BaseModel) else []
    return found + [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def test_params_reference_has_every_field_of_every_model():
    """Independently of the generator: each model reachable from Params (model_fields,
    recursively) has its section, with a row per field."""
    from dlpipe.params import Params

    sections = (DOCS / "reference" / "params.md").read_text().split("\n## ")
    models, todo = set(), [Params]
    while todo:
        model = todo.pop()
        if model not in models:
            models.add(model)
            todo += [m for info in model.model_fields.values() for m in _models_in(info.annotation)]
    assert len(models) > 20
    for model in models - {Params}:
        section = [s for s in sections if f"Model `{model.__name__}` (" in s]
        assert len(section) == 1, f"{model.__name__}: {len(section)} sections"
        missing = [name for name in model.model_fields if f"| `{name}` |" not in section[0]]
        assert not missing, f"{model.__name__}: no row for {missing}"
