"""Writes a p5.js + ml5.js page that shows what a bundle generates, for today's ml5 or 0.12.2.

``index.html`` loads p5 and ml5 (from a CDN, or copies from the pinned npm packages with
``offline``) and ``sketch.js``, which knows only the manifest's URL relative to the page. Two
flavors: ``"1"`` (the default) is p5.js 2.x + ml5.js 1.x, which has no DCGAN of its own, plus
ml5-dcgan.js (written next to the page) that loads the bundle; ``"0.12"`` is p5.js 1.x + ml5.js
0.12.2 and its built-in ``ml5.DCGAN``. The library versions are the ones pinned in the runtime's
browser-files.json, so the page runs exactly what ``ml5-dcgan browser-check`` proves the bundle in.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..assets import LOADER, loader_bytes
from ..errors import UsageError, UserError
from ..files import write_atomically
from ..jsonio import read_json_object
from ..runtime.install import browser_package, browser_pins

MANIFEST = "manifest.json"
PAGE = "index.html"
SKETCH = "sketch.js"
MANIFEST_PLACEHOLDER = "__MANIFEST_URL__"
FILES_PLACEHOLDER = "__FILES__"
CDN = "https://cdn.jsdelivr.net/npm/{package}@{version}/{path}"


@dataclass(frozen=True)
class Library:
    """A browser build inside one of the runtime's pinned npm packages."""

    alias: str  # its key in the runtime's browser-files.json
    path: str  # the browser build inside the package

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    def cdn_url(self) -> str:
        package, version = pinned_package(self.alias)
        return CDN.format(package=package, version=version, path=self.path)


@dataclass(frozen=True)
class Flavor:
    """What one kind of page loads, and the sketch template it runs."""

    libraries: tuple[Library, ...]
    template: str | None  # sketch template in this folder; None: a page without a sketch
    loader: bool  # whether the page loads ml5-dcgan.js


P5_1 = Library("p5", "lib/p5.min.js")
P5_2 = Library("p5-2", "lib/p5.min.js")
ML5_0_12 = Library("ml5", "dist/ml5.min.js")
ML5_1 = Library("ml5-1.4.0", "dist/ml5.min.js")
FLAVORS = {
    "1": Flavor((P5_2, ML5_1), "sketch-ml5-1.js", loader=True),
    "0.12": Flavor((P5_1, ML5_0_12), "sketch.js", loader=False),
}
DEFAULT_FLAVOR = "1"

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


def pinned_package(alias: str) -> tuple[str, str]:
    """The npm package and exact version pinned under ``alias`` in the runtime's
    browser-files.json (``ml5-1.4.0`` is package ml5, version 1.4.0)."""
    pin = browser_pins()[alias]
    return pin["package"], pin["version"]


def script_sources(flavor: Flavor, offline: bool) -> list[str]:
    """``src`` of each script tag before the sketch: CDN URLs or local copies, then the loader."""
    sources = [library.file_name if offline else library.cdn_url()
               for library in flavor.libraries]
    return sources + ([LOADER] if flavor.loader else [])


def render_page(flavor: Flavor, offline: bool) -> str:
    scripts = "\n".join(f'  <script src="{html.escape(src)}"></script>'
                        for src in script_sources(flavor, offline))
    page = PAGE_HTML.format(scripts=scripts)
    if flavor.template is None:  # nothing to wait for: the page is ready as it is
        page = page.replace(f'  <script src="{SKETCH}"></script>\n', "").replace(
            'data-state="loading"', 'data-state="ready"')
    return page


def render_sketch(manifest_url: str, flavor: Flavor = FLAVORS[DEFAULT_FLAVOR],
                  model_files: dict[str, object] | None = None) -> str:
    """The sketch template with the manifest's URL and, when given, where the model's files are
    (``{"model": ..., "weights": [...]}``, for hosts that give each file its own URL)."""
    template = files(__package__).joinpath(flavor.template).read_text(encoding="utf-8")
    if MANIFEST_PLACEHOLDER not in template:
        raise RuntimeError(f"{flavor.template} lost its {MANIFEST_PLACEHOLDER} placeholder")
    if model_files is not None and FILES_PLACEHOLDER not in template:
        raise RuntimeError(f"{flavor.template} has no {FILES_PLACEHOLDER} placeholder")
    return (template.replace(MANIFEST_PLACEHOLDER, json.dumps(manifest_url))
            .replace(FILES_PLACEHOLDER, json.dumps(model_files, indent=2)))


def write_page(folder: Path, manifest_url: str, *, flavor: Flavor = FLAVORS[DEFAULT_FLAVOR],
               offline: bool = False, force: bool = False) -> list[str]:
    """Write index.html, sketch.js and ml5-dcgan.js (as ``flavor`` needs; with ``offline`` also
    the libraries) into ``folder``.

    Refuses, before writing anything, to replace a file whose content differs unless ``force``:
    the user may have edited sketch.js. Returns the file names.
    """
    contents: dict[str, bytes] = {PAGE: render_page(flavor, offline).encode()}
    if flavor.template is not None:
        contents[SKETCH] = render_sketch(manifest_url, flavor).encode()
    if flavor.loader:
        contents[LOADER] = loader_bytes()
    if offline:
        for library in flavor.libraries:
            contents[library.file_name] = (browser_package(library.alias)
                                           / library.path).read_bytes()
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
                 ml5: str = DEFAULT_FLAVOR, offline: bool = False,
                 force: bool = False) -> SketchPage:
    """Write the sketch page for ml5 ``ml5`` ("1" or "0.12") for the bundle in ``bundle_dir``
    into ``out_dir`` (default: the bundle folder itself, the layout that works when the folder
    is served as it is). A labelled bundle gets the ml5 1.x page only, whose sketch has a picker
    for its labels: ml5 0.12.2's ml5.DCGAN cannot pass a label."""
    if ml5 not in FLAVORS:
        raise UsageError(f"unknown ml5 version {ml5!r}", fix=f"use one of {', '.join(FLAVORS)}")
    bundle_dir = Path(bundle_dir)
    folder = Path(out_dir) if out_dir is not None else bundle_dir
    manifest = usable_manifest(bundle_dir)
    if ml5 == "0.12" and "modelLabels" in read_json_object(
            manifest, what=MANIFEST, fix=f"run `ml5-dcgan manifest validate {manifest}`"):
        raise UsageError("this bundle is labelled (modelLabels) but ml5 0.12.2's own ml5.DCGAN "
                         "takes a latent only and cannot pass a label", where=str(manifest),
                         fix="write the ml5 1.x page (--ml5 1): its ml5-dcgan.js draws each label")
    bundle_real, folder_real = bundle_dir.resolve(), folder.resolve()
    serve_root = Path(os.path.commonpath([bundle_real, folder_real]))
    manifest_url = Path(os.path.relpath(bundle_real / MANIFEST, folder_real)).as_posix()
    written = write_page(folder, manifest_url, flavor=FLAVORS[ml5], offline=offline, force=force)
    page_path = folder_real.relative_to(serve_root).as_posix()
    return SketchPage(folder=folder, files=written, manifest_url=manifest_url,
                      serve_root=serve_root, page_path="" if page_path == "." else page_path + "/")


def usable_manifest(bundle_dir: Path) -> Path:
    """The bundle's manifest.json, refused in one line when it is missing or ml5 cannot use it."""
    from ..manifest import validate_manifest

    manifest = bundle_dir / MANIFEST
    if not manifest.is_file():
        raise UsageError(f"no {MANIFEST} in the bundle folder", where=str(bundle_dir),
                         fix="give a folder written by `ml5-dcgan export` (target ml5)")
    failures = [f.message for f in validate_manifest(manifest).findings if f.severity == "fail"]
    if failures:
        raise UserError(f"{MANIFEST} is not usable by ml5: {failures[0]}", where=str(manifest),
                        fix=f"run `ml5-dcgan manifest validate {manifest}` for the details")
    return manifest
