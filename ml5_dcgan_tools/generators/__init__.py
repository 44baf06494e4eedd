"""Where a generator comes from, and drawing pictures from it.

A SOURCE is a training run folder (and a checkpoint in it), a ``.keras``/``.h5`` file, or an
exported TF.js bundle. Everything that uses a finished generator (``generate``, ``evaluate``,
``export``, ``publish``) loads it here, without importing the training code.
"""

from .pictures import fixed_latents, fixed_onehots, image_grid, latent_walk, save_png, to_uint8
from .run_folder import (
    CHECKPOINT_CHOICES,
    TRAINING_FACTS,
    RunFolder,
    find_generator,
    pick_generator,
    read_best,
    training_facts,
)
from .sampling import generated_images, sample_grid, walk_gif
from .source import label_width, load_generator, source_labels

__all__ = [
    "CHECKPOINT_CHOICES", "TRAINING_FACTS", "RunFolder", "find_generator", "fixed_latents",
    "fixed_onehots", "generated_images", "image_grid", "label_width", "latent_walk",
    "load_generator", "pick_generator",
    "read_best", "sample_grid", "save_png", "source_labels", "to_uint8", "training_facts",
    "walk_gif",
]
