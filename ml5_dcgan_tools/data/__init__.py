"""Training images from a folder, an MNIST-format IDX file or the built-in `shapes` set.

Everything ends as one uint8 array (N, size, size, 3) plus a one-line summary of what was used
and what was skipped; with `labels=True`, also each image's class (labels.py). The array is a
read-only memory map of the image store (store.py), decoded once per (data, size, background)
and kept in the cache, so training holds only its batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from .cache import cache_key, default_cache_dir
from .decode import IMAGE_SUFFIXES, Rgb
from .folder import decoded_files, list_files, load_folder
from .idx import idx_images, is_idx_file
from .labels import class_folders, folder_labels, idx_labels, require_classes, shapes_labels
from .shapes import SHAPES, SHAPES_VERSION, generate_shapes
from .store import ImageStore, Producer

__all__ = ["BUILTIN_SHAPES", "MIN_IMAGES", "ImageSet", "load_images"]

MIN_IMAGES = 16
BUILTIN_SHAPES = "shapes"
SHAPES_COUNT = 8192
SHAPES_SEED = 0


@dataclass
class ImageSet:
    images: np.ndarray  # uint8, (N, size, size, 3); a read-only np.memmap when from the store
    source: str
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)
    from_cache: bool = False
    labels: np.ndarray | None = None  # int32 class index per image, for a labelled set
    class_names: list[str] = field(default_factory=list)

    def skip_counts(self) -> dict[str, int]:
        return dict(Counter(reason for _, reason in self.skipped).most_common())

    def summary(self) -> str:
        n, size = len(self.images), self.images.shape[1]
        text = f"data: {n} images {size}x{size} from {self.source}"
        text += " (cached)" if self.from_cache else ""
        if self.skipped:
            counts = ", ".join(f"{count} {reason}" for reason, count in self.skip_counts().items())
            text += f"; skipped {len(self.skipped)}: {counts}"
        if self.class_names:
            text += f"; {len(self.class_names)} classes: {', '.join(self.class_names)}"
        return text


def load_images(data: str, size: int, *, background: Rgb = (255, 255, 255),
                cache_dir: Path | None = None, use_cache: bool = True,
                progress: bool = False, labels: bool = False,
                idx_labels_file: str | None = None) -> ImageSet:
    """Resolve DATA (a folder, an IDX file, `shapes` or `shapes:COUNT`) and load it: from the
    image store, decoding into it first when needed (with a bar on a terminal if `progress`).
    Without the cache, or when it cannot be written, the images are decoded into memory.
    `labels`: each image's class too (a folder's subfolders, the shapes, `idx_labels_file`)."""
    kind, target, fingerprint = _resolve(data)
    class_names = _check_labelled(kind, target, data, idx_labels_file) if labels else []
    key = cache_key([kind, fingerprint, size, list(background)])
    slot = cache_key([kind, fingerprint[0], size, list(background)])  # without the stamps
    store = ImageStore(cache_dir or default_cache_dir()) if use_cache else None
    result = None
    if store:
        hit = store.open(key)
        if hit is None:
            inputs, produce = _producer(kind, target, size, background)
            try:
                with _decode_bar(progress, data) as bar:
                    result = _from_store(store.build(key, inputs, size, produce,
                                                     {"source": _source(kind, target),
                                                      "slot": slot}, bar))
                result.from_cache = False
            except (OSError, UserError):
                result = None  # the cache is only an optimisation
        else:
            result = _from_store(hit)
    if result is None:
        result = _load(kind, target, size, background)
    _require_enough(result, data)
    if labels:
        _add_labels(result, kind, target, class_names, idx_labels_file, store, key)
        require_classes(result.labels, result.class_names, data)
    return result


def _check_labelled(kind: str, target: Path | int, data: str,
                    idx_labels_file: str | None) -> list[str]:
    """Refuse, before any decoding, a DATA whose classes cannot be known; a folder's names."""
    if kind == "idx" and idx_labels_file is None:
        raise UserError("--labels on an IDX images file needs its labels file", where=data,
                        fix="set idx_labels = \"train-labels-idx1-ubyte.gz\" in the --config "
                            "file")
    if kind != "idx" and idx_labels_file is not None:
        raise UserError("idx_labels goes only with an IDX images file as DATA", where=data,
                        fix="remove idx_labels from the settings")
    return class_folders(target) if kind == "folder" else []


def _add_labels(result: ImageSet, kind: str, target: Path | int, class_names: list[str],
                idx_labels_file: str | None, store: ImageStore | None, key: str) -> None:
    """Fill in `result`'s labels: kept beside the pixels in the store, or worked out (and kept).
    An IDX labels file is read each time: it is small, and not part of the pixels' key."""
    count = len(result.images)
    if kind == "idx":
        result.labels, result.class_names = idx_labels(Path(idx_labels_file).expanduser(), count)
        return
    names = class_names or list(SHAPES)
    known = store.open_labels(key, count) if store else None
    if known is None:
        known = (folder_labels(target, list_files(target), result.skipped, names)
                 if kind == "folder" else shapes_labels(target, SHAPES_SEED)[0])
        if store:
            with suppress(OSError):  # the cache is only an optimisation
                store.save_labels(key, known)
    result.labels, result.class_names = known, names


def _from_store(hit: tuple[np.ndarray, dict]) -> ImageSet:
    images, meta = hit
    return ImageSet(images, meta["source"], [tuple(s) for s in meta["skipped"]], True)


def _producer(kind: str, target: Path | int, size: int, background: Rgb) -> tuple[int, Producer]:
    """(number of inputs, what yields them decoded from a given input on) for the store."""
    if kind == "folder":
        files = list_files(target)
        return len(files), lambda start: decoded_files(target, files[start:], size, background)
    # IDX files and the built-in set are made whole in seconds: no need to resume inside them.
    images = _load(kind, target, size, background).images
    return len(images), lambda start: iter(images[start:])


@contextmanager
def _decode_bar(show: bool, data: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar with rate and ETA on stderr, drawn only on a terminal."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, unit="img", desc=f"decoding {data}",
                       disable=None if show else True, mininterval=0.5, smoothing=0.05)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _resolve(data: str) -> tuple[str, Path | int, list]:
    """(kind, what to load: a path or a count, fingerprint of everything the images depend on)"""
    path = Path(data).expanduser()
    if path.is_dir():
        files = list_files(path)
        stamps = [(p.relative_to(path).as_posix(), s.st_size, s.st_mtime_ns)
                  for p in files for s in [p.stat()]]
        return "folder", path, [str(path.resolve()), stamps]
    if path.is_file():
        if not is_idx_file(path):
            raise UserError("DATA is a file but not an MNIST-format IDX file", where=data,
                            fix="pass a folder of images, an IDX images file or 'shapes'")
        stat = path.stat()
        return "idx", path, [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    name, _, count = data.partition(":")
    if name == BUILTIN_SHAPES and (not count or count.isdigit()):
        n = int(count) if count else SHAPES_COUNT
        return "shapes", n, [n, SHAPES_SEED, SHAPES_VERSION]
    raise UserError("DATA not found: no such folder or file, and not a built-in dataset",
                    where=data, fix=f"pass a folder of images, an IDX file, '{BUILTIN_SHAPES}' "
                                    f"or '{BUILTIN_SHAPES}:COUNT'")


def _source(kind: str, target: Path | int) -> str:
    if kind == "shapes":
        return f"built-in '{BUILTIN_SHAPES}' ({target} generated images)"
    return str(target)


def _load(kind: str, target: Path | int, size: int, background: Rgb) -> ImageSet:
    """Decode into memory."""
    if kind == "folder":
        images, skipped = load_folder(target, size, background)
        return ImageSet(images, _source(kind, target), skipped)
    if kind == "idx":
        return ImageSet(idx_images(target, size), _source(kind, target))
    return ImageSet(generate_shapes(target, size, SHAPES_SEED), _source(kind, target))


def _require_enough(result: ImageSet, data: str) -> None:
    if len(result.images) >= MIN_IMAGES:
        return
    found = f"only {len(result.images)} usable images (need at least {MIN_IMAGES})"
    if result.skipped:
        counts = ", ".join(f"{c} {r}" for r, c in result.skip_counts().items())
        found += f"; skipped {counts}"
    fix = f"add more images ({', '.join(sorted(IMAGE_SUFFIXES))}), searched recursively"
    idx_files = [Path(data) / p for p, reason in result.skipped
                 if reason == "not an image" and is_idx_file(Path(data) / p)]
    if idx_files:
        fix = f"this folder holds IDX files: pass one as DATA, e.g. {idx_files[0]}"
    raise UserError(found, where=data, fix=fix)
