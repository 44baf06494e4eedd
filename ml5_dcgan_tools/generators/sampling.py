"""Pictures from a finished generator: a grid of samples, or a GIF that walks its latent space."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .pictures import fixed_latents, image_grid, latent_walk, save_gif, save_png, to_uint8
from .source import load_generator

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


def sample_grid(source: str | Path, out: str | Path, count: int = 16, seed: int = 0) -> Path:
    """A PNG grid of `count` samples from standard-normal latents drawn with `seed`."""
    out = Path(out)
    generator = load_generator(source)
    latents = fixed_latents(count, generator.input_shape[-1], seed)
    save_png(image_grid(generated_images(generator, latents)), out)
    return out


def walk_gif(source: str | Path, out: str | Path, count: int = 16, seed: int = 0,
             frames_between: int = 12) -> Path:
    """A looping GIF of `count` images, each gliding through its own latent loop."""
    out = Path(out)
    generator = load_generator(source)
    latent_dim = generator.input_shape[-1]
    walks = np.stack([latent_walk(WALK_KEYS, latent_dim, seed + i, frames_between)
                      for i in range(count)], axis=1)  # (frames, count, latent_dim)
    images = generated_images(generator, walks.reshape(-1, latent_dim))
    frames = images.reshape(len(walks), count, *images.shape[1:])
    save_gif([image_grid(frame) for frame in frames], out, frame_ms=80)
    return out
