"""ml5-dcgan.js's contract, in real Chromium with ml5 1.4.0: a page written by hand (not by
`ml5-dcgan sketch`) draws the reference pixels, and bad input rejects with one readable line.

The bundle is built with numpy (tests/bundle_factory.py), so its reference needs no TensorFlow.
Both pages open in one Chromium launch (about 15 s).
"""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest
from bundle_factory import TinyGenerator, write_bundle

from ml5_dcgan_tools.assets import copy_loader
from ml5_dcgan_tools.reference import Reference, reference_latents, write_reference
from ml5_dcgan_tools.runtime.install import browser_package
from ml5_dcgan_tools.web.browser_check import (
    PIXEL_TOLERANCE,
    PagePlan,
    expected_pixels,
    run_pages,
)
from ml5_dcgan_tools.web.sketch import Flavor, Library, write_page

pytestmark = pytest.mark.browser

GENERATOR = TinyGenerator(latent_dim=8, side=8, channels=3)
MANIFEST = {"description": "tiny by hand", "model": "model.json", "modelSize": 8,
            "modelLatentDim": 8}

HAND_WRITTEN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>my own DCGAN page</title>
  <script src="ml5.min.js"></script>
  <script src="ml5-dcgan.js"></script>
</head>
<body data-state="loading">
  <p id="status">loading</p>
  <script>
    // Written by hand against the ml5-dcgan.js contract; nothing of `ml5-dcgan sketch`.
    async function run() {
      const gan = await ml5DCGAN('manifest.json');
      const a = Array.from({ length: gan.latentDim }, (_, i) => Math.sin(i + 1));
      const b = Float32Array.from({ length: gan.latentDim }, (_, i) => Math.cos(3 * i));
      const direct = await gan.generate(a);
      const viaCallback = await new Promise((resolve, reject) => {
        gan.generate(a, (error, result) => (error ? reject(error) : resolve(result)));
      });
      const random = await gan.generate();
      let readyArgument = null;
      const styled = ml5.DCGAN('manifest.json', (ready) => { readyArgument = ready; });
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [direct.width, direct.height];
      canvas.getContext('2d').putImageData(direct.image, 0, 0);
      document.body.append(canvas);
      const facts = {
        latentDim: gan.latentDim, size: gan.size, description: gan.manifest.description,
        width: direct.width, height: direct.height, rawLength: direct.raw.length,
        rawType: direct.raw.constructor.name, imageType: direct.image.constructor.name,
        callbackSame: direct.raw.every((value, i) => value === viaCallback.raw[i]),
        randomLatent: random.latent, a, b: Array.from(b),
        start: gan.interpolate(a, b, 0), end: gan.interpolate(a, b, 1),
        middle: gan.interpolate(a, b, 0.5),
        styledReady: (await styled.ready) === styled, styledLatentDim: styled.latentDim,
      };
      facts.callbackGotIt = readyArgument === styled;
      gan.dispose();
      facts.afterDispose = await gan.generate(a).then(() => null, (error) => error.message);
      document.getElementById('status').textContent = JSON.stringify(facts);
      document.body.dataset.state = 'ready';
    }
    run().catch((error) => {
      document.getElementById('status').textContent = error.message;
      document.body.dataset.state = 'error';
    });
  </script>
</body>
</html>
"""


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    omega = np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loader") / "bundle"
    weights = write_bundle(folder, GENERATOR.topology(), GENERATOR.random_weights())
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    latents = reference_latents(3, GENERATOR.latent_dim)
    write_reference(folder, Reference(latents, GENERATOR.predict(latents, weights)), 1e-3)
    copy_loader(folder)
    return folder, latents, GENERATOR.predict(latents, weights)


@pytest.fixture(scope="module")
def pages(bundle, tmp_path_factory):
    """Both pages run in one Chromium; returns browser_check.js's result for each, by name."""
    folder, latents, _ = bundle
    root = tmp_path_factory.mktemp("pages")
    own = root / "own"
    own.mkdir()
    (own / "index.html").write_text(HAND_WRITTEN_PAGE)
    shutil.copyfile(browser_package("ml5-1.4.0") / "dist" / "ml5.min.js", own / "ml5.min.js")
    nested = own / "nested"  # "model" must be resolved against the manifest, not the page
    nested.mkdir()
    (nested / "manifest.json").write_text(json.dumps({**MANIFEST, "model": "generator.json"}))
    shutil.copyfile(folder / "model.json", nested / "generator.json")
    shutil.copyfile(folder / "group1-shard1of1.bin", nested / "group1-shard1of1.bin")

    bad = root / "bad"
    write_page(bad, "manifest.json", flavor=Flavor(
        (Library("ml5-1.4.0", "dist/ml5.min.js"),), None, loader=True), offline=True)
    (bad / "html").mkdir()
    (bad / "html" / "manifest.json").write_text("<!DOCTYPE html><html><body>Not here</body>")
    (bad / "wrong").mkdir()
    (bad / "wrong" / "manifest.json").write_text(json.dumps(
        {**MANIFEST, "model": "../model.json", "modelLatentDim": 5}))
    classifier = bad / "classifier"
    topology = GENERATOR.topology()
    topology["model_config"]["config"]["layers"] = topology["model_config"]["config"][
        "layers"][:2]  # InputLayer, Dense: a vector of scores, no image
    write_bundle(classifier, topology, GENERATOR.random_weights())
    (classifier / "manifest.json").write_text(json.dumps(MANIFEST))

    reference = latents.tolist()
    result = run_pages(folder, [
        PagePlan("own", own, [
            {"loader": "ml5DCGAN", "manifest": "manifest.json", "latents": reference},
            {"loader": "ml5DCGAN", "manifest": "nested/manifest.json", "latents": reference},
        ]),
        PagePlan("bad", bad, [
            {"loader": "ml5DCGAN", "manifest": f"{name}/manifest.json", "latents": []}
            for name in ("missing", "html", "wrong", "classifier")
        ] + [{"loader": "ml5DCGAN", "manifest": "manifest.json", "latents": [[0.5] * 3]}]),
    ])
    return {page["name"]: page for page in result["pages"]}


def drawn(load: dict) -> np.ndarray:
    return np.stack([np.frombuffer(base64.b64decode(text), np.uint8) for text in load["images"]])


def test_hand_written_page_draws_the_reference_pixels(bundle, pages):
    _, _, outputs = bundle
    page = pages["own"]
    assert page["failed_at"] is None and page["page"]["state"] == "ready", page
    assert (page["ml5"], page["tfjs"]) == ("1.4.0", "4.22.0")
    expected = expected_pixels(outputs).reshape(len(outputs), -1).astype(np.int16)
    for load in page["loads"]:
        assert load["error"] is None, load["error"]
        assert load["sizes"] == [[8, 8]] * 3 and load["image_type"] == "ImageData"
        assert np.abs(drawn(load).astype(np.int16) - expected).max() <= PIXEL_TOLERANCE
    assert not page["page_errors"]


def test_hand_written_page_sees_the_whole_contract(pages):
    facts = json.loads(pages["own"]["page"]["status"])
    assert (facts["latentDim"], facts["size"], facts["description"]) == (8, 8, "tiny by hand")
    assert (facts["width"], facts["height"], facts["rawLength"]) == (8, 8, 8 * 8 * 4)
    assert (facts["rawType"], facts["imageType"]) == ("Uint8ClampedArray", "ImageData")
    assert facts["callbackSame"] and len(facts["randomLatent"]) == 8
    a, b = np.array(facts["a"]), np.array(facts["b"])
    np.testing.assert_allclose(facts["start"], a, atol=1e-6)
    np.testing.assert_allclose(facts["end"], b, atol=1e-6)
    np.testing.assert_allclose(facts["middle"], slerp(a, b, 0.5), atol=1e-5)
    assert facts["styledReady"] and facts["callbackGotIt"] and facts["styledLatentDim"] == 8
    assert facts["afterDispose"] == "generate(): this DCGAN was disposed; load it again"


def test_bad_input_rejects_with_one_line(pages):
    page = pages["bad"]
    assert page["failed_at"] is None, page["error"]
    errors = {load["manifest"]: (load["failed_at"], load["error"]) for load in page["loads"]}
    for stage, message in errors.values():
        assert stage in ("load", "generate") and message and "\n" not in message
    stage, missing = errors["missing/manifest.json"]
    assert stage == "load" and "/missing/manifest.json answered HTTP 404" in missing
    assert "is an HTML page, not JSON" in errors["html/manifest.json"][1]
    assert ("says modelLatentDim 5 but the model takes latent vectors of 8 numbers; fix the "
            "manifest") in errors["wrong/manifest.json"][1]
    classifier = errors["classifier/manifest.json"][1]
    assert "/classifier/model.json is not a DCGAN generator: it outputs [null,192]" in classifier
    stage, wrong_size = errors["manifest.json"]
    assert stage == "generate"
    assert wrong_size == ("generate(): the latent must be an Array or Float32Array of 8 numbers "
                          "(the manifest's modelLatentDim), got 3 numbers")
