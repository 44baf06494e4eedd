"""The EMA generator's BatchNormalization statistics belong to its own weights, not to the live
generator's: averaging the live statistics mis-normalised the averaged weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from ml5_dcgan_tools.model import build_generator
from ml5_dcgan_tools.training.ema import update_ema

pytestmark = pytest.mark.slow  # a hundred eager forward passes


def _bn_input_variances(generator: keras.Model, latents: np.ndarray) -> dict[str, np.ndarray]:
    """Variance of every BatchNormalization layer's input over the latents, per channel."""
    names = [layer.name for layer in generator.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    values = keras.Model(generator.input, [generator.get_layer(n).input for n in names])(
        latents, training=False)
    return {name: np.asarray(v).reshape(-1, v.shape[-1]).var(0)
            for name, v in zip(names, values, strict=True)}


def test_ema_statistics_are_those_of_its_own_weights() -> None:
    keras.utils.set_random_seed(0)
    live, average = build_generator(32, 16, 4), build_generator(32, 16, 4)
    kernel = live.get_layer("project").kernel
    kernel.assign(kernel * 5)  # the live network's activations are 25x as variable
    rng = np.random.default_rng(0)
    for _ in range(100):  # decay 1: the average keeps its weights, only its statistics move
        update_ema(average, live, tf.constant(1.0),
                   tf.constant(rng.standard_normal((64, 16)), tf.float32))
    latents = rng.standard_normal((2048, 16)).astype(np.float32)
    own, other = _bn_input_variances(average, latents), _bn_input_variances(live, latents)
    for name, variance in own.items():
        moving = np.asarray(average.get_layer(name).moving_variance)
        assert np.abs(np.log(moving / variance)).mean() < 0.15, name  # its own statistics
    moving = np.asarray(average.get_layer("project_bn").moving_variance)
    assert np.abs(np.log(moving / other["project_bn"])).mean() > 2  # not the live ones


def test_statistics_stay_when_not_refreshed() -> None:
    keras.utils.set_random_seed(0)
    live, average = build_generator(32, 16, 4), build_generator(32, 16, 4)
    before = np.asarray(average.get_layer("project_bn").moving_variance)
    latents = tf.constant(np.random.default_rng(0).standard_normal((64, 16)), tf.float32)
    step = tf.function(update_ema)  # as in training: a tensor decides, inside a graph
    step(average, live, tf.constant(0.5), latents, tf.constant(False))
    kept = np.asarray(average.get_layer("project_bn").moving_variance)
    assert np.array_equal(before, kept)
    step(average, live, tf.constant(0.5), latents, tf.constant(True))
    assert not np.allclose(kept, np.asarray(average.get_layer("project_bn").moving_variance))
