"""The DCGAN being trained: both networks, their optimizers, an optional EMA generator, and one
training step (by default both networks updated from the same forward pass, as in TensorFlow's
DCGAN tutorial; or in pytorch/examples' alternating order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import tensorflow as tf

from ..model import (
    build_discriminator,
    build_generator,
    keep_without_checkerboard,
    start_without_checkerboard,
)
from .augment import diff_augment
from .config import TrainConfig
from .ema import STATISTICS_EVERY, ema_decay, update_ema


@dataclass
class Gan:
    generator: keras.Model
    discriminator: keras.Model
    g_optimizer: keras.optimizers.Optimizer
    d_optimizer: keras.optimizers.Optimizer
    ema: keras.Model | None
    num_classes: int = 0  # a labelled (conditional) DCGAN when > 0

    @classmethod
    def build(cls, config: TrainConfig, loss_scaling: bool, num_classes: int = 0) -> Gan:
        """Call inside the distribution strategy's scope, under the run's dtype policy."""
        architecture = config.generator_architecture(num_classes)
        # Trained with the fused BatchNormalization kernel; saved generators are rebuilt plain.
        generator = build_generator(**architecture, fused_batch_norm=True)
        if config.checkerboard_free_start:
            start_without_checkerboard(generator)
        discriminator = build_discriminator(config.size, config.width,
                                            bn_momentum=config.bn_momentum,
                                            bn_epsilon=config.bn_epsilon, num_classes=num_classes,
                                            fused_batch_norm=True)
        ema = None
        if config.ema:
            ema = build_generator(**architecture, fused_batch_norm=True)
            ema.set_weights(generator.get_weights())
        optimizers = []
        for model in (generator, discriminator):
            optimizer = keras.optimizers.Adam(config.lr, beta_1=config.beta1)
            if loss_scaling:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            optimizer.build(model.trainable_variables)  # so a checkpoint can be restored into it
            optimizers.append(optimizer)
        return cls(generator, discriminator, *optimizers, ema, num_classes)

    @property
    def sampler(self) -> keras.Model:
        """The generator whose pictures are shown and exported: the EMA one when there is one."""
        return self.ema or self.generator

    def variables(self) -> dict[str, list]:
        """Everything a checkpoint must hold for an exact resume."""
        groups = {"generator": self.generator.weights, "discriminator": self.discriminator.weights,
                  "g_optimizer": self.g_optimizer.variables,
                  "d_optimizer": self.d_optimizer.variables}
        if self.ema is not None:
            groups["ema"] = self.ema.weights
        return groups


def make_train_step(gan: Gan, config: TrainConfig,
                    strategy: tf.distribute.Strategy) -> Callable[[tf.Tensor, tf.Tensor], dict]:
    """A compiled step(uint8 batch, step number) -> {d_loss, g_loss, d_real, d_fake}; for a
    labelled GAN the batch is (images, class indices), and both networks see one-hot labels:
    the real images' own, and classes drawn uniformly for the fakes.

    Latents, fake classes and augmentations are drawn from stateless RNGs seeded by (seed, step,
    replica), so a resumed run draws exactly what the uninterrupted run would have.
    """
    real_label = 1.0 - config.label_smoothing
    classes = gan.num_classes

    def with_labels(tensor: tf.Tensor, onehots: tf.Tensor | None) -> tf.Tensor | list[tf.Tensor]:
        """A network's input: the tensor alone, or with its one-hot labels when labelled."""
        return tensor if onehots is None else [tensor, onehots]

    def random_onehots(count: tf.Tensor | int, seed: tf.Tensor) -> tf.Tensor | None:
        """Uniformly drawn classes, one-hot; None when unlabelled."""
        if not classes:
            return None
        drawn = tf.random.stateless_uniform([count], seed, 0, classes, dtype=tf.int32)
        return tf.one_hot(drawn, classes)

    def average(per_example: tf.Tensor) -> tf.Tensor:
        return tf.nn.compute_average_loss(per_example, global_batch_size=config.batch_size)

    def bce(label: float, logits: tf.Tensor) -> tf.Tensor:
        return average(tf.nn.sigmoid_cross_entropy_with_logits(
            tf.fill(tf.shape(logits), label), logits)[:, 0])

    def discriminator_logits(real: tf.Tensor, fake: tf.Tensor, real_y: tf.Tensor | None,
                             fake_y: tf.Tensor | None) -> tuple[tf.Tensor, tf.Tensor]:
        """Real and fake logits. Without augmentation the discriminator normalises each batch
        alone (the DCGAN recipe). With DiffAugment, augmented real and fake go through it as one
        batch: normalised alone, the fake batch's mean hides whatever all fakes share from it, and
        a grid of dots grows on every sample."""
        if not config.augment:
            return (gan.discriminator(with_labels(real, real_y), training=True),
                    gan.discriminator(with_labels(fake, fake_y), training=True))
        both = with_labels(tf.concat([real, fake], axis=0),
                           None if real_y is None else tf.concat([real_y, fake_y], axis=0))
        return tuple(tf.split(gan.discriminator(both, training=True), 2))

    def descend(tape: tf.GradientTape, loss: tf.Tensor, model: keras.Model,
                optimizer: keras.optimizers.Optimizer) -> None:
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

    def replica_step(batch: tf.Tensor, step: tf.Tensor) -> dict[str, tf.Tensor]:
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        seed = tf.random.experimental.stateless_fold_in(
            tf.random.experimental.stateless_fold_in(tf.constant([config.seed, 0], tf.int64), step),
            replica)
        z_seed, real_seed, fake_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
        real_y = None
        if classes:
            batch, real_classes = batch
            real_y = tf.one_hot(real_classes, classes)
        real = tf.cast(batch, tf.float32) / 127.5 - 1.0
        z = tf.random.stateless_normal([tf.shape(real)[0], config.latent_dim], z_seed)
        # Folded in apart from the split above, so that unlabelled runs draw what they always did.
        fake_y = random_onehots(tf.shape(real)[0],
                                tf.random.experimental.stateless_fold_in(seed, 3))
        if config.augment:
            real = diff_augment(real, real_seed)
        with tf.GradientTape() as g_tape:
            fake = gan.generator(with_labels(z, fake_y), training=True)
            if config.augment:
                fake = diff_augment(fake, fake_seed)
            with tf.GradientTape() as d_tape:
                real_logits, fake_logits = discriminator_logits(real, fake, real_y, fake_y)
                d_loss = bce(real_label, real_logits) + bce(0.0, fake_logits)
                # Identity unless float16 loss scaling is on; apply_gradients then unscales.
                d_scaled = gan.d_optimizer.scale_loss(d_loss)
            judged = fake_logits
            if config.update_order == "alternating":
                with g_tape.stop_recording():
                    descend(d_tape, d_scaled, gan.discriminator, gan.d_optimizer)
                judged = (discriminator_logits(real, fake, real_y, fake_y)[1] if config.augment
                          else gan.discriminator(with_labels(fake, fake_y), training=True))
            g_loss = bce(1.0, judged)
            g_scaled = gan.g_optimizer.scale_loss(g_loss)
        if config.update_order == "simultaneous":
            descend(d_tape, d_scaled, gan.discriminator, gan.d_optimizer)
        descend(g_tape, g_scaled, gan.generator, gan.g_optimizer)
        return {"d_loss": d_loss, "g_loss": g_loss,
                "d_real": average(tf.sigmoid(real_logits)[:, 0]),
                "d_fake": average(tf.sigmoid(fake_logits)[:, 0])}

    if config.xla:
        replica_step = tf.function(replica_step, jit_compile=True)

    @tf.function
    def train_step(batch: tf.Tensor, step: tf.Tensor) -> dict[str, tf.Tensor]:
        per_replica = strategy.run(replica_step, args=(batch, step))
        totals = {name: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                  for name, value in per_replica.items()}
        if config.checkerboard_free_training:
            keep_without_checkerboard(gan.generator)
        if gan.ema is not None:
            seed = tf.random.experimental.stateless_fold_in(
                tf.constant([config.seed, 1], tf.int64), step)
            latents = tf.random.stateless_normal([config.batch_size, config.latent_dim], seed)
            onehots = random_onehots(config.batch_size,
                                     tf.random.experimental.stateless_fold_in(seed, 1))
            update_ema(gan.ema, gan.generator, ema_decay(step, config.ema_decay),
                       with_labels(latents, onehots),
                       refresh_statistics=step % STATISTICS_EVERY == 0)
        return totals

    return train_step
