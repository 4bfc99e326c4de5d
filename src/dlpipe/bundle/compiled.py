"""A loaded bundle's prediction compiled to NumPy array operations, for serving.

:func:`compile_bundle` reads the fitted feature transformer's attributes (imputers' statistics,
scalers' means and scales, one-hot categories) and an MLP's weights once, and gives a
:class:`Compiled` predictor whose ``predict_proba`` answers as :meth:`Bundle.predict_proba`
does (the same schema check first), without scikit-learn's per-call validation and without
TensorFlow's per-call dispatch; rows of an all-numeric bundle that the check can find nothing
in (the schema's columns, numeric dtypes, no missing value where training had none) skip the
check's table work too: a single iris or price row takes tens of microseconds instead of ~4 ms.
What it cannot compile keeps the bundle's own code, piece by piece: a transformer part it does
not know (text, dates' calendar parts) runs its fitted step, and a network other than Dense /
BatchNormalization / Dropout / Rescaling layers (a CNN, a Transformer), or a scikit-learn
family's estimator, runs as the bundle runs it.
:attr:`Compiled.path` says which.

:class:`Bundle` stays the reference: the tests hold every compiled answer to its labels and to
its probabilities within :data:`TOLERANCE`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from dlpipe.bundle.compiled_network import TOLERANCE, check_rows, compile_network, disagreement
from dlpipe.bundle.compiled_steps import NotCompiled, compile_steps
from dlpipe.bundle.files import NETWORK
from dlpipe.bundle.graph import Graph
from dlpipe.bundle.inference import Bundle
from dlpipe.bundle.input_schema import number_block
from dlpipe.bundle.network_file import FileNetwork
from dlpipe.errors import InputError
from dlpipe.row_columns import RowColumns, frame_of, names_of

log = logging.getLogger(__name__)
__all__ = ["TOLERANCE", "Compiled", "compile_bundle"]


@dataclass
class Compiled:
    """A bundle's prediction as NumPy functions (see the module's docstring)."""

    bundle: Bundle
    features: Callable[[pd.DataFrame], np.ndarray]  # checked rows -> float32 model input
    outputs: Callable[[np.ndarray], np.ndarray]  # model input -> float32 outputs
    transformer_path: str  # "numpy", "numpy, <parts> by scikit-learn", or "scikit-learn"
    network_path: str  # "numpy", "TensorFlow graph", "Keras", or "scikit-learn <model>"
    notes: list[str] = field(default_factory=list)  # why a piece was not compiled
    # an all-numeric bundle's compiled transformer (float64 rows in the schema's column order
    # -> features), None for any other
    numbers: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def path(self) -> str:
        """One line naming how each half of a prediction runs."""
        return f"transformer: {self.transformer_path}; model: {self.network_path}"

    @property
    def fully_compiled(self) -> bool:
        return self.transformer_path == "numpy" and self.network_path == "numpy"

    def predict_proba(self, rows: pd.DataFrame | RowColumns) -> np.ndarray:
        """:meth:`Bundle.predict_proba`: the schema check, then the compiled functions."""
        plain = self.plain_numbers(rows)
        if plain is not None:
            return self.outputs(np.asarray(self.numbers(plain), dtype=np.float32))
        frame = frame_of(rows)
        problems = self.bundle.check(frame)
        if problems:
            raise InputError(problems)
        return self.probabilities(frame)

    def plain_numbers(self, rows: pd.DataFrame | RowColumns) -> np.ndarray | None:
        """An all-numeric bundle's rows as float64, if the schema check can find nothing in
        them: exactly the schema's columns in its order, numeric dtypes, no missing value where
        training had none (a numeric dtype holds nothing else the check refuses). Else None:
        the rows take the check."""
        schema = self.bundle.schema
        if self.numbers is None or len(rows) == 0 or names_of(rows) != schema.names:
            return None
        # a table's values are objects, RowColumns' None, if a column holds anything but numbers
        values = rows.numbers() if isinstance(rows, RowColumns) else rows.to_numpy()
        if values is None or values.dtype.kind not in "iuf":
            return None
        values = values.astype(np.float64, copy=False)
        missing = np.isnan(values)
        if missing.any() and (missing & ~np.array([c.nan for c in schema.columns])).any():
            return None
        return values

    @property
    def classes(self) -> list[str]:
        return self.bundle.classes

    # rows that passed the check: Bundle's own method, run on the compiled features and outputs
    probabilities = Bundle.probabilities


def compile_bundle(bundle: Bundle) -> Compiled:
    """The compiled predictor of ``bundle`` (see the module's docstring)."""
    notes: list[str] = []
    features, transformer_path, numbers = _compile_transformer(bundle, notes)
    outputs, network_path = _compile_model(bundle, notes)
    return Compiled(bundle, features, outputs, transformer_path, network_path, notes, numbers)


# --- the feature transformer ---------------------------------------------------------------
def _compile_transformer(bundle: Bundle, notes: list[str]
                         ) -> tuple[Callable, str, Callable | None]:
    """(checked rows -> float32 features, how it runs, the compiled numeric part if it is the
    only part and reads every column of the schema in its order)."""
    transformer = bundle.transformer
    steps = getattr(transformer, "steps", None)
    if (steps is None or len(steps) != 2 or steps[0][0] != "columns"
            or type(steps[1][1]).__name__ != "Passthrough"):
        notes.append("transformer: not the columns + float32 pipeline dlpipe makes")
        return bundle.features, "scikit-learn", None
    columns = steps[0][1]
    numeric = {c.name for c in bundle.schema.columns if c.kind == "numeric"}
    parts, slow = [], []
    for name, step, names in columns.transformers_:
        if isinstance(step, str):
            if step == "drop" or len(names) == 0:
                continue
            notes.append(f"transformer: part {name!r} is {step!r}")
            return bundle.features, "scikit-learn", None
        names = [str(n) for n in names]
        numbers = all(n in numeric for n in names)
        try:
            run = compile_steps(step.steps if hasattr(step, "steps") else [(name, step)])
        except NotCompiled as why:
            notes.append(f"transformer: part {name!r}: {why}")
            slow.append(name)
            run = _reference_part(step, names, numbers)
        parts.append((names, numbers, run))

    def features(frame: pd.DataFrame) -> np.ndarray:
        if not all(isinstance(c, str) for c in frame.columns):
            frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        given, blocks = frame.columns.tolist(), []
        for names, numbers, run in parts:
            block = frame if given == names else frame[names]  # a selection costs ~0.1 ms
            blocks.append(run(number_block(block) if numbers else block))
        return np.asarray(np.hstack(blocks), dtype=np.float32)

    only = (parts[0][2] if len(parts) == 1 and parts[0][1] and not slow
            and parts[0][0] == bundle.schema.names else None)
    return features, "numpy" if not slow else f"numpy, {', '.join(slow)} by scikit-learn", only


def _reference_part(step, names: list[str], numbers: bool) -> Callable:
    """A part's fitted step, fed the table the column transformer feeds it."""
    if not numbers:
        return step.transform
    return lambda block: step.transform(pd.DataFrame(block, columns=names))


# --- the model -----------------------------------------------------------------------------
def _compile_model(bundle: Bundle, notes: list[str]) -> tuple[Callable, str]:
    """(model input -> float32 outputs, how it runs)."""
    if bundle.family != NETWORK:
        return bundle.outputs, f"scikit-learn {bundle.family_model}"
    model = bundle.model
    if isinstance(model, FileNetwork):  # held to the network's own answers when it was read
        return model.forward, "numpy"
    keras_model = model.model if isinstance(model, Graph) else model
    fallback = "TensorFlow graph" if isinstance(model, Graph) else "Keras"
    try:
        forward = compile_network(keras_model)
    except NotCompiled as why:
        notes.append(f"network: {why}")
        return bundle.outputs, fallback

    rows = check_rows(bundle.schema.input_width)
    why = disagreement(forward(rows), bundle.outputs(rows))
    if why is not None:
        notes.append(f"network: the NumPy pass differs from the network's {why}")
        log.warning("%s: the NumPy network differs from the network's %s: serving the "
                    "network", bundle.project, why)
        return bundle.outputs, fallback
    return forward, "numpy"
