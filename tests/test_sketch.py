"""The sketch page writer: what it writes, where the page finds the manifest, what it refuses.

Fast tests: no TensorFlow, no browser. That the page really runs in ml5 is proven by the
browser tests (the browser check serves this same page over the bundle).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from ml5_dcgan_tools.assets import LOADER, loader_bytes
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.web import sketch as page_module
from ml5_dcgan_tools.web import write_sketch
from ml5_dcgan_tools.web.sketch import FLAVORS, pinned_package, render_sketch

MANIFEST = {"description": "Shapes, 32x32", "model": "model.json", "modelSize": 32,
            "modelLatentDim": 64}


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return folder


def manifest_url_in(sketch_js: str) -> str:
    return json.loads(re.search(r"^const MANIFEST_URL = (.*);$", sketch_js, re.M).group(1))


def script_sources(index_html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"></script>', index_html)


def test_writes_the_ml5_1_page_into_the_bundle_by_default(bundle):
    page = write_sketch(bundle)
    assert page.folder == bundle and page.files == ["index.html", "sketch.js", LOADER]
    assert page.manifest_url == "manifest.json" and page.page_path == ""
    assert page.serve_root == bundle.resolve()
    sketch = (bundle / "sketch.js").read_text()
    assert manifest_url_in(sketch) == "manifest.json"
    assert "__MANIFEST_URL__" not in sketch and "__FILES__" not in sketch
    assert "async function setup()" in sketch and "function preload" not in sketch
    assert "await ml5DCGAN(MANIFEST_URL, FILES)" in sketch
    assert "\nconst FILES = null;\n" in sketch  # the model is where the manifest says
    assert (bundle / LOADER).read_bytes() == loader_bytes()  # a bundle that lacked it
    assert script_sources((bundle / "index.html").read_text()) == [
        f"https://cdn.jsdelivr.net/npm/p5@{pinned_package('p5-2')[1]}/lib/p5.min.js",
        "https://cdn.jsdelivr.net/npm/ml5@1.4.0/dist/ml5.min.js",
        LOADER, "sketch.js"]


def test_ml5_0_12_page_is_the_classic_one(bundle):
    page = write_sketch(bundle, ml5="0.12")
    assert page.files == ["index.html", "sketch.js"] and not (bundle / LOADER).exists()
    assert script_sources((bundle / "index.html").read_text()) == [
        f"https://cdn.jsdelivr.net/npm/p5@{pinned_package('p5')[1]}/lib/p5.min.js",
        "https://cdn.jsdelivr.net/npm/ml5@0.12.2/dist/ml5.min.js", "sketch.js"]
    assert "ml5.DCGAN(blobUrl)" in (bundle / "sketch.js").read_text()


def test_unknown_ml5_version_is_a_usage_error(bundle):
    with pytest.raises(UsageError, match=r"unknown ml5 version '2'.*use one of 1, 0\.12"):
        write_sketch(bundle, ml5="2")


def test_page_elsewhere_finds_the_manifest_relative_to_itself(bundle, tmp_path):
    page = write_sketch(bundle, tmp_path / "site" / "faces")
    assert page.manifest_url == "../../bundle/manifest.json"
    assert page.serve_root == tmp_path.resolve() and page.page_path == "site/faces/"
    assert manifest_url_in((tmp_path / "site" / "faces" / "sketch.js").read_text()) == (
        "../../bundle/manifest.json")


def test_sketch_resolves_the_model_against_the_manifest():
    """ml5 0.12.2 resolves a relative model path against the page: the sketch must not."""
    sketch = render_sketch("x/manifest.json", FLAVORS["0.12"])
    assert "new URL(manifest.model, manifestHref)" in sketch
    assert "ml5.DCGAN(blobUrl)" in sketch


@pytest.mark.parametrize("flavor", sorted(FLAVORS))
def test_sketch_is_valid_javascript(tmp_path, flavor):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    path = tmp_path / "sketch.js"
    path.write_text(render_sketch("manifest.json", FLAVORS[flavor]))
    done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("flavor", sorted(FLAVORS))
def test_manifest_url_is_escaped_for_javascript(flavor):
    sketch = render_sketch('we"ird</script>.json', FLAVORS[flavor])
    assert manifest_url_in(sketch) == 'we"ird</script>.json'


@pytest.mark.parametrize("ml5", sorted(FLAVORS))
def test_offline_copies_every_script_from_the_npm_packages(bundle, tmp_path, monkeypatch, ml5):
    runtime = tmp_path / "runtime"
    for library in FLAVORS[ml5].libraries:
        build = runtime / library.alias / library.path
        build.parent.mkdir(parents=True)
        build.write_text(f"/* {library.alias} */")
    monkeypatch.setattr(page_module, "browser_package", lambda alias: runtime / alias)
    page = write_sketch(bundle, ml5=ml5, offline=True)
    libraries = {library.file_name: library.alias for library in FLAVORS[ml5].libraries}
    assert sorted(libraries) == ["ml5.min.js", "p5.min.js"]
    assert set(libraries) < set(page.files)
    for name, alias in libraries.items():
        assert (bundle / name).read_text() == f"/* {alias} */"
    sources = script_sources((bundle / "index.html").read_text())
    assert sources[:2] == ["p5.min.js", "ml5.min.js"] and sources[-1] == "sketch.js"
    assert "https://" not in (bundle / "index.html").read_text()


def test_refuses_to_replace_an_edited_sketch_without_force(bundle):
    write_sketch(bundle)
    write_sketch(bundle)  # the same content again is fine
    (bundle / "sketch.js").write_text("// my own changes")
    with pytest.raises(UsageError, match=r"sketch\.js already exists.*--force"):
        write_sketch(bundle)
    assert (bundle / "sketch.js").read_text() == "// my own changes"
    write_sketch(bundle, force=True)
    assert "MANIFEST_URL" in (bundle / "sketch.js").read_text()


def test_refuses_to_replace_a_foreign_loader_without_force(bundle):
    (bundle / LOADER).write_text("// someone else's ml5-dcgan.js")
    with pytest.raises(UsageError, match=r"ml5-dcgan\.js already exists.*--force"):
        write_sketch(bundle)
    assert not (bundle / "sketch.js").exists()  # nothing written
    write_sketch(bundle, force=True)
    assert (bundle / LOADER).read_bytes() == loader_bytes()


def test_refuses_a_folder_without_a_usable_manifest(bundle, tmp_path):
    with pytest.raises(UsageError, match=r"no manifest\.json in the bundle folder"):
        write_sketch(tmp_path)
    (bundle / "manifest.json").write_text(json.dumps({**MANIFEST, "modelLatentDim": "64"}))
    with pytest.raises(UserError, match=r"manifest\.json is not usable by ml5"):
        write_sketch(bundle)
    assert not (bundle / "sketch.js").exists()


def test_cli_says_how_to_see_it(bundle, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(bundle)])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert f"wrote index.html, sketch.js, ml5-dcgan.js into {bundle}" in out
    assert f"ml5-dcgan serve {bundle.resolve()}" in out and "http://127.0.0.1:8000/" in out


def test_cli_error_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no manifest.json")


def test_cli_writes_the_classic_page_with_ml5_0_12(bundle, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(bundle), "--ml5", "0.12"])
    assert exited.value.code == 0
    assert f"wrote index.html, sketch.js into {bundle}" in capsys.readouterr().out
    assert "ml5@0.12.2" in (bundle / "index.html").read_text()


def test_labelled_bundle_gets_the_ml5_1_page_with_a_picker(bundle):
    (bundle / "manifest.json").write_text(json.dumps({**MANIFEST, "modelLabels": ["a", "b"]}))
    write_sketch(bundle)
    sketch = (bundle / "sketch.js").read_text()
    assert "if (gan.labels.length) addLabelPicker();" in sketch
    assert "gan.generate(walk.at, labelOptions())" in sketch


def test_labelled_bundle_refuses_the_ml5_0_12_page_in_one_line(bundle, capsys):
    (bundle / "manifest.json").write_text(json.dumps({**MANIFEST, "modelLabels": ["a", "b"]}))
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(bundle), "--ml5", "0.12"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ml5 0.12.2's own ml5.DCGAN takes a latent only" in err
    assert "--ml5 1" in err and not (bundle / "sketch.js").exists()
