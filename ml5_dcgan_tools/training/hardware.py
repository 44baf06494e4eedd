"""Where the training runs: one device, or data-parallel replicas on several."""

from __future__ import annotations

import json
import os

import tensorflow as tf


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
