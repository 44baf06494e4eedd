"""Where decoded images are kept, and the key that says which decode an entry holds.

The key hashes everything that shaped the pixels (the files' paths, sizes and mtimes, or the IDX
file, or the built-in set's count and seed; the size and background), so a changed file, option
or decoder gives a new key and the old entry simply stops matching.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..files import cache_root

VERSION = 3  # bump when decoding, the built-in set or the store's layout changes


def default_cache_dir() -> Path:
    """images/ in the project's cache root (shared with the TF.js runtimes)."""
    return cache_root() / "images"


def cache_key(fingerprint: object) -> str:
    text = json.dumps([VERSION, fingerprint], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]
