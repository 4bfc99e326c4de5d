"""A project's inference bundle, ``models/<project>/``: the served model (the network, or a
scikit-learn family's estimator), the fitted feature transformer and the input schema, loaded
together and applied to new rows.

The select stage writes the bundle (:data:`BUNDLE_DIR`) from the champion family's;
:func:`load_bundle` reads it back with safe loaders only (Keras safe mode, skops with an
allow-list). An MLP is read without Keras when the bundle stores the network's own answers
and its NumPy pass gives them (:mod:`dlpipe.bundle.network_file`): a command that only predicts
then imports no TensorFlow.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from dlpipe import io
from dlpipe.errors import DataError, InputError, one_line
from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.files import NETWORK
from dlpipe.bundle.input_schema import Schema, check, conform
from dlpipe.bundle.network_file import FileNetwork, read_network

log = logging.getLogger(__name__)
BUNDLE_DIR = "models/{project}"  # the select stage's bundle output, relative to the repository
REASON = 300  # characters of a library's error a refusal repeats (Keras' can be the whole config)
BATCH_ROWS = 1024  # rows per network call: small enough for memory, large enough for speed


@dataclass
class Bundle:
    """A trained model with everything needed to predict on raw rows."""

    project: str
    # keras.Model (or an MLP's NumPy pass read from its file, FileNetwork), or a fitted
    # scikit-learn estimator (``family`` says which)
    model: Any
    transformer: Any  # the fitted sklearn Pipeline of dlpipe.features.make_transformer
    schema: Schema
    family: str = NETWORK  # network | gbdt | linear
    family_model: str = ""  # a scikit-learn family's model name (hist_gradient_boosting ...)
    version: str = ""  # a loaded bundle's content digest: its manifest's sha256, 12 digits

    @property
    def model_name(self) -> str:
        """The served model's name in score rows: ``keras_<kind>``, or the family's model."""
        return f"keras_{self.model.name}" if self.family == NETWORK else self.family_model

    @property
    def classes(self) -> list[str]:
        return list(self.schema.classes)

    @property
    def has_values(self) -> bool:
        """Whether the model predicts a numeric target's value (one output) instead of
        classes."""
        return not self.schema.classes

    def label_names(self, proba: np.ndarray) -> np.ndarray:
        """The predicted class name of every row of ``proba``, as the schema's decision has it
        (the positive class at its threshold, or the most probable class)."""
        return np.asarray(self.classes, dtype=object)[self.schema.decision.labels(proba)]

    def check(self, frame: pd.DataFrame) -> list[str]:
        """One line per problem of ``frame`` (see :func:`dlpipe.bundle.input_schema.check`)."""
        return check(self.schema, frame)

    def features(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's float32 input for rows that passed :meth:`check`."""
        return np.asarray(self.transformer.transform(conform(self.schema, frame)),
                          dtype=np.float32)

    @classmethod
    def from_outputs(cls, project: str, outputs: dict) -> "Bundle":
        """The bundle a stage receives as its ``select.bundle`` (or ``train.bundle``) input
        (file name -> object)."""
        family = outputs.get(bundle_files.FAMILY, {"family": NETWORK, "model": ""})
        model = outputs[bundle_files.model_file(family["family"])]
        return cls(project, model, outputs[bundle_files.TRANSFORMER],
                   Schema.from_dict(outputs[bundle_files.SCHEMA]), **_fields(family))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, float32 [rows, classes] in :attr:`classes` order (a numeric
        target: its values, [rows, 1]); raises :class:`InputError` with every problem if the
        rows do not fit the schema."""
        problems = self.check(frame)
        if problems:
            raise InputError(problems)
        return self.probabilities(frame)

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """:meth:`predict_proba` without the check: for rows of the pipeline's own test part,
        where a category or a missing value training never saw is the transformer's to
        handle."""
        if len(frame) == 0:
            return np.zeros((0, len(self.classes) or 1), dtype=np.float32)
        return self.outputs(self.features(frame))

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """The model's probabilities (a numeric target: values, [rows, 1]) for transformed
        features ``X`` (float32)."""
        if self.family != NETWORK:
            out = (self.model.predict(X)[:, None] if self.has_values
                   else self.model.predict_proba(X))
            return np.asarray(out, dtype=np.float32)
        # a direct call, not model.predict: predict builds a dataset and a step function per
        # call (~44 ms), a call runs the layers at once (~1.4 ms for a few rows)
        parts = [np.asarray(self.model(X[start:start + BATCH_ROWS], training=False))
                 for start in range(0, len(X), BATCH_ROWS)]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``label`` (the predicted class's name, see :meth:`label_names`) and
        ``proba_<class>`` per class, or a numeric target's ``value``, one row per input row,
        with the input's index."""
        return self.table(self.predict_proba(frame), frame.index)

    def table(self, proba: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """:meth:`predict`'s table of the outputs ``proba``."""
        if self.has_values:
            return pd.DataFrame({"value": proba[:, 0].astype(np.float64)}, index=index)
        out = pd.DataFrame({"label": self.label_names(proba)}, index=index)
        for k, name in enumerate(self.classes):
            out[f"proba_{name}"] = proba[:, k]
        return out


def bundle_dir(project: str, root: str | Path = ".") -> Path:
    return Path(root) / BUNDLE_DIR.format(project=project)


def load_bundle(project: str, root: str | Path = ".") -> Bundle:
    """The bundle of ``project`` under ``root``; a :class:`DataError` naming the file if a
    part is missing, unreadable or does not match the others."""
    where = bundle_dir(project, root)
    remedy = (f"the select stage writes it (`python -m dlpipe select {project}`, or `make run` / "
              "`dvc repro`)")
    if not where.is_dir():
        raise DataError(f"{where}: no model bundle for project {project!r}: {remedy}")
    io.verify_manifest(where, f"re-run its select stage ({remedy}; `dvc repro --force "
                              f"select@{project}` if DVC's cache holds the damaged copy)")
    about = {"family": NETWORK, "model": ""}
    if (where / bundle_files.FAMILY).is_file():
        about = _read(where / bundle_files.FAMILY, lambda p: json.loads(p.read_text()), remedy)
    family = about["family"]
    model_file = bundle_files.model_file(family)
    for name in (bundle_files.SCHEMA, bundle_files.TRANSFORMER, model_file):
        if not (where / name).is_file():
            raise DataError(f"{where / name}: missing from the bundle: {remedy}")
    schema = _read(where / bundle_files.SCHEMA, lambda p: Schema.from_dict(json.loads(p.read_text())),
                   remedy)
    if schema.project != project:
        raise DataError(f"{where / bundle_files.SCHEMA}: describes project {schema.project!r}, not "
                        f"{project!r}: {remedy}")
    transformer = _read(where / bundle_files.TRANSFORMER, bundle_files.load_transformer, remedy)
    model = _read(where / model_file, _loader(family, where / bundle_files.NETWORK_ANSWERS),
                  remedy)
    shapes = _shapes(model, family)
    if shapes != (schema.input_width, len(schema.classes) or 1):
        raise DataError(f"{where / model_file}: takes {shapes[0]} inputs and gives "
                        f"{shapes[1]} outputs, but {bundle_files.SCHEMA} says "
                        f"{schema.input_width} and {len(schema.classes) or 1}: {remedy}")
    version = io.file_sha256(where / io.MANIFEST)[:12]
    return Bundle(project, model, transformer, schema, version=version, **_fields(about))


def _fields(family: dict[str, str]) -> dict[str, str]:
    """The Bundle fields of a bundle's family file."""
    return {"family": family["family"], "family_model": family["model"]}


def _loader(family: str, answers: Path) -> Callable[[Path], Any]:
    if family != NETWORK:
        return bundle_files.load_transformer  # skops, with the same allow-list

    def load(path: Path) -> Any:
        network = _file_network(path, answers)
        if network is not None:
            return network
        from dlpipe.models.network import load_network

        return load_network(str(path))

    return load


def _file_network(path: Path, answers: Path) -> FileNetwork | None:
    """The network at ``path`` read without Keras, if it is an MLP whose stored ``answers``
    its NumPy pass gives; else None (the reason logged), and Keras loads it."""
    if not answers.is_file():
        return None
    try:
        return read_network(path, json.loads(answers.read_text()))
    except Exception as why:  # NotCompiled, or a file Keras' own loader is to judge
        log.info("%s: loaded with Keras (%s)", path, one_line(str(why), REASON))
        return None


def _shapes(model: Any, family: str) -> tuple[int, int]:
    """The model's input width and output count."""
    if family == NETWORK:
        return model.input_shape[-1], model.output_shape[-1]
    classes = getattr(model, "classes_", None)
    return int(model.n_features_in_), 1 if classes is None else len(classes)


def _read(path: Path, loader: Callable[[Path], Any], remedy: str) -> Any:
    """``loader(path)``; any failure but a refusal becomes a DataError naming the file."""
    try:
        return loader(path)
    except DataError:
        raise
    except Exception as error:
        raise DataError(f"{path}: cannot be read ({type(error).__name__}: "
                        f"{one_line(str(error), REASON)}); {remedy}") from error
