"""``python -m dlpipe predict``: predictions in the input's order, or one line per problem on
stderr, exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlpipe.cli import main
from dlpipe.cli.options import MAX_PROBLEMS
from dlpipe.bundle.inference import load_bundle
from pets import CLASSES, PROJECT


@pytest.fixture
def repo(trained, tmp_path, monkeypatch):
    """The working directory: the trained bundle under models/, no params.yaml."""
    (tmp_path / "models").symlink_to(trained.root / "models")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def predict(*extra: str) -> int:
    return main(["predict", PROJECT, "--input", "rows.csv", "--output", "out.csv", *extra])


def test_predictions_in_the_input_order(repo, rows, capsys):
    shuffled = rows.sample(frac=1.0, random_state=5)  # with its id and label columns
    shuffled.to_csv("rows.csv", index=False)
    assert predict() == 0
    out = pd.read_csv("out.csv")
    assert list(out.columns) == ["label", *[f"proba_{c}" for c in CLASSES]]
    assert set(out["label"]) <= set(CLASSES) and len(out) == len(rows)
    np.testing.assert_allclose(out.iloc[:, 1:].sum(axis=1), 1.0, rtol=1e-5)
    expected = load_bundle(PROJECT).predict(shuffled).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected, check_dtype=False, rtol=1e-6)
    assert f"wrote {len(rows)} predictions to out.csv" in capsys.readouterr().out


def test_parquet_in_and_out(repo, rows):
    rows.to_parquet("rows.parquet")
    assert main(["predict", PROJECT, "--input", "rows.parquet", "--output", "out.parquet"]) == 0
    assert pd.read_parquet("out.parquet")["label"].tolist() == load_bundle(PROJECT).predict(
        rows)["label"].tolist()


def test_a_csv_is_read_as_the_project_reads_its_data(repo, rows, raw_params):
    rows.loc[0, "size"] = np.nan  # training had missing sizes
    rows.to_csv("rows.csv", index=False, sep=";", na_rep="?")
    raw_params["projects"].append(PROJECT)
    raw_params[PROJECT] = {"data": {"source": "csv", "path": "pets.csv", "sep": ";",
                                    "na_values": ["?"], "target": "kind", "sha256": "0" * 64}}
    (repo / "params.yaml").write_text(yaml.safe_dump(raw_params))
    assert predict() == 0


def refused(capsys) -> list[str]:
    """The problem lines printed, after checking nothing was written."""
    assert not Path("out.csv").exists()
    err = capsys.readouterr().err.splitlines()
    assert err[-1].endswith("problem(s) with the rows; nothing written")
    return [line.removeprefix("dlpipe: error: rows.csv: ") for line in err[:-1]]


def bad(rows: pd.DataFrame, capsys) -> list[str]:
    rows.to_csv("rows.csv", index=False)
    assert predict() == 2
    return refused(capsys)


def test_a_missing_column(repo, rows, capsys):
    assert bad(rows.drop(columns="legs"), capsys) == [
        "column 'legs': missing (a numeric input of the model)"]


def test_an_unknown_column(repo, rows, capsys):
    assert bad(rows.assign(weight=3.5), capsys) == [
        "column 'weight': unknown column (not an input of the model)"]


def test_an_ignored_column_is_left_out(repo, rows, capsys):
    """A file with a column the model does not read (Kaggle's test.csv has an id)."""
    rows.assign(weight=3.5).to_csv("rows.csv", index=False)
    assert predict("--ignore", "weight") == 0
    expected = load_bundle(PROJECT).predict(rows).reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_csv("out.csv"), expected, check_dtype=False,
                                  rtol=1e-6)


@pytest.mark.parametrize("column, message", [
    ("weight", "--ignore weight: no such column in rows.csv"),
    ("legs", "--ignore legs: the model reads that column; it cannot be left out")])
def test_an_ignore_that_cannot_apply_is_refused(repo, rows, capsys, column, message):
    rows.to_csv("rows.csv", index=False)
    assert predict("--ignore", column) == 2
    assert message in capsys.readouterr().err
    assert not Path("out.csv").exists()


def test_text_in_a_numeric_column(repo, rows, capsys):
    rows = rows.astype({"size": object})
    rows.loc[4, "size"] = "big"
    assert bad(rows, capsys) == ["row 5, column 'size': 'big' is not a number"]


def test_an_unknown_category(repo, rows, capsys):
    rows.loc[0, "coat"] = "scales"
    assert bad(rows, capsys) == [
        "row 1, column 'coat': unknown category 'scales' (training saw 'long', 'short')"]


def test_a_missing_value_where_training_had_none(repo, rows, capsys):
    rows = rows.astype({"legs": float})
    rows.loc[11, "legs"] = np.nan
    assert bad(rows, capsys) == ["row 12, column 'legs': missing value (training had none)"]


def test_many_problems_are_capped(repo, rows, capsys):
    many = pd.concat([rows] * 3, ignore_index=True).assign(coat="scales")
    lines = bad(many, capsys)
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == f"and {len(many) - MAX_PROBLEMS} more problems"


def test_no_bundle(repo, rows, capsys):
    rows.to_csv("rows.csv", index=False)
    assert main(["predict", "iris", "--input", "rows.csv", "--output", "out.csv"]) == 2
    assert "models/iris: no model bundle for project 'iris'" in capsys.readouterr().err


def test_an_input_that_is_not_there(repo, capsys):
    assert predict() == 2
    assert capsys.readouterr().err == "dlpipe: error: rows.csv: no such file\n"


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(repo, rows, capsys, name):
    rows.to_csv(name, index=False) if name.endswith(".csv") else rows.to_parquet(name)
    before = Path(name).read_bytes()
    assert main(["predict", PROJECT, "--input", name, "--output", f"./{name}"]) == 2
    assert f"{name}: is the input; predictions go to another file" in capsys.readouterr().err
    assert Path(name).read_bytes() == before


def test_a_repeated_column_is_named_as_written(repo, rows, capsys):
    """pandas reads a second ``legs`` header as ``legs.1``; the refusal names ``legs``."""
    header, *lines = rows.to_csv(index=False).splitlines()
    Path("rows.csv").write_text("\n".join([f"{header},legs",
                                           *[f"{line},4" for line in lines]]) + "\n")
    assert predict() == 2
    assert refused(capsys) == ["column 'legs': given 2 times"]


def test_a_file_split_by_another_separator_says_which(repo, rows, capsys):
    rows.to_csv("rows.csv", index=False, sep=";")
    assert predict() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert ("rows.csv: cannot be read (the file is one column with sep=','; its header splits "
            f"into {rows.shape[1]} columns on ';': set the project's data.sep") in err


def test_a_byte_that_is_not_utf8_is_placed_by_line(repo, rows, capsys):
    text = rows.to_csv(index=False).encode()
    lines = text.splitlines(keepends=True)
    lines[3] = lines[3].replace(b"red", b"r\xe9d", 1) if b"red" in lines[3] else b"\xe9" + lines[3]
    Path("rows.csv").write_bytes(b"".join(lines))
    assert predict() == 2
    err = capsys.readouterr().err
    assert err.startswith("dlpipe: error: rows.csv: not UTF-8 text (line 4, byte ") and \
        "(0xe9)); save it as UTF-8" in err and err.count("\n") == 1, err
