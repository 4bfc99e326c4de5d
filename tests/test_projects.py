"""dlpipe add: a project from a CSV file, written as a minimal section of params.yaml."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlpipe import datasets
from dlpipe.cli import main
from dlpipe.errors import ParamsError
from dlpipe.frames import TARGET
from dlpipe.params import load_params
from dlpipe.params_file import edited, write
from dlpipe.projects import task_of
from dlpipe.stages.split import split_frame
from dlpipe.table_checks import small_classes, unusable
from support import ROOT

CSV = "data/external/shop.csv"
CLASSES = ["cheap", "mid range", "premium"]


def shop_table(rows: int = 60) -> pd.DataFrame:
    """String labels, a categorical and a boolean column, missing values, two ID columns, an
    all-missing and a constant column."""
    rng = np.random.default_rng(0)
    label = np.array(CLASSES)[np.arange(rows) % 3]
    return pd.DataFrame({
        "id": np.arange(1, rows + 1),
        "age": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(40, 10, rows).round(1)),
        "colour": rng.choice(["red", "green", "blue", None], rows),
        "member": rng.choice([True, False], rows),
        "code": [f"c{k:03d}x" for k in rng.permutation(rows)],
        "empty": np.full(rows, np.nan),
        "store": "main",
        "label": label})


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository with the real params.yaml (comments and all) and the CSV file."""
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    (tmp_path / CSV).parent.mkdir(parents=True)
    shop_table().to_csv(tmp_path / CSV, index=False)
    return tmp_path


def add(repo: Path, *args: str, name: str = "shop", target: str = "label") -> int:
    return main(["add", name, "--file", CSV, "--target", target, *args,
                 "--params", str(repo / "params.yaml")])


def new_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` inserts into ``before``, asserting it changes nothing else."""
    old, new = before.splitlines(), after.splitlines()
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    assert {tag for tag, *_ in ops} <= {"equal", "insert"}, "a line of the file was changed"
    return [line for tag, _, _, j1, j2 in ops if tag == "insert" for line in new[j1:j2]]


def test_add_writes_a_minimal_section_and_keeps_the_rest(repo, capsys):
    before = (repo / "params.yaml").read_text()
    assert add(repo) == 0
    after = (repo / "params.yaml").read_text()
    added = new_lines(before, after)
    assert added[0] == "  - shop"  # in the projects block, after the last one
    section = added[added.index("shop:"):]
    assert 1 < len(section) <= 12 and added[1] == ""
    assert after.endswith("\n".join(section) + "\n")
    assert "# enabled projects (each has a section below)" in after
    raw = yaml.safe_load(after)
    assert raw["projects"] == ["mnist", "iris", "price", "sentiment", "shop"]
    assert raw["shop"]["features"] == {"numeric": ["age"], "categorical": ["colour", "member"],
                                       "drop": ["id", "code", "empty", "store"]}
    assert set(raw["shop"]["data"]) == {"source", "path", "sep", "na_values", "target", "sha256"}
    assert "features:\n    numeric: [age]\n" in after  # flow lists, one line each
    out = capsys.readouterr().out
    assert "\n".join(section) in out and f"dvc add {CSV}" in out
    assert "snakemake project_shop" in out and "dvc repro --glob '*@shop'" in out


def test_the_section_validates_over_defaults_and_fetch_accepts_its_checksum(repo):
    assert add(repo) == 0
    params = load_params(repo / "params.yaml")
    shop = params.project("shop")
    defaults = yaml.safe_load((repo / "params.yaml").read_text())["defaults"]
    assert shop.cv.folds == defaults["cv"]["folds"]
    assert shop.features.scaler == defaults["features"]["scaler"]
    raw = datasets.load("shop", shop.data, root=repo)  # verifies the checksum, as fetch does
    assert raw.shape == (60, 8)
    assert list(raw[TARGET].cat.categories) == CLASSES


def test_a_table_with_a_date_is_split_by_time(repo, capsys):
    """The test part is the latest rows by the date `add` finds; the split stage does it."""
    table = shop_table().assign(sold=pd.date_range("2024-01-01", periods=60).strftime(
        "%Y-%m-%d")).sample(frac=1.0, random_state=0)
    table.to_csv(repo / CSV, index=False)
    assert add(repo) == 0
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    assert raw["shop"]["features"]["datetime"] == ["sold"]
    assert raw["shop"]["split"] == {"method": "ordered", "order_by": "sold"}
    assert raw["shop"]["cv"] == {"method": "ordered"}
    assert "the test part is the latest rows by 'sold' and each CV fold is scored on rows " \
           "after its training rows (split.order_by, cv.method: ordered; stratified and " \
           "shuffled draw them at random)" in capsys.readouterr().err
    shop = load_params(repo / "params.yaml").project("shop")
    train, test = split_frame(datasets.load("shop", shop.data, root=repo), shop.split)
    assert sorted(test["sold"]) == sorted(table["sold"])[-len(test):]
    assert train["sold"].max() < test["sold"].min()


def test_columns_that_cannot_help_a_model_are_left_out_and_named(repo, capsys):
    assert add(repo) == 0
    notes = capsys.readouterr().err.splitlines()
    assert [w.split("'")[1] for w in notes] == ["id", "code", "empty", "store"]
    assert all(w.startswith("dlpipe: warning: column '") for w in notes)
    assert notes[0].endswith("left out (--keep id keeps it)")
    assert "every value is missing" in notes[2] and "constant ('main'" in notes[3]
    features = load_params(repo / "params.yaml").project("shop").features
    assert features.drop == ["id", "code", "empty", "store"]


def test_keep_keeps_a_column_that_would_be_left_out(repo, capsys):
    assert add(repo, "--keep", "store") == 0
    features = load_params(repo / "params.yaml").project("shop").features
    assert "store" in features.categorical and features.drop == ["id", "code", "empty"]
    assert "'store'" not in capsys.readouterr().err


def test_a_constant_number_is_named_as_written(repo, capsys):
    table = shop_table().assign(store=7)
    table.to_csv(repo / CSV, index=False)
    assert add(repo) == 0
    assert "is constant (7 in every row" in capsys.readouterr().err


def test_drop_leaves_the_named_columns_out(repo, capsys):
    assert add(repo, "--drop", "id", "--drop", "empty", "--drop", "id") == 0
    text = (repo / "params.yaml").read_text()
    section = text[text.index("\nshop:\n") + 1:].splitlines()
    assert len(section) == 12 and section[-1] == "    drop: [id, empty, code, store]"
    features = load_params(repo / "params.yaml").project("shop").features
    assert features.numeric == ["age"] and features.drop == ["id", "empty", "code", "store"]
    assert [w.split("'")[1] for w in capsys.readouterr().err.splitlines()] == ["code", "store"]


def test_replace_writes_the_section_anew_and_keeps_the_rest(repo, capsys):
    before = (repo / "params.yaml").read_text()
    assert add(repo) == 0
    assert add(repo, "--keep", "store") == 2  # a section exists
    assert "--replace writes it anew" in capsys.readouterr().err
    assert add(repo, "--keep", "store", "--replace") == 0
    after = (repo / "params.yaml").read_text()
    added = new_lines(before, after)
    assert added.count("shop:") == 1 and added.count("  - shop") == 1
    raw = yaml.safe_load(after)
    assert raw["projects"][-1] == "shop" and raw["projects"].count("shop") == 1
    assert "store" in raw["shop"]["features"]["categorical"]


def test_options_reach_the_section(repo):
    table = shop_table().replace({"colour": {None: "?"}})
    table.to_csv(repo / "data/external/semi.csv", sep=";", index=False)
    assert main(["add", "semi", "--file", "data/external/semi.csv", "--target", "label",
                 "--sep", ";", "--na-values", "?", "--params", str(repo / "params.yaml")]) == 0
    data = load_params(repo / "params.yaml").project("semi").data
    assert (data.sep, data.na_values) == (";", ["?"])
    assert datasets.load("semi", data, root=repo)["colour"].isna().sum() == (
        shop_table()["colour"].isna().sum())


def test_unusable_columns():
    X = pd.DataFrame({"flag": [True, False, True], "n": [3, 1, 2], "x": [0.5, 0.1, 0.2],
                      "t": ["a", "b", "c"], "gap": [np.nan] * 3, "one": [7, np.nan, 7]})
    assert list(unusable(X)) == ["t", "gap", "one"]
    assert list(unusable(pd.DataFrame({"n": [2, 1, 3], "t": ["a", None, "b"]}))) == []


@pytest.mark.parametrize("text, line", [
    ("seed: 1\nprojects: [iris]  # on\ndefaults: {}\n", "projects: [iris, shop]  # on"),
    ("seed: 1\nprojects: []\ndefaults: {}\n", "projects: [shop]"),
    ("seed: 1\nprojects:\n- iris\n# price is off\ndefaults: {}", "- shop"),
])
def test_edited_adds_to_either_list_style(text, line):
    new = edited(text, "shop", "shop:\n  data: {}\n")
    assert line in new.splitlines() and new.endswith("\n\nshop:\n  data: {}\n")
    assert yaml.safe_load(new)["projects"][-1] == "shop"


def test_write_restores_the_file_when_the_result_does_not_validate(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("old\n")
    with pytest.raises(ParamsError, match="restored"):
        write(path, "old\n", "seed: 1\n")
    assert path.read_text() == "old\n"


def write_csv(repo: Path, text: str | bytes) -> None:
    target = repo / CSV
    target.write_bytes(text if isinstance(text, bytes) else text.encode())


REFUSALS = {
    "a bad name": (["Shop"], None, "'Shop': not a project name"),
    "a reserved name": (["defaults"], None, "'defaults': not a project name"),
    "a name in use": (["iris"], None, "iris: the project already has a section"),
    "a missing target": (["shop", "--target", "price"], None, "no target column 'price'"),
    "one class": (["shop"], "a,label\n1,x\n2,x\n", "has a single class ['x']"),
    "no usable feature": (["shop"], "n,e,label\n1,,x\n2,,y\n3,,x\n", "no usable feature"),
    "all dropped": (["shop", "--drop", "a"], "a,label\n1,x\n2,y\n", "no feature column left"),
    "a drop not in the file": (["shop", "--drop", "b"], None, "--drop b: no such column"),
    "a keep not in the file": (["shop", "--keep", "b"], None, "--keep b: no such column"),
    "a drop and a keep": (["shop", "--drop", "id", "--keep", "id"], None,
                          "--drop id and --keep id: one or the other"),
    "a quantity as classes": (["shop", "--task", "classification"], "a,label\n" + "".join(
        f"{k},{100 + k * 7 % 53}\n" for k in range(60)),
        "target column 'label' has 53 distinct numbers in 60 rows, 53 of them in fewer than 5 "
        "rows: a quantity to predict, not classes: use --task regression"),
    "text as a quantity": (["shop", "--task", "regression"], None,
                           "values are not finite numbers"),
    "no label at all": (["shop"], "a,label\n1,\n2,\n", "has no label in any of its 2 rows"),
    "not UTF-8": (["shop"], b"a,label\n\xff,x\n", "not UTF-8"),
    "not CSV": (["shop"], 'a,label\n"1,x\n', "cannot read"),
    "an empty file": (["shop"], "", "the file is empty"),
    "outside the repository": (["shop", "--file", "../shop.csv"], None, "outside the repository"),
    "a missing file": (["shop", "--file", "data/nope.csv"], None, "no such file"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_leave_params_untouched(repo, capsys, case):
    args, csv, message = REFUSALS[case]
    if csv is not None:
        write_csv(repo, csv)
    before = (repo / "params.yaml").read_bytes()
    name, *options = args
    options = options if "--target" in options else [*options, "--target", "label"]
    options = options if "--file" in options else [*options, "--file", CSV]
    assert main(["add", name, *options, "--params", str(repo / "params.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dlpipe: error: ") and message in err[0], err
    assert (repo / "params.yaml").read_bytes() == before


def test_the_command_line_adds_and_refuses(repo):
    command = [sys.executable, "-m", "dlpipe", "add", "shop", "--file", CSV, "--target", "label"]
    before = (repo / "params.yaml").read_bytes()
    refused = subprocess.run([*command[:4], "iris", *command[5:]], cwd=repo, capture_output=True,
                             text=True)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == ("dlpipe: error: params.yaml: iris: the project already has a "
                              "section (--replace writes it anew)\n")
    assert (repo / "params.yaml").read_bytes() == before
    done = subprocess.run([*command, "--drop", "id"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added project shop to params.yaml:\n\nshop:\n")
    assert len(done.stderr.splitlines()) == 3  # code, empty, store
    assert load_params(repo / "params.yaml").projects[-1] == "shop"


def test_rows_without_a_label_are_left_out_with_a_note(repo, capsys):
    table = shop_table()
    table.loc[[3, 7], "label"] = None
    table.to_csv(repo / CSV, index=False)
    assert add(repo) == 0
    err = capsys.readouterr().err
    assert "target 'label': 2 of 60 rows have no label and are left out" in err
    project = load_params(repo / "params.yaml").project("shop")
    frame = datasets.load("shop", project.data, root=repo,
                          unlabelled_rows=project.unlabelled_rows)
    assert len(frame) == 58


def test_a_few_whole_number_classes_are_still_classes(repo, capsys):
    table = shop_table()
    table["label"] = np.arange(60) % 4 + 1  # grades 1-4, 15 rows each
    table.to_csv(repo / CSV, index=False)
    assert add(repo) == 0


def quantity_table(rows: int = 60) -> pd.DataFrame:
    table = shop_table(rows)
    table["label"] = (100 + np.arange(rows) * 7 % 53) * 1.5  # 53 distinct prices
    return table


def test_a_numeric_target_of_many_values_becomes_a_regression_project(repo, capsys):
    quantity_table().to_csv(repo / CSV, index=False)
    before = (repo / "params.yaml").read_text()
    assert add(repo) == 0
    section = new_lines(before, (repo / "params.yaml").read_text())
    assert section[section.index("shop:") + 1] == "  task: regression"
    assert len(section[section.index("shop:"):]) <= 13  # a classifier's, and the task line
    err = capsys.readouterr().err
    assert "target 'label': 53 distinct numbers in a numeric column: a regression project " \
           "(--task classification if they are classes)" in err
    assert "classes have fewer than" not in err
    project = load_params(repo / "params.yaml").project("shop")
    assert project.task == "regression" and project.tune.metric == "rmse"
    assert "r2" in project.evaluate.metrics and "accuracy" not in project.cv.metrics
    raw = datasets.load("shop", project.data, root=repo, task=project.task)  # as fetch reads it
    assert raw[TARGET].dtype == np.float64 and raw[TARGET].iloc[0] == 150.0


def test_task_overrides_what_the_target_suggests(repo, capsys):
    table = shop_table()
    table["label"] = np.arange(60) % 4 + 1  # four grades: classes by default
    table.to_csv(repo / CSV, index=False)
    assert add(repo, "--task", "regression") == 0
    assert "regression project" not in capsys.readouterr().err  # asked for, not proposed
    assert load_params(repo / "params.yaml").project("shop").task == "regression"


def test_fractional_numbers_are_a_quantity_however_few():
    assert task_of(pd.DataFrame({"y": [0.5, 1.5] * 30}), "y", 5) == "regression"
    assert task_of(pd.DataFrame({"y": [0.0, 1.0] * 30}), "y", 5) == "classification"
    assert task_of(pd.DataFrame({"y": ["a", "b"] * 30}), "y", 5) == "classification"


def test_small_classes_warn_for_k_fold_cv():
    labels = pd.Series(["a"] * 5 + ["b"] * 2 + ["c"])
    [warning] = small_classes(labels, "label", 3)
    assert warning.startswith("target 'label': 2 of 3 classes have fewer than 3 rows")
    assert "['b', 'c']" in warning
    assert small_classes(labels, "label", 1) == []


@pytest.mark.parametrize("text", ["seed: 1\nprojects: [iris,\n  price]\n",
                                  "seed: 1\nprojects:\n"])
def test_edited_refuses_a_layout_it_cannot_edit(text):
    with pytest.raises(ParamsError, match="add the project by hand"):
        edited(text, "shop", "shop: {}\n")
