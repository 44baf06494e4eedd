"""Fixtures shared by all test modules: repository paths and the ml5 reference bundles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ml5_dcgan_tools import use_fast_cpu_kernels

# Before any test module imports TensorFlow, so the tests run the CPU kernels the CLI runs.
use_fast_cpu_kernels()

REPO_ROOT = Path(__file__).resolve().parent.parent
# TensorFlow's C++ start-up chatter would bury the test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Shared CI machines are slow and noisy: no per-example deadline, fewer examples by default.
settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def ml5_reference() -> Path:
    """Folder with face/ and geo/: ml5's real model.json and manifest.json files."""
    return REPO_ROOT / "tests" / "fixtures" / "ml5-reference"
