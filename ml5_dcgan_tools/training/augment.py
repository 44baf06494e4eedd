"""DiffAugment (Zhao et al., 2020): differentiable colour, translation and cutout.

Applied to real and generated images alike before the discriminator sees them, so it cannot
memorise a small dataset, while the generator still learns un-augmented images. Random numbers
come from an explicit seed, so a resumed run augments exactly as the original would have.
"""

from __future__ import annotations

import tensorflow as tf


def diff_augment(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Images in [-1, 1], NHWC; `seed` a stateless-RNG seed, shape [2]."""
    colour_seed, translation_seed, cutout_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 3))
    return _cutout(_translation(_colour(images, colour_seed), translation_seed), cutout_seed)


def _uniform(shape: tf.Tensor, seed: tf.Tensor, index: int, dtype: tf.DType = tf.float32,
             **bounds: int) -> tf.Tensor:
    return tf.random.stateless_uniform(
        shape, tf.random.experimental.stateless_fold_in(seed, index), dtype=dtype, **bounds)


def _colour(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    shape = tf.stack([tf.shape(x)[0], 1, 1, 1])
    x = x + (_uniform(shape, seed, 0, dtype=x.dtype) - 0.5)  # brightness
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * (_uniform(shape, seed, 1, dtype=x.dtype) * 2) + mean  # saturation
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (_uniform(shape, seed, 2, dtype=x.dtype) + 0.5) + mean  # contrast


def _translation(x: tf.Tensor, seed: tf.Tensor, ratio: float = 0.125) -> tf.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros (mid-grey)."""
    batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
    max_dy, max_dx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = _uniform([batch, 1], seed, 0, dtype=tf.int32, minval=-max_dy, maxval=max_dy + 1)
    dx = _uniform([batch, 1], seed, 1, dtype=tf.int32, minval=-max_dx, maxval=max_dx + 1)
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])  # index 0 and size+1 read zeros
    rows = tf.clip_by_value(tf.range(height)[None] + dy + 1, 0, height + 1)
    cols = tf.clip_by_value(tf.range(width)[None] + dx + 1, 0, width + 1)
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def _cutout(x: tf.Tensor, seed: tf.Tensor, ratio: float = 0.5) -> tf.Tensor:
    """Zero a square of `ratio` of the image size at a random place in each image."""
    batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
    cut_h, cut_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    cy = _uniform([batch, 1, 1], seed, 0, dtype=tf.int32, minval=0, maxval=height + 1 - cut_h % 2)
    cx = _uniform([batch, 1, 1], seed, 1, dtype=tf.int32, minval=0, maxval=width + 1 - cut_w % 2)
    rows = tf.range(height)[None, :, None] - cy + cut_h // 2
    cols = tf.range(width)[None, None, :] - cx + cut_w // 2
    inside = (rows >= 0) & (rows < cut_h) & (cols >= 0) & (cols < cut_w)
    return x * tf.cast(~inside, x.dtype)[..., None]
