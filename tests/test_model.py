"""The networks: ml5's exact generator shape, only exporter-accepted layers, every size works."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from generator_zoo import phase_spread

from ml5_dcgan_tools.contract import LAYER_CLASSES
from ml5_dcgan_tools.evaluation.pattern import shared_pattern
from ml5_dcgan_tools.model import (
    SIZES,
    build_discriminator,
    build_generator,
    count_parameters,
    keep_without_checkerboard,
    start_without_checkerboard,
)


def test_default_generator_is_the_size_of_ml5s_own_models() -> None:
    generator = build_generator()
    assert count_parameters(generator) == 3_847_363  # fixtures/ml5-reference face and geo
    assert len(generator.weights) == 26
    assert generator.input_shape == (None, 128)
    assert generator.output_shape == (None, 64, 64, 3)


@pytest.mark.parametrize("size", SIZES)
def test_generator_uses_only_layers_the_exporter_accepts(size: int) -> None:
    generator = build_generator(size, latent_dim=16, width=8)
    assert generator.output_shape == (None, size, size, 3)
    assert {type(layer).__name__ for layer in generator.layers} <= LAYER_CLASSES
    for layer in generator.layers:
        config = layer.get_config()
        assert config.get("output_padding") is None
        assert config.get("dilation_rate", (1, 1)) in ((1, 1), [1, 1])
        assert config.get("data_format", "channels_last") == "channels_last"
    assert generator.layers[-1].get_config()["activation"] == "tanh"
    discriminator = build_discriminator(size, width=8)
    assert discriminator.output_shape == (None, 1)


def test_generator_output_is_in_tanh_range_and_saves_in_safe_mode(tmp_path: Path) -> None:
    generator = build_generator(32, latent_dim=16, width=8)
    images = generator.predict(np.random.default_rng(0).normal(size=(4, 16)) * 10, verbose=0)
    assert images.min() >= -1 and images.max() <= 1
    generator.save(tmp_path / "g.keras")
    loaded = keras.models.load_model(tmp_path / "g.keras", safe_mode=True, compile=False)
    assert [w.shape for w in loaded.weights] == [w.shape for w in generator.weights]


def test_weights_start_from_dcgan_initialisation() -> None:
    kernel = build_generator().get_layer("up8").kernel.numpy()
    assert abs(kernel.mean()) < 1e-3 and abs(kernel.std() - 0.02) < 1e-3


def test_a_checkerboard_free_start_draws_no_grid() -> None:
    """DCGAN's random start stamps the transposed convolutions' grid on every sample; the boxed
    kernels give all four output phases the same weights, so the shared grid is gone."""
    latents = np.random.default_rng(0).standard_normal((64, 16)).astype("float32")

    def grid_share(generator: keras.Model) -> float:
        images = generator.predict(latents, verbose=0)
        scaled = (images - images.min()) / (images.max() - images.min()) * 255
        return shared_pattern(scaled.astype(np.uint8))

    keras.utils.set_random_seed(0)
    generator = build_generator(32, latent_dim=16, width=8)
    before = grid_share(generator)
    start_without_checkerboard(generator)
    kernel = keras.ops.convert_to_numpy(generator.get_layer("to_rgb").kernel)
    assert phase_spread(kernel) < 1e-6
    assert before > 0.2 and grid_share(generator) < 0.05


def test_kept_without_checkerboard_a_layer_draws_a_flat_region_flat() -> None:
    """Once its four output phases sum the same weights, a stride-2 kernel turns a constant input
    into a constant output (away from the border) whatever else it learnt; doing it again
    changes nothing, and it moves the kernel less than a resize convolution would."""
    keras.utils.set_random_seed(1)
    generator = build_generator(32, latent_dim=16, width=8)
    layer = generator.get_layer("up16")
    flat = np.ones((1, 8, 8, layer.kernel.shape[-1]), np.float32)

    def interior_spread() -> float:
        inner = keras.ops.convert_to_numpy(layer(flat))[0, 2:-2, 2:-2]
        return float(np.abs(inner - inner[0, 0]).max())

    assert interior_spread() > 1e-3  # DCGAN's own kernel: a grid on a flat input
    learnt = keras.ops.convert_to_numpy(layer.kernel)
    keep_without_checkerboard(generator)
    assert interior_spread() < 1e-5
    # 3 of 16 directions per channel pair removed: about sqrt(3/16) of a random kernel's norm
    moved = np.linalg.norm(keras.ops.convert_to_numpy(layer.kernel) - learnt)
    assert 0.3 < moved / np.linalg.norm(learnt) < 0.55
    kept = keras.ops.convert_to_numpy(layer.kernel)
    keep_without_checkerboard(generator)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.kernel), kept, atol=1e-6)
    # a start that is already checkerboard-free is left as it is
    start_without_checkerboard(generator)
    started = keras.ops.convert_to_numpy(layer.kernel)
    keep_without_checkerboard(generator)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.kernel), started, atol=1e-6)


def test_unsupported_size_is_refused() -> None:
    with pytest.raises(ValueError, match="one of"):
        build_generator(48)


def test_train_defaults_are_the_models_batchnorm_settings() -> None:
    from ml5_dcgan_tools.model.dcgan import BN_EPSILON, BN_MOMENTUM
    from ml5_dcgan_tools.training.config import TrainConfig

    defaults = TrainConfig(data="")
    assert (defaults.bn_momentum, defaults.bn_epsilon) == (BN_MOMENTUM, BN_EPSILON)


def test_training_flags_shape_the_generator_and_discriminator() -> None:
    plain = build_generator(32, latent_dim=16, width=8)
    paper = build_generator(32, latent_dim=16, width=8, project_bias=False, bn_momentum=0.99,
                            bn_epsilon=1e-5)
    units = paper.get_layer("project").units
    assert paper.get_layer("project").bias is None and plain.get_layer("project").bias is not None
    assert count_parameters(plain) - count_parameters(paper) == units
    discriminator = build_discriminator(32, width=8, bn_momentum=0.5, bn_epsilon=0.25)
    for model, momentum, epsilon in ((plain, 0.9, 1e-3), (paper, 0.99, 1e-5),
                                     (discriminator, 0.5, 0.25)):
        norms = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
        assert norms and all(n.momentum == momentum and n.epsilon == epsilon for n in norms)


@pytest.mark.parametrize("num_classes", [0, 3])
def test_fused_batch_norm_trains_with_the_same_numbers_and_is_never_exported(
        num_classes: int) -> None:
    """The training graph's fused BatchNormalization gives Keras' outputs, gradients and moving
    statistics (generator: rank-2 and rank-4 inputs; discriminator), and the exporter refuses it."""
    import tensorflow as tf

    from ml5_dcgan_tools.keras_layers import UnsupportedModel, check_layer_classes

    shape = {"latent_dim": 16, "width": 8, "num_classes": num_classes, "bn_momentum": 0.5}
    rng = np.random.default_rng(0)
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, 6)] if num_classes else None
    for build, inputs in (
            (build_generator, rng.normal(size=(6, 16)).astype("float32")),
            (build_discriminator, rng.uniform(-1, 1, (6, 32, 32, 3)).astype("float32"))):
        kwargs = shape if build is build_generator else {
            "width": 8, "num_classes": num_classes, "bn_momentum": 0.5}
        plain, fused = build(32, **kwargs), build(32, **kwargs, fused_batch_norm=True)
        fused.set_weights(plain.get_weights())
        given = inputs if labels is None else [inputs, labels]
        results = []
        for model in (plain, fused):
            with tf.GradientTape() as tape:
                out = model(given, training=True)
                # Fixed random weights: a plain sum of normalised outputs has no gradient.
                loss = tf.reduce_sum(out * tf.random.stateless_normal(tf.shape(out), [1, 2]))
            results.append([out, *tape.gradient(loss, model.trainable_weights),
                            *model.non_trainable_weights])
        assert any(type(layer).__name__ == "FusedBatchNormalization" for layer in fused.layers)
        # atol: the biases before a normalisation have a true gradient of 0, and both are noise.
        for mine, keras_own in zip(results[1], results[0], strict=True):
            np.testing.assert_allclose(np.asarray(mine), np.asarray(keras_own), rtol=1e-4,
                                       atol=1e-4)
        # Inference reads the moving statistics the same way.
        np.testing.assert_allclose(np.asarray(fused(given, training=False)),
                                   np.asarray(plain(given, training=False)), atol=1e-5)
        if build is build_generator:
            with pytest.raises(UnsupportedModel, match="FusedBatchNormalization"):
                check_layer_classes(fused)
