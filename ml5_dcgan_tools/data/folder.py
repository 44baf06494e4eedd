"""A folder of image files (searched recursively) -> an array of training images + what was skipped.

Hidden files and folders (".DS_Store", ".git") are ignored; every other file is either used or
counted as skipped, with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .decode import Rgb, Unusable, decode_image


def list_files(folder: Path) -> list[Path]:
    """All non-hidden files under `folder`, in a stable order."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(files) if not name.startswith("."))
    return found


def load_folder(folder: Path, size: int,
                background: Rgb) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Decode every file; return the images and (relative path, reason) for each skipped file."""
    files = list_files(folder)
    images, skipped = [], []
    for path, result in zip(files, _decode_all(files, size, background), strict=True):
        if isinstance(result, Unusable):
            skipped.append((path.relative_to(folder).as_posix(), result.reason))
        else:
            images.append(result)
    array = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    return array, skipped


def _decode_all(files: list[Path], size: int, background: Rgb) -> Iterator[np.ndarray | Unusable]:
    def decode(path: Path) -> np.ndarray | Unusable:
        try:
            return decode_image(path, size, background)
        except Unusable as unusable:
            return unusable

    # Pillow releases the GIL while it decodes, so threads use the cores; at most 8 at once,
    # since each may hold a decompressed image of up to ~90 megapixels.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        yield from pool.map(decode, files)
