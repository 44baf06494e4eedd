"""Batches for one epoch, in an order fixed by (seed, epoch), so a resumed run sees the same ones.

The order is plain numpy; the batches flow through tf.data, which assembles the next ones in a
background thread while the model trains on the current one.
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


def epoch_batches(images: np.ndarray, batch_size: int, epoch: int, seed: int,
                  skip: int = 0) -> tf.data.Dataset:
    """uint8 batches of this epoch, from batch `skip` on (where a resumed run left off)."""
    import tensorflow as tf

    order = batch_order(len(images), batch_size, epoch, seed)[skip:]
    spec = tf.TensorSpec((batch_size, *images.shape[1:]), tf.uint8)
    dataset = tf.data.Dataset.from_generator(lambda: (images[i] for i in order),
                                             output_signature=spec)
    return dataset.prefetch(tf.data.AUTOTUNE)
