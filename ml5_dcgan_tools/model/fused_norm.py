"""BatchNormalization for the networks being trained: TensorFlow's fused kernel in training mode.

Keras 3 normalises with separate mean, variance and arithmetic ops; one fused op (oneDNN's on a
CPU, cuDNN's on a GPU) does the same in fewer passes over memory. Only the training graph uses
it: every generator that is saved or exported is rebuilt from plain Keras layers
(`save_generator`), so nothing outside training ever holds this layer.
"""

from __future__ import annotations

import keras
import tensorflow as tf

# TensorFlow's fused kernel silently raises a smaller epsilon to this.
FUSED_MIN_EPSILON = 1.001e-5


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """The same numbers as keras.layers.BatchNormalization over the last axis (the moving
    variance kept as Keras keeps it, with the biased batch variance); inference, masks, other
    axes and an epsilon under the kernel's minimum fall back to Keras' own code."""

    def call(self, inputs: tf.Tensor, training: bool | None = None,
             mask: tf.Tensor | None = None) -> tf.Tensor:
        fused = (training and self.trainable and mask is None and self.scale and self.center
                 and not self.renorm and self.axis in (-1, len(inputs.shape) - 1)
                 and self.epsilon >= FUSED_MIN_EPSILON)
        if not fused:
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        images = tf.cast(inputs, tf.float32)  # as Keras does, for bfloat16 and float16
        if len(inputs.shape) != 4:  # the projection's (batch, units): one pixel per example
            images = tf.reshape(images, [-1, 1, 1, channels])
        outputs, mean, unbiased_variance = tf.compat.v1.nn.fused_batch_norm(
            images, tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32),
            epsilon=self.epsilon, is_training=True)
        count = tf.cast(tf.size(images) // channels, tf.float32)
        variance = unbiased_variance * (count - 1.0) / count
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(moving * self.momentum + tf.cast(batch, moving.dtype)
                          * (1.0 - self.momentum))
        return tf.cast(tf.reshape(outputs, tf.shape(inputs)), self.compute_dtype)
