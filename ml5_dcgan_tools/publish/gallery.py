"""The live gallery: ``models/dcgan/index.html``, one card per published model.

A single static page, regenerated from ``index.json`` on every publish: no build step, works
from any static host (GitHub Pages, raw hosting behind a CDN, ``ml5-dcgan serve``). Each card
shows the model's sample grid; its button loads the real model with ml5.js 0.12.2's built-in
``ml5.DCGAN`` and draws new images; a labelled model (its manifest lists ``modelLabels``) loads
through its folder's ``ml5-dcgan.js`` instead, since ml5.DCGAN cannot pass a label, and draws a
row per label. The catalog is embedded as JSON inside a
``<script type="application/json">`` element and put on the page with ``textContent`` and
DOM properties only, so text from manifests is data, never markup.
"""

from __future__ import annotations

import json
from typing import Any

from ..web.sketch import ML5_0_12
from .layout import LOADER
from .model_card import CARD, SAMPLE, model_labels
from .text import GENERATED

GALLERY = "index.html"
IMAGES_PER_CLICK = 4

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DCGAN models for ml5.js</title>
  <link rel="icon" href="data:,">
  <script src="__ML5__"></script>
  <style>
    body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
    #models { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr));
              gap: 1rem; }
    .model { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem; }
    .model h2 { font-size: 1.1rem; margin: 0 0 0.3rem; overflow-wrap: anywhere; }
    .model p { margin: 0.3rem 0; overflow-wrap: anywhere; }
    .facts { color: #555; font-size: 0.85rem; }
    .sample, canvas { image-rendering: pixelated; background: #eee; }
    .sample { width: 100%; aspect-ratio: 1; object-fit: contain; }
    .generated { display: flex; gap: 4px; flex-wrap: wrap; margin-top: 0.4rem; }
    .generated canvas { width: calc(25% - 3px); aspect-ratio: 1; }
    .generated .row { display: flex; gap: 4px; align-items: center; width: 100%; }
    .row .label { flex: 0 0 4.5rem; font-size: 0.8rem; overflow-wrap: anywhere; }
    .row canvas { flex: 1; width: 0; }
    .status { margin-left: 0.5rem; color: #555; font-size: 0.85rem; }
    .model[data-state="error"] .status { color: #b00020; font-weight: bold; }
    button { font-size: 0.95rem; }
  </style>
</head>
<body data-state="loading">
  <h1>DCGAN models for ml5.js</h1>
  <p id="status">Click <em>generate</em> on a model to load it in this page with ml5.js
    0.12.2 and draw new images. Each model's card (README.md) has its licence, files and
    how to use it in a sketch.</p>
  <main id="models"></main>
  <script type="application/json" id="catalog">__CATALOG__</script>
  <script>
'use strict';
const IMAGES_PER_CLICK = __IMAGES__;
const catalog = JSON.parse(document.getElementById('catalog').textContent);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// ml5 0.12.2 resolves a relative "model" in manifest.json against the page, not the manifest:
// hand it a copy whose "model" is resolved against the manifest, so every model loads here.
async function loadDCGAN(manifestHref) {
  const response = await fetch(manifestHref);
  if (!response.ok) throw new Error(`${manifestHref}: HTTP ${response.status}`);
  const manifest = await response.json();
  const resolved = { ...manifest, model: new URL(manifest.model, manifestHref).href };
  const blobUrl = URL.createObjectURL(new Blob([JSON.stringify(resolved)],
    { type: 'application/json' }));
  try {
    return await ml5.DCGAN(blobUrl);
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
}

// A labelled model needs the loader (ml5 0.12.2's ml5.DCGAN cannot pass a label): every
// model folder carries the same ml5-dcgan.js, so the first one asked for serves them all.
let loaderReady = null;
function loadLoader(src) {
  if (!loaderReady) {
    loaderReady = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve(window.ml5DCGAN);
      script.onerror = () => {
        loaderReady = null;
        reject(new Error(`${src}: the ml5-dcgan.js loader did not load`));
      };
      document.head.append(script);
    });
  }
  return loaderReady;
}

async function loadModel(model) {
  const folder = new URL(`${encodeURIComponent(model.name)}/`, document.baseURI);
  const manifestHref = new URL('manifest.json', folder).href;
  if (!model.labels) return loadDCGAN(manifestHref);
  if (!model.loader) {
    throw new Error('a labelled model needs its ml5-dcgan.js loader, which this folder lacks');
  }
  const ml5DCGAN = await loadLoader(new URL(model.loader, folder).href);
  return ml5DCGAN(manifestHref);
}

function drawRaw(raw, canvas) {
  const side = Math.round(Math.sqrt(raw.length / 4));
  canvas.width = side;
  canvas.height = side;
  canvas.getContext('2d').putImageData(
    new ImageData(new Uint8ClampedArray(raw), side, side), 0, 0);
}

async function drawImages(generateOne, shelf) {
  for (let i = 0; i < IMAGES_PER_CLICK; i += 1) {
    const result = await generateOne();
    const canvas = element('canvas');
    drawRaw(result.raw, canvas);
    shelf.append(canvas);
  }
}

async function generate(model, card) {
  const status = card.querySelector('.status');
  const shelf = card.querySelector('.generated');
  card.dataset.state = 'loading';
  status.textContent = 'loading the model…';
  try {
    if (!card.dcgan) card.dcgan = await loadModel(model);
    shelf.replaceChildren();
    if (model.labels) {
      for (const label of card.dcgan.labels) {
        const row = element('div', 'row');
        row.dataset.label = label;
        row.append(element('span', 'label', label));
        await drawImages(() => card.dcgan.generate(undefined, { label }), row);
        shelf.append(row);
      }
    } else {
      await drawImages(() => card.dcgan.generate(), shelf);
    }
    status.textContent = `ml5 ${ml5.version}, TF.js ${ml5.tf.getBackend()}`;
    card.dataset.state = 'ready';
  } catch (error) {
    status.textContent = `could not run the model: ${(error && error.message) || error}`;
    card.dataset.state = 'error';
  }
}

function showCard(model) {
  const card = element('article', 'model');
  card.dataset.name = model.name;
  card.dataset.state = 'idle';
  const folder = `${encodeURIComponent(model.name)}/`;
  if (model.sample) {
    const img = element('img', 'sample');
    img.alt = `samples from ${model.name}`;
    img.src = folder + encodeURIComponent(model.sample);
    card.append(img);
  }
  const title = element('h2');
  const link = element('a', null, model.name);
  link.href = folder + (model.card ? encodeURIComponent(model.card) : 'manifest.json');
  title.append(link);
  card.append(title, element('p', 'description', model.description || ''));
  const size = model.modelSize ? `${model.modelSize}×${model.modelSize}` : '?';
  card.append(element('p', 'facts', [
    size, `latent ${model.modelLatentDim}`,
    `${Number(model.parameters).toLocaleString('en')} parameters`,
    `${(Number(model.bytes) / 1e6).toFixed(2)} MB`,
    model.license ? `licence ${model.license}` : 'no licence given',
    model.labels ? `${model.labels.length} labels` : '',
  ].filter(Boolean).join(' · ')));
  const button = element('button', null, 'generate');
  button.addEventListener('click', () => generate(model, card));
  card.append(button, element('span', 'status', ''), element('div', 'generated'));
  return card;
}

document.getElementById('models').append(...catalog.map(showCard));
document.body.dataset.state = window.ml5 ? 'ready' : 'error';
if (!window.ml5) {
  document.getElementById('status').textContent = 'ml5.js did not load (offline?)';
}
  </script>
</body>
</html>
__GENERATED__
"""


def gallery_models(index: dict[str, Any]) -> list[dict[str, Any]]:
    """What the page needs of each model, taken from the catalog."""
    models = []
    for entry in index["models"]:
        files = {file.get("path") for file in entry.get("files", [])}
        models.append({
            "name": entry["name"],
            "description": entry.get("description"),
            "modelSize": entry.get("modelSize"),
            "modelLatentDim": entry.get("modelLatentDim"),
            "parameters": entry.get("parameters"),
            "bytes": entry.get("bytes"),
            "license": entry.get("license"),
            "sample": SAMPLE if SAMPLE in files else None,
            "card": CARD if CARD in files else None,
            **({"labels": model_labels(entry), "loader": LOADER if LOADER in files else None}
               if model_labels(entry) else {}),
        })
    return models


def script_json(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open a comment in it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_gallery(index: dict[str, Any]) -> str:
    """The page for ``index`` (a catalog as :func:`~.catalog.read_index` returns it)."""
    return (PAGE.replace("__ML5__", ML5_0_12.cdn_url())
            .replace("__GENERATED__", GENERATED)
            .replace("__IMAGES__", str(IMAGES_PER_CLICK))
            .replace("__CATALOG__", script_json(gallery_models(index))))
