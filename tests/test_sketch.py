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

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.web import sketch as page_module
from ml5_dcgan_tools.web import write_sketch
from ml5_dcgan_tools.web.sketch import pinned_version, render_sketch

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


def test_writes_the_page_into_the_bundle_by_default(bundle):
    page = write_sketch(bundle)
    assert page.folder == bundle and page.files == ["index.html", "sketch.js"]
    assert page.manifest_url == "manifest.json" and page.page_path == ""
    assert page.serve_root == bundle.resolve()
    index = (bundle / "index.html").read_text()
    sketch = (bundle / "sketch.js").read_text()
    assert manifest_url_in(sketch) == "manifest.json"
    assert "__MANIFEST_URL__" not in sketch
    assert 'src="https://cdn.jsdelivr.net/npm/ml5@0.12.2/dist/ml5.min.js"' in index
    assert f'src="https://cdn.jsdelivr.net/npm/p5@{pinned_version("p5")}/lib/p5.min.js"' in index
    assert index.index("p5.min.js") < index.index("ml5.min.js") < index.index("sketch.js")


def test_pinned_versions_are_exact():
    assert pinned_version("ml5") == "0.12.2"
    assert re.fullmatch(r"1\.\d+\.\d+", pinned_version("p5"))


def test_page_elsewhere_finds_the_manifest_relative_to_itself(bundle, tmp_path):
    page = write_sketch(bundle, tmp_path / "site" / "faces")
    assert page.manifest_url == "../../bundle/manifest.json"
    assert page.serve_root == tmp_path.resolve() and page.page_path == "site/faces/"
    assert manifest_url_in((tmp_path / "site" / "faces" / "sketch.js").read_text()) == (
        "../../bundle/manifest.json")


def test_sketch_resolves_the_model_against_the_manifest():
    """ml5 0.12.2 resolves a relative model path against the page: the sketch must not."""
    sketch = render_sketch("x/manifest.json")
    assert "new URL(manifest.model, manifestHref)" in sketch
    assert "ml5.DCGAN(blobUrl)" in sketch


def test_sketch_is_valid_javascript(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    path = tmp_path / "sketch.js"
    path.write_text(render_sketch("manifest.json"))
    done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def test_manifest_url_is_escaped_for_javascript():
    sketch = render_sketch('we"ird</script>.json')
    assert manifest_url_in(sketch) == 'we"ird</script>.json'


def test_offline_copies_ml5_and_p5_from_the_npm_packages(bundle, tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    for package, path in page_module.LIBRARIES.items():
        library = runtime / "node_modules" / package / path
        library.parent.mkdir(parents=True)
        library.write_text(f"/* {package} */")
    monkeypatch.setattr(page_module, "ensure_runtime", lambda: runtime)
    page = write_sketch(bundle, offline=True)
    assert sorted(page.files) == ["index.html", "ml5.min.js", "p5.min.js", "sketch.js"]
    assert (bundle / "ml5.min.js").read_text() == "/* ml5 */"
    index = (bundle / "index.html").read_text()
    assert '<script src="ml5.min.js"></script>' in index and "https://" not in index


def test_refuses_to_replace_an_edited_sketch_without_force(bundle):
    write_sketch(bundle)
    write_sketch(bundle)  # the same content again is fine
    (bundle / "sketch.js").write_text("// my own changes")
    with pytest.raises(UsageError, match=r"sketch\.js already exists.*--force"):
        write_sketch(bundle)
    assert (bundle / "sketch.js").read_text() == "// my own changes"
    write_sketch(bundle, force=True)
    assert "MANIFEST_URL" in (bundle / "sketch.js").read_text()


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
    assert f"wrote index.html, sketch.js into {bundle}" in out
    assert f"ml5-dcgan serve {bundle.resolve()}" in out and "http://127.0.0.1:8000/" in out


def test_cli_error_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no manifest.json")
