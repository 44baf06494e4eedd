"""Classic DCGAN (Radford et al. 2016) in the exact shape of ml5's own pretrained models.

At 64 pixels, latent 128 and width 64 the generator matches ml5's face and geo bundles layer for
layer (Dense with bias -> BatchNormalization -> ReLU -> Reshape -> 3 x [Conv2DTranspose -> BN ->
ReLU] -> Conv2DTranspose(3) -> tanh; 26 weight tensors, 3,847,363 parameters), channels last.
The generator holds only layers the ml5 exporter accepts; the discriminator is never exported.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

from .fused_norm import FusedBatchNormalization

SIZES = (32, 64, 128, 256)
START = 4  # the generator starts at 4x4 and doubles until it reaches the image size


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(0.0, 0.02)


# PyTorch's DCGAN momentum (0.1 there = 0.9 here): the moving statistics that ml5's inference
# uses keep up with a generator that changes fast. Epsilon is Keras's (PyTorch: 1e-5).
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-3


def _bn(name: str, momentum: float, epsilon: float, fused: bool) -> layers.BatchNormalization:
    return (FusedBatchNormalization if fused else layers.BatchNormalization)(
        momentum=momentum, epsilon=epsilon,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name)


def _doublings(size: int) -> int:
    if size not in SIZES:
        raise ValueError(f"image size must be one of {SIZES}, not {size}")
    return int(math.log2(size // START))


def _channels(width: int, level: int) -> int:
    """Channels `level` doublings before the output: width, 2*width, ..., capped at 8*width."""
    return width * min(2**level, 8)


def build_generator(size: int = 64, latent_dim: int = 128, width: int = 64, *,
                    bn_momentum: float = BN_MOMENTUM, bn_epsilon: float = BN_EPSILON,
                    project_bias: bool = True, num_classes: int = 0,
                    fused_batch_norm: bool = False) -> keras.Model:
    """Latent vector (N(0, 1), length `latent_dim`) -> RGB image in [-1, 1], channels last.

    `project_bias=False` is the paper's projection (BatchNormalization right after it cancels a
    bias anyway); ml5's own models have the bias. `num_classes` K > 0 makes it conditional: a
    second input `label` (K floats: a one-hot row, or a mix of rows) joins the latent before the
    projection, with layers every TF.js version computes (Concatenate, Dense).
    `fused_batch_norm` is for training only (FusedBatchNormalization): the exporter refuses it."""
    n = _doublings(size)
    start_channels = _channels(width, n - 1)
    z = keras.Input((latent_dim,), name="latent")
    inputs, x = z, z
    if num_classes:
        label = keras.Input((num_classes,), name="label")
        inputs, x = [z, label], layers.Concatenate(name="latent_label")([z, label])
    x = layers.Dense(START * START * start_channels, use_bias=project_bias,
                     kernel_initializer=_init(), name="project")(x)
    x = _bn("project_bn", bn_momentum, bn_epsilon, fused_batch_norm)(x)
    x = layers.Activation("relu", name="project_relu")(x)
    x = layers.Reshape((START, START, start_channels), name="to_4x4")(x)
    for i in range(1, n):
        resolution = START * 2**i
        x = layers.Conv2DTranspose(_channels(width, n - 1 - i), 4, strides=2, padding="same",
                                   kernel_initializer=_init(), name=f"up{resolution}")(x)
        x = _bn(f"up{resolution}_bn", bn_momentum, bn_epsilon, fused_batch_norm)(x)
        x = layers.Activation("relu", name=f"up{resolution}_relu")(x)
    x = layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=_init(),
                               name="to_rgb")(x)
    image = layers.Activation("tanh", name="tanh", dtype="float32")(x)
    return keras.Model(inputs, image, name="generator")


def build_discriminator(size: int = 64, width: int = 64, *, bn_momentum: float = BN_MOMENTUM,
                        bn_epsilon: float = BN_EPSILON, num_classes: int = 0,
                        fused_batch_norm: bool = False) -> keras.Model:
    """RGB image in [-1, 1] -> one logit: strided convolutions with LeakyReLU 0.2.

    `num_classes` K > 0 adds a one-hot `label` input and the projection of Miyato & Koyama
    (2018): logit + <embedding(label), pooled features>, the embedding a Dense without bias."""
    n = _doublings(size)
    image = keras.Input((size, size, 3), name="image")
    x = image
    for i in range(n):
        x = layers.Conv2D(_channels(width, i), 4, strides=2, padding="same", use_bias=i == 0,
                          kernel_initializer=_init(), name=f"down{size >> (i + 1)}")(x)
        if i > 0:  # no normalisation on the input layer, as in the paper
            x = _bn(f"down{size >> (i + 1)}_bn", bn_momentum, bn_epsilon, fused_batch_norm)(x)
        x = layers.LeakyReLU(0.2, name=f"down{size >> (i + 1)}_lrelu")(x)
    features = x
    x = layers.Conv2D(1, START, padding="valid", kernel_initializer=_init(), name="to_logit")(x)
    logit = layers.Flatten(name="logit", dtype="float32")(x)
    if not num_classes:
        return keras.Model(image, logit, name="discriminator")
    label = keras.Input((num_classes,), name="label")
    pooled = layers.GlobalAveragePooling2D(name="pool", dtype="float32")(features)
    # Keras' Glorot start, not DCGAN's N(0, 0.02): labels are followed sooner (lab log).
    embedded = layers.Dense(pooled.shape[-1], use_bias=False, name="embed",
                            dtype="float32")(label)
    projection = layers.Dot(axes=1, name="projection", dtype="float32")([embedded, pooled])
    logit = layers.Add(name="conditional_logit", dtype="float32")([logit, projection])
    return keras.Model([image, label], logit, name="discriminator")


def start_without_checkerboard(generator: keras.Model) -> None:
    """Redraw every stride-2 transposed convolution's kernel as a 3x3 kernel convolved with a 2x2
    box (Aitken et al., 2017): the four output phases then sum the same weights, so the untrained
    generator draws no grid for the discriminator to train away. Training only: not a layer."""
    for layer in _upsampling_layers(generator):
        rows, cols, outputs, inputs = layer.kernel.shape
        small = keras.random.normal((rows - 1, cols - 1, outputs, inputs), stddev=0.01)
        padded = np.pad(keras.ops.convert_to_numpy(small), ((1, 1), (1, 1), (0, 0), (0, 0)))
        boxed = padded[1:, 1:] + padded[:-1, 1:] + padded[1:, :-1] + padded[:-1, :-1]
        layer.kernel.assign(boxed.astype(layer.kernel.dtype))


def keep_without_checkerboard(generator: keras.Model) -> None:
    """Shift each stride-2 transposed convolution's kernel, after an update, by the least that
    gives its four output phases the same sum of weights: a flat region then stays flat, so no
    grid grows, while 13 of the kernel's 16 weights per channel pair stay free (a resize
    convolution keeps 9). The bundle keeps the Conv2DTranspose layer that every TF.js version
    runs. Usable in a tf.function."""
    for layer in _upsampling_layers(generator):
        kernel = layer.kernel
        rows, cols = kernel.shape[:2]
        phases = keras.ops.reshape(kernel, (rows // 2, 2, cols // 2, 2, *kernel.shape[2:]))
        sums = keras.ops.sum(phases, axis=(0, 2), keepdims=True)
        excess = (sums - keras.ops.mean(sums, axis=(1, 3), keepdims=True)) / (rows * cols // 4)
        kernel.assign(keras.ops.reshape(phases - excess, kernel.shape))


def _upsampling_layers(generator: keras.Model) -> list[layers.Conv2DTranspose]:
    return [layer for layer in generator.layers if isinstance(layer, layers.Conv2DTranspose)]


def count_parameters(model: keras.Model) -> int:
    return int(sum(math.prod(w.shape) for w in model.weights))
