"""The precision networks are built and trained in: float32, or mixed precision when asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keras
import tensorflow as tf


@contextmanager
def dtype_policy(mixed_precision: bool) -> Iterator[str]:
    """Keras' global dtype policy for the duration: mixed_float16 on a GPU, mixed_bfloat16 on a
    CPU (float16 matmuls are emulated there; bfloat16 has hardware support on recent CPUs)."""
    previous = keras.config.dtype_policy()
    policy = "float32"
    if mixed_precision:
        policy = "mixed_float16" if tf.config.list_logical_devices("GPU") else "mixed_bfloat16"
    keras.config.set_dtype_policy(policy)
    try:
        yield policy
    finally:
        keras.config.set_dtype_policy(previous)
