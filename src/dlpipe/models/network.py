"""Keras networks built from params: a Sequential MLP, a small CNN for images, or a small
Transformer encoder for a text's word ids.

Importing this module imports Keras and, on the TensorFlow backend, TensorFlow (~4 s), so
only the stages that train or read networks do. A job on JAX or PyTorch never runs a
TensorFlow op and does without TensorFlow's import.
"""

from __future__ import annotations

from dlpipe.models import backends

backends.activate()  # before Keras loads: it reads its backend once

import keras  # noqa: E402

from dlpipe.errors import one_line  # noqa: E402
from dlpipe.models.fused_norm import FusedBatchNormalization  # noqa: E402  (and for loading)
from dlpipe.models.transformer import TextEncoder  # noqa: E402  (registered for loading too)
from dlpipe.params import KerasModel  # noqa: E402

# On TensorFlow, its Python-side warnings quiet too: every CV fold builds a new model, and TF
# then warns about "retracing" predict functions, which is expected here.
tf = backends.load_tensorflow() if keras.backend.backend() == "tensorflow" else None
if tf is not None:
    tf.get_logger().setLevel("ERROR")


def batch_norm(images: bool = False) -> keras.layers.Layer:
    """The normalisation after a Dense layer, or after a convolution (``images``: the fused
    kernel in training, same arithmetic)."""
    # Keras' momentum 0.99 keeps half of the initial moving statistics after 70 steps; a CV fold
    # of a few thousand rows trains for about that many, so its validation (inference mode) ran
    # on unwarmed statistics (MNIST folds of 1800 rows: accuracy 0.6 instead of 0.96). 0.9
    # (PyTorch's default) warms up in ~30.
    kind = FusedBatchNormalization if images else keras.layers.BatchNormalization
    return kind(momentum=0.9)


def augmentation(spec: KerasModel) -> list:
    """The augmentation layers of ``spec``, active in training only (identities at inference):
    each image moved by up to ``random_shift`` of its height and width, flipped, rotated by up
    to ``random_rotation`` of a turn and its contrast scaled by up to ``random_contrast``; the
    borders a move or a turn uncovers are filled with background (0)."""
    layers = []
    if spec.random_shift > 0:
        layers.append(keras.layers.RandomTranslation(spec.random_shift, spec.random_shift,
                                                     fill_mode="constant", fill_value=0.0))
    if spec.random_flip != "none":
        layers.append(keras.layers.RandomFlip(spec.random_flip))
    if spec.random_rotation > 0:
        layers.append(keras.layers.RandomRotation(spec.random_rotation, fill_mode="constant",
                                                  fill_value=0.0))
    if spec.random_contrast > 0:
        layers.append(keras.layers.RandomContrast(spec.random_contrast))
    return layers


def build_network(spec: KerasModel, n_features: int, n_classes: int | None,
                  onehot: bool, vocabulary: int | None = None) -> keras.Model:
    """A compiled network: [conv blocks | a Transformer encoder of ``n_features`` word ids in
    a ``vocabulary``] -> n_layers x Dense(units) [+BN] [+Dropout] -> softmax
    over ``n_classes`` classes, or, with ``n_classes`` None, one linear output (a value, trained
    on a standardised target with ``spec.loss``: mse for ``auto``, or huber).

    ``n_layers`` 0 leaves a softmax (or linear) regression on the inputs. ``l2`` penalises every
    kernel, the output layer's too (without it a 0-layer model would be unregularised).
    """
    regularizer = keras.regularizers.L2(spec.l2) if spec.l2 > 0 else None
    model = keras.Sequential(name=f"{spec.kind}")
    model.add(keras.Input(shape=(n_features,)))
    as_images = spec.kind == "cnn" or spec.augments
    if as_images:
        assert spec.image_shape is not None  # guaranteed by params validation
        model.add(keras.layers.Reshape(spec.image_shape))
    for layer in augmentation(spec):
        model.add(layer)
    if spec.kind == "transformer":
        assert vocabulary is not None  # guaranteed by params validation (text_encoding tokens)
        model.add(TextEncoder(vocabulary, n_features, spec.embedding_dim, spec.attention_heads,
                              spec.attention_blocks, spec.units, spec.dropout))
    if spec.kind == "cnn":
        for block in range(spec.conv_blocks):
            filters = spec.conv_filters * 2**block
            model.add(keras.layers.Conv2D(filters, 3, padding="same", activation=spec.activation,
                                          kernel_regularizer=regularizer))
            if spec.batch_norm:
                model.add(batch_norm(images=True))
            model.add(keras.layers.MaxPooling2D(2))
    if as_images:
        model.add(keras.layers.Flatten())
    for _ in range(spec.n_layers):
        model.add(keras.layers.Dense(spec.units, activation=spec.activation,
                                     kernel_regularizer=regularizer))
        if spec.batch_norm:
            model.add(batch_norm())
        if spec.dropout > 0:
            model.add(keras.layers.Dropout(spec.dropout))
    optimizer = (keras.optimizers.Adam(spec.learning_rate) if spec.optimizer == "adam"
                 else keras.optimizers.SGD(spec.learning_rate, momentum=0.9))
    if n_classes is None:
        model.add(keras.layers.Dense(1, kernel_regularizer=regularizer))
        loss = keras.losses.Huber() if spec.loss == "huber" else "mean_squared_error"
        model.compile(optimizer=optimizer, loss=loss, metrics=["mean_absolute_error"])
        return model
    model.add(keras.layers.Dense(n_classes, activation="softmax", kernel_regularizer=regularizer))
    loss = "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def with_target_scale(model: keras.Model, mean: float, std: float) -> keras.Model:
    """``model`` (trained on a target standardised with ``mean`` and ``std``) with a last layer
    that maps its output back to the target's units, so every user of the saved network (the
    bundle, LiteRT, the server) gets values as the data has them. The weights are shared."""
    scaled = keras.Sequential([keras.Input(shape=model.input_shape[1:]), *model.layers,
                               keras.layers.Rescaling(std, offset=mean, name="target_units")],
                              name=model.name)
    return scaled


def reset_network(model: keras.Model, fresh: keras.Model) -> None:
    """Put ``model`` (fitted before) in the state of ``fresh``, a new build of the same spec.

    Every variable is copied (weights, batch-norm statistics, the dropout and augmentation seed
    states) and the optimizer starts over (step 0, zero moments, the fresh learning rate), so
    the next fit of ``model`` gives the numbers a fit of ``fresh`` would, bit for bit, while
    reusing the training functions ``model`` has traced already (tracing costs more than
    fitting a small table).
    """
    for mine, new in zip(model.variables, fresh.variables, strict=True):
        mine.assign(new)
    for variable in model.optimizer.variables:
        variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
    model.optimizer.learning_rate = float(fresh.optimizer.learning_rate)


def load_network(path: str) -> keras.Model:
    """A saved network, to predict and export with; safe mode refuses a file whose layers
    would run arbitrary code (a Lambda layer's pickled function).

    Its training configuration stays unread: a loaded network never trains, and that
    configuration names the optimizer of the backend that trained it, whose module (PyTorch's,
    ~4-7 s to import) TensorFlow would otherwise import in every job and server that loads it.
    """
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"its config cannot be rebuilt: {_innermost(error)}") from error


def _innermost(error: Exception) -> str:
    """Keras' innermost reason, in one sentence (its message wraps it in the whole config)."""
    text = str(error).rsplit("Exception encountered:", 1)[-1].strip()
    return one_line(text.split(". ", 1)[0], 200) if text else type(error).__name__
