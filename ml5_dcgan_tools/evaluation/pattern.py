"""A dot pattern stamped on every sample: fine detail that repeats on the pixel grid and is the same
in all samples (transposed-convolution checkerboards, a leaking augmentation).

Both conditions matter. Detail that is merely the same in every sample is also what aligned,
similar images give (a generator that draws mostly "1"s, or real "1"s alone, share their strokes);
counting that as a pattern flagged good MNIST generators. A grid pattern repeats with a period
that divides the image size, so folding the shared detail onto one tile keeps it whole while
content, which does not repeat, shrinks to about 1 / TILES of its energy.
"""

from __future__ import annotations

import numpy as np

TILES = 64  # the image is folded as an 8 x 8 grid of tiles: periods up to size / 8
# Flagged from this share, and at least 3x what the real images give: a faint period-2 grid on
# real images scores about 0.1, real images alone about 0.002.
FLAG_SHARE = 0.05


def box_blur(images: np.ndarray) -> np.ndarray:
    """A 3x3 box filter over float images (N, H, W, C), edges repeated."""
    height, width = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    return sum(padded[:, i:i + height, j:j + width] for i in range(3) for j in range(3)) / 9


def shared_pattern(images: np.ndarray) -> float:
    """The share of the samples' fine detail (3x3 high-pass) that is one grid-periodic pattern
    common to all of them, for uint8 images (N, H, W, 3); H and W divisible by 8.

    1 means the detail is all pattern; independent or non-repeating detail gives about 1 / TILES
    of its shared part.
    """
    x = images.astype(np.float32) / 255
    height, width = x.shape[1:3]
    residual = x - box_blur(x)
    energy = float((residual ** 2).sum(axis=(1, 2, 3)).mean())
    side = int(TILES ** 0.5)
    tile = residual.mean(0).reshape(side, height // side, side, width // side, -1).mean(axis=(0, 2))
    tile -= tile.mean(axis=(0, 1))  # a flat colour shift is not a pattern
    return float((tile ** 2).sum()) * TILES / max(energy, 1e-12)


def has_pattern(fake_share: float, real_share: float) -> bool:
    return fake_share > max(FLAG_SHARE, 3 * real_share)
