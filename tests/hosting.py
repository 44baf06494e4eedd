"""Tiny publishable bundles and a model hosting repository for the publish, audit and gallery
tests: a bundle_factory generator with a manifest and the reference outputs it really computes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
from bundle_factory import LabelledGenerator, TinyGenerator, write_bundle

from ml5_dcgan_tools.reference import (
    REFERENCE_COUNT,
    Reference,
    reference_latents,
    write_reference,
)

RUNTIME_ATOL = 1e-4


def tiny_bundle(folder: Path, *, seed: int = 0, description: str = "tiny test model",
                side: int = 4, latent_dim: int = 8,
                weights: dict[str, np.ndarray] | None = None, **manifest_fields: object) -> Path:
    """A valid ml5 bundle of a few hundred bytes: model.json, shard, manifest, reference.
    ``weights`` (TinyGenerator's dense kernel and bias) default to random ones."""
    tiny = TinyGenerator(latent_dim=latent_dim, side=side)
    weights = write_bundle(folder, tiny.topology(), weights or tiny.random_weights(seed))
    latents = reference_latents(3, latent_dim)
    write_reference(folder, Reference(latents, tiny.predict(latents, weights).astype("f4")),
                    RUNTIME_ATOL)
    manifest = {"description": description, "model": "model.json", "modelSize": side,
                "modelLatentDim": latent_dim, **manifest_fields}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


LABELLED = LabelledGenerator()


def labelled_bundle(folder: Path, generator: LabelledGenerator = LABELLED, *,
                    seed: int = 0) -> tuple[Path, dict[str, np.ndarray]]:
    """A labelled bundle in the shared format: the two-input model, ``modelLabels`` in the
    manifest, and a reference with one one-hot row per latent, every class at least once.
    Returns the folder and the weights as TF.js sees them."""
    weights = write_bundle(folder, generator.topology(), generator.random_weights(seed))
    count = max(REFERENCE_COUNT, len(generator.labels))
    latents = reference_latents(count, generator.latent_dim)
    rows = generator.reference_rows(count)
    outputs = generator.predict(latents, rows, weights).astype("f4")
    write_reference(folder, Reference(latents, outputs, labels=rows), RUNTIME_ATOL)
    manifest = {"description": "tiny labelled model", "model": "model.json",
                "modelSize": generator.side, "modelLatentDim": generator.latent_dim,
                "modelLabels": list(generator.labels)}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder, weights


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def git_repo(folder: Path) -> Path:
    """A new git repository with one commit, as a hosting repository starts."""
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Test")
    git(folder, "config", "user.email", "test@example.org")
    (folder / "README.md").write_text("# my models\n")
    git(folder, "add", "README.md")
    git(folder, "commit", "-q", "-m", "start")
    return folder
