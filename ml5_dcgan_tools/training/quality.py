"""Quality during training: every --eval-every steps (and at the end, or before a stop) a cheap
version of
`ml5-dcgan evaluate` on fixed latents (with fixed, uniformly drawn classes for a labelled run) and
a fixed subset of the training images (of every class), logged
to metrics.jsonl and TensorBoard; the generator with the lowest Fréchet distance so far is kept as
RUN/generator_best.keras and described in RUN/best.json."""

from __future__ import annotations

import json

import keras
import numpy as np

from ..evaluation.distribution import frechet_distance, kernel_distance
from ..evaluation.embedding import embed
from ..evaluation.evaluate import standardise
from ..evaluation.manifold import manifold_metrics
from ..evaluation.pattern import shared_pattern
from ..files import write_atomically
from ..generators.pictures import fixed_latents, fixed_onehots, to_uint8
from ..generators.run_folder import RunFolder, last_evaluated, read_best, save_generator
from .config import TrainConfig

SAMPLES = 500  # small enough for a few seconds on a CPU, every few thousand steps
BATCH = 250


class QualityTracker:
    def __init__(self, run: RunFolder, config: TrainConfig, images: np.ndarray,
                 start_step: int, architecture: dict) -> None:
        self.run, self.config, self.architecture = run, config, architecture
        self.enabled = config.eval_every > 0
        if not self.enabled:
            return
        count = min(SAMPLES, len(images))
        rng = np.random.default_rng(config.seed)
        self.real_raw = embed(images[rng.choice(len(images), count, replace=False)])
        self.real, _ = standardise(self.real_raw, self.real_raw)
        self.latents = fixed_latents(count, config.latent_dim, config.seed + 1)
        classes = architecture.get("num_classes", 0)
        self.onehots = fixed_onehots(count, classes, config.seed + 1) if classes else None
        self.best = self._rewind(start_step)
        self.evaluated = last_evaluated(run)  # the newest step evaluated so far (0: none)

    def _rewind(self, step: int) -> dict | None:
        """The best so far, forgetting one recorded after the checkpoint a run resumes from."""
        best = read_best(self.run)
        if best is None:
            return None
        if best["step"] <= step:
            return best
        self.run.best.unlink(missing_ok=True)
        self.run.generator_best.unlink(missing_ok=True)
        return None

    def due(self, step: int, last: bool) -> bool:
        """Whether `step` is evaluated: every eval_every steps, and the `last` one of the run, of
        its time budget or before a stop."""
        return self.enabled and (step % self.config.eval_every == 0 or last)

    def measure(self, step: int, sampler: keras.Model) -> dict[str, float]:
        """The figures of `sampler` at `step`, named eval_*. Records nothing, so that it can be
        abandoned midway (a second Ctrl-C) without touching best.json."""
        images = np.concatenate([to_uint8(sampler(self._inputs(i), training=False))
                                 for i in range(0, len(self.latents), BATCH)])
        _, fake = standardise(self.real_raw, embed(images))
        kid, kid_std = kernel_distance(self.real, fake, seed=step)
        m = manifold_metrics(self.real, fake)
        return {"eval_fd": frechet_distance(self.real, fake), "eval_kid": kid,
                "eval_kid_std": kid_std, "eval_precision": m.precision,
                "eval_recall": m.recall, "eval_coverage": m.coverage,
                "eval_diversity": m.diversity, "eval_pattern": shared_pattern(images)}

    def _inputs(self, start: int) -> np.ndarray | list[np.ndarray]:
        """The sampler's inputs for the batch from `start`: latents, with labels when labelled."""
        latents = self.latents[start:start + BATCH]
        return latents if self.onehots is None else [latents, self.onehots[start:start + BATCH]]

    def record(self, step: int, sampler: keras.Model, figures: dict[str, float]
               ) -> dict[str, float]:
        """Take in measure()'s `figures`, keeping `sampler` when it is the best so far; returns
        them rounded for the log."""
        self.evaluated = step
        if self.best is None or figures["eval_fd"] < self.best["fd"]:
            self._keep(step, sampler, figures)
        return {name: round(value, 5) for name, value in figures.items()}

    def summary(self, step: int, figures: dict[str, float]) -> str:
        """One line for the console: this evaluation and which step is best so far."""
        best = self.best["step"] if self.best else step
        return (f"quality at step {step}: Fréchet distance {figures['eval_fd']:.2f}, KID x 1000 "
                f"{figures['eval_kid'] * 1000:.1f}, coverage {figures['eval_coverage']:.2f}, "
                f"pattern {figures['eval_pattern']:.3f}; best so far: step {best}")

    def _keep(self, step: int, sampler: keras.Model, figures: dict[str, float]) -> None:
        save_generator([w.numpy() for w in sampler.weights], self.architecture,
                       self.run.generator_best)
        self.best = {"step": step, "fd": figures["eval_fd"], "kid": figures["eval_kid"],
                     "samples": len(self.latents), "eval_every": self.config.eval_every}
        write_atomically(self.run.best, json.dumps(self.best, indent=2) + "\n")
