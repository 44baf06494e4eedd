"""An exponential moving average of the generator's weights: smoother samples, and the
generator that is exported when it exists (Karras et al., 2018; Yazıcı et al., 2019)."""

from __future__ import annotations

import keras
import tensorflow as tf


def ema_decay(step: tf.Tensor, decay: float) -> tf.Tensor:
    """Ramps up from 0.1 so the average does not drag the random initial weights along."""
    step = tf.cast(step, tf.float32)
    return tf.minimum(decay, (1.0 + step) / (10.0 + step))


def update_ema(average: keras.Model, live: keras.Model, decay: tf.Tensor) -> None:
    """average <- decay * average + (1 - decay) * live, for every weight, BN statistics included."""
    for mean, weight in zip(average.weights, live.weights, strict=True):
        mean.assign(decay * mean + (1.0 - decay) * tf.cast(weight, mean.dtype))
