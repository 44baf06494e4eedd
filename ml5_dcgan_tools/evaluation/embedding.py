"""The fixed image embedding every quality number is computed in: a small convolutional network
with random weights drawn from a fixed seed, so it ships as code and needs no download.

Randomly initialised networks are a usable feature space for comparing image sets from unfamiliar
domains (Naeem et al., 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"):
they keep the local statistics of colour, edges and texture (blur, dot patterns, checkerboards)
and some of the layout, but they know nothing of what an image shows. The features are, for each
of four ReLU layers (the first at full resolution, then strided), the spatial mean and standard
deviation of every channel: multi-scale statistics of colour, edges, corners and curves (the
last layer sees 24-pixel patches), 320 numbers, few enough for a stable Fréchet distance from a
thousand or two samples. Images larger than 64 pixels are first reduced to 64.
Weights come from NumPy's PCG64 stream, which NumPy keeps stable across releases, so figures
stay comparable between versions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

SEED = 20200714  # fixed forever: changing it changes every figure
MAX_SIDE = 64
LAYERS = ((3, 1, 16), (4, 2, 32), (4, 2, 48), (4, 2, 64))  # kernel, stride, channels
FEATURES = 2 * sum(c for _, _, c in LAYERS)
BATCH = 256


def _kernels() -> list[np.ndarray]:
    rng = np.random.default_rng(SEED)
    kernels, inputs = [], 3
    for size, _, channels in LAYERS:
        fan_in = size * size * inputs
        kernels.append((rng.standard_normal((size, size, inputs, channels)) *
                        np.sqrt(2.0 / fan_in)).astype(np.float32))
        inputs = channels
    return kernels


@cache
def _network(side: int) -> Callable:
    import tensorflow as tf

    kernels = [tf.constant(k) for k in _kernels()]

    @tf.function(input_signature=[tf.TensorSpec([None, side, side, 3], tf.uint8)])
    def features(batch: tf.Tensor) -> tf.Tensor:
        x = tf.cast(batch, tf.float32) / 127.5 - 1.0
        if side > MAX_SIDE:
            x = tf.image.resize(x, (MAX_SIDE, MAX_SIDE), method="area")
        pooled = []
        for kernel, (_, stride, _) in zip(kernels, LAYERS, strict=True):
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, strides=stride, padding="SAME"))
            mean, variance = tf.nn.moments(x, axes=[1, 2])
            pooled += [mean, tf.sqrt(variance + 1e-8)]
        return tf.concat(pooled, axis=1)

    return features


def embed(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, H, 3), H >= 16 -> float64 features (N, FEATURES)."""
    images = np.asarray(images, np.uint8)
    if len(images) == 0:
        return np.zeros((0, FEATURES))
    network = _network(images.shape[1])
    return np.concatenate([network(images[i:i + BATCH]).numpy()
                           for i in range(0, len(images), BATCH)]).astype(np.float64)


def standardise(train: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale every feature by the training images' spread, so each layer of the embedding counts
    by how it varies over the data, not by the size of its activations (the full-resolution
    layer, which sees blur and pixel patterns, would otherwise be drowned by the deep ones).
    The spread is floored at a tenth of the median one: a channel that the data never excites
    would otherwise turn any sample that does excite it into an astronomic distance."""
    mean, spread = train.mean(0), train.std(0)
    spread = np.maximum(spread, 0.1 * np.median(spread) + 1e-12)
    return (train - mean) / spread, (fake - mean) / spread
