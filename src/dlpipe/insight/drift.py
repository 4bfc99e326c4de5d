"""The drift check of a project's bundle: the reference the ``reference`` stage writes beside the
bundle (``models/<p>-reference/``), and the report comparing new rows with it.

The reference holds a seeded sample of raw training rows (the model's input columns only), the
model's outputs on the test part and the training part's standard deviation per numeric column.
The outputs come from the test part, not the training part: on the rows it was fitted to, an
overfit model is more confident than on any new rows, which would look like drift.

The statistics are :mod:`dlpipe.insight.drift_tests`'s: one test per input column (one for all the
pixels of an image project), one for the model's confidence and one for its predicted classes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import io
from dlpipe.encoders import days, known_share, texts_of, vocabularies
from dlpipe.errors import DataError
from dlpipe.frames import split_xy
from dlpipe.insight.accuracy_estimate import predicted_probability
from dlpipe.insight.drift_tests import (EFFECTS, category_counts, counts_test, decide, image_test,
                                  missing_test, numeric_test)
from dlpipe.params import DriftParams
from dlpipe.bundle.input_schema import Schema, conform, texts

REFERENCE_DIR = "models/{project}-reference"  # the reference stage's output
ROWS, OUTPUTS, SUMMARY = "rows.parquet", "outputs.parquet", "summary.json"
# the model's outputs as columns: classes, or a numeric target's predicted value
CONFIDENCE, PREDICTED, VALUE = "(confidence)", "(predicted class)", "(predicted value)"
IMAGE = "(image)"  # an image project's one input test
OUTPUT_EFFECTS = {"ks_confidence": "Wasserstein distance of the confidences (probability units)"}
COLUMNS = ["column", "test", "statistic", "p_value", "effect", "drifted"]


# --- the reference ---------------------------------------------------------------------------------
def build_reference(bundle, train: pd.DataFrame, test: pd.DataFrame, seed: int,
                    params: DriftParams) -> dict:
    """The reference files (name -> content): up to ``params.reference_rows`` seeded training
    rows, the model's confidence (its largest probability), predicted class and that class's
    probability on every test row with the true class (a numeric target: the predicted and the
    true value), and a summary. The true outcomes let a server estimate its accuracy from the
    confidence of rows nobody has labelled yet (:mod:`dlpipe.insight.accuracy_estimate`)."""
    schema = bundle.schema
    count = min(params.reference_rows, len(train))
    picked = np.sort(np.random.default_rng(seed).choice(len(train), count, replace=False))
    proba = bundle.probabilities(test)
    _, actual = split_xy(test)
    if bundle.has_values:
        outputs = pd.DataFrame({"value": proba[:, 0].astype(np.float64), "actual": actual})
    else:
        outputs = pd.DataFrame({"confidence": proba.max(axis=1).astype(np.float64),
                                "predicted": bundle.label_names(proba),
                                "predicted_probability": predicted_probability(bundle, proba),
                                "actual": np.asarray(bundle.classes, dtype=object)[actual]})
    summary = {"project": bundle.project, "seed": seed, "train_rows": len(train),
               "test_rows": len(test), "rows": count, "std": _std(schema, train)}
    return {ROWS: stored_rows(schema, train.iloc[picked]), OUTPUTS: outputs, SUMMARY: summary}


def stored_rows(schema: Schema, frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns as a parquet file keeps them: numbers as they are, categories,
    free text and dates as text (None if missing)."""
    out = frame[schema.names].reset_index(drop=True)
    for column in schema.columns:
        if column.kind != "numeric":
            out[column.name] = texts(out[column.name]).astype(object)
    return out


def _std(schema: Schema, train: pd.DataFrame) -> dict[str, float]:
    """The training part's standard deviation per numeric column: the unit of the effect sizes
    (none for images, whose pixels are compared together)."""
    if schema.image_shape is not None:
        return {}
    numbers = conform(schema, train)
    return {c.name: _spread(numbers[c.name].to_numpy() if c.kind == "numeric" else
                            days(numbers[c.name]))
            for c in schema.columns if c.kind in ("numeric", "datetime")}


def _spread(values: np.ndarray) -> float:
    return float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else 0.0


def reference_dir(project: str, root: str | Path = ".") -> Path:
    return Path(root) / REFERENCE_DIR.format(project=project)


def load_reference(project: str, root: str | Path = ".") -> dict:
    """The reference of ``project`` under ``root`` (file name -> content); a DataError naming
    the file and the remedy if it is missing or unreadable."""
    where = reference_dir(project, root)
    remedy = (f"the reference stage writes it (`python -m dlpipe reference {project}`, or "
              "`make run` / `dvc repro`)")
    if not where.is_dir():
        raise DataError(f"{where}: no drift reference for project {project!r}: {remedy}")
    io.verify_manifest(where, f"re-run its reference stage ({remedy})")
    out = {}
    for name, read in ((ROWS, io.read_parquet), (OUTPUTS, io.read_parquet),
                       (SUMMARY, io.read_json)):
        if not (where / name).is_file():
            raise DataError(f"{where / name}: missing from the drift reference: {remedy}")
        try:
            out[name] = read(where / name)
        except Exception as error:
            raise DataError(f"{where / name}: cannot be read ({type(error).__name__}: {error}); "
                            f"{remedy}") from error
    if out[SUMMARY].get("project") != project:
        raise DataError(f"{where / SUMMARY}: describes project {out[SUMMARY].get('project')!r}, "
                        f"not {project!r}: {remedy}")
    return out


# --- the report ------------------------------------------------------------------------------------
def too_few(rows: int, params: DriftParams) -> str | None:
    """Why ``rows`` rows get no verdict (fewer than ``min_rows``), or None."""
    if rows >= params.min_rows:
        return None
    return f"{rows} rows, the check needs at least {params.min_rows} (drift.min_rows)"


def drift_report(bundle, reference: dict, frame: pd.DataFrame, params: DriftParams) -> dict:
    """New rows ``frame`` (checked against the bundle's schema) against ``reference``: one
    result row per test, the Bonferroni threshold and the verdict (``drift``)."""
    rows = reference[ROWS]
    absent = [name for name in bundle.schema.names if name not in rows.columns]
    if absent:
        raise DataError(f"the drift reference of {bundle.project!r} lacks the model's input "
                        f"{absent[0]!r}: it was made for another bundle; run the reference "
                        f"stage again (`python -m dlpipe reference {bundle.project}`)")
    results = input_tests(bundle.schema, rows, frame, reference[SUMMARY]["std"], params.bins,
                          vocabularies(bundle.transformer))
    results += output_tests(bundle, reference[OUTPUTS], frame)
    decision = decide(results, params.alpha)
    return {"project": bundle.project, "drift": decision["drift"], "rows": len(frame),
            "reference_rows": len(rows), "alpha": decision["alpha"],
            "tests": decision["tests"], "threshold": decision["threshold"],
            "drifted": [row["column"] for row in decision["results"] if row["drifted"]],
            "results": decision["results"], "effects": {**EFFECTS, **OUTPUT_EFFECTS}}


def input_tests(schema: Schema, reference: pd.DataFrame, frame: pd.DataFrame,
                std: dict[str, float], bins: int, words: dict[str, tuple] | None = None
                ) -> list[dict]:
    """A test per input column (its missing fraction too, where training had missing values);
    for images one test of all the pixels; for a text column two: its length in characters,
    and the share of its words in the vocabulary (``words``: column -> (analyzer, words))."""
    ref, new = conform(schema, reference), conform(schema, frame)
    if schema.image_shape is not None:
        return [image_test(IMAGE, ref.to_numpy(np.float64), new.to_numpy(np.float64), bins)]
    out: list[dict] = []
    for column in schema.columns:
        if column.kind == "categorical":
            out.append(counts_test(column.name, category_counts(texts(ref[column.name])),
                                   category_counts(texts(new[column.name]))))
            continue
        if column.kind == "text":
            out += text_tests(column.name, ref[column.name], new[column.name],
                              *(words or {})[column.name])
            continue
        if column.kind == "datetime":
            values = days(ref[column.name]), days(new[column.name])
        else:
            values = ref[column.name].to_numpy(), new[column.name].to_numpy()
        found = numeric_test(column.name, *values, std.get(column.name, 0.0))
        out += [found] if found is not None else []
        if column.nan:
            out.append(missing_test(column.name, np.isnan(values[0]), np.isnan(values[1])))
    return out


def text_tests(name: str, reference: pd.Series, new: pd.Series, analyzer, words: set
               ) -> list[dict]:
    """KS tests of a text column's lengths and of the share of its words in the vocabulary
    (rows named ``<column> (length)`` and ``<column> (known words)``)."""
    lengths = [texts_of(values).astype(str) for values in (reference, new)]
    ref_len, new_len = (np.char.str_len(v.astype("U")).astype(np.float64) for v in lengths)
    found = [numeric_test(f"{name} (length)", ref_len, new_len, _spread(ref_len)),
             numeric_test(f"{name} (known words)", known_share(reference, analyzer, words),
                          known_share(new, analyzer, words), 0.0)]
    return [row for row in found if row is not None]


def output_tests(bundle, reference: pd.DataFrame, frame: pd.DataFrame) -> list[dict]:
    """The model's confidence (largest probability) and predicted classes on ``frame`` against
    its outputs on the test part; a numeric target's predicted values, in units of their
    standard deviation on the test part."""
    proba = bundle.probabilities(frame)
    if bundle.has_values:
        if "value" not in reference.columns:
            raise DataError(f"the drift reference of {bundle.project!r} holds classes, the "
                            f"model predicts values: run the reference stage again (`python "
                            f"-m dlpipe reference {bundle.project}`)")
        values = reference["value"].to_numpy()
        return [numeric_test(VALUE, values, proba[:, 0], float(np.std(values, ddof=1)))]
    predicted = bundle.label_names(proba)
    confidence = numeric_test(CONFIDENCE, reference["confidence"].to_numpy(),
                              proba.max(axis=1), 0.0, test="ks_confidence")
    return [confidence, counts_test(PREDICTED, category_counts(reference["predicted"]),
                                    category_counts(predicted))]


def table(report: dict) -> pd.DataFrame:
    """The report's result rows, most significant first."""
    frame = pd.DataFrame(report["results"], columns=COLUMNS)
    return frame.sort_values("p_value", kind="stable").reset_index(drop=True)


def summary_text(report: dict, shown: int) -> str:
    """A short table (the ``shown`` smallest p-values) and the verdict, for a terminal."""
    rows = table(report)
    lines = [f"{'column':<28} {'test':<14} {'statistic':>10} {'p_value':>10} {'effect':>8}"]
    lines += [f"{str(r.column)[:28]:<28} {r.test:<14} {r.statistic:>10.4g} {r.p_value:>10.3g} "
              f"{r.effect:>8.3f}{'  drift' if r.drifted else ''}"
              for r in rows.head(shown).itertuples()]
    if len(rows) > shown:
        lines.append(f"... and {len(rows) - shown} more tests")
    verdict = f"DRIFT in {', '.join(report['drifted'])}" if report["drift"] else "no drift"
    lines.append(f"{report['project']}: {verdict} ({report['rows']} rows, {report['tests']} "
                 f"tests, p < {report['threshold']:.3g} = alpha {report['alpha']} / "
                 f"{report['tests']})")
    return "\n".join(lines)
