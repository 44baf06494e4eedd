"""Quality of a generator against its training data: samples -> fixed embedding -> numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError
from ..generators import label_width
from .distribution import frechet_distance, kernel_distance
from .embedding import embed, standardise
from .labels import generator_inputs, label_adherence
from .manifold import manifold_metrics
from .memorisation import memorisation
from .pattern import has_pattern, shared_pattern
from .report import MIN_STABLE, QualityReport

if TYPE_CHECKING:
    from ..data import ImageSet

EMBEDDING = "random-conv-v1"


def evaluate_images(fake: np.ndarray, train: np.ndarray, *, names: list[str] | None = None,
                    source: str = "samples", seed: int = 0) -> QualityReport:
    """Compare uint8 samples (N, H, W, 3) with the training images (M, H, W, 3).

    The reference is a fixed random subset of N training images; when the data holds 2N, a second
    disjoint subset gives what real images score against it (the floor at this N).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    train_features, fake_features = standardise(embed(train), embed(fake))
    n = len(fake)
    reference = train_features[order[:n]]
    kid, kid_std = kernel_distance(reference, fake_features, seed)
    pattern, pattern_real = shared_pattern(fake), shared_pattern(train[order[:n]])
    report = QualityReport(
        source=source, samples=n, reference=len(reference), training_images=len(train),
        embedding=EMBEDDING, fd=frechet_distance(reference, fake_features), kid=kid,
        kid_std=kid_std, pattern=pattern, pattern_real=pattern_real,
        patterned=has_pattern(pattern, pattern_real),
        manifold=manifold_metrics(reference, fake_features),
        memorisation=(found := memorisation(train_features, fake_features, seed)),
        copy_names=[(names[c.training_index] if names else f"training image "
                     f"{c.training_index}") for c in found.copies])
    if len(train) >= 2 * n:
        other = train_features[order[n:2 * n]]
        report.fd_real = frechet_distance(reference, other)
        report.kid_real = kernel_distance(reference, other, seed)[0]
    report.warnings = _warnings(n, len(train))
    return report


def _warnings(samples: int, training: int) -> list[str]:
    warnings = []
    if samples < MIN_STABLE:
        warnings.append(f"only {samples} samples: FD, KID and the k-NN figures are noisy below "
                        f"{MIN_STABLE}; compare figures only at the same --samples")
    if training < samples:
        warnings.append(f"the data holds only {training} images, fewer than the {samples} "
                        "samples: the reference is smaller, so FD is inflated and not comparable")
    elif training < 2 * samples:
        warnings.append(f"the data holds fewer than 2 x {samples} images: no real-vs-real floor")
    return warnings


def evaluate(source: Path, data: str, *, samples: int = 2000, seed: int = 0,
             background: tuple[int, int, int] = (255, 255, 255),
             labels: bool = False, idx_labels: str | Path | None = None) -> QualityReport:
    """Sample `samples` images from SOURCE (a run folder, .keras or TF.js bundle) with latents
    from `seed`, and compare them with DATA loaded at the generator's size. A labelled generator
    is sampled with uniform labels; with `labels`, DATA is read with its classes and the report
    adds how well the generator draws the class it is asked for (the samples split evenly)."""
    from ..data import load_images
    from ..generators import fixed_latents, generated_images, load_generator

    generator = load_generator(source)
    width = label_width(generator)
    if labels and not width:
        raise UsageError("--labels needs a labelled generator, and this one takes a latent only",
                         where=str(source), fix="drop --labels, or evaluate a run trained with "
                                                "--labels")
    latents = fixed_latents(samples, generator.inputs[0].shape[-1], seed)
    fake = generated_images(generator, generator_inputs(generator, latents, seed))
    size = fake.shape[1]
    image_set = (load_images(data, size, background=background, labels=True,
                             idx_labels_file=str(idx_labels) if idx_labels else None) if labels
                 else load_images(data, size, background=background))
    report = evaluate_images(fake, image_set.images, names=image_names(data, image_set),
                             source=str(source), seed=seed)
    if labels:
        report.adherence = label_adherence(generator, image_set.images, image_set.labels,
                                           image_set.class_names, samples=-(-samples // width),
                                           seed=seed)
    elif width:
        report.warnings.append(f"the generator takes a label ({width} classes), drawn at random "
                               "here; add --labels (DATA read with its classes) to measure "
                               "whether it draws the class it is asked for")
    return report


def image_names(data: str, image_set: ImageSet) -> list[str]:
    """A name per training image: its path inside a folder, else DATA#index."""
    folder = Path(data).expanduser()
    if folder.is_dir():
        from ..data.folder import list_files

        skipped = {path for path, _ in image_set.skipped}
        names = [p.relative_to(folder).as_posix() for p in list_files(folder)]
        names = [name for name in names if name not in skipped]
        if len(names) == len(image_set.images):
            return names
    return [f"{data}#{i}" for i in range(len(image_set.images))]
