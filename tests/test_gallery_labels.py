"""The gallery draws a labelled model through ml5-dcgan.js, a row per label, in real Chromium
with ml5.js 0.12.2 on the page (whose own ml5.DCGAN cannot pass a label).

Needs the labelled bundle of tests/hosting.py, the loader's labels and validate's two-input
checks (the other parts of issue 24)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bundle_factory import write_bundle
from hosting import LABELLED, RUNTIME_ATOL, labelled_bundle

from ml5_dcgan_tools.assets import copy_loader
from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
from ml5_dcgan_tools.publish.gallery import IMAGES_PER_CLICK
from ml5_dcgan_tools.reference import REFERENCE_COUNT, Reference, reference_latents, write_reference
from ml5_dcgan_tools.web.chromium import cdn_routes, run_in_chromium
from ml5_dcgan_tools.web.serve import serving

pytestmark = pytest.mark.browser

READY = ("document.body.dataset.state !== 'loading' && "
         "[...document.images].every((image) => image.complete)")
CLICK_AND_LOOK = """(async () => {
  const card = document.querySelector('article.model');
  card.querySelector('button').click();
  while (!['ready', 'error'].includes(card.dataset.state)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    state: card.dataset.state,
    status: card.querySelector('.status').textContent,
    facts: card.querySelector('.facts').textContent,
    ownDCGAN: typeof ml5.DCGAN,
    rows: [...card.querySelectorAll('.generated .row')].map((row) => ({
      label: row.dataset.label,
      caption: row.querySelector('.label').textContent,
      canvases: [...row.querySelectorAll('canvas')].map((canvas) => Array.from(
        canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data)),
    })),
  };
})()"""


def label_decided_bundle(folder: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """hosting.labelled_bundle's model with the latent's weights zeroed: each label draws one
    picture whatever the latent, so the gallery's rows can be checked pixel for pixel."""
    bundle, weights = labelled_bundle(folder)
    kernel = next(name for name in weights if name.endswith("kernel"))
    weights[kernel][:LABELLED.latent_dim] = 0
    weights = write_bundle(bundle, LABELLED.topology(), weights)
    count = max(REFERENCE_COUNT, len(LABELLED.labels))
    latents, rows = reference_latents(count, LABELLED.latent_dim), LABELLED.reference_rows(count)
    write_reference(bundle, Reference(latents, LABELLED.predict(latents, rows, weights)
                                      .astype("f4"), labels=rows), RUNTIME_ATOL)
    return bundle, weights


def expected_pixels(weights: dict[str, np.ndarray], label: int) -> np.ndarray:
    """The RGBA bytes the loader draws for `label` ((x + 1) / 2 * 255, opaque)."""
    onehot = np.eye(len(LABELLED.labels))[[label]]
    chw = LABELLED.predict(np.zeros((1, LABELLED.latent_dim)), onehot, weights)[0]
    rgb = (np.clip(chw.transpose(1, 2, 0), -1, 1) + 1) / 2 * 255
    return np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255.0)], axis=-1).ravel()


def test_a_labelled_model_draws_a_row_per_label(tmp_path: Path) -> None:
    bundle, weights = label_decided_bundle(tmp_path / "bundle")
    copy_loader(bundle)
    repo = tmp_path / "repo"
    repo.mkdir()
    publish_bundle(bundle, repo, "shapes", facts=ModelFacts(license="MIT"))
    models = repo / "models" / "dcgan"
    card = (models / "shapes" / "README.md").read_text(encoding="utf-8")
    assert "| Labels | `circle`, `square`, `triangle` |" in card
    entry = json.loads((models / "index.json").read_text(encoding="utf-8"))["models"][0]
    assert entry["modelLabels"] == list(LABELLED.labels)
    with serving([models]) as server:
        run = run_in_chromium(server.url + "index.html", CLICK_AND_LOOK, routes=cdn_routes(),
                              wait_for=READY)
    assert run.failed_at is None, run.error
    assert run.page_errors == []
    page = run.value
    assert page["state"] == "ready", page["status"]
    assert page["status"].startswith("ml5 0.12.2, TF.js ")
    assert page["ownDCGAN"] == "function"  # ml5 0.12.2's own, untouched by the loader
    assert page["facts"].endswith("3 labels")
    assert [row["label"] for row in page["rows"]] == list(LABELLED.labels)
    assert [row["caption"] for row in page["rows"]] == list(LABELLED.labels)
    for label, row in enumerate(page["rows"]):
        assert len(row["canvases"]) == IMAGES_PER_CLICK
        for pixels in row["canvases"]:
            assert np.abs(np.array(pixels) - expected_pixels(weights, label)).max() <= 1
    assert len({tuple(row["canvases"][0]) for row in page["rows"]}) == len(LABELLED.labels)
