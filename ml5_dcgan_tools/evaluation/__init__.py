"""Quality numbers for a generator that need no download: Fréchet distance, KID, precision /
recall / density / coverage, mode collapse and memorisation, all in a fixed random embedding.

NumPy throughout; TensorFlow only runs the embedding network (and the generator).
"""

from __future__ import annotations

from .evaluate import evaluate, evaluate_images
from .report import QualityReport

__all__ = ["QualityReport", "evaluate", "evaluate_images"]
