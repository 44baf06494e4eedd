"""The real-browser proof: freshly exported bundles run in ml5 0.12.2 inside headless Chromium.

Needs Chromium (scripts/setup.sh installs Debian's with apt-get) and the npm runtime. Each
check starts one Chromium: about 3-5 s.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from generator_zoo import dcgan

from ml5_dcgan_tools import export_bundle
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.reference import OUTPUTS_FILE, REFERENCE_FILE
from ml5_dcgan_tools.web.browser_check import PIXEL_TOLERANCE, check_in_browser

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export_bundle(dcgan(16), tmp_path_factory.mktemp("export") / "bundle").out_dir


@pytest.fixture(scope="module")
def channels_last_bundle(tmp_path_factory):
    """The mistake of ml5 issue 1384: a plain TF.js export, output [1, 16, 16, 3]."""
    out = export_bundle(dcgan(16), tmp_path_factory.mktemp("export") / "last",
                        target="tfjs").out_dir
    (out / "manifest.json").write_text(json.dumps({
        "description": "channels last", "model": "model.json", "modelSize": 16,
        "modelLatentDim": 16}))
    return out


def test_fresh_export_draws_the_reference_pixels(bundle, tmp_path):
    check = check_in_browser(bundle, screenshot=tmp_path / "page.png")
    assert check.passed, check.problem
    assert check.compared and check.images == 4
    assert check.max_pixel_difference <= PIXEL_TOLERANCE
    assert (check.ml5, check.tfjs) == ("0.12.2", "1.7.4")
    assert check.backend in ("webgl", "cpu")
    assert check.screenshot.read_bytes().startswith(PNG_MAGIC)
    assert not list(bundle.glob("*.html")) and not list(bundle.glob("sketch.js"))


def test_channels_last_fails_with_a_clear_message(channels_last_bundle, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(channels_last_bundle)])
    assert exited.value.code == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"FAIL {channels_last_bundle}: ml5 0.12.2 could not draw")
    assert "toPixels only supports depth of size 1, 3 or 4 but got 16" in first
    assert "ml5 needs channels first [1, 3, H, W]" in first


def test_pixels_that_differ_from_the_reference_fail(bundle, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(bundle, tampered)
    outputs = np.fromfile(tampered / OUTPUTS_FILE, "<f4")
    (outputs * 0.9).astype("<f4").tofile(tampered / OUTPUTS_FILE)
    check = check_in_browser(tampered)
    assert not check.passed
    assert check.max_pixel_difference > PIXEL_TOLERANCE
    assert f"allowed {PIXEL_TOLERANCE}" in check.problem


def test_cli_passes_and_reports_backend_and_times(bundle, tmp_path, capsys):
    unreferenced = tmp_path / "unreferenced"
    shutil.copytree(bundle, unreferenced)
    (unreferenced / REFERENCE_FILE).unlink()
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(unreferenced), "--json"])
    assert exited.value.code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] and not result["compared"] and result["images"] == 2
    assert set(result["seconds"]) == {"launch", "page", "generate", "total"}


def test_published_manifest_with_absolute_model_url_is_checked_offline(bundle, tmp_path):
    """After `publish --base-url`, the model's URL is where it will be hosted, not here yet."""
    published = tmp_path / "published"
    shutil.copytree(bundle, published)
    manifest = json.loads((published / "manifest.json").read_text())
    manifest["model"] = "https://models.example.org/dcgan/tiny/model.json"
    (published / "manifest.json").write_text(json.dumps(manifest))
    check = check_in_browser(published)
    assert check.passed, check.problem
    assert check.max_pixel_difference <= PIXEL_TOLERANCE
