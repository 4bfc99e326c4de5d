"""Keras' BatchNormalization with TensorFlow's fused kernel for images in training.

On the TensorFlow backend Keras normalises a batch with separate operations (the moments, then
the scale and shift, and their gradients one by one): in the MNIST CNN they take about a third
of a training step, more than any convolution but one. TensorFlow's fused kernel does the same
arithmetic in one pass each way. The layer is Keras' in everything else (its weights, its
moving statistics, their update, its inference), so a saved network loads and predicts as one
with Keras' layer would, on every backend.
"""

from __future__ import annotations

from dlpipe.models import backends

backends.activate()  # before Keras loads: it reads its backend once

import keras  # noqa: E402

tf = backends.load_tensorflow() if keras.backend.backend() == "tensorflow" else None
MIN_EPSILON = 1.001e-5  # below it the fused kernel raises epsilon to this


@keras.saving.register_keras_serializable(package="dlpipe")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """A channels-last batch of images [batch, height, width, channels] in training, on
    TensorFlow: normalised by the fused kernel, the moving statistics updated as Keras updates
    them. Any other input, mode or backend: Keras' own layer."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self._fusable(inputs, mask)):
            return super().call(inputs, training=training, mask=mask)
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, self.gamma, self.beta, epsilon=self.epsilon, data_format="NHWC",
            is_training=True)
        # the kernel returns the unbiased variance (n / (n - 1) times the batch's); Keras keeps
        # the batch's own in its moving statistics, and so does this layer
        count = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], variance.dtype)
        variance = variance * ((count - 1.0) / count)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return outputs

    def _fusable(self, inputs, mask) -> bool:
        return (tf is not None and self.trainable and mask is None and len(inputs.shape) == 4
                and self.axis in (-1, 3) and self.center and self.scale and not self.renorm
                and not self.synchronized and self.epsilon >= MIN_EPSILON
                and self.compute_dtype == "float32" and self.variable_dtype == "float32")
