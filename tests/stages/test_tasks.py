"""The task nodes: interim tables in, the five outputs out (nothing read or written)."""

from __future__ import annotations

import ast
import importlib
import io
import numbers
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.params import parse_params
from dlpipe.pipeline.table import BY_NAME
from dlpipe.plots import Figure, plt
from dlpipe.stages.model_table import model_table as model_table_node

from support import ROOT, SHARED_DATA, repo_params, tiny

TASK_NODES = ("binary", "multiclass", "multilabel", "denoise", "mlp")
OUTPUTS = {"metrics", "info", "scores", "figures"}  # and "tables" where the task makes them
SEED = 42
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _node(name: str):
    """The task node ``name`` (``dlpipe.stages.tasks.<name>:<name>``)."""
    return getattr(importlib.import_module(f"dlpipe.stages.tasks.{name}"), name)


def _interim(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=[f"pixel{k}" for k in range(1, 785)])
    return frame.assign(target=y.astype(np.int64))


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict]:
    """Every task node run once on 400 training and 150 test images with the tiny params."""
    mnist = SHARED_DATA / "mnist_784.npz"
    if not mnist.exists():
        pytest.skip(f"{mnist} not available")
    with np.load(mnist) as data:
        train = _interim(data["X"][:400], data["y"][:400])
        test = _interim(data["X"][60000:60150], data["y"][60000:60150])
    tasks = parse_params(tiny(repo_params())).project("mnist").tasks
    out = {name: _node(name)(train=train, test=test, seed=SEED,
                             **{name: getattr(tasks, name)}, project="mnist")
           for name in TASK_NODES}
    yield out
    plt.close("all")


def _leaves(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, (*path, str(key)))
    else:
        yield path, tree


@pytest.mark.parametrize("task", TASK_NODES)
def test_a_task_node_returns_its_declared_outputs(outputs, task):
    assert set(outputs[task]) == set(BY_NAME[task].outputs) >= OUTPUTS


@pytest.mark.parametrize("task", TASK_NODES)
def test_metrics_are_numbers_that_measure_a_model(outputs, task):
    leaves = list(_leaves(outputs[task]["metrics"]))
    assert leaves
    for path, value in leaves:
        assert isinstance(value, numbers.Real) and not isinstance(value, bool), (path, value)
        for key in path:
            assert "seconds" not in key and "rows" not in key and not key.startswith("n_"), path
            assert "threshold" not in key or key.endswith("_at_threshold"), path


@pytest.mark.parametrize("task", TASK_NODES)
def test_scores_are_tidy_rows_with_the_metrics_values(outputs, task):
    scores = outputs[task]["scores"]
    assert list(scores.columns) == SCORE_COLUMNS
    assert (scores["project"] == "mnist").all() and scores["value"].notna().all()
    assert set(scores["split"]) <= {"cv", "train", "test"}
    assert not scores.duplicated(["task", "model", "split", "metric"]).any()
    for path, value in _leaves(outputs[task]["metrics"]):
        model, split, metric = path
        hit = scores[(scores["model"] == model) & (scores["split"] == split)
                     & (scores["metric"] == metric)]
        assert hit["value"].tolist() == pytest.approx([value], nan_ok=True), path


@pytest.mark.parametrize("task", TASK_NODES)
def test_tables_are_csv_frames_and_figures_render_as_png(outputs, task):
    tables, figures = outputs[task].get("tables", {}), outputs[task]["figures"]
    assert all(name.endswith(".csv") and isinstance(frame, pd.DataFrame)
               for name, frame in tables.items())
    assert figures and all(name.endswith(".png") and isinstance(figure, Figure)
                           for name, figure in figures.items())
    for figure in figures.values():  # drawn as the runner saves them, in memory
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=110, bbox_inches="tight")
        assert png.tell() > 1000


def test_info_keeps_the_settings_and_seconds(outputs):
    svc = outputs["binary"]["info"]["models"]["svc"]
    assert svc["train_rows"] == 400 and svc["fit_seconds"] > 0
    assert "value" in svc["threshold"]
    assert outputs["mlp"]["info"]["epochs"] >= 1


def test_plot_data_are_their_own_outputs(outputs):
    models = {m for m in outputs["binary"]["scores"]["model"]}
    assert set(outputs["binary"]["pr"]["series"]) == set(outputs["binary"]["roc"]["series"]) \
        == models
    for task in ("binary", "multiclass"):
        assert list(outputs[task]["confusion"].columns) == ["actual", "predicted"]
    assert set(outputs["mlp"]["metric_curve"]["series"]) == {"training accuracy",
                                                             "validation accuracy"}


def test_a_task_left_out_writes_empty_outputs(outputs):
    from dlpipe.tasks import DECLARED

    empty = _node("binary")(train=None, test=None, seed=SEED, binary=None, project="iris")
    assert set(empty) == set(outputs["binary"])
    assert empty["metrics"] == {} and empty["scores"].empty
    assert list(empty["scores"].columns) == SCORE_COLUMNS
    assert all(empty[name].empty for name in DECLARED["binary"][0])
    # a note in place of the figures (which DVC reads no plot from), no figure; binary's
    # tables are all plot data
    assert set(empty["figures"]) == {"README.md"} and "tables" not in empty
    assert "iris runs no binary task" in empty["figures"]["README.md"]
    other = _node("multilabel")(train=None, test=None, seed=SEED, multilabel=None, project="iris")
    assert set(other["tables"]) == {"README.md"}


@pytest.mark.parametrize("task", TASK_NODES)
def test_a_task_has_a_tables_output_exactly_when_it_makes_other_tables(task, outputs):
    from dlpipe.tasks import DECLARED

    plots, tables = DECLARED[task]
    assert ("tables" in BY_NAME[task].outputs) is tables
    assert ("tables" in outputs[task]) is tables
    assert {name for name in BY_NAME[task].outputs if name in plots} == set(plots)
    if tables:
        assert outputs[task]["tables"], task  # a tables output that is never empty


def test_the_model_table_lists_every_model(outputs):
    results = [outputs[task]["scores"] for task in TASK_NODES]
    main = pd.DataFrame([["mnist", "classification", "main", "test", "accuracy", 0.9, np.nan]],
                        columns=SCORE_COLUMNS)
    out = model_table_node(scores=[*results, main], project="mnist")
    assert set(out) == {"table", "markdown"}
    every = pd.concat([*results, main])[["task", "model"]].drop_duplicates()
    assert len(out["table"]) == len(every)
    lines = out["markdown"].splitlines()
    assert lines[0].startswith("# mnist")
    table_lines = [line for line in lines if line.startswith("|")]
    for model in every["model"]:
        assert any(f" {model} " in line for line in table_lines), model


FORBIDDEN = ("dlpipe.pipeline", "dlpipe.paths", "dlpipe.dag", "dlpipe.io")


@pytest.mark.parametrize("source", sorted(
    [*(ROOT / "src/dlpipe/stages/tasks").glob("*.py"), *(ROOT / "src/dlpipe/tasks").glob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nodes_and_tasks_know_no_paths(source: Path):
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    assert not {name for name in imported if name.startswith(FORBIDDEN)}
