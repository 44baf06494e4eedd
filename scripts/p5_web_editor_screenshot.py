"""Makes docs/images/p5-web-editor-sketch.png: the sketch page of the p5.js web editor zip
(`ml5-dcgan sketch BUNDLE --zip`), unpacked and served as one flat folder, in headless Chromium
on ml5 1.4.0 (p5 and ml5 answered from the pinned npm packages instead of the CDN).

Without an argument the bundle is the gallery's hand-made colour-wave generator (32x32); give a
bundle folder to show that one instead. Needs Chromium and the npm runtime, like the browser
tests.

    .venv/bin/python scripts/p5_web_editor_screenshot.py [BUNDLE]
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
OUT = ROOT / "docs" / "images" / "p5-web-editor-sketch.png"
SETTLE = """new Promise((resolve) => setTimeout(() => resolve({
  state: document.body.dataset.state, status: document.getElementById('status').textContent,
}), 1500))"""  # a few frames of the latent walk


def main() -> None:
    from gallery_screenshot import LATENT, SIDE, wave_weights
    from hosting import tiny_bundle

    from ml5_dcgan_tools.web.chromium import cdn_routes, run_in_chromium
    from ml5_dcgan_tools.web.editor_zip import write_editor_zip
    from ml5_dcgan_tools.web.serve import serving

    with tempfile.TemporaryDirectory() as scratch:
        if len(sys.argv) > 1:
            bundle = Path(sys.argv[1])
        else:
            bundle = tiny_bundle(Path(scratch, "plasma-32"), side=SIDE, latent_dim=LATENT,
                                 description="Colour waves, 32x32: a hand-made demo generator",
                                 weights=wave_weights(0, 1.0))
        archive = write_editor_zip(bundle, Path(scratch, f"{bundle.name}-p5-editor.zip"))
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(Path(scratch, "unpacked"))
        folder = Path(scratch, "unpacked", archive.stem)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        with serving([folder]) as server:
            run = run_in_chromium(server.url + "index.html", SETTLE, routes=cdn_routes(),
                                  wait_for="document.body.dataset.state !== 'loading'",
                                  screenshot=OUT, viewport=(600, 860))
    print(run.value, run.error or "", run.page_errors)


if __name__ == "__main__":
    main()
