"""Pictures of what a generator makes: a grid of samples, the progress GIF, a latent walk."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from ..files import write_atomically

GIF_WIDTH = 512  # progress GIF frames are scaled down to at most this
# progress.gif is rewritten after every epoch from the epoch grids: at most this many of them,
# spread evenly (the first and the last always in), so a 500-epoch run neither rereads 500 PNGs
# each epoch in the background nor makes a GIF that takes minutes to watch.
GIF_MOST_FRAMES = 50


def fixed_latents(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """Standard-normal latents (what ml5 samples), the same for every epoch of a run."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


def class_rows(latents: np.ndarray, num_classes: int) -> list[np.ndarray]:
    """A labelled generator's inputs for a grid with one row per class and the same latents in
    every row (a column: one latent drawn as each class): [latents, one-hot labels]."""
    onehots = np.repeat(np.eye(num_classes, dtype=np.float32), len(latents), axis=0)
    return [np.tile(latents, (num_classes, 1)), onehots]


def fixed_onehots(count: int, num_classes: int, seed: int) -> np.ndarray:
    """One-hot labels of classes drawn uniformly, the same for every call with `seed`."""
    drawn = np.random.default_rng(seed).integers(0, num_classes, count)
    return np.eye(num_classes, dtype=np.float32)[drawn]


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 pixels."""
    return np.clip((np.asarray(images, np.float32) + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, columns: int | None = None) -> Image.Image:
    """uint8 images (N, H, W, 3) -> one picture, as square as N allows (or `columns` wide),
    2-pixel gaps."""
    count, height, width, _ = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    gap = 2
    canvas = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, np.uint8)
    for i, image in enumerate(images):
        top, left = (i // columns) * (height + gap), (i % columns) * (width + gap)
        canvas[top:top + height, left:left + width] = image
    return Image.fromarray(canvas)


def save_png(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda file: image.save(file, "PNG"))


def save_gif(frames: list[Image.Image], path: Path, frame_ms: int = 300) -> None:
    """An endlessly looping GIF; frames wider than GIF_WIDTH are scaled down."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scaled = [_gif_sized(frame) for frame in frames]
    write_atomically(path, lambda file: scaled[0].save(
        file, "GIF", save_all=True, append_images=scaled[1:], duration=frame_ms, loop=0))


def _gif_sized(frame: Image.Image) -> Image.Image:
    if frame.width <= GIF_WIDTH:
        return frame
    return frame.resize((GIF_WIDTH, round(frame.height * GIF_WIDTH / frame.width)),
                        Image.Resampling.LANCZOS)


class ProgressGif:
    """progress.gif, rewritten after every epoch from the epoch grids on disk. Each grid is
    scaled and given its palette once, when it first appears: choosing a palette costs a quarter
    of a CPU second per frame, which for 50 frames after every epoch took a third of a 2-core
    machine from training."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._frames: dict[Path, Image.Image] = {}  # epoch grid -> its GIF frame

    def update(self, sample_pngs: list[Path]) -> None:
        if len(sample_pngs) > GIF_MOST_FRAMES:
            picks = np.linspace(0, len(sample_pngs) - 1, GIF_MOST_FRAMES).round().astype(int)
            sample_pngs = [sample_pngs[i] for i in picks]
        if not sample_pngs:
            return
        frames = {}
        for png in sample_pngs:
            if png not in self._frames:
                with Image.open(png) as image:
                    self._frames[png] = _gif_sized(image.convert("RGB")).quantize()
            frames[png] = self._frames[png]
        self._frames = frames  # forget the grids that are no longer shown
        save_gif(list(frames.values()), self.path, frame_ms=400)


def latent_walk(count: int, latent_dim: int, seed: int, frames_between: int = 12) -> np.ndarray:
    """Latents along a closed loop through `count` random points, spherically interpolated so
    every frame stays at the norm the generator was trained on."""
    keys = fixed_latents(count, latent_dim, seed)
    path = []
    for start, end in zip(keys, np.roll(keys, -1, axis=0), strict=True):
        omega = np.arccos(np.clip(np.dot(start / np.linalg.norm(start), end / np.linalg.norm(end)),
                                  -1, 1))
        for t in np.arange(frames_between) / frames_between:
            if omega < 1e-6:
                path.append(start)
            else:
                path.append((np.sin((1 - t) * omega) * start + np.sin(t * omega) * end)
                            / np.sin(omega))
    return np.stack(path).astype(np.float32)
