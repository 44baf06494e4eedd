"""The hosting repository's gallery page in real headless Chromium with real ml5.js 0.12.2:
every published model is listed with its sample picture, and a click loads the real model
and draws new images. The page is served over loopback; ml5 comes from the browser runtime's copy
in place of the CDN, so nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hosting import tiny_bundle

from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
from ml5_dcgan_tools.publish.gallery import IMAGES_PER_CLICK
from ml5_dcgan_tools.web.chromium import cdn_routes, run_in_chromium
from ml5_dcgan_tools.web.serve import serving

pytestmark = pytest.mark.browser

HOSTILE = 'shapes <b>bold</b> <img src=x onerror="document.title=\'owned\'"> </script>'
NAMES = ("circles", "hostile", "squares")
READY = ("document.body.dataset.state !== 'loading' && "
         "[...document.images].every((image) => image.complete)")
CLICK_AND_LOOK = """(async () => {
  const cards = [...document.querySelectorAll('article.model')];
  const card = cards.find((each) => each.dataset.name === %s);
  card.querySelector('button').click();
  while (!['ready', 'error'].includes(card.dataset.state)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const canvases = [...card.querySelectorAll('canvas')].map((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let opaque = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
      if (data[i + 3] > 0) opaque += 1;
    }
    return { width: canvas.width, height: canvas.height, colours: colours.size, opaque,
             pixels: Array.from(data).join(',') };
  });
  return {
    names: cards.map((each) => each.dataset.name),
    descriptions: cards.map((each) => each.querySelector('.description').textContent),
    links: cards.map((each) => each.querySelector('h2 a').getAttribute('href')),
    samples: cards.map((each) => {
      const image = each.querySelector('img.sample');
      return image ? image.naturalWidth : 0;
    }),
    injected: document.querySelectorAll('main b, main script, main img:not(.sample)').length,
    title: document.title,
    state: card.dataset.state,
    status: card.querySelector('.status').textContent,
    canvases,
  };
})()"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("gallery")
    repo = work / "repo"
    repo.mkdir()
    for seed, name in enumerate(NAMES):
        description = HOSTILE if name == "hostile" else f"{name}, 8x8"
        bundle = tiny_bundle(work / name, seed=seed, side=8, description=description)
        publish_bundle(bundle, repo, name, facts=ModelFacts(license="MIT"))
    return repo


def test_the_gallery_lists_every_model_and_a_click_draws_images(repo, tmp_path):
    models = repo / "models" / "dcgan"
    with serving([models]) as server:
        run = run_in_chromium(server.url + "index.html", CLICK_AND_LOOK % json.dumps("squares"),
                              routes=cdn_routes(), wait_for=READY,
                              screenshot=tmp_path / "gallery.png")
    assert run.failed_at is None, run.error
    assert run.page_errors == []
    page = run.value
    assert page["names"] == list(NAMES)
    assert page["links"] == [f"{name}/README.md" for name in NAMES]  # each model's card
    assert page["descriptions"][1] == " ".join(HOSTILE.split())  # shown as text, not markup
    assert page["injected"] == 0 and page["title"] == "DCGAN models for ml5.js"
    assert all(width > 0 for width in page["samples"])  # every sample.png loaded
    assert page["state"] == "ready", page["status"]
    assert page["status"].startswith("ml5 0.12.2, TF.js ")
    canvases = page["canvases"]
    assert len(canvases) == IMAGES_PER_CLICK
    for canvas in canvases:
        assert (canvas["width"], canvas["height"]) == (8, 8)
        assert canvas["opaque"] == 64 and canvas["colours"] > 8  # drawn, not blank
    assert len({canvas["pixels"] for canvas in canvases}) == IMAGES_PER_CLICK  # new latents
    assert (tmp_path / "gallery.png").read_bytes()[:4] == b"\x89PNG"


def test_a_model_that_cannot_load_says_so_on_its_card(repo, tmp_path):
    models = repo / "models" / "dcgan"
    (models / "circles" / "model.json").write_text("{}")
    with serving([models]) as server:
        run = run_in_chromium(server.url + "index.html", CLICK_AND_LOOK % json.dumps("circles"),
                              routes=cdn_routes(), wait_for=READY)
    assert run.failed_at is None, run.error
    assert run.value["state"] == "error"
    assert run.value["status"].startswith("could not run the model: ")
