"""Small Keras 3 generators covering every shape of model the exporter must handle.

Weights, BatchNormalization moving statistics included, are randomized so that a translation
mistake (a wrong slope, epsilon, axis or weight order) shows up in the numbers.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

LATENT = 16


def randomize(model: keras.Model, seed: int = 0) -> keras.Model:
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if variable.name == "moving_variance":
            values = rng.uniform(0.5, 2.0, shape)
        elif variable.name == "gamma":
            values = rng.uniform(0.5, 1.5, shape)
        elif variable.name == "kernel":  # scaled by fan-in so that tanh does not saturate
            values = rng.normal(0.0, 1.0 / np.sqrt(np.prod(shape[:-1])), shape)
        else:
            values = rng.normal(0.0, 0.1, shape)
        variable.assign(values.astype("float32"))
    return model


def dcgan(size: int, *, latent: int = LATENT, width: int = 8, channels: int = 3,
          slope: float | None = None, use_bias: bool = True, epsilon: float = 1e-3,
          momentum: float = 0.99, name: str = "generator") -> keras.Model:
    """The classic recipe: Dense -> BN -> act -> Reshape -> [ConvT -> BN -> act]* -> ConvT tanh."""
    def activation() -> layers.Layer:
        return layers.ReLU() if slope is None else layers.LeakyReLU(negative_slope=slope)

    model = keras.Sequential(name=name)
    model.add(keras.Input((latent,)))
    model.add(layers.Dense(4 * 4 * width * 4, use_bias=use_bias))
    model.add(layers.BatchNormalization(epsilon=epsilon, momentum=momentum))
    model.add(activation())
    model.add(layers.Reshape((4, 4, width * 4)))
    side, filters = 4, width * 4
    while side * 2 < size:
        filters = max(width, filters // 2)
        model.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                         use_bias=use_bias))
        model.add(layers.BatchNormalization(epsilon=epsilon, momentum=momentum))
        model.add(activation())
        side *= 2
    model.add(layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh",
                                     use_bias=use_bias))
    return randomize(model)


def functional_skip() -> keras.Model:
    """A functional generator with an Add skip and a Concatenate, 16x16."""
    z = keras.Input((LATENT,), name="z")
    x = layers.Dense(4 * 4 * 16)(z)
    x = layers.Reshape((4, 4, 16))(x)
    up = layers.Conv2DTranspose(8, 4, strides=2, padding="same")(x)
    up = layers.BatchNormalization()(up)
    nearest = layers.UpSampling2D()(x)
    nearest = layers.Conv2D(8, 3, padding="same", use_bias=False)(nearest)
    x = layers.Add()([up, nearest])
    x = layers.LeakyReLU(negative_slope=0.1)(x)
    x = layers.Concatenate()([x, layers.Conv2D(4, 1)(x)])
    x = layers.UpSampling2D()(x)
    x = layers.Conv2D(3, 3, padding="same")(x)
    out = layers.Activation("tanh")(x)
    return randomize(keras.Model(z, out, name="skip_generator"))


def upsampling_conv() -> keras.Model:
    """UpSampling2D + Conv2D instead of transposed convolutions, 32x32."""
    model = keras.Sequential([
        keras.Input((LATENT,)),
        layers.Dense(4 * 4 * 16), layers.ReLU(), layers.Reshape((4, 4, 16)),
        layers.UpSampling2D(), layers.Conv2D(16, 3, padding="same"), layers.BatchNormalization(),
        layers.LeakyReLU(negative_slope=0.2),
        layers.UpSampling2D(), layers.Conv2D(8, 3, padding="same"), layers.ReLU(),
        layers.UpSampling2D(), layers.Conv2D(3, 3, padding="same", activation="tanh"),
    ], name="upsampling_generator")
    return randomize(model)


def ends_channels_first() -> keras.Model:
    """A generator that already ends [N, 3, H, W]: the exporter must leave it alone."""
    model = dcgan(16, name="channels_first_generator")
    model.add(layers.Permute((3, 1, 2)))
    return model


def labelled(classes: int = 3, size: int = 16, latent: int = LATENT) -> keras.Model:
    """A labelled generator in the shared format: inputs "latent" [L] and "label" [K],
    Concatenate, then Dense -> BN -> ReLU -> Reshape -> Conv2DTranspose blocks -> tanh."""
    z = keras.Input((latent,), name="latent")
    label = keras.Input((classes,), name="label")
    x = layers.Concatenate()([z, label])
    x = layers.Dense(4 * 4 * 16)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((4, 4, 16))(x)
    side = 4
    while side * 2 < size:
        x = layers.Conv2DTranspose(8, 4, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        side *= 2
    out = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    model = randomize(keras.Model([z, label], out, name="labelled_generator"))
    # Make the label matter as much as the latent, so a label fed wrongly shows in the numbers.
    dense = next(layer for layer in model.layers if isinstance(layer, layers.Dense))
    kernel = dense.kernel.numpy()
    kernel[latent:] *= 4.0
    dense.kernel.assign(kernel)
    return model


def phase_spread(kernel: np.ndarray) -> float:
    """How far a stride-2 transposed kernel's four output phases' summed weights are apart: 0
    means it draws no checkerboard grid."""
    phases = [kernel[i::2, j::2].sum(axis=(0, 1)) for i in (0, 1) for j in (0, 1)]
    return max(float(np.abs(phase - phases[0]).max()) for phase in phases)
