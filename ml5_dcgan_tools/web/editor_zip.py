"""A zip of one flat sketch folder that works when its files are uploaded to the p5.js web editor.

What the editor (github.com/processing/p5.js-web-editor) accepts and does, read from its source:
``client/modules/IDE/components/FileUploader.jsx`` uploads with Dropzone, ``maxFilesize: 5``
(MB) and at most 6 files at a time, accepting the extensions of ``server/utils/fileUtils.js``'s
``fileExtensionsArray`` (``.bin`` and ``.json`` among them, no file without an extension);
``server/controllers/aws.controller.js`` refuses uploads past 250,000,000 bytes per account
(``UPLOAD_LIMIT``). Its preview
(``client/modules/Preview/EmbedFrame.jsx``) swaps every quoted string in a ``.js`` file that names
an uploaded file (``"model.json"``) for that file's own URL (a blob: URL, or the upload's URL on
S3), so a path *inside* a fetched file (the manifest's ``model``, model.json's weight ``paths``)
cannot be resolved: the sketch names every file the model needs in quotes and ml5-dcgan.js loads
them from there (``ml5DCGAN(manifest, {model, weights})``).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assets import LOADER, loader_bytes
from ..errors import UsageError, UserError
from ..export.weights import DEFAULT_SHARD_BYTES
from ..files import write_atomically
from ..jsonio import read_json_object
from ..p5_editor import EDITOR_UPLOAD_LIMIT_BYTES, editor_problem
from .sketch import FLAVORS, MANIFEST, PAGE, SKETCH, render_page, render_sketch, usable_manifest

MODEL = "model.json"
QUANTIZE_FIX = ("export it with fewer bytes per weight: `ml5-dcgan export SOURCE --out DIR "
                "--quantize uint8` (about 4x smaller), then zip that bundle")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed: the same bundle always makes the same zip


@dataclass(frozen=True)
class EditorFile:
    """A file of the sketch folder: its name in the editor and its bytes."""

    name: str
    data: bytes


def editor_files(bundle_dir: str | Path) -> list[EditorFile]:
    """The sketch folder for ``bundle_dir``: index.html, sketch.js and ml5-dcgan.js for ml5 1.x,
    manifest.json with ``"model": "model.json"``, model.json and its weight files, each one a
    file the editor accepts (weights over its cap are re-cut, the bytes unchanged).

    Raises :class:`UserError` (one line) when the bundle cannot be made into one."""
    bundle_dir = Path(bundle_dir)
    manifest = json.loads(usable_manifest(bundle_dir).read_text(encoding="utf-8"))
    model_path = _local_model(bundle_dir, manifest)
    model = read_json_object(model_path, what="model.json",
                             fix=f"run `ml5-dcgan validate {model_path.parent}`")
    groups = model.get("weightsManifest")
    if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
        raise UserError("model.json has no weightsManifest list", where=str(model_path),
                        fix="re-export the bundle with `ml5-dcgan export`")
    weights: list[EditorFile] = []
    for number, group in enumerate(groups, start=1):
        shards = _group_files(model_path.parent, group, number)
        group["paths"] = [shard.name for shard in shards]
        weights += shards
    manifest["model"] = MODEL
    sketch = render_sketch(MANIFEST, FLAVORS["1"],
                           model_files={"model": MODEL, "weights": [w.name for w in weights]})
    folder = [
        EditorFile(PAGE, render_page(FLAVORS["1"], offline=False).encode()),
        EditorFile(SKETCH, sketch.encode()),
        EditorFile(LOADER, loader_bytes()),
        EditorFile(MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode()),
        EditorFile(MODEL, json.dumps(model, separators=(",", ":")).encode()),
        *weights,
    ]
    names = [file.name for file in folder]
    if len(set(names)) != len(names):
        raise UserError("two of the sketch's files would have the same name",
                        where=str(model_path), fix="re-export the bundle with `ml5-dcgan export`")
    for file in folder:
        problem = editor_problem(file.name, len(file.data))
        if problem:
            raise UserError(problem, where=str(bundle_dir), fix=QUANTIZE_FIX)
    total = sum(len(file.data) for file in folder)
    if total > EDITOR_UPLOAD_LIMIT_BYTES:
        raise UserError(f"the sketch's files add up to {total:,} bytes, over the p5.js web "
                        f"editor's {EDITOR_UPLOAD_LIMIT_BYTES:,}-byte upload limit per account",
                        where=str(bundle_dir), fix=QUANTIZE_FIX)
    return folder


def write_editor_zip(bundle_dir: str | Path, out: str | Path | None = None, *,
                     force: bool = False) -> Path:
    """Write the zip of :func:`editor_files` (one folder named after the zip) atomically to
    ``out`` (default: ``<bundle>-p5-editor.zip`` beside the bundle folder); returns its path.
    An existing ``out`` is replaced only with ``force``."""
    bundle_dir = Path(bundle_dir)
    target = Path(out) if out is not None else bundle_dir.resolve().with_name(
        f"{bundle_dir.resolve().name}-p5-editor.zip")
    if target.suffix.lower() != ".zip":
        raise UsageError(f"{target} does not end in .zip", fix="name the zip OUT.zip")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", fix="add --force to replace it")
    folder = editor_files(bundle_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in folder:
            entry = zipfile.ZipInfo(f"{target.stem}/{file.name}", date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, file.data)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, buffer.getvalue())
    return target


def _local_model(bundle_dir: Path, manifest: dict[str, Any]) -> Path:
    """The bundle's own model.json: the manifest's relative ``model``, else model.json beside
    it (a published manifest names its model by URL)."""
    named = manifest.get("model")
    candidates = [bundle_dir / named] if isinstance(named, str) and "://" not in named else []
    for path in [*candidates, bundle_dir / MODEL]:
        if path.is_file():
            return path
    raise UserError("the bundle folder has no model.json", where=str(bundle_dir),
                    fix="give the folder `ml5-dcgan export` wrote, with model.json and its "
                        "weight files")


def _group_files(folder: Path, group: dict[str, Any], number: int) -> list[EditorFile]:
    """One weight group's files as the editor can take them: kept when every one is a flat,
    accepted name within the size cap, else its bytes re-cut into ``group{number}-shard*``
    files of at most 4 MiB (TF.js joins a group's files, so only the cuts move)."""
    paths = group.get("paths")
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise UserError(f"weight group {number} of model.json has no list of paths",
                        where=str(folder), fix="re-export the bundle with `ml5-dcgan export`")
    data = []
    for path in paths:
        file = folder / path
        if not file.resolve().is_relative_to(folder.resolve()):
            raise UserError(f"model.json names the weight file {path}, outside its folder",
                            where=str(folder), fix="re-export the bundle with `ml5-dcgan export`")
        if not file.is_file():
            raise UserError(f"the weight file {path} named by model.json is missing",
                            where=str(folder), fix="copy every weight file next to model.json")
        data.append(file.read_bytes())
    if all("/" not in path and editor_problem(path, len(chunk)) is None
           for path, chunk in zip(paths, data, strict=True)):
        return [EditorFile(path, chunk) for path, chunk in zip(paths, data, strict=True)]
    joined = b"".join(data)
    count = max(1, -(-len(joined) // DEFAULT_SHARD_BYTES))
    return [EditorFile(f"group{number}-shard{index + 1}of{count}.bin",
                       joined[index * DEFAULT_SHARD_BYTES:(index + 1) * DEFAULT_SHARD_BYTES])
            for index in range(count)]
