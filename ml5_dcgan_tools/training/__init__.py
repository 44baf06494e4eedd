"""Training a DCGAN into a run folder, and looking at what it learnt.

The public entry points import TensorFlow when called, not when this package is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .config import TrainConfig

if TYPE_CHECKING:
    from .trainer import TrainResult

__all__ = ["TrainConfig", "resume", "train"]


def train(config: TrainConfig, out: Path, *, quiet: bool = False) -> TrainResult:
    """Start a new run in `out`; see trainer.train."""
    from .trainer import train as run

    return run(config, out, quiet=quiet)


def resume(out: Path, *, epochs: int | None = None, quiet: bool = False) -> TrainResult:
    """Continue the run in `out`; see trainer.resume."""
    from .trainer import resume as run

    return run(out, epochs=epochs, quiet=quiet)
