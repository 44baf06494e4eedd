"""Writes a p5.js + ml5.js 0.12.2 page that shows what a bundle generates.

``index.html`` loads p5 and ml5 (from a CDN, or copies from the pinned npm packages with
``offline``) and ``sketch.js``, which knows only the manifest's URL relative to the page. The
library versions are the ones pinned in the runtime's package.json, so the page runs exactly
the ml5 that ``ml5-dcgan browser-check`` proves the bundle in.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..errors import UsageError, UserError
from ..files import write_atomically
from ..runtime.install import PROJECT_DIR, ensure_runtime

MANIFEST = "manifest.json"
PAGE = "index.html"
SKETCH = "sketch.js"
MANIFEST_PLACEHOLDER = "__MANIFEST_URL__"
LIBRARIES = {  # npm package -> its browser build inside the package
    "p5": "lib/p5.min.js",
    "ml5": "dist/ml5.min.js",
}
CDN = "https://cdn.jsdelivr.net/npm/{package}@{version}/{path}"

PAGE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ml5 DCGAN</title>
  <link rel="icon" href="data:,">
  <style>
    body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
    #status {{ color: #555; }}
    body[data-state="error"] #status {{ color: #b00020; font-weight: bold; }}
    #controls button {{ font-size: 1rem; margin: 0.5rem 0.5rem 0 0; }}
    canvas {{ display: block; }}
  </style>
{scripts}
</head>
<body data-state="loading">
  <h1 id="title">ml5 DCGAN</h1>
  <p id="status">loading the model&hellip;</p>
  <div id="sketch"></div>
  <div id="controls"></div>
  <script src="sketch.js"></script>
</body>
</html>
"""


@dataclass(frozen=True)
class SketchPage:
    """Where the page was written and how to serve it."""

    folder: Path
    files: list[str]  # written or already identical, in ``folder``
    manifest_url: str  # as sketch.js requests it, relative to the page
    serve_root: Path  # the folder to serve so that page and bundle are both reachable
    page_path: str  # the page's URL path below serve_root ("" when it is the root)


def pinned_version(package: str) -> str:
    """The exact version of ``package`` pinned in the runtime's package.json."""
    manifest = json.loads((PROJECT_DIR / "package.json").read_text(encoding="utf-8"))
    return manifest["dependencies"][package]


def library_sources(offline: bool) -> dict[str, str]:
    """``src`` of each library's script tag: a CDN URL, or the local copy's file name."""
    return {package: Path(path).name if offline else
            CDN.format(package=package, version=pinned_version(package), path=path)
            for package, path in LIBRARIES.items()}


def render_page(offline: bool) -> str:
    scripts = "\n".join(f'  <script src="{html.escape(src)}"></script>'
                        for src in library_sources(offline).values())
    return PAGE_HTML.format(scripts=scripts)


def render_sketch(manifest_url: str) -> str:
    template = files(__package__).joinpath(SKETCH).read_text(encoding="utf-8")
    if MANIFEST_PLACEHOLDER not in template:
        raise RuntimeError(f"{SKETCH} template lost its {MANIFEST_PLACEHOLDER} placeholder")
    return template.replace(MANIFEST_PLACEHOLDER, json.dumps(manifest_url))


def write_page(folder: Path, manifest_url: str, *, offline: bool = False,
               force: bool = False) -> list[str]:
    """Write index.html and sketch.js (and with ``offline`` ml5 and p5) into ``folder``.

    Refuses, before writing anything, to replace a file whose content differs unless ``force``:
    the user may have edited sketch.js. Returns the file names.
    """
    contents: dict[str, bytes] = {
        PAGE: render_page(offline).encode(),
        SKETCH: render_sketch(manifest_url).encode(),
    }
    if offline:
        runtime = ensure_runtime()
        for package, path in LIBRARIES.items():
            contents[Path(path).name] = (runtime / "node_modules" / package / path).read_bytes()
    if not force:
        for name, data in contents.items():
            existing = folder / name
            if existing.exists() and existing.read_bytes() != data:
                raise UsageError(f"{name} already exists with other content", where=str(folder),
                                 fix="add --force to replace it, or choose another --out")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        write_atomically(folder / name, data)
    return list(contents)


def write_sketch(bundle_dir: str | Path, out_dir: str | Path | None = None, *,
                 offline: bool = False, force: bool = False) -> SketchPage:
    """Write the sketch page for the bundle in ``bundle_dir`` into ``out_dir`` (default: the
    bundle folder itself, the layout that works when the folder is served as it is)."""
    from ..manifest import validate_manifest

    bundle_dir = Path(bundle_dir)
    folder = Path(out_dir) if out_dir is not None else bundle_dir
    manifest = bundle_dir / MANIFEST
    if not manifest.is_file():
        raise UsageError(f"no {MANIFEST} in the bundle folder", where=str(bundle_dir),
                         fix="give a folder written by `ml5-dcgan export` (target ml5)")
    failures = [f.message for f in validate_manifest(manifest).findings if f.severity == "fail"]
    if failures:
        raise UserError(f"{MANIFEST} is not usable by ml5: {failures[0]}", where=str(manifest),
                        fix=f"run `ml5-dcgan manifest validate {manifest}` for the details")
    bundle_real, folder_real = bundle_dir.resolve(), folder.resolve()
    serve_root = Path(os.path.commonpath([bundle_real, folder_real]))
    manifest_url = Path(os.path.relpath(bundle_real / MANIFEST, folder_real)).as_posix()
    written = write_page(folder, manifest_url, offline=offline, force=force)
    page_path = folder_real.relative_to(serve_root).as_posix()
    return SketchPage(folder=folder, files=written, manifest_url=manifest_url,
                      serve_root=serve_root, page_path="" if page_path == "." else page_path + "/")
