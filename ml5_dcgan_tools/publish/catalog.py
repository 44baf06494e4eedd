"""The repository's catalog of published models: ``index.json`` and the README table made from it.

``index.json`` is the machine-readable list (one entry per model, sorted by name); README.md is
regenerated from it on every publish, so the two never disagree. The caller holds the
repository lock while it reads, changes and writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import write_atomically
from ..jsonio import write_json_atomic

INDEX = "index.json"
README = "README.md"
INDEX_FORMAT = "ml5-dcgan-tools/model-index@1"

README_HEAD = """# DCGAN models for ml5.js

Each folder holds a model for `ml5.DCGAN()` (ml5.js 0.12.2): `manifest.json`, `model.json` and
its weight shards. Load one in a p5.js sketch with
`dcgan = ml5.DCGAN('https://…/<name>/manifest.json')`.

Published with `ml5-dcgan publish` from ml5-dcgan-tools, which checks every model before it
lands here. This file is generated from `index.json`: edits are overwritten.

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
    """Write index.json and README.md, each atomically (temporary file, then rename)."""
    write_json_atomic(folder / INDEX, index, overwrite=True)
    write_atomically(folder / README, render_readme(index))


def render_readme(index: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---:" if name in ("Parameters", "Bytes") else "---"
                            for name in COLUMNS) + "|"]
    for model in index["models"]:
        files = "<br>".join(f"`{_cell(file['path'])}` `{file['sha256']}`"
                            for file in model["files"])
        size = model.get("modelSize")
        lines.append("| " + " | ".join([
            f"[{_cell(model['name'])}]({model['name']}/manifest.json)",
            _cell(str(model.get("description", ""))),
            f"{size}x{size}" if size else "",
            str(model.get("modelLatentDim", "")),
            f"{model['parameters']:,}",
            f"{model['bytes']:,}",
            files,
            _cell(str(model["published"])[:10]),
            _cell(str(model["tool"])),
        ]) + " |")
    return README_HEAD + "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text that cannot break the table or inject HTML."""
    return (" ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("|", "\\|"))

