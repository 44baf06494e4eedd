"""Fidelity and diversity from nearest neighbours in feature space: precision, recall, density
and coverage (Naeem et al., 2020), and a diversity figure that flags mode collapse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K = 5  # neighbours that define each real image's ball, as in Naeem et al.
COLLAPSE_DIVERSITY = 0.5  # fakes spread less than half as much as real images do
COLLAPSE_DUPLICATES = 0.5  # or half of them have a near-twin among the other fakes


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(a), len(b)), computed blockwise-free through one matrix product."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0, None))


def nearest_other(distances: np.ndarray, k: int = 1) -> np.ndarray:
    """Distance of each row's k-th nearest column, ignoring the row itself (a square matrix of a
    set with itself)."""
    masked = distances + np.diag(np.full(len(distances), np.inf))
    return np.partition(masked, k - 1, axis=1)[:, k - 1]


@dataclass
class Manifold:
    precision: float  # share of fakes inside some real image's k-NN ball: fidelity
    recall: float  # share of reals inside some fake's k-NN ball: how much of the data is covered
    density: float  # how many real balls hold each fake, / k: about 1 for real data
    coverage: float  # share of real balls holding at least one fake: robust recall
    diversity: float  # median fake-fake distance / median real-real distance: 1 is ideal
    duplicates: float  # share of fakes with a near-twin among the fakes
    duplicates_real: float  # the same share among real images: what chance gives
    collapsed: bool


def manifold_metrics(real: np.ndarray, fake: np.ndarray, k: int = K) -> Manifold:
    """Compare equal-size sets for comparable figures (N real and N fake features)."""
    real_real = pairwise_distances(real, real)
    fake_fake = pairwise_distances(fake, fake)
    real_fake = pairwise_distances(real, fake)
    real_radius = nearest_other(real_real, k)
    fake_radius = nearest_other(fake_fake, k)
    inside_real = real_fake < real_radius[:, None]  # (real ball i) holds (fake j)
    precision = float(inside_real.any(0).mean())
    recall = float((real_fake < fake_radius[None, :]).any(1).mean())
    density = float(inside_real.sum(0).mean() / k)
    coverage = float((real_fake.min(1) < real_radius).mean())
    upper = np.triu_indices(len(fake), 1)
    spread_real = np.median(real_real[np.triu_indices(len(real), 1)])
    diversity = float(np.median(fake_fake[upper]) / max(spread_real, 1e-12))
    # A near-twin: closer than all but the closest 5% of real images are to their neighbour.
    twin = np.percentile(nearest_other(real_real), 5)
    duplicates = float((nearest_other(fake_fake) < twin).mean())
    duplicates_real = float((nearest_other(real_real) < twin).mean())
    collapsed = diversity < COLLAPSE_DIVERSITY or duplicates > COLLAPSE_DUPLICATES
    return Manifold(precision, recall, density, coverage, diversity, duplicates, duplicates_real,
                    collapsed)
