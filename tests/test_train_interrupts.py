"""What people do to long trainings: kill them, Ctrl-C them, feed them messy folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.training.metrics import MetricsLog

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test

MODEL = ["--size", "32", "--latent-dim", "16", "--width", "8"]
TINY = [*MODEL, "--batch-size", "32", "--ema", "--augment"]


def _settings(tmp_path: Path, **settings: int) -> list[str]:
    """`--config FILE` with these training settings (those that are no command-line options)."""
    path = tmp_path / "settings.toml"
    path.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
    return ["--config", str(path)]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ML5_DCGAN_CACHE": str(tmp_path / "cache"),
            "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}


def _cli(*args: str, tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ml5_dcgan_tools", *args],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for_step(run: Path, step: int, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"finished before step {step}: {process.stderr.read()}"
        lines = (run / "metrics.jsonl").read_text().splitlines() if (
            run / "metrics.jsonl").exists() else []
        if any(json.loads(line)["step"] >= step for line in lines[-3:] if line.endswith("}")):
            return
        time.sleep(0.05)
    raise AssertionError(f"no step {step} within {timeout} s")


def _checkpoint_steps(run: Path) -> list[int]:
    return sorted(int(p.stem.split("-")[1]) for p in (run / "checkpoints").glob("step-*.npz"))


def _assert_nothing_corrupt(run: Path) -> None:
    assert not [p for p in run.rglob(".*")], "temporary files left behind"
    for path in (run / "checkpoints").glob("*.npz"):
        with np.load(path) as checkpoint:
            assert all(np.isfinite(checkpoint[name]).all() for name in checkpoint.files)
    for path in run.rglob("*.png"):
        with Image.open(path) as image:
            image.load()
    json.loads((run / "config.json").read_text())


def test_sigkill_mid_epoch_then_resume_finishes_the_planned_steps(tmp_path: Path) -> None:
    run = tmp_path / "run"  # 2 epochs of 60 steps, checkpoints every 16
    process = _cli("train", "shapes:1920", "--out", str(run), "--epochs", "2",
                   *_settings(tmp_path, checkpoint_every=16, log_every=1), *TINY,
                   tmp_path=tmp_path)
    _wait_for_step(run, 40, process)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    killed_at = time.time()
    checkpoint = _checkpoint_steps(run)[-1]
    logged = [r["step"] for r in MetricsLog(run / "metrics.jsonl").read()]
    assert 32 <= checkpoint < max(logged) < 60, "killed mid-epoch, past a checkpoint"
    _assert_nothing_corrupt(run)

    resumed = _cli("train", "--resume", str(run), tmp_path=tmp_path)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"resuming at step {checkpoint} of 120" in stderr
    records = MetricsLog(run / "metrics.jsonl").read()
    assert [r["step"] for r in records] == list(range(1, 121))
    after_kill = [r["step"] for r in records if r["time"] > killed_at]
    assert after_kill[0] == checkpoint + 1  # continued from the checkpoint, not from zero
    assert _checkpoint_steps(run)[-1] == 120
    assert (run / "generator.keras").is_file() and (run / "generator_ema.keras").is_file()
    _assert_nothing_corrupt(run)


def test_ctrl_c_saves_and_exits_cleanly(tmp_path: Path) -> None:
    run = tmp_path / "run"
    process = _cli("train", "shapes:1920", "--out", str(run), "--epochs", "2", *TINY,
                   *_settings(tmp_path, log_every=1), tmp_path=tmp_path)
    _wait_for_step(run, 20, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    stopped = MetricsLog(run / "metrics.jsonl").read()[-1]["step"]
    assert f"stopped at step {stopped} of 120; checkpoint saved" in stderr
    assert "Traceback" not in stderr
    assert _checkpoint_steps(run)[-1] == stopped
    assert (run / "generator.keras").is_file()
    _assert_nothing_corrupt(run)


def test_messy_folder_trains_and_reports_what_it_skipped(tmp_path: Path) -> None:
    from test_data import make_messy_folder

    good = 16
    expected = make_messy_folder(tmp_path / "photos", good=good)
    process = _cli("train", str(tmp_path / "photos"), "--out", str(tmp_path / "run"),
                   "--epochs", "1", "--batch-size", "8", *MODEL, tmp_path=tmp_path)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    summary = next(line for line in stderr.splitlines() if line.startswith("data: "))
    assert f"data: {good + 8} images 32x32" in summary
    skipped = sum(expected.values())
    assert f"skipped {skipped}: " in summary
    for reason, count in expected.items():
        assert f"{count} {reason}" in summary
    listed = (tmp_path / "run" / "skipped-files.txt").read_text().splitlines()
    assert len(listed) == skipped and "too large\tbomb.png" in listed
    assert (tmp_path / "run" / "generator.keras").is_file()
