"""ml5-dcgan.js, the browser loader that every bundle carries (ml5 1.x has no DCGAN of its own).

Export writes it next to manifest.json, the sketch page adds it to a bundle that lacks it, and
the bundle scan accepts it only when it is byte for byte the one shipped here: any other
``ml5-dcgan.js`` is an unknown script, flagged like any other.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..files import write_atomically

LOADER = "ml5-dcgan.js"
LOADER_PATH = Path(__file__).resolve().parent / LOADER


@cache
def loader_bytes() -> bytes:
    """The shipped ml5-dcgan.js."""
    return LOADER_PATH.read_bytes()


def copy_loader(folder: str | Path) -> Path:
    """Write the shipped ml5-dcgan.js into ``folder``; returns its path."""
    path = Path(folder) / LOADER
    write_atomically(path, loader_bytes())
    return path


def is_shipped_loader(path: str | Path) -> bool:
    """True when ``path`` is a plain file named ml5-dcgan.js with exactly the shipped content."""
    path = Path(path)
    if path.name != LOADER or path.is_symlink() or not path.is_file():
        return False
    expected = loader_bytes()
    return path.stat().st_size == len(expected) and path.read_bytes() == expected
