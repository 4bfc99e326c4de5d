"""Numbers that depend on the CPU's kernels, printed as digests (run as a script by test_cpu).

``python cpu_workload.py pinned`` imports dlpipe first (which pins the kernels), ``... free``
does not. Prints the OpenBLAS core type, then a digest of a NumPy float32 ufunc, of a PCA +
SVC fit (OpenBLAS) and of a small Keras network's weights after two epochs (oneDNN's sgemm).
"""

import hashlib
import os
import sys

if sys.argv[1] == "pinned":
    import dlpipe  # noqa: F401

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402


def digest(*arrays) -> str:
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()


rng = np.random.default_rng(0)
X = rng.random((600, 300)).astype(np.float32)
y = rng.integers(0, 3, len(X))
print("openblas", sorted({i["architecture"] for i in threadpool_info()
                          if i["internal_api"] == "openblas"}))
print("numpy", digest(np.tanh(X * 3), np.exp(X)))

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

components = PCA(20, random_state=0).fit_transform(X.astype(np.float64))
print("sklearn", digest(components, SVC().fit(components, y).decision_function(components)))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
model = keras.Sequential([keras.Input((300,)), keras.layers.Dense(64, activation="tanh"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(X, y, epochs=2, batch_size=32, verbose=0)
print("keras", digest(*model.get_weights()))
