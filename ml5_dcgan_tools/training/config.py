"""Everything that defines a training run; saved as the run folder's config.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import UserError

DISTRIBUTE = ("none", "mirrored", "multiworker")
UPDATE_ORDERS = ("simultaneous", "alternating")


@dataclass
class TrainConfig:
    data: str
    size: int = 64
    latent_dim: int = 128
    # Base width of both networks (ngf = ndf). 32, not the classic 64: on a laptop CPU it draws
    # better pictures per minute (benchmarks/quality_per_minute.py); 64 is ml5's own model shape.
    width: int = 32
    epochs: int = 25
    batch_size: int = 32  # twice the updates per image of 64: faster early progress
    lr: float = 2e-4
    beta1: float = 0.5
    seed: int = 0
    ema: bool = True  # the exported generator is the moving average: steadier pictures
    ema_decay: float = 0.999
    augment: bool = False  # DiffAugment: colour, translation, cutout on real and fake images
    label_smoothing: float = 0.1  # one-sided: real labels are 1 - label_smoothing
    # simultaneous: both networks updated from one forward pass (TensorFlow's DCGAN tutorial);
    # alternating: the generator's update is taken against the freshly updated discriminator
    # (pytorch/examples). The ablations below are measured in docs/lab-log/2026-11-30-quality.md,
    # section 9.
    update_order: str = "simultaneous"
    # model.dcgan's BN_MOMENTUM and BN_EPSILON, written out: importing the model would import
    # Keras, and `ml5-dcgan --help` reads these defaults (tests/test_model.py checks they agree).
    bn_momentum: float = 0.9
    bn_epsilon: float = 1e-3
    project_bias: bool = True  # the generator's Dense projection, as in ml5's own models
    background: tuple[int, int, int] = (255, 255, 255)  # behind transparent pixels
    # bfloat16 on CPUs, float16 on GPUs, only when asked: on a CPU with bfloat16 instructions it
    # trained 1.4x faster, but one run drew clearly worse pictures (FD 43 against 23), and a
    # speed-up that costs pictures does not count (docs/lab-log/2026-11-30-quality.md, section 7).
    mixed_precision: bool = False
    xla: bool = False
    distribute: str = "none"
    log_every: int = 10
    checkpoint_every: int = 500
    eval_every: int = 1000  # steps between quality evaluations (and at the end); 0: none
    minutes: float | None = None  # stop (resumably) after this much training time per session

    def check(self) -> None:
        """Refuse values that would fail later, deep inside TensorFlow."""
        from ..model import SIZES

        problems = [
            (self.size not in SIZES, f"--size must be one of {', '.join(map(str, SIZES))}"),
            (self.latent_dim < 1, "--latent-dim must be at least 1"),
            (self.width < 1, "--width must be at least 1"),
            (self.epochs < 1, "--epochs must be at least 1"),
            (self.batch_size < 1, "--batch-size must be at least 1"),
            (not self.lr > 0, "--lr must be positive"),
            (not 0 <= self.beta1 < 1, "--beta1 must be in [0, 1)"),
            (not 0 < self.ema_decay < 1, "--ema-decay must be in (0, 1)"),
            (not 0 <= self.label_smoothing < 0.5, "--label-smoothing must be in [0, 0.5)"),
            (self.update_order not in UPDATE_ORDERS,
             f"--update-order must be one of {', '.join(UPDATE_ORDERS)}"),
            (not 0 <= self.bn_momentum < 1, "--bn-momentum must be in [0, 1)"),
            (not self.bn_epsilon > 0, "--bn-epsilon must be positive"),
            (self.distribute not in DISTRIBUTE, f"--distribute must be one of {DISTRIBUTE}"),
            (self.log_every < 1 or self.checkpoint_every < 1,
             "--log-every and --checkpoint-every must be at least 1"),
            (self.eval_every < 0, "--eval-every must be 0 (off) or more"),
            (self.minutes is not None and not self.minutes > 0, "--minutes must be positive"),
            (self.minutes is not None and self.distribute == "multiworker",
             "--minutes cannot be used with --distribute multiworker: each worker's clock would "
             "stop it at a different step"),
        ]
        for failed, message in problems:
            if failed:
                raise UserError(message, fix="see ml5-dcgan train --help")

    def generator_architecture(self) -> dict:
        """Keyword arguments of build_generator for this run: everything that shapes the
        generator's weights and its exported layers."""
        return {"size": self.size, "latent_dim": self.latent_dim, "width": self.width,
                "bn_momentum": self.bn_momentum, "bn_epsilon": self.bn_epsilon,
                "project_bias": self.project_bias}

    def save(self, path: Path, extra: dict) -> None:
        path.write_text(json.dumps({**asdict(self), **extra}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        try:
            saved = json.loads(path.read_text())
            names = {f.name for f in fields(cls)}
            config = cls(**{k: v for k, v in saved.items() if k in names})
        except (OSError, ValueError, TypeError) as error:
            raise UserError(f"cannot read the run's configuration: {error}", where=str(path),
                            fix="point --resume at a run folder made by ml5-dcgan train") from error
        config.background = tuple(config.background)
        config.mixed_precision = bool(config.mixed_precision)  # None in early run folders
        return config
