"""Makes docs/images/gallery.png: a hosting repository's gallery in headless Chromium, one model
clicked (ml5.js 0.12.2 generating four images).

The three models are tiny hand-made generators (one Dense layer whose weights are colour
waves, so that each latent gives a different plasma picture), published for real with
`publish_bundle`. Needs Chromium and the npm runtime, like the browser tests.

    .venv/bin/python scripts/gallery_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

SIDE, LATENT = 32, 8
MODELS = {
    "plasma-32": ("Colour waves, 32x32: a hand-made demo generator", 1.0),
    "ripples-32": ("Finer ripples, 32x32", 2.5),
    "tides-32": ("Slow tides, 32x32", 0.5),
}
CLICK = """(async () => {
  const card = document.querySelector('article.model');
  card.querySelector('button').click();
  while (!['ready', 'error'].includes(card.dataset.state)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return card.dataset.state;
})()"""


def wave_weights(seed: int, frequency: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    kernel = np.empty((LATENT, SIDE, SIDE, 3))
    for k in range(LATENT):
        fx, fy = rng.normal(0, 6 * frequency, 2)
        for c in range(3):
            kernel[k, :, :, c] = np.sin(fx * x + fy * y + rng.uniform(0, 2 * np.pi))
    return {"dense_1/kernel": (kernel.reshape(LATENT, -1) * 0.6).astype(np.float32),
            "dense_1/bias": np.zeros(SIDE * SIDE * 3, np.float32)}


def main() -> None:
    from hosting import tiny_bundle

    from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
    from ml5_dcgan_tools.web.chromium import cdn_routes, run_in_chromium
    from ml5_dcgan_tools.web.serve import serving

    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch, "repo")
        repo.mkdir()
        for seed, (name, (description, frequency)) in enumerate(MODELS.items()):
            bundle = tiny_bundle(Path(scratch, name), side=SIDE, latent_dim=LATENT,
                                 description=description,
                                 weights=wave_weights(seed, frequency))
            publish_bundle(bundle, repo, name, facts=ModelFacts(license="CC0-1.0",
                                                               author="ml5-dcgan-tools"))
        with serving([repo / "models" / "dcgan"]) as server:
            run = run_in_chromium(server.url + "index.html", CLICK, routes=cdn_routes(),
                                  wait_for="document.body.dataset.state !== 'loading'",
                                  screenshot=ROOT / "docs" / "images" / "gallery.png",
                                  viewport=(1000, 600))
    print(run.value, run.error or "", run.page_errors)


if __name__ == "__main__":
    main()
