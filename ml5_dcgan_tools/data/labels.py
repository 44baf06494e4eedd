"""The class of every training image, for a conditional DCGAN: a folder's immediate subfolders,
the built-in set's shapes, or an IDX labels file. Each bad layout is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from .decode import IMAGE_SUFFIXES
from .idx import read_idx
from .shapes import SHAPES, labelled_shapes

MIN_PER_CLASS = 8


def class_folders(folder: Path) -> list[str]:
    """The class names of a labelled folder (its non-hidden subfolders, sorted), refusing a
    layout that has no clear class for every image."""
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p.name for p in folder.iterdir() if p.is_file()
                   and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)
    if loose:
        raise UserError(f"{len(loose)} images lie loose at the top level (e.g. {loose[0]}): "
                        "with --labels every image must be inside a class folder",
                        where=str(folder), fix="move them into a subfolder named after their "
                                               "class, or delete them")
    if len(names) < 2:
        raise UserError(f"--labels needs at least 2 classes; found {len(names)} class folder"
                        f"{'' if len(names) == 1 else 's'}", where=str(folder),
                        fix="put each class's images in its own subfolder: DATA/cats, DATA/dogs")
    empty = [name for name in names if not any(
        not f.name.startswith(".") for f in (folder / name).rglob("*") if f.is_file())]
    if empty:
        raise UserError(f"empty class folder{'s' if len(empty) > 1 else ''}: "
                        f"{', '.join(empty)}", where=str(folder),
                        fix="add images to it, or remove it")
    return names


def folder_labels(folder: Path, files: list[Path], skipped: list[tuple[str, str]],
                  class_names: list[str]) -> np.ndarray:
    """The class index of each used file (those not skipped), in the order they were decoded."""
    left_out = {path for path, _ in skipped}
    index = {name: i for i, name in enumerate(class_names)}
    return np.array([index[relative.parts[0]] for path in files
                     for relative in [path.relative_to(folder)]
                     if relative.as_posix() not in left_out], np.int32)


def shapes_labels(count: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Each built-in image's shape. The random draws do not depend on the image size, so tiny
    renders give the labels of the real ones."""
    return labelled_shapes(count, 1, seed)[1][:, 0].astype(np.int32), list(SHAPES)


def idx_labels(path: Path, count: int) -> tuple[np.ndarray, list[str]]:
    """An IDX labels file -> class indices and names (the digits present, in order)."""
    if not path.is_file():
        raise UserError("no such IDX labels file", where=str(path),
                        fix="set idx_labels to the labels file, e.g. train-labels-idx1-ubyte.gz")
    values = read_idx(path)
    if values.ndim != 1:
        raise UserError(f"an IDX labels file holds one number per image, not an array of shape "
                        f"{values.shape}", where=str(path),
                        fix="pass the labels file (e.g. train-labels-idx1-ubyte), not the images")
    if len(values) != count:
        raise UserError(f"{len(values)} labels for {count} images", where=str(path),
                        fix="pass the labels file that belongs to the images file")
    present, indices = np.unique(values, return_inverse=True)
    return indices.astype(np.int32), [str(v) for v in present.tolist()]


def require_classes(labels: np.ndarray, class_names: list[str], data: str) -> None:
    """Every class needs enough images to be learnt; name the first that has too few."""
    if len(class_names) < 2:
        raise UserError(f"--labels needs at least 2 classes; found {len(class_names)}",
                        where=data, fix="train without --labels, or add a second class")
    counts = np.bincount(labels, minlength=len(class_names))
    for name, count in zip(class_names, counts.tolist(), strict=True):
        if count < MIN_PER_CLASS:
            raise UserError(f"class '{name}' has {count} usable images (need at least "
                            f"{MIN_PER_CLASS})", where=data,
                            fix=f"add images to '{name}', or remove that class")
