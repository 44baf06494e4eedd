"""A folder of image files (searched recursively) -> an array of training images + what was skipped.

Hidden files and folders (".DS_Store", ".git") are ignored; every other file is either used or
counted as skipped, with its reason.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
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
    """Decode every file into memory (when the image store is off); return the images and
    (relative path, reason) for each skipped file."""
    images, skipped = [], []
    for result in decoded_files(folder, list_files(folder), size, background):
        (skipped if isinstance(result, tuple) else images).append(result)
    array = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    return array, skipped


def decoded_files(folder: Path, files: list[Path], size: int,
                  background: Rgb) -> Iterator[np.ndarray | tuple[str, str]]:
    """Each file's image, or (relative path, reason) when it is skipped, in order.

    Pillow releases the GIL while it decodes, so threads use the cores; at most 8 at once, since
    each may hold a decompressed image of up to ~90 megapixels. Only a few files per thread are
    ahead of the consumer, so memory stays flat however many files there are.
    """
    def decode(path: Path) -> np.ndarray | tuple[str, str]:
        try:
            return decode_image(path, size, background)
        except Unusable as unusable:
            return path.relative_to(folder).as_posix(), unusable.reason

    workers = min(8, os.cpu_count() or 1)
    remaining = iter(files)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        window = deque(pool.submit(decode, path) for path in islice(remaining, workers * 4))
        try:
            while window:
                result = window.popleft().result()
                for path in islice(remaining, 1):
                    window.append(pool.submit(decode, path))
                yield result
        finally:  # stopped early (Ctrl-C): do not decode what nobody will read
            for future in window:
                future.cancel()
