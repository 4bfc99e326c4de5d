"""Importing a library without the optional packages it would load for nothing.

Some libraries import every optional package they find installed, for features dlpipe never
asks of them: TensorFlow's LiteRT converter imports JAX (to convert JAX functions), and skops
walks all of scikit-learn to list its estimators, which imports the array-API adapter for
PyTorch, and so PyTorch. With JAX and PyTorch installed as Keras backends, each costs every
such process about a second. Inside :func:`without`, importing those packages raises an
ImportError, which these libraries expect (the package may be absent) and go on without.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without(*packages: str) -> Iterator[None]:
    """Within the block, ``import`` of any of ``packages`` not loaded yet fails; afterwards
    they import as usual (a package already loaded stays visible)."""
    hidden = [name for name in packages if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # the import system's mark for "not importable"
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
