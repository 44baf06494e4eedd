"""Training batches, each epoch in an order fixed by (seed, epoch), so a resumed run sees the same
ones.

The order is plain numpy; the batches flow through tf.data, which assembles the next ones in a
background thread while the model trains on the current one. The batch indices go in as a tensor
and numpy gathers each batch: `Dataset.from_generator` gives the same batches 20% slower.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf


def batch_order(count: int, batch_size: int, epoch: int, seed: int) -> np.ndarray:
    """Image indices (batches, batch_size): this epoch's permutation, last partial batch dropped."""
    order = np.random.default_rng([seed, epoch]).permutation(count)
    batches = count // batch_size
    return order[: batches * batch_size].reshape(batches, batch_size)


def batches_from(images: np.ndarray, batch_size: int, seed: int, step: int = 0,
                 labels: np.ndarray | None = None) -> tf.data.Dataset:
    """uint8 batches from training step `step` on (where a resumed run left off), epoch after
    epoch without end; with `labels`, (images, int32 labels) pairs gathered with the same indices.

    One endless dataset for the whole run: ending an epoch's dataset stalled the next step for up
    to 16 s now and then, and prefetching never stops at an epoch's edge."""
    import tensorflow as tf

    per_epoch = len(images) // batch_size
    first_epoch, skip = divmod(step, per_epoch)
    shape = (batch_size, *images.shape[1:])
    table = None if labels is None else tf.constant(labels, tf.int32)

    def order(epoch: tf.Tensor) -> tf.Tensor:
        indices = tf.numpy_function(
            lambda e: batch_order(len(images), batch_size, int(e), seed), [epoch], tf.int64)
        return tf.ensure_shape(indices, (per_epoch, batch_size))

    def gather(indices: tf.Tensor) -> tf.Tensor | tuple[tf.Tensor, tf.Tensor]:
        batch = tf.numpy_function(lambda i: np.asarray(images[i]), [indices], tf.uint8)
        batch = tf.ensure_shape(batch, shape)
        return batch if table is None else (batch, tf.gather(table, indices))

    epochs = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max)
    dataset = epochs.map(order).unbatch().skip(skip).map(gather)
    return dataset.prefetch(tf.data.AUTOTUNE)
