"""What a published model consists of: manifest.json, model.json and its weight shards, plus
the files that let anyone re-check and use it later when the bundle has them (the reference
latents and outputs, the ml5 loader, the training facts).

The files are copied into a staging folder with their hashes and sizes recorded, and the
manifest's ``model`` is rewritten: ``model.json`` next to it, or with a base URL the absolute
URL the model will have once the repository is hosted (ml5 0.12.2 resolves a relative path
against the page, so only an absolute URL works from any sketch).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..assets import LOADER, copy_loader
from ..errors import UsageError
from ..reference import OUTPUTS_FILE, REFERENCE_FILE
from ..safety import path_problem
from ..tfjs_model import parse_model_json

MANIFEST = "manifest.json"
MODEL = "model.json"
"""The loader `ml5-dcgan export` puts into a bundle, for ml5 versions without a DCGAN."""
TRAINING = "training.json"
"""Optional facts about the training run (dataset, steps, images, tool), read by the card."""
EXTRAS = (REFERENCE_FILE, OUTPUTS_FILE, TRAINING)
"""Published beside the model when the bundle has them (plain files at its top level)."""


@dataclass(frozen=True)
class PublishedFile:
    path: str  # relative to the model's folder, "/"-separated
    bytes: int
    sha256: str


@dataclass(frozen=True)
class StagedModel:
    """A model laid out in ``folder``, ready to be moved into the repository."""

    folder: Path
    manifest: dict[str, Any]
    parameters: int
    files: list[PublishedFile]


def _inside_path(name: Any, what: str, where: Path) -> PurePosixPath:
    """A relative path that stays inside its folder (the rule validation uses), or a UsageError."""
    problem = path_problem(name, what)
    if problem is not None:
        raise UsageError(problem.message, where=str(where),
                         fix="publish a bundle written by `ml5-dcgan export`")
    return PurePosixPath(name)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path.name}: {error}", where=str(path),
                         fix="run `ml5-dcgan validate` on the bundle") from None


def _copy(source: Path, folder: Path, relative: PurePosixPath) -> PublishedFile:
    target = folder.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return describe(folder, relative.as_posix())


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(folder: Path, relative: str) -> PublishedFile:
    """The catalog record (path, bytes, sha256) of ``folder/relative``."""
    path = folder.joinpath(*PurePosixPath(relative).parts)
    return PublishedFile(relative, path.stat().st_size, sha256_file(path))


def stage_model(bundle: Path, folder: Path, model_url: str | None,
                manifest_fields: dict[str, str] | None = None) -> StagedModel:
    """Copy the bundle's manifest, model.json, shards and :data:`EXTRAS` into ``folder``
    (which exists).

    ``model_url`` becomes the manifest's ``model``; None keeps ``model.json`` (relative).
    ``manifest_fields`` (license, author, ...) are set in the published manifest.
    """
    manifest = _read_json(bundle / MANIFEST)
    model_path = _inside_path(manifest.get("model") if isinstance(manifest, dict) else None,
                              "the manifest's model", bundle / MANIFEST)
    model_file = bundle.joinpath(*model_path.parts)
    model = _read_json(model_file)
    files = [_copy(model_file, folder, PurePosixPath(MODEL))]
    for group in model.get("weightsManifest", []):
        for shard in group["paths"]:
            shard_path = _inside_path(shard, "the weight file", model_file)
            files.append(_copy(model_file.parent.joinpath(*shard_path.parts), folder, shard_path))
    for extra in EXTRAS:
        source = bundle / extra
        if source.is_file() and not source.is_symlink() and not (folder / extra).exists():
            files.append(_copy(source, folder, PurePosixPath(extra)))
    if (bundle / LOADER).is_file():
        # Script from a submitted bundle is never published: our own copy of the loader is.
        copy_loader(folder)
        files.append(describe(folder, LOADER))
    published = {**manifest, **(manifest_fields or {}), "model": model_url or MODEL}
    (folder / MANIFEST).write_text(json.dumps(published, indent=2) + "\n", encoding="utf-8")
    files.insert(0, describe(folder, MANIFEST))
    return StagedModel(folder=folder, manifest=published,
                       parameters=parse_model_json(model).parameter_count, files=files)
