"""The repository's catalog of published models: ``index.json``, and the README table and the
gallery page made from it.

``index.json`` is the machine-readable list (one entry per model, sorted by name); README.md and
index.html are regenerated from it on every publish, so they never disagree (audit checks it).
The caller holds the repository lock while it reads, changes and writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import write_atomically
from ..jsonio import write_json_atomic
from .gallery import GALLERY, render_gallery
from .text import GENERATED
from .text import markdown_inline as _cell

INDEX = "index.json"
README = "README.md"
INDEX_FORMAT = "ml5-dcgan-tools/model-index@1"

README_HEAD = """# DCGAN models for ml5.js

Each folder holds a model for `ml5.DCGAN()` (ml5.js 0.12.2): `manifest.json`, `model.json` and
its weight shards, the reference outputs that re-check it (`reference.json`,
`reference-outputs.bin`) and its model card (`README.md`: licence, samples, how to load it,
sha256 of every file). Load one in a p5.js sketch with ml5.js 0.12.2:
`dcgan = await ml5.DCGAN('https://…/<name>/manifest.json')`; with today's ml5, through the
`ml5-dcgan.js` loader in the folders that have one: `const gan = await
ml5DCGAN('https://…/<name>/manifest.json'); const {image, raw} = await gan.generate();`.
Try them all in the gallery, [index.html](index.html), served from any static host.

Published with `ml5-dcgan publish` from ml5-dcgan-tools, which checks every model before it
lands here; `ml5-dcgan audit` re-checks them all. This file is generated from `index.json`:
edits are overwritten.

"""
COLUMNS = ("Name", "Description", "Size", "Latent dim", "Parameters", "Bytes",
           "Files (sha256)", "Date", "Tool")


def read_index(folder: Path) -> dict[str, Any]:
    """The catalog in ``folder``, or an empty one; a damaged index is refused, never replaced."""
    path = folder / INDEX
    if not path.exists():
        return {"format": INDEX_FORMAT, "models": []}
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"{INDEX} is unreadable: {error}", where=str(path),
                        fix="repair it or restore it from git (git checkout -- index.json)"
                        ) from None
    if (not isinstance(index, dict) or index.get("format") != INDEX_FORMAT
            or not isinstance(index.get("models"), list)
            or not all(isinstance(entry, dict) and "name" in entry
                       for entry in index["models"])):
        raise UserError(f"{INDEX} is not a {INDEX_FORMAT} catalog", where=str(path),
                        fix="repair it or restore it from git")
    return index


def with_entry(index: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The index with ``entry`` added, replacing the entry of the same name."""
    models = [model for model in index["models"] if model["name"] != entry["name"]]
    return {**index, "models": sorted([*models, entry], key=lambda model: model["name"])}


def write_catalog(folder: Path, index: dict[str, Any]) -> None:
    """Write index.json, README.md and index.html, each atomically (temporary file, then
    rename)."""
    write_json_atomic(folder / INDEX, index, overwrite=True)
    for name, text in rendered(index).items():
        write_atomically(folder / name, text)


def rendered(index: dict[str, Any]) -> dict[str, str]:
    """The files generated from the catalog, by name: what they must hold, byte for byte."""
    return {README: render_readme(index), GALLERY: render_gallery(index)}


def without(index: dict[str, Any], name: str) -> dict[str, Any]:
    """The index without the entry ``name``."""
    return {**index, "models": [model for model in index["models"] if model["name"] != name]}


def render_readme(index: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---:" if name in ("Parameters", "Bytes") else "---"
                            for name in COLUMNS) + "|"]
    for model in index["models"]:
        files = "<br>".join(f"{_cell(file['path'])} `{_cell(file['sha256'])}`"
                            for file in model["files"])
        size = model.get("modelSize")
        lines.append("| " + " | ".join([
            f"[{_cell(model['name'])}]({model['name']}/)",
            _cell(str(model.get("description", ""))),
            f"{size}x{size}" if size else "",
            str(model.get("modelLatentDim", "")),
            f"{model['parameters']:,}",
            f"{model['bytes']:,}",
            files,
            _cell(str(model["published"])[:10]),
            _cell(str(model["tool"])),
        ]) + " |")
    return README_HEAD + "\n".join(lines) + f"\n\n{GENERATED}\n"

