"""Training state saved as one .npz per checkpoint, written atomically; the last two are kept.

A checkpoint holds every variable that training changes (both networks, the EMA generator, both
optimizers' moments and counters) and the step number. The random numbers of a step are derived
from (seed, step), so restoring these is an exact resume.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import write_atomically
from ..generators.run_folder import checkpoint_path

KEEP = 2


def snapshot(variables: dict[str, list]) -> dict[str, np.ndarray]:
    """A copy of `variables` (group name -> list of variables) as arrays, taken now: what a
    checkpoint written later, in the background, must hold."""
    return {f"{group}/{i:04d}": np.array(v.numpy()) for group, items in variables.items()
            for i, v in enumerate(items)}


def save_checkpoint(folder: Path, step: int, arrays: dict[str, np.ndarray]) -> Path:
    """Save a snapshot() at `step`; prune older checkpoints."""
    folder.mkdir(parents=True, exist_ok=True)
    path = checkpoint_path(folder, step)
    write_atomically(path, lambda file: np.savez(file, step=np.int64(step), **arrays))
    for old in sorted(folder.glob("step-*.npz"))[:-KEEP]:
        old.unlink()
    return path


def restore_latest(folder: Path, variables: dict[str, list]) -> int:
    """Assign the newest readable checkpoint to `variables`; return its step (0 when none)."""
    for path in sorted(folder.glob("step-*.npz"), reverse=True):
        try:
            with np.load(path) as saved:
                arrays = {name: saved[name] for name in saved.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            continue  # unreadable (a disk that filled up): fall back to the one before
        _assign(arrays, variables, path)
        return int(arrays["step"])
    return 0


def _assign(arrays: dict[str, np.ndarray], variables: dict[str, list], path: Path) -> None:
    expected = {f"{group}/{i:04d}": v for group, items in variables.items()
                for i, v in enumerate(items)}
    if set(expected) != set(arrays) - {"step"} or any(
            tuple(v.shape) != arrays[name].shape for name, v in expected.items()):
        raise UserError("the checkpoint does not match the model of this run's config.json",
                        where=str(path), fix="restore the run's original config.json")
    for name, variable in expected.items():
        variable.assign(arrays[name])
