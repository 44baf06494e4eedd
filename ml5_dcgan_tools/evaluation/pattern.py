"""A dot pattern stamped on every sample: the share of the samples' fine detail that is the same
pixel pattern in all of them (transposed-convolution checkerboards, a leaking augmentation)."""

from __future__ import annotations

import numpy as np

FLAG_SHARE = 0.05  # and at least 3x what the real images give: a visible shared pattern


def shared_pattern(images: np.ndarray) -> float:
    """||mean of the high-pass residuals||^2 / mean ||residual||^2 over uint8 images (N, H, W, 3).

    Content differs between images and averages out (about 1/N for independent images); a
    pattern at fixed pixels in every image survives the mean. 1 means the detail is all pattern.
    """
    x = images.astype(np.float32) / 255
    side = x.shape[1]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    blurred = sum(padded[:, i:i + side, j:j + side] for i in range(3) for j in range(3)) / 9
    residual = x - blurred
    energy = float((residual ** 2).sum(axis=(1, 2, 3)).mean())
    return float((residual.mean(0) ** 2).sum()) / max(energy, 1e-12)


def has_pattern(fake_share: float, real_share: float) -> bool:
    return fake_share > max(FLAG_SHARE, 3 * real_share)
