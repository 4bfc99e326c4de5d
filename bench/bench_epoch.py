"""The cost of one training epoch on a small table: the project's fit, Keras fit variants, the JAX
backend and scikit-learn's MLPClassifier side by side in one run, repeated.

Data: the price project's processed training part, built by its real fetch -> split ->
preprocess jobs (offline mirror), then cut as ``training.fit`` cuts it (a seeded, stratified 10 %
validation slice: 1440 x 20 fit rows, 160 validation rows, 4 classes). Model: the default price
spec (1 x Dense(8, sigmoid) -> softmax, adam, learning rate 0.01, batch 32). One thread each,
as the tuning stage runs.

Every variant trains a fresh model for ``--epochs`` epochs (patience above that, so EarlyStopping
watches val_loss and keeps the best weights but never stops) and is timed, in wall and in CPU
time (the machine is shared), three ways:
- amortised: the whole build + fit time divided by the epochs (what a tuning stage pays);
- steady: the median epoch after the second one (a timestamp at every epoch's end);
- overhead: build + first epoch minus one steady epoch (tracing, XLA compilation per fit).

Rows: "dlpipe training.fit" is the package under PYTHONPATH as it is (its epoch loop when it has
one); "reused" is a second fit of one model, as CV folds after the first run it; "+xla" compiles
its train and test steps with XLA. The Keras rows are fit() as the project called it before
("project (before)") and candidates: steps_per_execution = a whole epoch (spe), jit_compile
(which Keras turns off under TF op determinism: "auto-off"; "xla forced" turns it on anyway),
the LR decay as a schedule object (sched), tf.data without graph rewrites and autotuning (lean),
one iterator per fit (persistent: repeated, with steps_per_epoch), a reused model.

scikit-learn: MLPClassifier with the same hidden size, activation (logistic), adam, learning
rate, batch 32 and shuffling, one ``partial_fit`` per epoch, followed by the log loss of the
validation slice (the work Keras' validation does each epoch; "sk fit only" leaves it out).
The ratios divide by "sk fit+val".

Keras' JAX and PyTorch backends run in a worker process each (a process runs one backend,
chosen at import). "dlpipe training.fit (jax)" and "(torch)" are the package's fit with
``model.backend`` set (Keras' fit with the same callbacks: the epoch loop is TensorFlow's); the
"jax ..." rows train the same builder's model as the Keras rows above, on NumPy arrays (or the
persistent tf.data pipeline).

    PYTHONPATH=src .venv/bin/python bench/bench_epoch.py [--repeats 5] [--epochs 60]
        [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

TARGET_RATIO = 1.5
SEED = 42
# one thread each, as the tuning stage runs (resources.tune_worker.threads: 1): TensorFlow's pools
# here, BLAS in main(); a JAX worker gets XLA's equivalent
os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"  # PyTorch's pool (and OpenBLAS's)
os.environ["JAX_COMPILATION_CACHE_DIR"] = ""  # the JAX fit compiles, as a first run does
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                      "intra_op_parallelism_threads=1")


# --- data ----------------------------------------------------------------------------------------
def price_fit_parts(root: Path):
    """(X_fit, y_fit, X_val, y_val, spec): the price training part as the final fit sees it,
    made by the project's fetch, split and preprocess jobs in ``root``."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from dlpipe.features import decode_labels

    raw = c.read_raw(c.default_params())
    raw["projects"] = ["price"]
    c.write_params(root, raw)
    c.prepare_data(root, "price")
    section = c.jobs.load(str(root / "params.yaml")).project("price")
    processed = pd.read_parquet(c.artefact(root, "preprocess", "train", "price"))
    X, y = decode_labels(processed)
    spec = section.model
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=spec.validation_fraction, random_state=SEED, stratify=y)
    return X_fit, y_fit, X_val, y_val, spec


# --- Keras variants ------------------------------------------------------------------------------
# spe: one execution per epoch (steps_per_execution); jit: jit_compile (Keras turns it off when TF
# op determinism is on; "force" turns it on anyway); schedule: the LR decay as a schedule object
# instead of a LearningRateScheduler callback; data: "numpy" (Keras' own adapter), "plain" (the
# tf.data pipeline before: a new iterator, with tf.data's graph rewrites, every epoch), "lean"
# (rewrites and autotuning off), "persistent" (lean, repeated, steps_per_epoch and
# validation_steps given: one iterator per fit); reuse: a second fit of a model whose functions
# are traced already, reset to a fresh build's state (CV folds sharing one model).
BEFORE = dict(spe=False, jit=False, schedule=False, data="plain", val_batch=256)
VARIANTS = {
    "project (before)": BEFORE,
    "val batch 32 uncached": {**BEFORE, "val_batch": 32, "val_cache": False},
    "numpy arrays": {**BEFORE, "data": "numpy"},
    "spe": {**BEFORE, "spe": True},
    "spe+sched": {**BEFORE, "spe": True, "schedule": True},
    "spe+jit(auto-off)": {**BEFORE, "spe": True, "jit": True},
    "spe+xla forced": {**BEFORE, "spe": True, "jit": "force"},
    "spe+lean": {**BEFORE, "spe": True, "data": "lean"},
    "spe+persistent": {**BEFORE, "spe": True, "data": "persistent"},
    "spe+persistent reused": {**BEFORE, "spe": True, "data": "persistent", "reuse": True},
    "spe+persistent+xla reused": {**BEFORE, "spe": True, "data": "persistent", "reuse": True,
                                  "jit": "force"},
}
JAX_VARIANTS = {
    "jax spe+jit numpy": {**BEFORE, "spe": True, "jit": True, "data": "numpy"},
    "jax jit numpy": {**BEFORE, "jit": True, "data": "numpy"},
    "jax spe+jit numpy reused": {**BEFORE, "spe": True, "jit": True, "data": "numpy",
                                 "reuse": True},
    "jax spe+jit persistent": {**BEFORE, "spe": True, "jit": True, "data": "persistent"},
}





def keras_variant(parts, epochs: int, spe: bool, jit: bool | str, schedule: bool, data: str,
                  val_batch: int, val_cache: bool = True,
                  reuse: bool = False) -> tuple[float, list[float]]:
    """Build and fit the default price model as the variant says; (start time, epoch ends)."""
    import keras

    from dlpipe.models import backends, network

    X_fit, y_fit, X_val, y_val, spec = parts
    options = dict(spe=spe, jit=jit, schedule=schedule)
    backends.seed(SEED)
    if reuse:  # trace its functions first, untimed
        model = compiled(spec, X_fit.shape[1], steps_of(X_fit, spec), **options)
        run_fit(model, parts, 2, [], data, val_batch, val_cache)
        backends.seed(SEED)
    start = c.now()
    fresh = compiled(spec, X_fit.shape[1], steps_of(X_fit, spec), **options)
    if reuse:
        network.reset_network(model, fresh)
    else:
        model = fresh
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=epochs + 1,
                                               restore_best_weights=True)]
    if not schedule:
        callbacks.append(keras.callbacks.LearningRateScheduler(
            lambda epoch, _rate: spec.learning_rate * spec.lr_decay**epoch))
    clock = c.EpochClock()
    run_fit(model, parts, epochs, [*callbacks, clock], data, val_batch, val_cache)
    return start, clock.stamps


def run_fit(model, parts, epochs: int, callbacks: list, data: str, val_batch: int,
            val_cache: bool) -> None:
    X_fit, y_fit, X_val, y_val, spec = parts
    onehot_fit, onehot_val = np.eye(4, dtype=np.float32)[y_fit], np.eye(4, dtype=np.float32)[y_val]
    if data == "numpy":
        model.fit(X_fit, onehot_fit, batch_size=spec.batch_size, epochs=epochs,
                  validation_data=(X_val, onehot_val), callbacks=callbacks, verbose=0,
                  shuffle=True)
        return
    import tensorflow as tf

    train = (tf.data.Dataset.from_tensor_slices((X_fit, onehot_fit))
             .shuffle(len(X_fit), seed=SEED, reshuffle_each_iteration=True)
             .batch(spec.batch_size))
    val = tf.data.Dataset.from_tensor_slices((X_val, onehot_val)).batch(val_batch)
    val = val.cache() if val_cache else val
    steps = {}
    if data in ("lean", "persistent"):
        train, val = lean(train), lean(val)
    if data == "persistent":
        train, val = train.repeat(), val.repeat()
        steps = dict(steps_per_epoch=steps_of(X_fit, spec),
                     validation_steps=-(-len(X_val) // val_batch))
    model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=0,
              shuffle=False, **steps)


def lean(dataset):
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_optimization.inject_prefetch = False
    options.experimental_warm_start = False
    return dataset.with_options(options)


def steps_of(X_fit, spec) -> int:
    return -(-len(X_fit) // spec.batch_size)


def compiled(spec, n_features: int, steps: int, spe: bool, jit: bool | str, schedule: bool):
    import keras

    from dlpipe.models import network

    model = network.build_network(spec, n_features, 4, True)
    rate = (keras.optimizers.schedules.ExponentialDecay(
        spec.learning_rate, steps, spec.lr_decay, staircase=True) if schedule
        else spec.learning_rate)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=model.loss, metrics=["accuracy"],
                  steps_per_execution=steps if spe else 1, jit_compile=jit is True)
    if jit == "force":
        model._jit_compile = True
    return model


def current_fit(parts, epochs: int, reuse: bool = False,
                xla: bool = False) -> tuple[float, list[float]]:
    """``training.fit`` as the package under PYTHONPATH has it now, with an epoch clock: on its
    epoch loop's epoch function when it has one, else slipped into its ``model.fit`` call;
    ``reuse``: its second fit of one model, as CV folds after the first run (when the package
    has that); ``xla``: XLA forced on every model it builds (Keras refuses it under op
    determinism)."""
    from dlpipe.models import network, training

    X_fit, y_fit, X_val, y_val, spec = parts
    X, y = np.concatenate([X_fit, X_val]), np.concatenate([y_fit, y_val])
    spec = spec.model_copy(update={"epochs": epochs, "patience": epochs + 1})
    clock = c.EpochClock()
    patches = c.epoch_clock_patches(training, clock)
    if xla:
        patches.append((network, "build_network", with_xla(network.build_network)))
    reused = {}
    if reuse:
        reused["reuse"] = training.fit(spec.model_copy(update={"epochs": 2}), X, y, 4, True,
                                       SEED).model
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, patched in patches:
        setattr(owner, name, patched)
    try:
        start = c.now()
        training.fit(spec, X, y, 4, True, SEED, **reused)
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    return start, clock.stamps


def with_xla(build):
    """XLA on the train and test steps (Keras' fit honours ``_jit_compile``; an epoch loop of
    its own calls the steps, which are compiled here)."""
    import tensorflow as tf

    def forced(*args, **kw):
        model = build(*args, **kw)
        model._jit_compile = True
        model.train_step = tf.function(model.train_step, jit_compile=True)
        model.test_step = tf.function(model.test_step, jit_compile=True)
        return model
    return forced


def sklearn_fit(parts, epochs: int, validate: bool) -> tuple[float, list[float]]:
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    X_fit, y_fit, X_val, y_val, spec = parts
    start = c.now()
    model = MLPClassifier(hidden_layer_sizes=(spec.units,), activation="logistic", solver="adam",
                          learning_rate_init=spec.learning_rate, batch_size=spec.batch_size,
                          shuffle=True, random_state=SEED)
    stamps = []
    for _ in range(epochs):
        model.partial_fit(X_fit, y_fit, classes=np.arange(4))
        if validate:
            log_loss(y_val, model.predict_proba(X_val), labels=np.arange(4))
        stamps.append(c.now())
    return start, stamps


# --- figures -------------------------------------------------------------------------------------
def figures(start: tuple[float, float], stamps: list[tuple[float, float]]) -> dict[str, float]:
    """ms, wall and CPU: amortised per epoch, steady epoch (median after the second), per-fit
    overhead (build + first epoch - one steady epoch)."""
    out = {}
    for clock, suffix in ((0, ""), (1, " cpu")):
        ends = np.array([s[clock] for s in stamps])
        steady = float(np.median(np.diff(ends)[1:]))
        out.update({f"amortised{suffix}": 1e3 * (ends[-1] - start[clock]) / len(ends),
                    f"steady{suffix}": 1e3 * steady,
                    f"overhead{suffix}": 1e3 * (ends[0] - start[clock] - steady)})
    return out


# --- the other backends' workers ----------------------------------------------------------------
def backend_worker(data_file: str, backend: str) -> None:
    """Serve one backend's rows: one name per stdin line, one JSON line of figures back."""
    from dlpipe.models import backends

    backends.use(backend)
    import keras

    arrays = np.load(data_file)
    section = c.jobs.load(c.default_params()).project("price")
    parts = (arrays["X_fit"], arrays["y_fit"], arrays["X_val"], arrays["y_val"],
             section.model.model_copy(update={"backend": backend}))
    version = __import__(backend).__version__
    print(json.dumps({"ready": f"{backend} {version}, Keras {keras.__version__}"}), flush=True)
    for line in sys.stdin:
        name, epochs = line.split("\t")
        if name in JAX_VARIANTS:
            out = keras_variant(parts, int(epochs), **JAX_VARIANTS[name])
        else:
            out = current_fit(parts, int(epochs))
        print(json.dumps(figures(*out)), flush=True)


def start_worker(backend: str, parts) -> tuple[subprocess.Popen, str] | None:
    handle = tempfile.NamedTemporaryFile(suffix=".npz", delete=False)
    np.savez(handle.name, X_fit=parts[0], y_fit=parts[1], X_val=parts[2], y_val=parts[3])
    worker = subprocess.Popen([sys.executable, __file__, "--backend-worker", backend,
                               handle.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    ready = worker.stdout.readline()
    if not ready:
        return None
    return worker, json.loads(ready)["ready"]


def ask(worker: subprocess.Popen, name: str, epochs: int) -> dict[str, float]:
    worker.stdin.write(f"{name}\t{epochs}\n")
    worker.stdin.flush()
    return json.loads(worker.stdout.readline())


# --- the run -------------------------------------------------------------------------------------
def spread(values: list[float]) -> str:
    return f"{min(values):6.1f} {statistics.median(values):6.1f} {max(values):6.1f}"


def report(results: dict[str, list[dict[str, float]]], reference: str) -> None:
    for suffix, title in (("", "wall"), (" cpu", "CPU (process time, all threads)")):
        keys = [f"{k}{suffix}" for k in ("amortised", "steady", "overhead")]
        ref = {k: statistics.median(r[k] for r in results[reference]) for k in keys[:2]}
        print(f"\n{title} ms per epoch, min / median / max over {len(results[reference])} "
              f"repeats; ratio = median / {reference!r} median (target <= {TARGET_RATIO}x)")
        print(f"{'variant':28s} {'amortised':>20s} {'steady epoch':>20s} {'overhead/fit':>20s}"
              f" {'ratio am.':>9s} {'ratio st.':>9s}")
        for name, rows in results.items():
            cols = {k: [r[k] for r in rows] for k in keys}
            ratios = [statistics.median(cols[k]) / ref[k] for k in keys[:2]]
            marks = " ".join("ok" if r <= TARGET_RATIO else "--" for r in ratios)
            print(f"{name:28s} {spread(cols[keys[0]]):>20s} {spread(cols[keys[1]]):>20s} "
                  f"{spread(cols[keys[2]]):>20s} {ratios[0]:8.2f}x {ratios[1]:8.2f}x {marks}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--only", nargs="+", default=None, help="variant names to run")
    parser.add_argument("--backend-worker", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend_worker:
        return backend_worker(args.backend_worker[1], args.backend_worker[0])
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    with tempfile.TemporaryDirectory() as root:
        parts = price_fit_parts(Path(root))
    print(f"price fit part {parts[0].shape}, validation {parts[2].shape}, batch "
          f"{parts[4].batch_size}, {args.epochs} epochs per fit", flush=True)
    runs = {"dlpipe training.fit (now)": lambda: current_fit(parts, args.epochs),
            "dlpipe training.fit reused": lambda: current_fit(parts, args.epochs, True),
            "dlpipe fit reused +xla": lambda: current_fit(parts, args.epochs, True, True),
            **{name: (lambda kw=kw: keras_variant(parts, args.epochs, **kw))
               for name, kw in VARIANTS.items()},
            "sk fit+val (reference)": lambda: sklearn_fit(parts, args.epochs, True),
            "sk fit only": lambda: sklearn_fit(parts, args.epochs, False)}
    workers = {}
    for backend, names in (("jax", [*JAX_VARIANTS, "dlpipe training.fit (jax)"]),
                           ("torch", ["dlpipe training.fit (torch)"])):
        started = start_worker(backend, parts)
        if started is None:
            print(f"no {backend} worker: is {backend} installed?", flush=True)
            continue
        workers[backend] = started[0]
        print(f"{started[1]} in a worker", flush=True)
        runs.update({name: (lambda name=name, w=started[0]: ask(w, name, args.epochs))
                     for name in names})
    if args.only:
        runs = {k: v for k, v in runs.items() if k in args.only or k.startswith("sk fit+val")}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    for repeat in range(args.repeats):
        for name, run in runs.items():
            out = run()
            results[name].append(out if isinstance(out, dict) else figures(*out))
        print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    report(results, "sk fit+val (reference)")


if __name__ == "__main__":
    main()
