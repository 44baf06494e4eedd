"""``ml5-dcgan export`` as a user runs it: figures per runtime, --json for machines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from generator_zoo import dcgan

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_export_prints_the_error_per_runtime_and_json_report(tmp_path):
    dcgan(32).save(tmp_path / "generator.keras")
    done = _cli("export", str(tmp_path / "generator.keras"), "--out", str(tmp_path / "bundle"),
                "--description", "test faces")
    assert done.returncode == 0, done.stderr
    assert "oneDNN" not in done.stderr and "I0000" not in done.stderr  # TensorFlow kept quiet
    assert "TF.js 1.7.4: max abs error" in done.stdout
    assert "TF.js 4.22.0: max abs error" in done.stdout
    assert "Permute((3, 1, 2))" in done.stdout and done.stdout.rstrip().endswith("verified")
    assert json.loads((tmp_path / "bundle" / "manifest.json").read_text())["modelSize"] == 32

    done = _cli("export", str(tmp_path / "generator.keras"), "--out", str(tmp_path / "bundle"),
                "--overwrite", "--quantize", "uint8", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] and report["quantization"] == "uint8"
    assert [check["version"] for check in report["runtime_checks"]] == ["1.7.4", "4.22.0"]
    assert all(check["max_abs_error"] <= 1e-4 for check in report["runtime_checks"])


def test_no_verify_warns_loudly(tmp_path):
    dcgan(16).save(tmp_path / "generator.keras")
    done = _cli("export", str(tmp_path / "generator.keras"), "--out", str(tmp_path / "b"),
                "--no-verify")
    assert done.returncode == 0
    assert "WARNING: --no-verify" in done.stderr and "NOT verified" in done.stdout
