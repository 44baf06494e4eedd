"""The browser check's parts that need no browser: finding Chromium, the expected pixels."""

from __future__ import annotations

import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.web.browser_check import CHROMIUM_ENV, expected_pixels, find_chromium


def test_missing_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)
    with pytest.raises(UserError, match=r"Chromium is not installed.*apt-get install chromium"):
        find_chromium()


def test_a_named_chromium_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "chrome"))
    with pytest.raises(UsageError, match="not an executable file"):
        find_chromium()


def test_expected_pixels_round_like_to_pixels():
    """toPixels: (x / 2 + 0.5) * 255, Math.round (half up), alpha 255 for 3 channels."""
    outputs = np.array([-1.0, 1.0, 0.0, -0.5], np.float32).reshape(1, 1, 2, 2)
    rgb = np.repeat(outputs, 3, axis=1)
    pixels = expected_pixels(rgb)
    assert pixels.shape == (1, 2, 2, 4) and pixels.dtype == np.uint8
    assert pixels[0, :, :, 0].ravel().tolist() == [0, 255, 128, 64]  # 127.5 rounds up
    assert (pixels[..., 3] == 255).all()
    rgba = np.concatenate([rgb, np.zeros((1, 1, 2, 2), np.float32)], axis=1)
    assert (expected_pixels(rgba)[..., 3] == 128).all()


def test_cli_without_manifest_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no manifest.json in the bundle")
