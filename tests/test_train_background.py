"""Per-epoch writes off the training thread: in order, from a copy taken at the step, and a failed
write reaches the training thread."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.training.background import BackgroundWriter


def test_writes_run_in_order_on_another_thread() -> None:
    done: list[tuple[int, bool]] = []
    writer = BackgroundWriter()
    for i in range(20):
        writer.submit(lambda i=i: done.append((i, threading.current_thread()
                                               is threading.main_thread())))
    writer.drain()
    writer.close()
    assert done == [(i, False) for i in range(20)]


def test_a_failed_write_is_raised_on_the_training_thread() -> None:
    writer = BackgroundWriter()

    def full_disk() -> None:
        raise UserError("cannot write checkpoints/step-000000010.npz: No space left on device")

    writer.submit(full_disk)
    with pytest.raises(UserError, match="No space left"):
        writer.drain()
    writer.close()


@pytest.mark.slow
def test_checkpoint_holds_the_values_at_the_step_it_was_asked_for(tmp_path: Path) -> None:
    import tensorflow as tf

    from ml5_dcgan_tools.training.checkpoints import restore_latest, save_checkpoint, snapshot

    variable = tf.Variable(np.arange(6, dtype=np.float32))
    copy = snapshot({"g": [variable]})
    variable.assign(np.zeros(6, np.float32))  # training goes on before the write happens
    writer = BackgroundWriter()
    writer.submit(save_checkpoint, tmp_path, 7, copy)
    writer.drain()
    writer.close()
    assert restore_latest(tmp_path, {"g": [variable]}) == 7
    assert np.array_equal(variable.numpy(), np.arange(6, dtype=np.float32))
