"""A small Transformer encoder over a text's word ids, the first layer of ``model.kind:
transformer``: word and position embeddings, ``attention_blocks`` blocks of multi-head
self-attention and a feed-forward layer (each added to its input, then layer-normalised), and
the mean over the text's words (padding left out). The network's Dense layers and output follow.

The word ids come from the feature transformer (:class:`dlpipe.encoders.TextTokens`, fitted on
the training rows), not from a Keras ``TextVectorization`` layer: the network then takes
numbers only, so LiteRT converts it as it converts every other network, and the bundle's
transformer is the one place that splits text, for training, predict, serve, explain and drift.
"""

from __future__ import annotations

from dlpipe.models import backends

backends.activate()  # before Keras loads: it reads its backend once

import keras  # noqa: E402

PAD = 0  # the id of "no word" (TextTokens pads short texts with it)


@keras.saving.register_keras_serializable(package="dlpipe")
class TextEncoder(keras.layers.Layer):
    """Word ids [batch, length] (float or int) -> one vector of ``width`` per text."""

    def __init__(self, vocabulary: int, length: int, width: int, heads: int, blocks: int,
                 units: int, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.settings = dict(vocabulary=vocabulary, length=length, width=width, heads=heads,
                             blocks=blocks, units=units, dropout=dropout)
        self.words = keras.layers.Embedding(vocabulary, width)
        self.positions = keras.layers.Embedding(length, width)
        self.attention = [keras.layers.MultiHeadAttention(heads, width // heads, dropout=dropout)
                          for _ in range(blocks)]
        self.inner = [keras.layers.Dense(units, activation="relu") for _ in range(blocks)]
        self.outer = [keras.layers.Dense(width) for _ in range(blocks)]
        self.norms = [keras.layers.LayerNormalization(epsilon=1e-6) for _ in range(2 * blocks)]
        self.dropout = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        # every sublayer's weights made here, so a saved network loads into them
        length, width = self.settings["length"], self.settings["width"]
        sequence = (None, length, width)
        self.words.build((None, length))
        self.positions.build((length,))
        for k, attention in enumerate(self.attention):
            attention.build(sequence, sequence)
            self.inner[k].build(sequence)
            self.outer[k].build((None, length, self.settings["units"]))
            self.norms[2 * k].build(sequence)
            self.norms[2 * k + 1].build(sequence)
        super().build(input_shape)

    def call(self, ids, training=None):
        ops = keras.ops
        ids = ops.cast(ids, "int32")
        present = ops.not_equal(ids, PAD)  # [batch, length]
        length = self.settings["length"]
        # a word attends to every word of its text, never to padding
        mask = ops.repeat(ops.expand_dims(present, 1), length, axis=1)
        hidden = self.words(ids) + self.positions(ops.arange(length))
        for k, attention in enumerate(self.attention):
            attended = attention(hidden, hidden, attention_mask=mask, training=training)
            hidden = self.norms[2 * k](hidden + self.dropout(attended, training=training))
            changed = self.outer[k](self.inner[k](hidden))
            hidden = self.norms[2 * k + 1](hidden + self.dropout(changed, training=training))
        weights = ops.expand_dims(ops.cast(present, hidden.dtype), -1)
        return ops.sum(hidden * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.settings["width"])

    def get_config(self) -> dict:
        return {**super().get_config(), **self.settings}
