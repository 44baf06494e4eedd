"""Which generated images are copies of training images: each sample's nearest training image,
judged against how close the training images are to one another."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .manifold import pairwise_distances

SPACING_PERCENTILE = 1  # a copy is closer than 99% of training images are to their neighbour
MEMORISING_SHARE = 0.05  # five times what real images unseen in training give by construction
SPACING_QUERIES = 2000  # training images whose neighbour distance estimates the spacing
BLOCK = 1024


def nearest(queries: np.ndarray, pool: np.ndarray,
            exclude_same_index: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each query's nearest row of `pool`, in blocks to bound memory.
    With `exclude_same_index`, query i never matches pool row i (queries are pool[:len])."""
    distances, indices = [], []
    for start in range(0, len(queries), BLOCK):
        block = pairwise_distances(queries[start:start + BLOCK], pool)
        if exclude_same_index:
            rows = np.arange(len(block))
            block[rows, start + rows] = np.inf
        index = block.argmin(1)
        distances.append(block[np.arange(len(block)), index])
        indices.append(index)
    return np.concatenate(distances), np.concatenate(indices)


@dataclass
class Copy:
    sample: int  # index of the generated image (latent seed order)
    training_index: int
    ratio: float  # its distance to that training image / the training set's median spacing


@dataclass
class Memorisation:
    copied_share: float  # share of samples closer to a training image than the threshold
    expected_share: float  # what real images unseen in training give: SPACING_PERCENTILE %
    median_ratio: float  # median nearest-training distance / median training spacing (~1 ideal)
    threshold_ratio: float  # the copy threshold on that same scale
    copies: list[Copy]  # closest first
    memorising: bool


def memorisation(train: np.ndarray, fake: np.ndarray, seed: int = 0) -> Memorisation:
    """`train`: features of every training image; `fake`: features of the samples."""
    rng = np.random.default_rng(seed)
    queries = rng.permutation(len(train))[:SPACING_QUERIES]
    order = np.concatenate([queries, np.setdiff1d(np.arange(len(train)), queries)])
    spacing, _ = nearest(train[queries], train[order], exclude_same_index=True)
    median_spacing = max(float(np.median(spacing)), 1e-12)
    threshold = float(np.percentile(spacing, SPACING_PERCENTILE))
    distance, index = nearest(fake, train)
    copied = np.flatnonzero(distance < threshold)
    copied = copied[np.argsort(distance[copied])]
    share = len(copied) / max(len(fake), 1)
    return Memorisation(
        copied_share=share, expected_share=SPACING_PERCENTILE / 100,
        median_ratio=float(np.median(distance)) / median_spacing,
        threshold_ratio=threshold / median_spacing,
        copies=[Copy(int(i), int(index[i]), float(distance[i]) / median_spacing)
                for i in copied],
        memorising=share >= MEMORISING_SHARE)
