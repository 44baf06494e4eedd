"""What the exporter refuses: one clear line, a non-zero exit, and no folder left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import pytest
from generator_zoo import LATENT, dcgan
from keras import layers

pytestmark = pytest.mark.slow


@keras.saving.register_keras_serializable(package="zoo")
class ScaledDense(layers.Dense):
    """A custom layer: its code lives in the user's script, never in the exported bundle."""


def _generator_with(*middle: layers.Layer) -> keras.Model:
    return keras.Sequential([keras.Input((LATENT,)), layers.Dense(4 * 4 * 3),
                             layers.Reshape((4, 4, 3)), *middle,
                             layers.Conv2D(3, 1, activation="tanh")])


REFUSED = {
    "lambda": (lambda: _generator_with(layers.Lambda(lambda x: x * 2.0)),
               "Lambda layers run arbitrary Python code"),
    "custom-layer": (lambda: keras.Sequential([
        keras.Input((LATENT,)), ScaledDense(4 * 4 * 3), layers.Reshape((4, 4, 3)),
        layers.Conv2D(3, 1, activation="tanh")]), "custom layer ScaledDense"),
    "output-padding": (lambda: _generator_with(
        layers.Conv2DTranspose(3, 3, strides=2, output_padding=1)),
        "output_padding [1, 1] is silently ignored by TF.js"),
    "unsupported-activation": (lambda: _generator_with(layers.Activation("silu")),
                               "activation 'silu' is not computed the same"),
    "relu-negative-slope": (lambda: _generator_with(layers.ReLU(negative_slope=0.1)),
                            "ReLU negative_slope/threshold are silently ignored"),
    "bilinear-upsampling": (lambda: _generator_with(layers.UpSampling2D(
        interpolation="bilinear")), "interpolation 'bilinear' becomes 'nearest'"),
    "sigmoid-output": (lambda: keras.Sequential([
        keras.Input((LATENT,)), layers.Dense(4 * 4 * 3, activation="sigmoid"),
        layers.Reshape((4, 4, 3))]), "bounded by sigmoid, not to [-1, 1]"),
    "linear-output": (lambda: keras.Sequential([
        keras.Input((LATENT,)), layers.Dense(4 * 4 * 3), layers.Reshape((4, 4, 3))]),
        "not to [-1, 1] (tanh or softsign)"),
    "nested-model": (lambda: keras.Sequential([
        keras.Input((LATENT,)), keras.Sequential([layers.Dense(4 * 4 * 3)]),
        layers.Reshape((4, 4, 3)), layers.Activation("tanh")]), "nested models are not supported"),
    # Issue 9: this used to reach the verification gate and fail as "an exporter bug".
    "channels-first-batchnorm": (lambda: keras.Sequential([
        keras.Input((LATENT,)), layers.Dense(3 * 4 * 4), layers.Reshape((3, 4, 4)),
        layers.BatchNormalization(axis=1), layers.Activation("tanh")]),
        "BatchNormalization over axis 1 of a rank-4 tensor (channels first)"),
}


def _export(source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ml5_dcgan_tools", "export", str(source), "--out", str(out),
         *extra], capture_output=True, text=True, timeout=300, check=False)


def _assert_one_line_refusal(done: subprocess.CompletedProcess, expected: str, tmp_path: Path,
                             keep: set[str]) -> None:
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode != 0
    assert len(errors) == 1 and expected in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert {path.name for path in tmp_path.iterdir()} == keep  # nothing written


@pytest.mark.parametrize("case", REFUSED)
def test_export_refuses_with_one_clear_line(case, tmp_path):
    build, expected = REFUSED[case]
    source = tmp_path / "generator.keras"
    build().save(source)
    done = _export(source, tmp_path / "bundle")
    _assert_one_line_refusal(done, expected, tmp_path, {"generator.keras"})


def test_float16_for_ml5_is_refused_with_the_reason(tmp_path):
    source = tmp_path / "generator.keras"
    dcgan(16).save(source)
    done = _export(source, tmp_path / "bundle", "--quantize", "float16")
    _assert_one_line_refusal(done, "cannot be read by TF.js 1.7.4", tmp_path, {"generator.keras"})
    assert done.returncode == 2


def test_lambda_code_never_runs_when_loading(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    monkeypatch.setenv("ML5_DCGAN_TEST_MARKER", str(marker))
    # This Lambda creates the marker file whenever it is called, e.g. by a deserialized model.
    model = _generator_with(layers.Lambda(
        lambda x: (open(__import__("os").environ["ML5_DCGAN_TEST_MARKER"], "w").close(), x)[1]))
    source = tmp_path / "generator.keras"
    model.save(source)
    marker.unlink()  # building the model in this process called it once
    done = _export(source, tmp_path / "bundle")
    assert done.returncode == 1 and "Lambda" in done.stderr
    assert not marker.exists()


def test_existing_output_is_kept_without_overwrite(tmp_path):
    source = tmp_path / "generator.keras"
    dcgan(16).save(source)
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    done = _export(source, out, "--no-verify")
    assert done.returncode == 2 and "--overwrite" in done.stderr
    assert (out / "precious.txt").read_text() == "keep me"
