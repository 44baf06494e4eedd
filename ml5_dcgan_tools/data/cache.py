"""Decoded images kept on disk (uint8 .npy), keyed by a hash of everything that shaped them.

A second run on the same files (same paths, sizes and mtimes, same options) loads the array in a
fraction of a second instead of decoding again. The cache is only an optimisation: an unreadable
or unwritable cache is ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import cache_root, write_atomically

VERSION = 2  # bump when decoding or the built-in set changes, so old entries stop matching


def default_cache_dir() -> Path:
    """images/ in the project's cache root (shared with the TF.js runtimes)."""
    return cache_root() / "images"


def cache_key(fingerprint: object) -> str:
    text = json.dumps([VERSION, fingerprint], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ImageCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> tuple[np.ndarray, dict] | None:
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text())
            images = np.load(self.folder / f"{key}.npy", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return images, meta

    def put(self, key: str, images: np.ndarray, meta: dict) -> None:
        """Write the array, then its metadata: an entry without metadata is never read."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder / f"{key}.npy", lambda f: np.save(f, images))
            write_atomically(self.folder / f"{key}.json", json.dumps(meta))
        except (OSError, UserError):
            pass
