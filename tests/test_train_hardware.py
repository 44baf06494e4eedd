"""Data-parallel training on two logical CPU devices, mixed precision, XLA: each trains, and the
saved generator is plain float32 whatever trained it."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from ml5_dcgan_tools.training import TrainConfig, train
from ml5_dcgan_tools.training.metrics import MetricsLog

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test

TWO_CPU_DEVICES = """
import sys
from pathlib import Path
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from ml5_dcgan_tools.training import TrainConfig, train
config = TrainConfig(data="shapes:128", size=32, latent_dim=16, width=8, epochs=1, batch_size=32,
                     log_every=1, ema=True, augment=True, distribute=sys.argv[2])
train(config, Path(sys.argv[1]))
"""


TWO_WORKERS = """
import sys
from pathlib import Path
from ml5_dcgan_tools.training import TrainConfig, train
config = TrainConfig(data="shapes:128", size=32, latent_dim=16, width=8, epochs=1, batch_size=32,
                     log_every=1, distribute="multiworker", mixed_precision=False)
train(config, Path(sys.argv[1]))
"""


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _tiny(**overrides) -> TrainConfig:
    return TrainConfig(**{"data": "shapes:64", "size": 32, "latent_dim": 16, "width": 8,
                          "epochs": 1, "batch_size": 32, "log_every": 1,
                          "mixed_precision": False, **overrides})


@pytest.mark.parametrize("distribute", ["mirrored", "multiworker"])
def test_data_parallel_on_two_logical_cpus(tmp_path: Path, distribute: str) -> None:
    env = {**os.environ, "ML5_DCGAN_CACHE": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", TWO_CPU_DEVICES, str(tmp_path / "run"),
                             distribute], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    facts = json.loads((tmp_path / "run" / "config.json").read_text())["run"]
    if distribute == "mirrored":
        assert "data-parallel over 2 replicas" in result.stderr
        assert facts["replicas"] == 2
    records = MetricsLog(tmp_path / "run" / "metrics.jsonl").read()
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)
    assert (tmp_path / "run" / "generator_ema.keras").is_file()


def test_two_workers_on_loopback_train_in_step_and_only_the_chief_writes(tmp_path: Path) -> None:
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = {**os.environ, "ML5_DCGAN_CACHE": str(tmp_path / "cache"),
               "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(
                   {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen(
            [sys.executable, "-c", TWO_WORKERS, str(tmp_path / f"run{index}")], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [worker.communicate(timeout=300)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert all("data-parallel over 2 replicas (multiworker)" in out for out in outputs)
    chief_losses = [line for line in outputs[0].splitlines() if line.startswith("epoch 1/1")]
    assert chief_losses == [line for line in outputs[1].splitlines()
                            if line.startswith("epoch 1/1")]  # one model, trained in step
    records = MetricsLog(tmp_path / "run0" / "metrics.jsonl").read()
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert (tmp_path / "run0" / "generator.keras").is_file()
    assert not (tmp_path / "run1").exists()  # the other worker wrote a scratch folder only


@pytest.mark.parametrize("option", [{"mixed_precision": True}, {"xla": True}])
def test_precision_and_compiler_options_train(tmp_path: Path, monkeypatch, option: dict) -> None:
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "cache"))
    train(_tiny(**option), tmp_path / "run", quiet=True)
    facts = json.loads((tmp_path / "run" / "config.json").read_text())["run"]
    assert facts["dtype_policy"] == ("mixed_bfloat16" if "mixed_precision" in option else "float32")
    records = MetricsLog(tmp_path / "run" / "metrics.jsonl").read()
    assert all(np.isfinite(r["g_loss"]) for r in records)
    generator = keras.models.load_model(tmp_path / "run" / "generator.keras", safe_mode=True)
    assert all(w.dtype == "float32" for w in generator.weights)
    assert generator.dtype_policy.name == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


def test_float16_loss_scaling_path_updates_the_weights() -> None:
    """What --mixed-precision uses on a GPU, run here in float32 so it can be checked on a CPU."""
    import tensorflow as tf

    from ml5_dcgan_tools.data.shapes import generate_shapes
    from ml5_dcgan_tools.training.gan import Gan, make_train_step

    config = _tiny()
    gan = Gan.build(config, loss_scaling=True)
    before = [w.numpy() for w in gan.generator.trainable_weights]
    step = make_train_step(gan, config, tf.distribute.get_strategy())
    result = step(tf.constant(generate_shapes(32, 32)), tf.constant(0, tf.int64))
    assert np.isfinite(float(result["g_loss"]))
    assert type(gan.g_optimizer).__name__ == "LossScaleOptimizer"
    after = gan.generator.trainable_weights
    moved = [not np.allclose(a, w.numpy()) for a, w in zip(before, after, strict=True)]
    assert moved[0] and sum(moved) > len(moved) // 2


ONEDNN_PROBE = """
import os, sys, ml5_dcgan_tools
asked = ml5_dcgan_tools.use_fast_cpu_kernels()
import tensorflow
from tensorflow.python.util import _pywrap_util_port
print(asked, ml5_dcgan_tools.use_fast_cpu_kernels())  # the second call: too late, does nothing
print(os.environ.get("TF_ONEDNN_USE_SYSTEM_ALLOCATOR"))
print(_pywrap_util_port.IsMklEnabled())
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="TensorFlow's oneDNN CPU kernels are only asked for on x86")
@pytest.mark.parametrize(("setting", "expected"), [(None, "True"), ("0", "False")])
def test_use_fast_cpu_kernels_turns_onednn_on_unless_the_user_turned_it_off(setting: str | None,
                                                              expected: str) -> None:
    ours = ("TF_ENABLE_ONEDNN_OPTS", "TF_ONEDNN_USE_SYSTEM_ALLOCATOR")  # conftest set them here
    env = {key: value for key, value in os.environ.items() if key not in ours}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    result = subprocess.run([sys.executable, "-c", ONEDNN_PROBE], env=env, capture_output=True,
                            text=True, timeout=120)
    calls, allocator, enabled = result.stdout.strip().splitlines()[-3:]
    assert enabled == expected, result.stderr
    assert calls == f"{expected} False"
    assert allocator == "1"  # oneDNN's own memory pool cost about 300 MiB more at 128 px
