"""Pictures from a finished generator: a grid of samples, or a GIF that walks its latent space."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError
from ..reference import reference_labels
from .pictures import (
    class_rows,
    fixed_latents,
    image_grid,
    latent_walk,
    save_gif,
    save_png,
    to_uint8,
)
from .source import load_generator, source_labels

if TYPE_CHECKING:
    import keras

WALK_KEYS = 4  # points each walk loops through


def generated_images(generator: keras.Model, latents: np.ndarray) -> np.ndarray:
    """uint8 RGB images (N, H, W, 3), channels last, whatever layout the generator outputs."""
    images = np.asarray(generator.predict(latents, batch_size=64, verbose=0))
    if images.shape[1] in (3, 4) and images.shape[-1] not in (3, 4):  # ml5-ready, channels first
        images = images.transpose(0, 2, 3, 1)
    if images.shape[-1] == 1:  # a gray generator (e.g. a PyTorch nc=1 one): gray RGB
        images = np.repeat(images, 3, axis=-1)
    return to_uint8(images[..., :3])


def class_onehots(names: list[str], label: str | None, count: int,
                  where: str) -> np.ndarray | None:
    """One-hot labels for `count` images: all of class `label`, or cycling through the classes
    when it is None; None for an unlabelled generator (`names` empty). A label the generator
    does not know, or any label for an unlabelled one, is one line."""
    if not names:
        if label is not None:
            raise UsageError("--label needs a labelled generator; this one takes a latent only",
                             where=where, fix="drop --label, or use a run trained with --labels")
        return None
    if label is not None and label not in names:
        raise UsageError(f"unknown label {label!r}", where=where,
                         fix=f"use one of the generator's labels: {', '.join(names)}")
    if label is None:
        return reference_labels(count, len(names))
    return np.eye(len(names), dtype=np.float32)[np.full(count, names.index(label))]


def _latent_dim(generator: keras.Model) -> int:
    return int(generator.inputs[0].shape[-1])


def sample_grid(source: str | Path, out: str | Path, count: int = 16, seed: int = 0,
                label: str | None = None) -> Path:
    """A PNG grid of `count` samples from standard-normal latents drawn with `seed`: of class
    `label` for a labelled generator, or one row per class (the same latent down a column)."""
    out = Path(out)
    generator = load_generator(source)
    names = source_labels(source, generator)
    onehots = class_onehots(names, label, count, str(source))
    if onehots is None or label is not None:
        latents = fixed_latents(count, _latent_dim(generator), seed)
        inputs, columns = (latents if onehots is None else [latents, onehots]), None
    else:
        columns = -(-count // len(names))
        inputs = class_rows(fixed_latents(columns, _latent_dim(generator), seed), len(names))
    save_png(image_grid(generated_images(generator, inputs), columns), out)
    return out


def walk_gif(source: str | Path, out: str | Path, count: int = 16, seed: int = 0,
             frames_between: int = 12, label: str | None = None) -> Path:
    """A looping GIF of `count` images, each gliding through its own latent loop: all of class
    `label` for a labelled generator, or cycling through its classes."""
    out = Path(out)
    generator = load_generator(source)
    onehots = class_onehots(source_labels(source, generator), label, count, str(source))
    latent_dim = _latent_dim(generator)
    walks = np.stack([latent_walk(WALK_KEYS, latent_dim, seed + i, frames_between)
                      for i in range(count)], axis=1)  # (frames, count, latent_dim)
    latents = walks.reshape(-1, latent_dim)
    images = generated_images(generator, latents if onehots is None else
                              [latents, np.tile(onehots, (len(walks), 1))])
    frames = images.reshape(len(walks), count, *images.shape[1:])
    save_gif([image_grid(frame) for frame in frames], out, frame_ms=80)
    return out
