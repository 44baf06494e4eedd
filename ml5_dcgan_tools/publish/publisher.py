"""Publish a bundle into a model hosting repository as ``models/dcgan/NAME/``, with its catalog.

The order is what makes it safe. Everything that can refuse (the arguments, an existing name,
the bundle validator) runs before the repository is touched, so a refused publish leaves it
byte for byte as it was. The files are then staged in a hidden folder beside their final place
(with the model card and its pictures, drawn from the staged files themselves) and, under an
exclusive lock on the catalog, renamed into place, the catalog rewritten (each
file atomically) and, with ``commit``, committed: two publishes at once both land, one after
the other, and index.json is never half written.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..errors import UsageError, UserError
from ..files import exclusive_lock
from ..findings import Report
from . import git
from .catalog import INDEX, read_index, rendered, with_entry, write_catalog
from .ci import init_ci
from .layout import MANIFEST, MODEL, PublishedFile, describe, stage_model
from .model_card import (
    CARD,
    CardFacts,
    draw_pictures,
    model_labels,
    read_training,
    render_card,
)

MODELS_DIR = Path("models", "dcgan")
NAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
"""Lowercase only: URLs are case-sensitive but macOS and Windows file systems are not."""
LOCK = ".publish.lock"
STAGING_PREFIX = ".staging-"
GITIGNORE = ".gitignore"
GITIGNORE_TEXT = (f"# ml5-dcgan publish: its lock file and unfinished copies\n"
                  f"{LOCK}\n{STAGING_PREFIX}*/\n")
SPDX_ID = re.compile(r"(?:LicenseRef-)?[A-Za-z0-9][A-Za-z0-9.+-]{0,63}")
"""An SPDX short identifier (MIT, CC-BY-4.0, Apache-2.0, LicenseRef-...): one token, no
spaces; checked for form only, since new identifiers are added to SPDX's list every year."""


@dataclass(frozen=True)
class ModelFacts:
    """The optional facts a publisher adds; each also goes into the published manifest."""

    license: str | None = None  # SPDX id, e.g. "CC-BY-4.0"
    author: str | None = None
    source_url: str | None = None
    training_data: str | None = None  # free text: what the model was trained on

    def manifest_fields(self) -> dict[str, str]:
        fields = {"license": self.license, "author": self.author, "source": self.source_url,
                  "trainingData": self.training_data}
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True)
class Publication:
    """A published model: where it is, its catalog entry, the validation, the commit."""

    name: str
    folder: Path
    entry: dict[str, Any]
    validation: Report
    replaced: bool
    commit: str | None
    ci_files: list[str]  # written into the repository by this (first) publish


def hosted_url(base_url: str, name: str, file: str) -> str:
    """The absolute URL ``file`` of model ``name`` will have once the repository is hosted at
    ``base_url`` (its root, e.g. https://raw.githubusercontent.com/USER/REPO/main)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"--base-url {base_url!r} is not an http(s) URL of the repository root",
                         fix="e.g. --base-url https://raw.githubusercontent.com/USER/REPO/main")
    return "/".join([base_url.rstrip("/"), *MODELS_DIR.parts, name, file])


def publish_bundle(bundle_dir: str | Path, repo: str | Path, name: str, *,
                   base_url: str | None = None, force: bool = False, commit: bool = False,
                   facts: ModelFacts | None = None,
                   progress: Callable[[str], None] | None = None) -> Publication:
    """Validate the bundle, then publish it as ``REPO/models/dcgan/NAME/`` with its model card,
    sample pictures and reference outputs; the first publish also writes the repository's CI
    (see :mod:`.ci`).

    Raises :class:`UserError` (the repository untouched) when the bundle fails validation, the
    name is taken and ``force`` is false, no licence is known (``facts.license``, the bundle's
    manifest or the model being replaced), or an argument is wrong. ``progress`` receives a
    line before each slow step.
    """
    facts = facts or ModelFacts()
    bundle, repo = Path(bundle_dir), Path(repo)
    if not bundle.is_dir():
        raise UsageError("the bundle folder does not exist", where=str(bundle),
                         fix="give the folder written by `ml5-dcgan export`")
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"--name {name!r} is not a valid model name",
                         fix="use 1-64 lowercase letters, digits, '.', '_' or '-', starting and "
                             "ending with a letter or digit")
    if not repo.is_dir():
        raise UsageError("the repository folder does not exist", where=str(repo),
                         fix="create it (git init), or give the right --repo")
    url = hosted_url(base_url, name, MODEL) if base_url else None
    if commit:
        git.require_work_tree(repo)
    models = repo / MODELS_DIR
    if (models / name).exists() and not force:
        raise _name_taken(models / name)
    facts = _with_license(facts, bundle, models / name)
    read_index(models)  # a damaged catalog is refused now, before anything is written
    if progress:
        progress(f"validating {bundle} ...")
    validation = _validate(bundle)

    models.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{name}-", dir=models))
    staging.chmod(0o755)  # mkdtemp makes it private; a published model is meant to be served
    try:
        staged = stage_model(bundle, staging, url, facts.manifest_fields())
        if progress:
            progress("drawing the model card's pictures ...")
        files = [*staged.files, *(describe(staging, picture)
                                  for picture in draw_pictures(staging))]
        _write_card(staging, name, staged.manifest, staged.parameters, files, base_url)
        files.append(describe(staging, CARD))
        with exclusive_lock(models / LOCK):
            index = read_index(models)  # as the publish before ours left it
            replaced = _move_into_place(staging, models / name, force)
            entry = _entry(name, staged.manifest, staged.parameters, files, base_url)
            write_catalog(models, with_entry(index, entry))
            if not (models / GITIGNORE).exists():
                (models / GITIGNORE).write_text(GITIGNORE_TEXT, encoding="utf-8")
            ci_files = [] if index["models"] else init_ci(repo).written  # first model
            commit_id = None
            if commit:
                paths = [*((MODELS_DIR / path).as_posix()
                           for path in (name, INDEX, *rendered(index), GITIGNORE)), *ci_files]
                commit_id = git.commit(repo, paths, f"Publish DCGAN model {name}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Publication(name=name, folder=models / name, entry=entry, validation=validation,
                       replaced=replaced, commit=commit_id, ci_files=ci_files)


def _with_license(facts: ModelFacts, bundle: Path, published: Path) -> ModelFacts:
    """``facts`` with the licence known for this model, or a UsageError when none is: a hosted
    model without a licence cannot legally be reused."""
    if facts.license is not None:
        if not SPDX_ID.fullmatch(facts.license):
            raise UsageError(f"--license {facts.license!r} is not an SPDX identifier",
                             fix="e.g. --license CC-BY-4.0, MIT, Apache-2.0 or LicenseRef-NAME "
                                 "(https://spdx.org/licenses/)")
        return facts
    for manifest in (bundle / MANIFEST, published / MANIFEST):
        try:
            known = json.loads(manifest.read_text(encoding="utf-8")).get("license")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(known, str) and known.strip():
            return facts
    raise UsageError("the model has no licence", where=str(bundle / MANIFEST),
                     fix="add --license SPDX-ID (e.g. --license CC-BY-4.0), the licence under "
                         "which others may use the weights")


def _write_card(folder: Path, name: str, manifest: dict[str, Any], parameters: int,
                files: list[PublishedFile], base_url: str | None) -> None:
    url = hosted_url(base_url, name, MANIFEST) if base_url else MANIFEST
    card = render_card(CardFacts(name=name, manifest=manifest, manifest_url=url,
                                 parameters=parameters, files=files,
                                 training=read_training(folder)))
    (folder / CARD).write_text(card, encoding="utf-8")


def _name_taken(folder: Path) -> UsageError:
    return UsageError(f"a model named {folder.name!r} is already published", where=str(folder),
                      fix="choose another --name, or add --force to replace it")


def _validate(bundle: Path) -> Report:
    from ..validation import validate_bundle

    report = validate_bundle(bundle)
    failures = [finding for finding in report.findings if finding.severity == "fail"]
    if report.status() == "fail":
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise UserError(f"the bundle fails validation: {failures[0].message}{more}",
                        where=str(bundle),
                        fix=f"run `ml5-dcgan validate {bundle}` for every finding and its fix")
    return report


def _move_into_place(staging: Path, target: Path, force: bool) -> bool:
    """Rename the staged folder to ``target``; True when it replaced an earlier one."""
    if not target.exists():
        staging.rename(target)
        return False
    if not force:  # published by someone else since we looked
        raise _name_taken(target)
    retired = staging.with_name(staging.name + "-old")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired)
    return True


def _entry(name: str, manifest: dict[str, Any], parameters: int, files: list[PublishedFile],
           base_url: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "description": manifest.get("description"),
        "manifest": f"{name}/{MANIFEST}",
        "manifestUrl": hosted_url(base_url, name, MANIFEST) if base_url else None,
        "modelSize": manifest.get("modelSize"),
        "modelLatentDim": manifest.get("modelLatentDim"),
        "license": manifest.get("license"),
        **({"modelLabels": model_labels(manifest)} if model_labels(manifest) else {}),
        "author": manifest.get("author"),
        "parameters": parameters,
        "bytes": sum(file.bytes for file in files),
        "files": [asdict(file) for file in files],
        "published": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": f"ml5-dcgan-tools {__version__}",
    }
