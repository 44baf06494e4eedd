"""The training step's recipe switches (the issue-12 ablations): update order, BatchNorm
settings, the projection's bias; each must do what its name says and survive the run folder."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from generator_zoo import phase_spread

from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.generators.run_folder import pick_generator
from ml5_dcgan_tools.training import train
from ml5_dcgan_tools.training.config import TrainConfig

pytestmark = pytest.mark.slow  # builds and steps real (tiny) networks


def _config(**overrides) -> TrainConfig:
    return TrainConfig(**{"data": "shapes:64", "size": 32, "latent_dim": 16, "width": 8,
                          "batch_size": 32, "ema": False, **overrides})


def _one_step(config: TrainConfig, generator: list, discriminator: list):
    """The Gan after one step from the given weights."""
    import tensorflow as tf

    from ml5_dcgan_tools.data.shapes import generate_shapes
    from ml5_dcgan_tools.training.gan import Gan, make_train_step

    gan = Gan.build(config, loss_scaling=False)
    gan.generator.set_weights(generator)
    gan.discriminator.set_weights(discriminator)
    step = make_train_step(gan, config, tf.distribute.get_strategy())
    step(tf.constant(generate_shapes(32, 32, seed=3)), tf.constant(5, tf.int64))
    return gan


def _learned(model: keras.Model) -> list[np.ndarray]:
    """Trainable weights only: BatchNormalization's moving statistics move with every
    training-mode call, and the alternating order calls the discriminator twice."""
    return [w.numpy() for w in model.trainable_weights]


def _assert_same(left: list, right: list) -> None:
    for a, b in zip(left, right, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("augment", [False, True])
def test_alternating_order_judges_the_generator_by_the_updated_discriminator(
        augment: bool) -> None:
    from ml5_dcgan_tools.training.gan import Gan

    start = Gan.build(_config(), loss_scaling=False)
    g0, d0 = start.generator.get_weights(), start.discriminator.get_weights()
    simultaneous = _config(augment=augment)
    alternating = _config(augment=augment, update_order="alternating")

    sim = _one_step(simultaneous, g0, d0)
    alt = _one_step(alternating, g0, d0)
    # the discriminator's update does not depend on the order
    _assert_same(_learned(alt.discriminator), _learned(sim.discriminator))
    moved = [np.max(np.abs(a - b)) for a, b in zip(_learned(alt.generator),
                                                    _learned(sim.generator), strict=True)]
    assert max(moved) > 1e-6
    # The alternating generator update is the simultaneous one taken against the discriminator
    # after its update (training-mode BatchNormalization ignores its moving statistics).
    against_updated = _one_step(simultaneous, g0, alt.discriminator.get_weights())
    _assert_same(_learned(alt.generator), _learned(against_updated.generator))


def test_recipe_switches_reach_every_saved_generator(tmp_path: Path) -> None:
    config = _config(data="shapes:128", epochs=2, checkpoint_every=4, eval_every=4, ema=True,
                     update_order="alternating", project_bias=False, bn_epsilon=1e-5,
                     bn_momentum=0.99, label_smoothing=0.0)
    train(config, tmp_path / "run", quiet=True)
    assert TrainConfig.load(tmp_path / "run" / "config.json") == config
    for checkpoint in ("last", "best", "step-4"):
        path, _ = pick_generator(tmp_path / "run", checkpoint)
        generator = keras.models.load_model(path, safe_mode=True, compile=False)
        assert generator.get_layer("project").bias is None, checkpoint
        assert generator.get_layer("project_bn").epsilon == 1e-5, checkpoint
        assert generator.get_layer("up8_bn").momentum == 0.99, checkpoint


@pytest.mark.parametrize("overrides,message", [
    ({"update_order": "sideways"}, "update_order must be one of simultaneous, alternating"),
    ({"bn_momentum": 1.0}, r"bn_momentum must be in \[0, 1\)"),
    ({"bn_epsilon": 0.0}, "bn_epsilon must be positive"),
])
def test_bad_recipe_values_are_refused_before_training(overrides: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        _config(**overrides).check()


def _phase_spread(generator: keras.Model) -> float:
    """up16's phase spread: 0 for no grid."""
    return phase_spread(generator.get_layer("up16").kernel.numpy())


def test_checkerboard_free_training_keeps_both_generators_without_a_grid() -> None:
    """A plain step moves the four phases apart again; with checkerboard_free_training (the
    default) they stay tied, in the trained generator and in its moving average."""
    from ml5_dcgan_tools.training.gan import Gan

    start = Gan.build(_config(), loss_scaling=False)
    g0, d0 = start.generator.get_weights(), start.discriminator.get_weights()
    assert _phase_spread(start.generator) < 1e-6
    plain = _config(checkerboard_free_training=False)
    assert _phase_spread(_one_step(plain, g0, d0).generator) > 1e-5
    tied = _one_step(_config(checkerboard_free_training=True, ema=True), g0, d0)
    assert _phase_spread(tied.generator) < 1e-6 and _phase_spread(tied.ema) < 1e-6


@pytest.mark.parametrize("ema", [False, True])
def test_checkerboard_free_start_reaches_the_generator_and_its_average(ema: bool) -> None:
    from ml5_dcgan_tools.training.gan import Gan

    gan = Gan.build(_config(checkerboard_free_start=True, ema=ema), loss_scaling=False)
    for generator in [gan.generator] + ([gan.ema] if ema else []):
        assert _phase_spread(generator) < 1e-6
    plain = Gan.build(_config(checkerboard_free_start=False, ema=ema),
                      loss_scaling=False).generator.get_layer("up16").kernel
    corners = plain.numpy()[0::2, 0::2].sum(axis=(0, 1)) - plain.numpy()[1::2, 1::2].sum(
        axis=(0, 1))
    assert np.abs(corners).max() > 1e-3  # DCGAN's own start: the phases differ
