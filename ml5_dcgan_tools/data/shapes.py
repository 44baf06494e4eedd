"""The built-in dataset: a coloured circle, square or triangle on a shaded background.

Generated, not downloaded, and the same for the same seed. Colours come from two small palettes
and every image holds one big upright shape near the middle, so a DCGAN learns to draw it in a
few CPU minutes; shape, size, place and the colour pair still vary enough to show that it did.
(Shapes turned any which way, version 2, were still round blobs after five minutes.)
"""

from __future__ import annotations

import numpy as np

_CHUNK = 512  # images rendered at once: bounds memory at size 256
_BACKGROUNDS = np.array([(30, 36, 60), (44, 80, 60), (90, 40, 50), (230, 225, 210),
                         (180, 210, 230), (240, 200, 150), (70, 70, 70), (200, 230, 190)],
                        np.float32)
_COLOURS = np.array([(230, 60, 50), (250, 190, 40), (60, 160, 230), (90, 200, 90),
                     (170, 80, 200), (250, 250, 250), (20, 20, 20), (250, 120, 170)], np.float32)


SHAPES_VERSION = 3  # part of the image cache's key: bump it whenever the images change
SHAPES = ("circle", "square", "triangle")
COLOURS = len(_COLOURS)
# A shape is never drawn in a colour close to its background (white on cream, black on navy):
# such an image is a blank to a learner and a guess to a judge.
_MIN_CONTRAST = 100.0  # Euclidean distance in 0-255 RGB
_ALLOWED = np.linalg.norm(_BACKGROUNDS[:, None] - _COLOURS[None], axis=-1) >= _MIN_CONTRAST


def generate_shapes(count: int, size: int, seed: int = 0) -> np.ndarray:
    """`count` RGB images (uint8, count x size x size x 3), one shape each."""
    return labelled_shapes(count, size, seed)[0]


def labelled_shapes(count: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The same images as `generate_shapes`, and for each its (shape, shape colour) indices into
    SHAPES and the colour palette: what a judge of generated shapes is trained on."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, size, size, 3), np.uint8)
    labels = np.empty((count, 2), np.int64)
    for start in range(0, count, _CHUNK):
        n = min(_CHUNK, count - start)
        out[start:start + n], labels[start:start + n] = _render(rng, n, size)
    return out, labels


def _render(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    x, y = coords[None, None, :], coords[None, :, None]
    # Background: a palette colour, a little jittered, lighter at the top.
    background = rng.integers(0, len(_BACKGROUNDS), n)
    base = _BACKGROUNDS[background] + rng.normal(0, 8, (n, 3))
    image = base[:, None, None, :] * (1.15 - 0.3 * (y[..., None] + 0.5)) + np.zeros((1, 1, size, 1))
    # One big shape in a palette colour: circle, square or point-up triangle, near the middle.
    kind = rng.integers(0, 3, n)[:, None, None]
    centre = rng.uniform(-0.04, 0.04, (2, n, 1, 1))
    radius = rng.uniform(0.30, 0.36, (n, 1, 1))
    allowed = _ALLOWED[background]  # a uniform pick among the colours that stand out
    pick = (rng.random(n) * allowed.sum(1)).astype(np.int64)
    colour_index = (np.cumsum(allowed, axis=1) <= pick[:, None]).sum(1)
    colour = _COLOURS[colour_index][:, None, None, :]
    u, v = x - centre[0], y - centre[1]
    inside = np.select(  # signed distance to the edge, positive inside
        [kind == 0, kind == 1],
        [radius - np.hypot(u, v), 0.8 * radius - np.maximum(abs(u), abs(v))],
        _triangle(u, v, 1.2 * radius))
    coverage = np.clip(inside * size + 0.5, 0, 1)[..., None]  # anti-aliased edges
    image += coverage * (colour - image)
    labels = np.stack([kind[:, 0, 0], colour_index], axis=1)
    return np.clip(image, 0, 255).round().astype(np.uint8), labels


def _triangle(u: np.ndarray, v: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Signed distance-like inside measure of an equilateral triangle of circumradius `radius`."""
    edges = [np.cos(a) * u + np.sin(a) * v for a in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3,
                                                     np.pi / 2 + 4 * np.pi / 3)]
    return radius / 2 - np.maximum.reduce(edges)
