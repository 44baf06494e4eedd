"""The browser check's parts that need no browser: finding Chromium, the stacks, the expected
pixels."""

from __future__ import annotations

import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.cli.browser import STACK_NAMES
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.web.browser_check import (
    STACKS,
    channels_first,
    check_in_browser,
    expected_pixels,
)
from ml5_dcgan_tools.web.chromium import CHROMIUM_ENV, find_chromium
from ml5_dcgan_tools.web.sketch import pinned_package


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


def test_gray_outputs_are_drawn_gray():
    gray = np.array([-1.0, 1.0, 0.0, 0.5], np.float32).reshape(1, 1, 2, 2)
    pixels = expected_pixels(gray)
    assert pixels.shape == (1, 2, 2, 4)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert pixels[0, :, :, 0].ravel().tolist() == [0, 255, 128, 191]
    assert (pixels[..., 3] == 255).all()


def test_outputs_are_read_in_either_layout():
    first = np.zeros((2, 3, 8, 8), np.float32)
    assert channels_first(first, 8) is first
    last = np.arange(2 * 8 * 8 * 3, dtype=np.float32).reshape(2, 8, 8, 3)
    assert (channels_first(last, 8) == last.transpose(0, 3, 1, 2)).all()
    square_of_4 = np.zeros((1, 4, 4, 3), np.float32)  # 4x4 RGB, or 4 channels of 4x3?
    assert channels_first(square_of_4, 4).shape == (1, 3, 4, 4)  # modelSize decides
    assert channels_first(np.zeros((1, 3, 4, 4), np.float32), 4).shape == (1, 3, 4, 4)


def test_stacks_are_the_pinned_versions():
    assert tuple(STACKS) == STACK_NAMES
    assert pinned_package("ml5") == ("ml5", "0.12.2")
    assert pinned_package("ml5-1.4.0") == ("ml5", "1.4.0")
    assert pinned_package("tfjs-4.22.0") == ("@tensorflow/tfjs", "4.22.0")
    assert STACKS["ml5-1.4.0"].flavor.libraries[1].alias == "ml5-1.4.0"
    assert STACKS["tfjs-4.22.0"].flavor.libraries[0].alias == "tfjs-4.22.0"


def test_unknown_stack_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"unknown stack ml5-2\.0.*use one of ml5-0\.12\.2"):
        check_in_browser(tmp_path, stacks=("ml5-2.0",))


def test_cli_refuses_an_unknown_stack(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(tmp_path), "--stack", "ml5-2.0"])
    assert exited.value.code == 2
    assert "'ml5-2.0' is not one of" in capsys.readouterr().err


def test_help_names_the_node_version_the_code_requires(capsys):
    from ml5_dcgan_tools.runtime.install import MIN_NODE_MAJOR

    with pytest.raises(SystemExit):
        main(["browser-check", "--help"])
    assert f"Node.js >= {MIN_NODE_MAJOR}." in " ".join(capsys.readouterr().out.split())
