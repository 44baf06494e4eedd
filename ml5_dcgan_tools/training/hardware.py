"""Where the training runs: one device or data-parallel replicas, float32 or mixed precision."""

from __future__ import annotations

import json
import os
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


def make_strategy(kind: str) -> tf.distribute.Strategy:
    """`none`: the default device. `mirrored`: every local GPU, else every logical CPU device
    (tests split the CPU in two). `multiworker`: the cluster described by TF_CONFIG."""
    if kind == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if kind == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def writes_run_folder(distribute: str) -> bool:
    """False only for the non-chief workers of a multi-worker run (TF_CONFIG): they train in
    step with the chief but write a scratch folder, never the chief's run folder."""
    if distribute != "multiworker":
        return True
    task = json.loads(os.environ.get("TF_CONFIG") or "{}")
    kind, index = task.get("task", {}).get("type"), task.get("task", {}).get("index", 0)
    has_chief = "chief" in task.get("cluster", {})
    return not task or kind == "chief" or (kind == "worker" and index == 0 and not has_chief)
