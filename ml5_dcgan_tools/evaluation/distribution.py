"""Distances between two sets of features as wholes: Fréchet distance and kernel inception
distance (KID), computed in NumPy on any embedding."""

from __future__ import annotations

import numpy as np

KID_SUBSETS = 20


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """||mu_r - mu_f||^2 + Tr(C_r + C_f - 2 (C_r C_f)^(1/2)) between Gaussians fitted to each set.

    Biased upwards for small sets (it grows as 1/N), so two figures compare only at equal N.
    """
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    # Tr((C_r C_f)^(1/2)) = sum of sqrt(eigenvalues of S C_f S), S = C_r^(1/2): symmetric, so eigh.
    values, vectors = np.linalg.eigh(cov_r)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov_f @ root), 0, None)).sum()
    value = float(((mu_r - mu_f) ** 2).sum() + np.trace(cov_r) + np.trace(cov_f) - 2 * cross)
    return max(value, 0.0)


def kernel_distance(real: np.ndarray, fake: np.ndarray, seed: int = 0,
                    subsets: int = KID_SUBSETS) -> tuple[float, float]:
    """KID: mean and standard deviation of the unbiased squared MMD (cubic polynomial kernel
    (x.y / d + 1)^3, Binkowski et al. 2018) over random half-size subsets of both sets.

    Unbiased, so comparable across sample counts, and near 0 (possibly below) for two samples of
    one distribution; the spread says how much of a difference is noise.
    """
    d = real.shape[1]
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((real, real), (fake, fake),
                                                         (real, fake)))
    size = max(2, min(len(real), len(fake)) // 2)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        r = rng.choice(len(real), size, replace=False)
        f = rng.choice(len(fake), size, replace=False)
        within = [k[np.ix_(i, i)] for k, i in ((kxx, r), (kyy, f))]
        values.append(sum((k.sum() - np.trace(k)) / (size * (size - 1)) for k in within)
                      - 2 * kxy[np.ix_(r, f)].mean())
    return float(np.mean(values)), float(np.std(values))
