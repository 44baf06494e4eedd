"""ml5-dcgan.js as a file: shipped, small, valid JavaScript, copied into bundles, and accepted by
the bundle scan only when it is exactly the shipped one. What it does in a browser is proven by
tests/test_browser_loader.py and tests/test_browser.py."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from bundle_factory import TinyGenerator, write_bundle

from ml5_dcgan_tools.assets import LOADER, LOADER_PATH, copy_loader, is_shipped_loader
from ml5_dcgan_tools.validation.validator import validate_bundle

MANIFEST = {"description": "tiny", "model": "model.json", "modelSize": 4, "modelLatentDim": 8}


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    generator = TinyGenerator()
    write_bundle(folder, generator.topology(), generator.random_weights())
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return folder


def unexpected_files(folder) -> list[str]:
    report = validate_bundle(folder, numbers=False)
    return [f.message for f in report.findings if f.check == "safety.unexpected-file"]


def test_loader_is_small_and_says_how_to_use_it():
    text = LOADER_PATH.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 450  # 400 before labels
    header = text[:text.index("*/")]
    for usage in ("await ml5DCGAN(", "gan.generate(", "gan.interpolate(", "ml5.DCGAN(",
                  "<script src=", "gan.labels", "{ label: "):
        assert usage in header


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    return node


def test_loader_is_valid_javascript_and_a_commonjs_module():
    node = node_or_skip()
    done = subprocess.run(
        [node, "-e", f"const f = require({json.dumps(str(LOADER_PATH))}); "
                     "console.log(typeof f, typeof f.DCGAN, typeof f.addToMl5, f.version)"],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:3] == ["function", "function", "function"]


def test_copied_loader_is_recognised_and_a_changed_one_is_not(tmp_path):
    path = copy_loader(tmp_path)
    assert path == tmp_path / LOADER and is_shipped_loader(path)
    path.write_bytes(path.read_bytes().replace(b"ml5DCGAN", b"evilDCGAN", 1))
    assert not is_shipped_loader(path)
    other = tmp_path / "other.js"
    shutil.copyfile(LOADER_PATH, other)
    assert not is_shipped_loader(other)  # the name matters too
    path.unlink()
    path.symlink_to(LOADER_PATH)
    assert not is_shipped_loader(path)  # a link is not the file a server would serve later


def test_bundle_scan_accepts_the_shipped_loader_only(bundle):
    copy_loader(bundle)
    assert unexpected_files(bundle) == []
    (bundle / LOADER).write_text((bundle / LOADER).read_text() + "\nfetch('https://x.example');\n")
    [message] = unexpected_files(bundle)
    assert message.startswith("ml5-dcgan.js is not part of an ml5 bundle")
