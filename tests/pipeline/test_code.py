"""The code a stage depends on is derived from the imports, so no edit leaves a result stale."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from dlpipe.pipeline import catalog, code, dvc, jobs, snakemake
from dlpipe.pipeline.table import BY_NAME, STAGES

from support import ROOT
from test_layers import imports as imports_of

PACKAGE = ROOT / "src" / "dlpipe"
# whose lazy imports a job need not run: the command line's serve its other commands (serve,
# predict, add ...); the catalog's read one kind of file each (see the READERS test)
LAZY_ELSEWHERE = {"cli/__init__.py", "cli/run.py", "__main__.py", "pipeline/catalog.py"}


def _file(module: str) -> str | None:
    """``module``'s source file relative to src/dlpipe, as an independent lookup."""
    base = PACKAGE.joinpath(*module.split(".")[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate.relative_to(PACKAGE).as_posix()
    return None


def _files(stage) -> set[str]:
    return {path.removeprefix(f"{jobs.PKG}/") for path in jobs.code_paths(stage)}


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_a_stage_depends_on_every_module_its_code_imports(stage):
    """Closed under imports: whatever a listed module imports (at the top or inside a function)
    is listed too, starting from the node's own module."""
    files = _files(stage)
    node_file = _file(stage.node.partition(":")[0])
    assert node_file in files
    for name in sorted(files - LAZY_ELSEWHERE):
        for module in imports_of((PACKAGE / name).read_text()):
            target = _file(module)
            assert target is None or target in files, f"{stage.name}: {name} imports {target}"


def _imported(node: ast.AST) -> set[str]:
    """The dlpipe modules an import statement runs (``from p import m`` runs ``p.m`` when it is
    a module), with the packages above them."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names
                                 if _file(f"{node.module}.{alias.name}")}
    else:
        return set()
    return {".".join(name.split(".")[:k]) for name in names if name.startswith("dlpipe")
            for k in range(1, name.count(".") + 2)}


def _reached(roots: set[str], lazy: bool) -> set[str]:
    """The source files ``roots`` reach through dlpipe imports (``lazy``: inside functions
    too, else the module's own statements only), walked here apart from
    :mod:`dlpipe.pipeline.code`."""
    seen: set[str] = set()
    todo = [".".join(m.split(".")[:k]) for m in roots for k in range(1, m.count(".") + 2)]
    while todo:
        name = _file(todo.pop())
        if name is None or name in seen:
            continue
        seen.add(name)
        tree = ast.parse((PACKAGE / name).read_text())
        for node in (ast.walk(tree) if lazy else tree.body):
            todo += _imported(node)
    return seen


CODE = BY_NAME[jobs.CODE_STAGE]
RUN = [stage for stage in STAGES if stage is not CODE]


@pytest.mark.parametrize("stage", RUN, ids=lambda s: s.name)
def test_a_stage_depends_on_exactly_the_modules_it_reaches(stage):
    """Every module the job runs is a dependency (an edit makes the stage out of date) and no
    other is (an edit of one leaves it up to date): the table of stage x module, from the
    imports."""
    suffixes = jobs.file_suffixes(stage)
    readers = {m for s, m in code.READERS.items() if s in suffixes or "" in suffixes}
    expected = (_reached(set(code.RUNNER), lazy=False)
                | _reached({stage.node.partition(":")[0], *readers}, lazy=True))
    files = _files(stage)
    assert files == expected, (sorted(files - expected), sorted(expected - files))
    every = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}
    assert every - files, "a stage that depends on every module re-runs on any edit"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_depends_on_the_runner_and_every_params_module(stage):
    files = _files(stage)
    params_modules = {f"params/{p.name}" for p in (PACKAGE / "params").glob("*.py")}
    assert params_modules <= files, sorted(params_modules - files)
    assert {"cli/__init__.py", "cli/run.py", "cli/options.py", "pipeline/runner.py",
            "pipeline/catalog.py", "io.py", "cpu.py"} <= files


def test_explain_depends_on_the_module_that_draws_its_figures():
    assert "insight/figures.py" in _files(BY_NAME["explain"])


def test_a_stage_does_not_depend_on_a_module_nothing_of_it_imports():
    assert "models/tuning.py" not in _files(BY_NAME["train"])
    assert "models/tuning.py" in _files(BY_NAME["tune_worker"])
    assert "serving/server.py" not in set().union(*map(_files, STAGES))


def test_a_task_depends_on_its_own_task_module_only():
    tasks = ("binary", "multiclass", "multilabel", "denoise", "mlp")
    for name in tasks:
        files = _files(BY_NAME[name])
        assert f"tasks/{name}.py" in files
        assert not {f"tasks/{other}.py" for other in tasks if other != name} & files, name


def test_the_catalog_names_every_module_it_imports_to_read_a_kind_of_file():
    """``code.READERS`` lists the lazy imports of the catalog: a job reading a ``.keras``
    file depends on the module that loads it."""
    tree = ast.parse(Path(catalog.__file__).read_text())
    top = {node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    lazy = {node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node not in top
            and (node.module or "").startswith("dlpipe.")}
    assert lazy == set(code.READERS.values())
    assert "models/network.py" in _files(BY_NAME["evaluate"])  # reads model.keras in the bundle
    assert "bundle/files.py" in _files(BY_NAME["preprocess"])  # writes preprocess.skops


def test_extra_files_a_row_names_are_added(monkeypatch):
    import dataclasses

    stage = dataclasses.replace(BY_NAME["report"], code=("insight/figures.py",))
    assert "insight/figures.py" in _files(stage)
    assert "insight/figures.py" not in _files(BY_NAME["report"])


def test_the_code_stage_reads_every_module_any_stage_runs():
    """It writes the digests, so an edit of any of them makes it out of date."""
    assert set(_files(CODE)) == set().union(*map(_files, RUN)) | set(
        code.code_files(CODE, jobs.file_suffixes(CODE)))


def test_editing_a_module_changes_exactly_the_digests_of_the_stages_that_run_it(
        tmp_path, monkeypatch):
    """The table of stage x module: an edit of each source file changes the code digest of
    every stage whose jobs run it and of no other (the digest is what both front ends follow,
    and it names the Optuna study)."""
    copy = tmp_path / "dlpipe"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(code, "PACKAGE", copy)
    before = {stage.name: jobs.code_digest(stage) for stage in RUN}
    assert set(jobs.code_digests()) == {stage.name for stage in RUN if stage.scope != "all"}
    stale_cases = []
    for path in sorted(copy.rglob("*.py")):
        name, content = path.relative_to(copy).as_posix(), path.read_bytes()
        path.write_bytes(content + b"# an edit\n")
        after = {stage.name: jobs.code_digest(stage) for stage in RUN}
        path.write_bytes(content)
        changed = {stage for stage in before if after[stage] != before[stage]}
        runs = {stage.name for stage in RUN if name in _files(stage)}
        if changed != runs:
            stale_cases.append((name, sorted(runs - changed), sorted(changed - runs)))
    assert stale_cases == []
    assert {stage.name: jobs.code_digest(stage) for stage in RUN} == before


def test_dvc_follows_each_project_stage_s_digest_instead_of_its_files():
    """A per-project stage depends on its own params file, which holds its code digest (the code
    stage writes the digests and alone depends on the source, the package directory;
    ``resolve`` copies them); a once-only stage lists its files. So DVC re-runs the code stage
    on an edit, ``resolve`` if a digest changed, then exactly the stages whose digest
    changed."""
    stages = dvc.render()["stages"]
    for stage in STAGES:
        body = stages[stage.name].get("do", stages[stage.name])
        listed = [dep.removeprefix(f"{jobs.PKG}/") for dep in body["deps"]
                  if dep.startswith(jobs.PKG)]
        if stage is CODE:
            assert listed == [jobs.PKG], listed
            continue
        if stage.scope == "all":
            assert set(listed) == _files(stage), stage.name
            continue
        assert listed == [], stage.name
        if jobs.writes_project_params(stage):
            assert {CODE.outputs["digests"].path, "params.yaml"} <= set(body["deps"])
            assert "params" not in body, stage.name
            continue
        assert dvc.stage_params_file(stage).replace("{project}", "${item}") in body["deps"]
        assert "params" not in body, stage.name


def test_resolve_writes_each_project_stage_s_keys_and_digest(tmp_path, monkeypatch, raw_params):
    from dlpipe.params import parse_params
    from dlpipe.pipeline import runner

    monkeypatch.chdir(tmp_path)
    params = parse_params(raw_params)
    runner.run(CODE, {"project": jobs.ALL}, params)
    runner.run(BY_NAME["resolve"], {"project": "iris"}, params)
    written = catalog.read(tmp_path / "reports/iris/params")
    followed = [stage for stage in RUN if stage.scope != "all"
                and not jobs.writes_project_params(stage)]
    assert set(written) == {"project.json"} | {f"{stage.name}.json" for stage in followed}
    for stage in followed:
        values = written[f"{stage.name}.json"]
        assert values.pop("code") == jobs.code_digest(stage)
        top = {key.split(".")[0] for key in jobs.project_keys(stage)}
        assert set(values) == top, stage.name


def test_snakemake_follows_each_stage_s_digest_as_a_param(raw_params):
    from dlpipe.params import parse_params

    params = parse_params(raw_params)
    for stage in RUN:
        wildcards = {"project": params.projects[0], "worker": "0"}
        values = snakemake.param_values(stage, params)(wildcards)
        assert f'"code": "{jobs.code_digest(stage)}"' in values, stage.name
        listed = [dep for dep in snakemake.inputs(stage, params)(wildcards)
                  if dep.startswith(jobs.PKG)]
        assert listed == ([] if jobs.follows_digest(stage) else jobs.code_paths(stage))


def test_no_source_file_a_stage_depends_on_is_empty():
    """DVC warns about every empty dependency at each run."""
    for stage in STAGES:
        assert all((PACKAGE / name).stat().st_size for name in _files(stage)), stage.name


@pytest.mark.parametrize("source", [
    "from dlpipe.io import (write_csv,  # a comment with a ) in it\n    write_text)\n",
    "import os\nfrom dlpipe import io\n\n\ndef f():\n    from dlpipe.pipeline import (\n"
    "        catalog, jobs)\n    return catalog\n"])
def test_the_import_scan_reads_what_the_whole_module_parse_reads(source):
    """The front ends scan import lines rather than parse every module: the same statements."""
    tree = ast.parse(source)
    for lazy in (False, True):
        expected = [n for n in (ast.walk(tree) if lazy else tree.body)
                    if isinstance(n, ast.ImportFrom) and n.module.startswith("dlpipe")]
        assert sorted(map(ast.dump, code._statements(source, lazy))) == sorted(
            map(ast.dump, expected))
