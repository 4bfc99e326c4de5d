#!/usr/bin/env python
"""Fingerprints of the floating-point kernels the MNIST CNN's numbers rest on, on this machine.

Run from the project root with the project's Python (the package must be importable, so its
CPU pins apply exactly as in a stage):

    .venv/bin/python bench/kernel_fingerprint.py > mine.json
    .venv/bin/python bench/kernel_fingerprint.py --compare mine.json other.json
    .venv/bin/python bench/kernel_fingerprint.py --table mine.json other.json   # op x setting
    .venv/bin/python bench/kernel_fingerprint.py --only project-pins-threads-2,threads-1 > mine.json

``bench/fingerprints/`` holds the files of the machines measured so far (the one of the committed
``reports/``: the two settings above).

Each entry is the sha256 (16 hex digits) of one op's float32 output bytes on seeded inputs, under
one setting; every setting runs in a fresh process, since the variables are read when a library
loads. The first ops (conv1_fwd ... numpy_exp) and the first five settings are those of the
shared script in ``../shared/reproducibility/``, computed the same way, so a file of either
compares with a file of the other. In those five settings the project's pins are applied after
the setting, so a pinned variable (``ONEDNN_MAX_CPU_ISA``) keeps its
pinned value: ``onednn-sse41-*`` run with the pins' AVX2 cap, as the shared script did; and
oneDNN's graph rewrites stay off in them, as under the pins those files were made with (the
pins turn them on now: ``onednn-on-avx2-*`` are the project's kernels). Every
other setting is applied after the pins and overrides them.

The ops after ``numpy_exp`` are those of the CNN's training step at its shapes (params.yaml's
mnist model: two 3x3 conv blocks of 32 and 64 filters with batch norm (Keras' layer, and the
fused one the conv blocks use) and 2x2 max pooling,
Dense 128 with batch norm and dropout, softmax; Adam; batches of 128, and the last partial
batches of 112 and 8 rows), and ``train_step_*`` hashes the weights of the real model
(``build_network``) after three seeded Keras training steps on a fixed batch.

An op whose hash differs between two CPUs under a setting is a kernel that setting does not pin.
"""
import hashlib, json, os, subprocess, sys, time

THREADS = lambda n, inter=None: {"TF_NUM_INTRAOP_THREADS": str(n), "TF_NUM_INTEROP_THREADS": str(inter or n),
                                 "OMP_NUM_THREADS": str(n), "OPENBLAS_NUM_THREADS": str(n)}
# the shared script's settings: the pins win over what a setting sets
LEGACY = {
    "project-pins-threads-2": THREADS(2),
    "threads-1": THREADS(1),
    "onednn-sse41-threads-2": {"ONEDNN_MAX_CPU_ISA": "SSE41", **THREADS(2)},
    "onednn-sse41-threads-1": {"ONEDNN_MAX_CPU_ISA": "SSE41", "TF_NUM_INTRAOP_THREADS": "1",
                               "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "xla-jit-threads-2": {"DLPIPE_FP_JIT": "1", **THREADS(2)},
}
# settings applied after the pins (they override them)
OVERRIDE = {
    "eigen-uncapped-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "0", "ONEDNN_MAX_CPU_ISA": "ALL", **THREADS(2)},
    "eigen-sse41-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "0", "ONEDNN_MAX_CPU_ISA": "SSE41", **THREADS(2)},
    "onednn-on-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "ALL", **THREADS(2)},
    "onednn-on-avx2-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "AVX2", **THREADS(2)},
    "onednn-on-avx2-threads-1": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "AVX2",
                                 **THREADS(1)},
    "onednn-on-avx2vnni-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "AVX2_VNNI",
                                     **THREADS(2)},
    "onednn-on-sse41-threads-2": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "SSE41", **THREADS(2)},
    "intraop-1-interop-2": THREADS(2) | {"TF_NUM_INTRAOP_THREADS": "1"},
    "no-op-determinism-threads-2": {"DLPIPE_FP_NODET": "1", **THREADS(2)},
}
SETTINGS = {**LEGACY, **OVERRIDE}


def h(*values) -> str:
    import numpy as np
    return hashlib.sha256(b"".join(np.asarray(v).tobytes() for v in values)).hexdigest()[:16]


def legacy_ops(out: dict, jit: bool) -> None:
    """The shared script's ops, with its inputs (the same generator, drawn in the same order)."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)
    f = lambda *s: tf.constant(rng.standard_normal(s).astype("float32"))

    def record(name, fn, *args):
        run = tf.function(fn, jit_compile=True) if jit else fn
        value = run(*args)
        out[name] = h(*(value if isinstance(value, (list, tuple)) else [value]))

    x1, k1 = f(128, 28, 28, 1), f(3, 3, 1, 32)
    x2, k2 = f(128, 14, 14, 32), f(3, 3, 32, 64)
    conv = lambda x, k: tf.nn.conv2d(x, k, 1, "SAME")
    record("conv1_fwd", conv, x1, k1)
    record("conv2_fwd", conv, x2, k2)

    def conv_grads(x, k):
        with tf.GradientTape() as tape:
            tape.watch([x, k]); y = tf.reduce_sum(tf.nn.conv2d(x, k, 1, "SAME") ** 2)
        return tape.gradient(y, [x, k])
    record("conv2_bwd_input_filter", conv_grads, x2, k2)
    record("conv1_bwd_input_filter", conv_grads, x1, k1)
    for m, k, n in [(128, 3136, 128), (128, 784, 512), (32, 20, 8), (60000, 784, 10)]:
        a, b = f(m, k), f(k, n)
        record(f"matmul_{m}x{k}x{n}", tf.matmul, a, b)
        record(f"matmul_grad_{m}x{k}x{n}", lambda a, g: tf.matmul(a, g, transpose_a=True), a, f(m, n))
    x = f(128, 14, 14, 32)
    record("batchnorm_moments", lambda x: tf.nn.moments(x, axes=[0, 1, 2]), x)
    record("softmax_xent", lambda z: tf.nn.softmax(z), f(128, 10))
    record("pool", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), x)
    z = rng.standard_normal((2000, 784)).astype("float32")
    out["numpy_matmul"] = hashlib.sha256((z @ z.T[:, :300]).tobytes()).hexdigest()[:16]
    out["numpy_exp"] = hashlib.sha256(np.exp(z[:200]).tobytes()).hexdigest()[:16]


def cnn_ops(out: dict) -> None:
    """Each op of the CNN's training step at its shapes, forward and every gradient."""
    import keras
    import numpy as np
    import tensorflow as tf
    from dlpipe.models.fused_norm import FusedBatchNormalization
    rng = np.random.default_rng(1)
    f = lambda *s: tf.constant(rng.standard_normal(s).astype("float32"))

    def grads(name, fn, *args):
        with tf.GradientTape() as tape:
            tape.watch(list(args)); y = fn(*args)
            loss = tf.reduce_sum(y * y)
        out[f"{name}_fwd"] = h(y)
        for i, g in enumerate(tape.gradient(loss, list(args))):
            out[f"{name}_grad{i}"] = h(g)

    for batch in (128, 112, 8):
        x1, k1, b1 = f(batch, 28, 28, 1), f(3, 3, 1, 32), f(32)
        grads(f"conv1_bias_relu_b{batch}", lambda x, k, b: tf.nn.relu(tf.nn.bias_add(
            tf.nn.conv2d(x, k, 1, "SAME"), b)), x1, k1, b1)
        x2, k2, b2 = f(batch, 14, 14, 32), f(3, 3, 32, 64), f(64)
        grads(f"conv2_bias_relu_b{batch}", lambda x, k, b: tf.nn.relu(tf.nn.bias_add(
            tf.nn.conv2d(x, k, 1, "SAME"), b)), x2, k2, b2)
        for shape in ((batch, 28, 28, 32), (batch, 14, 14, 64), (batch, 128)):
            layer = keras.layers.BatchNormalization(momentum=0.9)
            layer.build(shape)
            tag = "x".join(map(str, shape[1:]))
            grads(f"batchnorm_train_{tag}_b{batch}", lambda x: layer(x, training=True), f(*shape))
            out[f"batchnorm_moving_{tag}_b{batch}"] = h(layer.moving_mean, layer.moving_variance)
            if len(shape) == 4:  # the CNN's own layer: TensorFlow's fused kernel in training
                fused = FusedBatchNormalization(momentum=0.9)
                fused.build(shape)
                grads(f"fused_batchnorm_train_{tag}_b{batch}", lambda x: fused(x, training=True),
                      f(*shape))
                out[f"fused_batchnorm_moving_{tag}_b{batch}"] = h(fused.moving_mean,
                                                                  fused.moving_variance)
        grads(f"maxpool_28x28x32_b{batch}", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
              f(batch, 28, 28, 32))
        grads(f"maxpool_14x14x64_b{batch}", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"),
              f(batch, 14, 14, 64))
        grads(f"dense_3136x128_b{batch}", lambda x, w, b: tf.nn.relu(x @ w + b),
              f(batch, 3136), f(3136, 128), f(128))
        grads(f"dense_128x10_b{batch}", lambda x, w, b: x @ w + b, f(batch, 128), f(128, 10), f(10))
        labels = tf.one_hot(rng.integers(0, 10, batch), 10)
        grads(f"softmax_xent_b{batch}", lambda z: keras.losses.categorical_crossentropy(
            labels, tf.nn.softmax(z)), f(batch, 10))
        shift = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=0.0, seed=3)
        out[f"random_translation_b{batch}"] = h(shift(tf.abs(f(batch, 28, 28, 1)), training=True))
    # Adam on the CNN's variable shapes, three steps
    shapes = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (3136, 128), (128,), (128, 10), (10,)]
    variables = [tf.Variable(f(*s)) for s in shapes]
    adam = keras.optimizers.Adam(0.003)
    for _ in range(3):
        adam.apply_gradients(zip([f(*s) for s in shapes], variables))
    out["adam_3_steps"] = h(*variables)


def train_steps(out: dict) -> None:
    """The real model (params.yaml's mnist spec) after three seeded training steps on a fixed
    batch, per batch size; and its inference forward pass on 256 rows (predict's batch)."""
    import numpy as np
    import keras
    from dlpipe.models import backends, network
    from dlpipe.params.loading import load_params
    spec = load_params().project("mnist").model
    rng = np.random.default_rng(2)
    for batch in (128, 112, 8):
        backends.seed(0)
        model = network.build_network(spec, 784, 10, True)
        x = rng.random((batch, 784)).astype("float32")
        y = keras.utils.to_categorical(rng.integers(0, 10, batch), 10)
        for _ in range(3):
            model.train_on_batch(x, y)
        out[f"train_step_b{batch}"] = h(*model.get_weights())
    out["predict_b256"] = h(model(rng.random((256, 784)).astype("float32"), training=False))


def child() -> dict:
    import dlpipe  # noqa: F401  (applies the project's CPU pins before NumPy/TensorFlow load)
    os.environ.update(json.loads(os.environ.get("DLPIPE_FP_AFTER_PINS", "{}")))
    import tensorflow as tf
    if os.environ.get("DLPIPE_FP_NODET") != "1":
        tf.config.experimental.enable_op_determinism()
    out: dict = {}
    legacy_ops(out, os.environ.get("DLPIPE_FP_JIT") == "1")
    cnn_ops(out)
    if os.environ.get("DLPIPE_FP_NODET") != "1":  # seed_everything turns determinism on
        train_steps(out)
    return out


def compare(a: dict, b: dict) -> None:
    for setting in a["settings"]:
        ops_a, ops_b = a["settings"][setting], b["settings"].get(setting)
        if ops_b is None:
            print(f"{setting:30s} not in the other file"); continue
        both = [op for op in ops_a if op in ops_b]
        diff = sorted(op for op in both if ops_b[op] != ops_a[op])
        print(f"{setting:30s} {len(both) - len(diff):3d}/{len(both)} equal; differ: {', '.join(diff) or '-'}")


def table(a: dict, b: dict) -> None:
    """Op x setting: '=' same hash in both files, 'D' different, '.' not in the other file."""
    settings = list(a["settings"])
    ops = list(dict.fromkeys(op for s in settings for op in a["settings"][s]))
    print("op".ljust(34) + " ".join(f"{i:>2d}" for i in range(len(settings))))
    for op in ops:
        cells = []
        for s in settings:
            mine, other = a["settings"][s].get(op), b["settings"].get(s, {}).get(op)
            cells.append(" ." if mine is None or other is None else (" =" if mine == other else " D"))
        print(op.ljust(34) + " ".join(cells))
    for i, s in enumerate(settings):
        print(f"{i:2d} {s}")


def main(argv):
    if argv[:1] == ["--child"]:
        print(json.dumps(child())); return 0
    if argv[:1] in (["--compare"], ["--table"]):
        a, b = (json.load(open(p)) for p in argv[1:3])
        (compare if argv[0] == "--compare" else table)(a, b); return 0
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else list(SETTINGS)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    cache = {l.split(":")[0].strip(): l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
             if l.startswith("cache size")}
    result = {"cpu": cpu, "cache": cache, "avx512": any(x.startswith("avx512") for x in flags),
              "settings": {}}
    for name in only:
        extra = SETTINGS[name]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        if name in LEGACY:
            # the legacy files were made under pins that kept oneDNN's graph rewrites off
            env.update(extra, DLPIPE_FP_AFTER_PINS=json.dumps({"TF_ENABLE_ONEDNN_OPTS": "0"}))
        else:
            env.update({k: v for k, v in extra.items() if k.startswith("DLPIPE_")},
                       DLPIPE_FP_AFTER_PINS=json.dumps(extra))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True)
        result["settings"][name] = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 \
            else {"error": done.stderr.strip().splitlines()[-1][:200]}
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
