"""The p5.js web editor zip: its files within the editor's limits, the manifest and model.json
rewritten for a flat folder, weights re-cut with the bytes unchanged, refusals in one line, and
validate's warning. The browser tests open the unpacked zip's own page in Chromium on ml5 1.4.0:
served as a flat folder, and with every file at an unrelated URL as the editor hosts them.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bundle_factory import TinyGenerator, write_bundle

from ml5_dcgan_tools import p5_editor
from ml5_dcgan_tools.assets import LOADER, loader_bytes
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.contract import PIXEL_TOLERANCE
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.p5_editor import editor_problem
from ml5_dcgan_tools.reference import Reference, reference_latents, write_reference
from ml5_dcgan_tools.validation import validate_bundle
from ml5_dcgan_tools.web import editor_zip
from ml5_dcgan_tools.web.editor_zip import write_editor_zip
from ml5_dcgan_tools.web.sketch import pinned_package

GENERATOR = TinyGenerator(latent_dim=8, side=4)
MANIFEST = {"description": "Tiny, 4x4", "model": "model.json", "modelSize": 4,
            "modelLatentDim": 8}
# The editor's preview swaps a quoted string naming an uploaded file for that file's URL
# (client/modules/Preview/EmbedFrame.jsx, STRING_REGEX and MEDIA_FILE_QUOTED_REGEX).
QUOTED = re.compile(r"""(['"])((\\\1|.)*?)\1""")


def make_bundle(folder: Path, *, shard_bytes: int = 4 * 2**20,
                generator: TinyGenerator = GENERATOR) -> tuple[Path, np.ndarray]:
    """A tiny bundle with a reference; returns it and the outputs the reference holds."""
    weights = write_bundle(folder, generator.topology(), generator.random_weights(),
                           shard_bytes=shard_bytes)
    (folder / "manifest.json").write_text(json.dumps({**MANIFEST, "modelSize": generator.side}))
    latents = reference_latents(3, generator.latent_dim)
    outputs = generator.predict(latents, weights)
    write_reference(folder, Reference(latents, outputs), 1e-3)
    return folder, outputs


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / "tiny")[0]


def unpack(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def weight_bytes(files: dict[str, bytes], model: dict) -> bytes:
    return b"".join(files[path] for group in model["weightsManifest"] for path in group["paths"])


def test_zip_holds_one_flat_sketch_folder_within_the_editor_limits(bundle, tmp_path):
    path = write_editor_zip(bundle, tmp_path / "tiny-editor.zip")
    entries = unpack(path)
    assert {name.split("/")[0] for name in entries} == {"tiny-editor"}
    files = {name.removeprefix("tiny-editor/"): data for name, data in entries.items()}
    assert set(files) == {"index.html", "sketch.js", LOADER, "manifest.json", "model.json",
                          "group1-shard1of1.bin"}
    for name, data in files.items():
        assert "/" not in name
        assert editor_problem(name, len(data)) is None, name
    manifest = json.loads(files["manifest.json"])
    assert manifest == MANIFEST
    model = json.loads(files["model.json"])
    assert weight_bytes(files, model) == (bundle / "group1-shard1of1.bin").read_bytes()
    assert files[LOADER] == loader_bytes()
    package, version = pinned_package("ml5-1.4.0")
    scripts = re.findall(r'<script src="([^"]+)"></script>', files["index.html"].decode())
    assert scripts[1] == f"https://cdn.jsdelivr.net/npm/{package}@{version}/dist/ml5.min.js"
    assert scripts[2:] == [LOADER, "sketch.js"]
    report = validate_bundle(path, runtimes=(), numbers=False)  # the zip as the editor gets it
    assert report.status() != "fail"
    assert "source.p5-web-editor" not in [finding.check for finding in report.findings]


def test_sketch_quotes_every_file_the_model_needs(bundle, tmp_path):
    """The editor resolves only quoted names in a sketch, not paths inside fetched files."""
    files = {name.split("/")[1]: data for name, data in
             unpack(write_editor_zip(bundle, tmp_path / "out.zip")).items()}
    sketch = files["sketch.js"].decode()
    quoted = {match.group(2) for match in QUOTED.finditer(sketch)}
    model = json.loads(files["model.json"])
    needed = {"manifest.json", "model.json"} | {
        path for group in model["weightsManifest"] for path in group["paths"]}
    assert needed <= quoted
    files_const = re.search(r"^const FILES = (\{.*?^\});$", sketch, re.M | re.S).group(1)
    assert json.loads(files_const) == {"model": "model.json",
                                       "weights": model["weightsManifest"][0]["paths"]}


def test_weights_over_the_cap_are_recut_with_the_bytes_unchanged(tmp_path, monkeypatch):
    # 8 x 768 + 768 float32 weights: 27,648 bytes in shards of 25,000 and 2,648; the cap
    # stands for the editor's 5 MB, above the page's own files and below the first shard.
    bundle = make_bundle(tmp_path / "big", shard_bytes=25_000,
                         generator=TinyGenerator(latent_dim=8, side=16))[0]
    monkeypatch.setattr(p5_editor, "EDITOR_MAX_FILE_BYTES", 20_000)
    monkeypatch.setattr(editor_zip, "DEFAULT_SHARD_BYTES", 8192)
    files = {name.split("/")[1]: data for name, data in
             unpack(write_editor_zip(bundle, tmp_path / "out.zip")).items()}
    model = json.loads(files["model.json"])
    paths = model["weightsManifest"][0]["paths"]
    assert paths == [f"group1-shard{i}of4.bin" for i in range(1, 5)]
    assert all(len(files[path]) <= 8192 for path in paths)
    original = json.loads((bundle / "model.json").read_text())
    assert model["weightsManifest"][0]["weights"] == original["weightsManifest"][0]["weights"]
    assert model["modelTopology"] == original["modelTopology"]
    assert weight_bytes(files, model) == b"".join(
        (bundle / path).read_bytes() for path in original["weightsManifest"][0]["paths"])


def test_weight_files_without_an_extension_are_renamed(bundle, tmp_path):
    """ml5's own face model names its shards "group1-shard1of4": the editor refuses those."""
    model = json.loads((bundle / "model.json").read_text())
    model["weightsManifest"][0]["paths"] = ["group1-shard1of1"]
    (bundle / "model.json").write_text(json.dumps(model))
    (bundle / "group1-shard1of1.bin").rename(bundle / "group1-shard1of1")
    files = {name.split("/")[1]: data for name, data in
             unpack(write_editor_zip(bundle, tmp_path / "out.zip")).items()}
    zipped = json.loads(files["model.json"])
    assert zipped["weightsManifest"][0]["paths"] == ["group1-shard1of1.bin"]
    assert files["group1-shard1of1.bin"] == (bundle / "group1-shard1of1").read_bytes()


def test_zip_is_the_same_each_time(bundle, tmp_path):
    first = write_editor_zip(bundle, tmp_path / "a.zip").read_bytes()
    assert write_editor_zip(bundle, tmp_path / "a.zip", force=True).read_bytes() == first


def test_a_model_too_large_for_the_editor_is_refused_with_quantization(bundle, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(editor_zip, "EDITOR_UPLOAD_LIMIT_BYTES", 1000)
    with pytest.raises(UserError, match="upload limit per account") as caught:
        write_editor_zip(bundle, tmp_path / "out.zip")
    assert "--quantize uint8" in str(caught.value)
    assert not (tmp_path / "out.zip").exists()


def test_refusals(bundle, tmp_path):
    (tmp_path / "exists.zip").write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists"):
        write_editor_zip(bundle, tmp_path / "exists.zip")
    assert (tmp_path / "exists.zip").read_bytes() == b"mine"
    with pytest.raises(UsageError, match=r"\.zip"):
        write_editor_zip(bundle, tmp_path / "out.tar")
    (bundle / "group1-shard1of1.bin").unlink()
    with pytest.raises(UserError, match=r"group1-shard1of1\.bin named by model\.json is missing"):
        write_editor_zip(bundle, tmp_path / "out.zip")


def test_editor_problem():
    assert editor_problem("group1-shard1of1.bin", 5_000_000) is None
    assert "upload limit" in editor_problem("group1-shard1of1.bin", 5_000_001)
    assert "file type" in editor_problem("README.md", 10)
    assert "file type" in editor_problem("weights", 10)


def test_cli_writes_the_zip_beside_the_bundle_and_refuses_in_one_line(bundle, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sketch", str(bundle), "--zip"])
    assert exited.value.code == 0
    assert (bundle.parent / "tiny-p5-editor.zip").is_file()
    assert f"wrote {bundle.parent.resolve() / 'tiny-p5-editor.zip'}" in capsys.readouterr().out
    for refused in (["--zip", "x.zip", "--offline"], ["--zip"]):  # the second: it exists now
        with pytest.raises(SystemExit) as exited:
            main(["sketch", str(bundle), *refused])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: "), err


def test_export_zip_is_refused_for_the_tfjs_target(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["export", str(tmp_path / "g.keras"), "--out", str(tmp_path / "b"), "--target",
              "tfjs", "--zip"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("error: --zip needs --target ml5")
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_export_zip_writes_the_editor_zip_beside_the_bundle(tmp_path):
    from generator_zoo import dcgan

    dcgan(16).save(tmp_path / "generator.keras")
    done = subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "export",
                           str(tmp_path / "generator.keras"), "--out", str(tmp_path / "faces"),
                           "--zip", "--json"], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"]
    path = Path(report["editor_zip"])
    assert path == (tmp_path / "faces-p5-editor.zip").resolve()
    files = {name.split("/")[1]: data for name, data in unpack(path).items()}
    assert json.loads(files["manifest.json"])["model"] == "model.json"
    model = json.loads(files["model.json"])
    assert weight_bytes(files, model) == b"".join(
        (tmp_path / "faces" / name).read_bytes()
        for name in json.loads((tmp_path / "faces" / "model.json").read_text())[
            "weightsManifest"][0]["paths"])


def test_validate_warns_about_files_the_editor_refuses(bundle, monkeypatch):
    report = validate_bundle(bundle, runtimes=(), numbers=False)
    assert not [f for f in report.findings if f.check == "source.p5-web-editor"]
    monkeypatch.setattr(p5_editor, "EDITOR_MAX_FILE_BYTES", 1000)
    model = json.loads((bundle / "model.json").read_text())
    model["weightsManifest"][0]["paths"] = ["weights.dat"]
    (bundle / "model.json").write_text(json.dumps(model))
    (bundle / "group1-shard1of1.bin").rename(bundle / "weights.dat")
    report = validate_bundle(bundle, runtimes=(), numbers=False)
    [finding] = [f for f in report.findings if f.check == "source.p5-web-editor"]
    assert finding.severity == "warn"
    assert "weights.dat" in finding.message and "file type" in finding.message
    assert "ml5-dcgan sketch" in finding.hint and "--zip" in finding.hint
    assert report.status() == "warn"


# -- in Chromium -------------------------------------------------------------------------------

DRAW_REFERENCE = """(async () => {
  const images = [];
  if (!gan) return { state: document.body.dataset.state, status: 'no model', images };
  for (const latent of %s) {
    const { raw } = await gan.generate(Float32Array.from(latent));
    let binary = '';
    for (let i = 0; i < raw.length; i += 1) binary += String.fromCharCode(raw[i]);
    images.push(btoa(binary));
  }
  return { state: document.body.dataset.state, status: select('#status').elt.textContent,
           ml5: ml5.version, images };
})()"""


BAD_FILES = """(async () => {
  const errors = [];
  for (const files of [{ model: 'model.json' }, { model: 'model.json', weights: ['x.bin'] }]) {
    errors.push(await ml5DCGAN('manifest.json', files).then(() => null, (e) => e.message));
  }
  return errors;
})()"""


def in_page(folder: Path, script: str, page: str = "index.html"):
    """The value of ``script`` in the page served from ``folder``, once its sketch is done."""
    from ml5_dcgan_tools.web.chromium import cdn_routes, run_in_chromium
    from ml5_dcgan_tools.web.serve import serving

    with serving([folder]) as server:
        run = run_in_chromium(server.url + page, script, routes=cdn_routes(),
                              wait_for="document.body.dataset.state !== 'loading'")
    assert run.failed_at is None, (run.error, run.page_errors)
    return run.value


def run_page(folder: Path, latents: np.ndarray, page: str = "index.html") -> dict:
    """The page's own sketch must be ready on ml5 1.4.0; its model then draws ``latents``."""
    value = in_page(folder, DRAW_REFERENCE % json.dumps(latents.tolist()), page)
    assert value["state"] == "ready", value["status"]
    assert value["ml5"] == "1.4.0"
    return value


def assert_reference_pixels(images: list[str], outputs: np.ndarray) -> None:
    from ml5_dcgan_tools.web.browser_check import expected_pixels

    expected = expected_pixels(outputs)
    assert len(images) == len(expected)
    for text, wanted in zip(images, expected, strict=True):
        drawn = np.frombuffer(base64.b64decode(text), np.uint8).astype(np.int16)
        assert np.abs(drawn - wanted.reshape(-1).astype(np.int16)).max() <= PIXEL_TOLERANCE


@pytest.fixture
def unpacked(tmp_path):
    """The zip of a two-shard bundle, unpacked; the reference latents and outputs."""
    bundle, outputs = make_bundle(tmp_path / "tiny", shard_bytes=1024)
    with zipfile.ZipFile(write_editor_zip(bundle, tmp_path / "sketch.zip")) as archive:
        archive.extractall(tmp_path / "unpacked")
    latents = reference_latents(3, GENERATOR.latent_dim)
    return tmp_path / "unpacked" / "sketch", latents, outputs


@pytest.mark.browser
def test_unpacked_zip_served_flat_draws_the_reference_pixels(unpacked):
    folder, latents, outputs = unpacked
    assert len(json.loads((folder / "model.json").read_text())["weightsManifest"][0]["paths"]) == 2
    assert_reference_pixels(run_page(folder, latents)["images"], outputs)


@pytest.mark.browser
def test_zip_draws_when_every_file_has_its_own_url_as_in_the_editor(unpacked, tmp_path):
    """As the editor hosts uploads: each file at an unrelated URL, the quoted names in the .js
    files and the script tags swapped for those URLs; nothing is found by its relative path."""
    folder, latents, outputs = unpacked
    site = tmp_path / "site"
    (site / "uploads").mkdir(parents=True)
    urls = {}
    for number, path in enumerate(sorted(folder.iterdir())):
        if path.suffix in (".json", ".bin"):
            urls[path.name] = f"/uploads/{number:04d}{path.suffix}"
            (site / urls[path.name].lstrip("/")).write_bytes(path.read_bytes())

    def swap(match: re.Match) -> str:
        name = match.group(2)
        return f"{match.group(1)}{urls[name]}{match.group(1)}" if name in urls else match.group(0)

    for script in ("sketch.js", LOADER):
        urls[script] = f"/uploads/{script}"
        (site / "uploads" / script).write_text(QUOTED.sub(swap, (folder / script).read_text()))
    page = (folder / "index.html").read_text()
    for script in ("sketch.js", LOADER):
        page = page.replace(f'src="{script}"', f'src="{urls[script]}"')
    (site / "preview").mkdir()
    (site / "preview" / "index.html").write_text(page)
    assert_reference_pixels(run_page(site, latents, "preview/index.html")["images"], outputs)


@pytest.mark.browser
def test_loader_refuses_files_it_cannot_use_in_one_line(unpacked):
    missing, miscounted = in_page(unpacked[0], BAD_FILES)
    assert "files must be { model" in missing and "\n" not in missing
    assert "model.json lists 2 weight files but 1 were named" in miscounted
