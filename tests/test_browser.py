"""The real-browser proof: bundles draw the reference pixels on every stack in headless Chromium.

Stacks: ml5 0.12.2 (its own ml5.DCGAN, and ml5-dcgan.js over its TF.js 1.7.4), ml5 1.4.0 with
p5 2.x (ml5-dcgan.js's ml5.DCGAN and ml5DCGAN) and plain TF.js 4.22.0 (ml5DCGAN). Needs Chromium
(scripts/setup.sh installs Debian's with apt-get) and the npm runtime. One Chromium launch per
check, all stacks in it: 30 s for a 16x16 bundle, 2 min for ml5's 64x64 face topology on a
loaded 2-core machine (WebGL runs on SwiftShader, the CPU).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from generator_zoo import dcgan
from hostile_bundles import with_generated_weights

from ml5_dcgan_tools import export_bundle
from ml5_dcgan_tools.assets import LOADER, is_shipped_loader
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.reference import (
    OUTPUTS_FILE,
    REFERENCE_FILE,
    Reference,
    reference_latents,
    write_reference,
)
from ml5_dcgan_tools.web.browser_check import PIXEL_TOLERANCE, STACKS, check_in_browser

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUNS_ON = {  # stack -> (ml5, TF.js) seen in the page
    "ml5-0.12.2": ("0.12.2", "1.7.4"),
    "ml5-1.4.0": ("1.4.0", "4.22.0"),
    "tfjs-4.22.0": (None, "4.22.0"),
}
LOADERS = {
    "ml5-0.12.2": ["ml5.DCGAN", "ml5DCGAN"],
    "ml5-1.4.0": ["ml5.DCGAN", "ml5DCGAN"],
    "tfjs-4.22.0": ["ml5DCGAN"],
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export_bundle(dcgan(16), tmp_path_factory.mktemp("export") / "bundle").out_dir


@pytest.fixture(scope="module")
def gray_bundle(tmp_path_factory):
    """A one-channel generator: export repeats the gray channel into three."""
    return export_bundle(dcgan(16, channels=1), tmp_path_factory.mktemp("export") / "gray"
                         ).out_dir


@pytest.fixture(scope="module")
def face_bundle(ml5_reference, tmp_path_factory):
    """ml5's own face topology (Keras 2.2.2, bare layer list, channels-first convolutions,
    shards without .bin) with random weights, and no ml5-dcgan.js: a legacy bundle. Keras on the
    CPU cannot run channels-first transposed convolutions; XLA can, for the reference."""
    import tensorflow as tf

    from ml5_dcgan_tools.generators.sampling import load_generator

    folder = with_generated_weights(ml5_reference / "face",
                                    tmp_path_factory.mktemp("legacy") / "face")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "model": "model.json"}))
    generator = load_generator(folder)
    latents = reference_latents(2, manifest["modelLatentDim"])  # 64x64 on SwiftShader is slow
    outputs = tf.function(lambda z: generator(z, training=False), jit_compile=True)(latents)
    write_reference(folder, Reference(latents, np.asarray(outputs)), 1e-3)
    return folder


@pytest.fixture(scope="module")
def channels_last_bundle(tmp_path_factory):
    """The mistake of ml5 issue 1384: a plain TF.js export, output [1, 16, 16, 3]."""
    out = export_bundle(dcgan(16), tmp_path_factory.mktemp("export") / "last",
                        target="tfjs").out_dir
    (out / "manifest.json").write_text(json.dumps({
        "description": "channels last", "model": "model.json", "modelSize": 16,
        "modelLatentDim": 16}))
    return out


def assert_every_stack_passes(checks, images):
    assert [check.stack for check in checks] == list(STACKS)
    for check in checks:
        assert check.passed, f"{check.stack}: {check.problem}"
        assert check.compared and check.images == images
        assert check.max_pixel_difference <= PIXEL_TOLERANCE
        assert (check.ml5, check.tfjs) == RUNS_ON[check.stack]
        assert check.loaders == LOADERS[check.stack]
        assert check.backend in ("webgl", "cpu")


def test_fresh_export_draws_the_reference_pixels_on_every_stack(bundle, tmp_path):
    assert is_shipped_loader(bundle / LOADER)  # export writes the loader into the bundle
    checks = check_in_browser(bundle, screenshot=tmp_path / "page.png")
    assert_every_stack_passes(checks, images=4)
    for check in checks:
        assert check.screenshot == tmp_path / f"page-{check.stack}.png"
        assert check.screenshot.read_bytes().startswith(PNG_MAGIC)
    assert not list(bundle.glob("*.html")) and not list(bundle.glob("sketch.js"))


def test_gray_export_draws_the_reference_pixels_on_every_stack(gray_bundle):
    assert_every_stack_passes(check_in_browser(gray_bundle), images=4)


def test_legacy_face_topology_draws_the_reference_pixels_on_every_stack(face_bundle):
    assert not (face_bundle / LOADER).exists()  # the page brings it
    assert_every_stack_passes(check_in_browser(face_bundle), images=2)


def test_channels_last_fails_in_ml5_0_12_but_ml5_dcgan_js_reads_it(channels_last_bundle,
                                                                    capsys):
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(channels_last_bundle)])
    assert exited.value.code == 1
    lines = capsys.readouterr().out.splitlines()
    failed = next(line for line in lines if line.startswith("FAIL ml5-0.12.2: "))
    assert "ml5 0.12.2's ml5.DCGAN could not draw" in failed
    assert "toPixels only supports depth of size 1, 3 or 4 but got 16" in failed
    assert "ml5 needs channels first [1, 3, H, W]" in failed
    assert any(line.startswith("PASS ml5-1.4.0: ml5.DCGAN and ml5DCGAN drew 4 images each; "
                               "max pixel difference") for line in lines)
    assert any(line.startswith("PASS tfjs-4.22.0: ") for line in lines)
    assert lines[-1].startswith(f"FAIL {channels_last_bundle}: 2 of 3 stacks passed")


def test_pixels_that_differ_from_the_reference_fail(bundle, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(bundle, tampered)
    outputs = np.fromfile(tampered / OUTPUTS_FILE, "<f4")
    (outputs * 0.9).astype("<f4").tofile(tampered / OUTPUTS_FILE)
    [check] = check_in_browser(tampered, stacks=("tfjs-4.22.0",))
    assert not check.passed
    assert check.max_pixel_difference > PIXEL_TOLERANCE
    assert check.problem.startswith("ml5DCGAN (ml5-dcgan.js) on TF.js 4.22.0 in Chromium draws")
    assert f"allowed {PIXEL_TOLERANCE}" in check.problem


def test_cli_json_for_one_stack_without_reference(bundle, tmp_path, capsys):
    unreferenced = tmp_path / "unreferenced"
    shutil.copytree(bundle, unreferenced)
    (unreferenced / REFERENCE_FILE).unlink()
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(unreferenced), "--stack", "ml5-1.4.0", "--json"])
    assert exited.value.code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] and [stack["stack"] for stack in result["stacks"]] == ["ml5-1.4.0"]
    [stack] = result["stacks"]
    assert stack["passed"] and not stack["compared"] and stack["images"] == 2
    assert set(stack["seconds"]) == {"launch", "page", "generate", "total"}


def test_published_manifest_with_absolute_model_url_is_checked_offline(bundle, tmp_path):
    """After `publish --base-url`, the model's URL is where it will be hosted, not here yet."""
    published = tmp_path / "published"
    shutil.copytree(bundle, published)
    manifest = json.loads((published / "manifest.json").read_text())
    manifest["model"] = "https://models.example.org/dcgan/tiny/model.json"
    (published / "manifest.json").write_text(json.dumps(manifest))
    checks = check_in_browser(published, stacks=("ml5-0.12.2", "ml5-1.4.0"))
    assert all(check.passed for check in checks), [check.problem for check in checks]
