"""Everything that defines a training run: the recipe, read from the command line and an
optional settings file (TOML, or a run's own config.json), saved as the run folder's config.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import UsageError, UserError
from ..generators.run_folder import ARCHITECTURE_KEYS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DISTRIBUTE = ("none", "mirrored", "multiworker")
UPDATE_ORDERS = ("simultaneous", "alternating")
# What a run's config.json holds besides the recipe: facts about the run, not settings.
RUN_FACTS_KEY = "run"
CLASS_NAMES_KEY = "class_names"  # a labelled run's classes, a fact of its data
LATENT_DIM = 128  # ml5's own models
LABELLED_LATENT_DIM = 32  # a labelled generator follows its label far better (lab log 2026-12-02)
EPOCHS = 25  # a run without --minutes; with it, the clock ends the run unless epochs is given


@dataclass
class TrainConfig:
    data: str
    size: int = 64
    latent_dim: int | None = None  # LATENT_DIM, or LABELLED_LATENT_DIM for a labelled run
    width: int = 32  # base width of both networks: 32 draws better pictures per CPU minute than 64
    epochs: int | None = None  # EPOCHS; with minutes, None trains until the time is up
    batch_size: int = 32  # twice the updates per image of 64: faster early progress
    lr: float = 2e-4
    beta1: float = 0.5
    seed: int = 0
    ema: bool = True  # the exported generator is the moving average: steadier pictures
    ema_decay: float = 0.999
    augment: bool = False  # DiffAugment: colour, translation, cutout on real and fake images
    label_smoothing: float = 0.1  # one-sided: real labels are 1 - label_smoothing
    # simultaneous: both networks learn from one forward pass; alternating: the generator learns
    # against the discriminator just updated (pytorch/examples).
    update_order: str = "simultaneous"
    # model.dcgan's defaults, written out so that reading them imports no Keras (a test checks).
    bn_momentum: float = 0.9
    bn_epsilon: float = 1e-3
    project_bias: bool = True  # the generator's Dense projection, as in ml5's own models
    # Transposed convolutions start without a grid: lower FD at 64 px (lab log 2026-12-03).
    checkerboard_free_start: bool = True
    # ... and stay so: after every update each kernel's four phases are given equal sums. No grid
    # at any evaluation, and a lower FD at 64 px (lab log 2026-12-03, phase-balanced kernels).
    checkerboard_free_training: bool = True
    background: tuple[int, int, int] = (255, 255, 255)  # behind transparent pixels
    # bfloat16 on CPUs, float16 on GPUs: only when asked, as it has not been shown to draw as well.
    mixed_precision: bool = False
    xla: bool = False
    distribute: str = "none"
    log_every: int = 10
    checkpoint_every: int = 500
    eval_every: int = 1000  # steps between quality evaluations (and at the end); 0: none
    minutes: float | None = None  # stop (resumably) after this much training time per session
    labels: bool = False  # a conditional DCGAN: DATA's class folders, shapes, or idx_labels
    idx_labels: str | None = None  # the IDX labels file that goes with an IDX images DATA

    def __post_init__(self) -> None:
        if self.latent_dim is None:
            self.latent_dim = LABELLED_LATENT_DIM if self.labels else LATENT_DIM
        if self.epochs is None and self.minutes is None:
            self.epochs = EPOCHS

    def check(self) -> None:
        """Refuse values that would fail later, deep inside TensorFlow, naming the setting."""
        from ..model import SIZES

        problems = [
            (self.size not in SIZES, f"size must be one of {', '.join(map(str, SIZES))}"),
            (self.latent_dim < 1, "latent_dim must be at least 1"),
            (self.width < 1, "width must be at least 1"),
            (self.epochs is not None and self.epochs < 1, "epochs must be at least 1"),
            (self.batch_size < 1, "batch_size must be at least 1"),
            (not self.lr > 0, "lr must be positive"),
            (not 0 <= self.beta1 < 1, "beta1 must be in [0, 1)"),
            (not 0 < self.ema_decay < 1, "ema_decay must be in (0, 1)"),
            (not 0 <= self.label_smoothing < 0.5, "label_smoothing must be in [0, 0.5)"),
            (self.update_order not in UPDATE_ORDERS,
             f"update_order must be one of {', '.join(UPDATE_ORDERS)}"),
            (not 0 <= self.bn_momentum < 1, "bn_momentum must be in [0, 1)"),
            (not self.bn_epsilon > 0, "bn_epsilon must be positive"),
            (self.distribute not in DISTRIBUTE,
             f"distribute must be one of {', '.join(DISTRIBUTE)}"),
            (self.log_every < 1 or self.checkpoint_every < 1,
             "log_every and checkpoint_every must be at least 1"),
            (self.eval_every < 0, "eval_every must be 0 (off) or more"),
            (len(self.background) != 3 or not all(0 <= c <= 255 for c in self.background),
             "background must be a colour like '#ffffff'"),
            (self.minutes is not None and not self.minutes > 0, "minutes must be positive"),
            (self.idx_labels is not None and not self.labels,
             "idx_labels needs labels = true (or --labels)"),
            (self.minutes is not None and self.distribute == "multiworker",
             "minutes cannot be used with distribute = multiworker: each worker's clock would "
             "stop it at a different step"),
        ]
        for failed, message in problems:
            if failed:
                raise UserError(message, fix="see `ml5-dcgan train --help` and its --config")

    def generator_architecture(self, num_classes: int = 0) -> dict:
        """Keyword arguments of build_generator for this run: everything that shapes the
        generator's weights and its exported layers (with `num_classes` when labelled)."""
        architecture = {key: getattr(self, key) for key in ARCHITECTURE_KEYS}
        return {**architecture, "num_classes": num_classes} if num_classes else architecture

    def save(self, path: Path, extra: dict) -> None:
        path.write_text(json.dumps({**asdict(self), **extra}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        if not path.is_file():
            raise UserError("not a run folder: no config.json", where=str(path.parent),
                            fix="pass the --out folder of an earlier `ml5-dcgan train`")
        try:
            saved = json.loads(path.read_text())
            saved.setdefault("checkerboard_free_training", False)  # older runs trained without
            names = {f.name for f in fields(cls)}
            config = cls(**{k: v for k, v in saved.items() if k in names})
        except (OSError, ValueError, TypeError) as error:
            raise UserError(f"cannot read the run's configuration: {error}", where=str(path),
                            fix="point --resume at a run folder made by ml5-dcgan train") from error
        config.background = tuple(config.background)
        config.mixed_precision = bool(config.mixed_precision)  # None in early run folders
        return config


def read_settings(path: Path) -> dict[str, Any]:
    """The TrainConfig fields that a settings file sets: a TOML file of ``key = value`` lines,
    or a run's own config.json (to train again like that run). An unknown key or a value of the
    wrong type is one line naming the key and what it accepts."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except OSError as error:
        raise UsageError(f"cannot read the settings file: {error.strerror}", where=str(path),
                         fix="pass a TOML file, or a run folder's config.json") from None
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"not a valid {'JSON' if path.suffix == '.json' else 'TOML'} file: "
                         f"{error}", where=str(path),
                         fix="write one `key = value` per line, e.g. lr = 0.0002") from None
    if not isinstance(raw, dict):
        raise UsageError("the settings file must hold keys and values", where=str(path))
    if path.suffix == ".json":
        raw.pop(RUN_FACTS_KEY, None)
        raw.pop(CLASS_NAMES_KEY, None)
    known = {field.name: field for field in fields(TrainConfig)}
    settings = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in known:
            raise UsageError(f"unknown setting '{key}'", where=str(path),
                             fix=f"use one of: {', '.join(sorted(known))}")
        settings[name] = _typed(name, value, known[name].type, path)
    return settings


def _typed(name: str, value: Any, annotation: str, path: Path) -> Any:
    """``value`` as the field's type, or one line naming the key and what it takes."""
    if value is None and "None" in annotation:  # JSON's null: a config.json's "not set"
        return None
    if name == "background":
        if isinstance(value, str) and (match := re.fullmatch(r"#?([0-9a-fA-F]{6})", value)):
            return tuple(int(match[1][i:i + 2], 16) for i in (0, 2, 4))
        if isinstance(value, list) and len(value) == 3 and all(
                isinstance(c, int) and 0 <= c <= 255 for c in value):
            return tuple(value)
        expected = "a colour like \"#ffffff\" or [255, 255, 255]"
    elif annotation == "bool":
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif annotation.startswith("int"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "a whole number"
    elif annotation.startswith("float"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        expected = "a number"
    else:  # str
        if isinstance(value, str):
            return value
        expected = "text in quotes"
    raise UsageError(f"setting '{name}' must be {expected}, not {json.dumps(value)}",
                     where=str(path), fix="see docs/reference/training-settings.md")

