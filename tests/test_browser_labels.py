"""A labelled bundle in real Chromium: browser-check proves it pixel for pixel on every stack (one
reference image per label), and a page written only against ml5-dcgan.js's public contract
(ml5DCGAN(manifest), gan.labels, gan.generate(latent, {label})) draws the classes, a mix, and
rejects bad labels in one line.

The bundle is built with numpy (tests/hosting.py labelled_bundle), so nothing needs TensorFlow.
"""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest
from hosting import LABELLED, labelled_bundle, tiny_bundle

from ml5_dcgan_tools.assets import copy_loader
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.reference import read_reference
from ml5_dcgan_tools.runtime.install import browser_package
from ml5_dcgan_tools.web.browser_check import (
    OWN_DCGAN_CANNOT_LABEL,
    PIXEL_TOLERANCE,
    STACKS,
    PagePlan,
    check_in_browser,
    expected_pixels,
    run_pages,
)
from ml5_dcgan_tools.web.sketch import FLAVORS, write_page

pytestmark = pytest.mark.browser

CONTRACT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>labels by hand</title>
  <script src="ml5.min.js"></script>
  <script src="ml5-dcgan.js"></script>
</head>
<body data-state="loading">
  <p id="status">loading</p>
  <script>
    // Only the loader's public contract: ml5DCGAN(manifest), gan.labels, gan.generate.
    const bytes = (result) => btoa(String.fromCharCode(...result.raw));
    const rejection = (promise) => promise.then(() => null, (error) => error.message);
    async function run() {
      const gan = await ml5DCGAN('manifest.json');
      const latent = LATENT;
      const [a, b] = gan.labels;
      const first = await gan.generate(latent, { label: a });
      const second = await gan.generate(latent, { label: b });
      const mix = await gan.generate(latent, { label: { [a]: 0.5, [b]: 0.5 } });
      const random = await gan.generate();
      const optionsOnly = await gan.generate({ label: b });
      const plain = await ml5DCGAN('plain/manifest.json');
      const facts = {
        labels: gan.labels, plainLabels: plain.labels,
        first: bytes(first), second: bytes(second), mix: bytes(mix), mixRow: mix.label,
        randomRow: random.label, randomLatentLength: random.latent.length,
        optionsOnlyRow: optionsOnly.label, optionsOnlyLatentLength: optionsOnly.latent.length,
        plainObjectLatent: await rejection(plain.generate({})),
        plainHasNoRow: !('label' in await plain.generate(latent)),
        unknown: await rejection(gan.generate(latent, { label: 'hexagon' })),
        negative: await rejection(gan.generate(latent, { label: { [a]: -1, [b]: 2 } })),
        notANumber: await rejection(gan.generate(latent, { label: { [a]: NaN } })),
        allZero: await rejection(gan.generate(latent, { label: { [a]: 0, [b]: 0 } })),
        unlabelled: await rejection(plain.generate(latent, { label: a })),
        disagrees: await rejection(ml5DCGAN('disagrees/manifest.json')),
      };
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


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder, weights = labelled_bundle(tmp_path_factory.mktemp("labels") / "bundle")
    copy_loader(folder)
    return folder, weights


def test_browser_check_proves_a_labelled_bundle_on_every_stack(bundle):
    folder, _ = bundle
    checks = check_in_browser(folder)
    reference = read_reference(folder / "reference.json")
    assert [check.stack for check in checks] == list(STACKS)
    assert len(reference.latents) == 4 and reference.labels.sum(axis=0).min() >= 1
    for check in checks:
        assert check.passed, f"{check.stack}: {check.problem}"
        assert check.compared and check.images == 4
        assert check.max_pixel_difference <= PIXEL_TOLERANCE
    loaders = {check.stack: check.loaders for check in checks}
    assert loaders == {"ml5-0.12.2": ["ml5DCGAN"], "ml5-1.4.0": ["ml5.DCGAN", "ml5DCGAN"],
                       "tfjs-4.22.0": ["ml5DCGAN"]}
    assert [check.skipped for check in checks] == [OWN_DCGAN_CANNOT_LABEL, None, None]
    assert checks[0].tfjs == "1.7.4"


def test_browser_check_fails_a_labelled_bundle_whose_labels_are_swapped(bundle, tmp_path,
                                                                        capsys):
    """The label reaches the model: feeding the wrong class draws other pixels."""
    folder, _ = bundle
    swapped = tmp_path / "swapped"
    shutil.copytree(folder, swapped)
    document = json.loads((swapped / "reference.json").read_text())
    document["labels"] = [row[1:] + row[:1] for row in document["labels"]]
    (swapped / "reference.json").write_text(json.dumps(document))
    with pytest.raises(SystemExit) as exited:
        main(["browser-check", str(swapped), "--stack", "ml5-0.12.2"])
    assert exited.value.code == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("FAIL ml5-0.12.2: ml5DCGAN (ml5-dcgan.js) on ml5 0.12.2 in "
                               "Chromium draws pixels up to")
    assert lines[1] == f"  {OWN_DCGAN_CANNOT_LABEL}"


@pytest.fixture(scope="module")
def contract_page(bundle, tmp_path_factory):
    folder, _ = bundle
    page = tmp_path_factory.mktemp("page") / "own"
    page.mkdir()
    latent = read_reference(folder / "reference.json").latents[0]
    (page / "index.html").write_text(CONTRACT_PAGE.replace("LATENT", json.dumps(
        [float(value) for value in latent])))
    shutil.copyfile(browser_package("ml5-1.4.0") / "dist" / "ml5.min.js", page / "ml5.min.js")
    tiny_bundle(page / "plain", latent_dim=LABELLED.latent_dim)
    disagrees = page / "disagrees"
    disagrees.mkdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    (disagrees / "manifest.json").write_text(json.dumps(
        {**manifest, "model": "../model.json", "modelLabels": ["circle", "square"]}))
    [result] = run_pages(folder, [PagePlan("own", page, [])])["pages"]
    assert result["failed_at"] is None and result["page"]["state"] == "ready", result
    assert not result["page_errors"]
    return json.loads(result["page"]["status"]), latent


def pixels(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.uint8).astype(np.int16)


def expected(bundle, latent: np.ndarray, row: list[float]) -> np.ndarray:
    _, weights = bundle
    outputs = LABELLED.predict(latent[None], np.array([row], np.float32), weights)
    return expected_pixels(outputs).reshape(-1).astype(np.int16)


def test_contract_page_draws_two_labels_and_their_mix(bundle, contract_page):
    facts, latent = contract_page
    assert facts["labels"] == list(LABELLED.labels) and facts["plainLabels"] == []
    first, second = expected(bundle, latent, [1, 0, 0]), expected(bundle, latent, [0, 1, 0])
    assert np.abs(first - second).max() > 10 * PIXEL_TOLERANCE  # the label matters
    assert np.abs(pixels(facts["first"]) - first).max() <= PIXEL_TOLERANCE
    assert np.abs(pixels(facts["second"]) - second).max() <= PIXEL_TOLERANCE
    assert facts["mixRow"] == [0.5, 0.5, 0]
    mixed = expected(bundle, latent, [0.5, 0.5, 0])
    assert np.abs(pixels(facts["mix"]) - mixed).max() <= PIXEL_TOLERANCE


def test_no_label_draws_a_random_class_and_unlabelled_results_are_unchanged(contract_page):
    facts, _ = contract_page
    row = facts["randomRow"]
    assert sorted(row) == [0, 0, 1] and facts["randomLatentLength"] == LABELLED.latent_dim
    assert facts["plainHasNoRow"]
    assert facts["optionsOnlyRow"] == [0, 1, 0]
    assert facts["optionsOnlyLatentLength"] == LABELLED.latent_dim
    assert facts["plainObjectLatent"] == ("generate(): the latent must be an Array or "
                                          "Float32Array of 8 numbers (the manifest's "
                                          "modelLatentDim), got object")


def test_bad_labels_reject_with_one_line(contract_page):
    facts, _ = contract_page
    known = '"circle", "square", "triangle"'
    assert facts["unknown"] == f'generate(): unknown label "hexagon"; this model knows {known}'
    assert facts["negative"] == ('generate(): the weight of label "circle" must be a number '
                                 ">= 0, got -1")
    assert facts["notANumber"] == ('generate(): the weight of label "circle" must be a number '
                                   ">= 0, got NaN")
    assert facts["allZero"] == ("generate(): every weight of the label mix is 0; this model "
                                f"knows {known}")
    assert facts["unlabelled"] == ('generate(): this model has no labels (its manifest has no '
                                   '"modelLabels"); call generate() without a label')
    assert facts["disagrees"].endswith('/disagrees/manifest.json lists 2 "modelLabels" but the '
                                       "model's label input takes 3; name every class of the "
                                       "model, in order, in modelLabels")
    for message in facts.values():
        assert not isinstance(message, str) or "\n" not in message


SKETCH_HARNESS = """<script>
  // Test harness: waits for the sketch, pauses its walk, works its label picker as a user
  // would (select, slider), and reports the latent and pixels of the big picture each time.
  const until = async (test) => {
    while (!test()) await new Promise((resolve) => { setTimeout(resolve, 50); });
  };
  async function pickAndRead(label, toward, mix) {
    const set = (id, value, event) => {
      const element = document.getElementById(id);
      element.value = value;
      element.dispatchEvent(new Event(event));
    };
    set('label', label, 'change');
    set('toward', toward, 'change');
    set('mix', String(mix), 'input');
    await until(() => !busy && !picker.changed);
    return { latent: walk.at.slice(), pixels: Array.from(picture.pixels) };
  }
  (async () => {
    await until(() => document.body.dataset.sketch === 'ready'
      || document.body.dataset.state === 'error');
    if (document.body.dataset.state === 'error') return;
    walkButton.elt.click(); // pause the walk
    await until(() => !busy);
    const facts = {
      options: Array.from(document.getElementById('label').options, (option) => option.value),
      square: await pickAndRead('square', 'triangle', 0),
      mixed: await pickAndRead('square', 'triangle', 0.5),
    };
    document.getElementById('status').textContent = JSON.stringify(facts);
    document.body.dataset.state = 'ready';
  })().catch((error) => {
    document.getElementById('status').textContent = error.message;
    document.body.dataset.state = 'error';
  });
</script>
</body>"""


def test_sketch_picker_redraws_with_the_picked_label_and_mix(bundle, tmp_path):
    folder, _ = bundle
    page = tmp_path / "sketch"
    write_page(page, "manifest.json", flavor=FLAVORS["1"], offline=True)
    sketch = (page / "sketch.js").read_text()
    ready = "document.body.dataset.state = 'ready';"
    assert sketch.count(ready) == 1
    (page / "sketch.js").write_text(sketch.replace(ready, "document.body.dataset.sketch = "
                                                          "'ready';"))
    index = (page / "index.html").read_text()
    (page / "index.html").write_text(index.replace("</body>", SKETCH_HARNESS))
    [result] = run_pages(folder, [PagePlan("sketch", page, [])])["pages"]
    assert result["failed_at"] is None and result["page"]["state"] == "ready", result
    assert not result["page_errors"]
    facts = json.loads(result["page"]["status"])
    assert facts["options"] == list(LABELLED.labels)
    for drawn, row in ((facts["square"], [0, 1, 0]), (facts["mixed"], [0, 0.5, 0.5])):
        latent = np.array(drawn["latent"], np.float32)
        want = expected(bundle, latent, row)
        assert np.abs(np.array(drawn["pixels"], np.int16) - want).max() <= PIXEL_TOLERANCE
    assert facts["square"]["pixels"] != facts["mixed"]["pixels"]
