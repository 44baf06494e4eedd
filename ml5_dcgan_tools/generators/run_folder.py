"""The layout of a training run folder, and finding the generator (and its step) inside it.

Training writes a run folder; everything that reads a generator back (generate, evaluate, export,
publish) reads it here, so none of them depends on the training code.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError, UserError

TRAINING_FACTS = "training.json"
# The config.json keys that shape the generator's weights: build_generator's keyword arguments.
ARCHITECTURE_KEYS = ("size", "latent_dim", "width", "bn_momentum", "bn_epsilon", "project_bias")
_RECIPE = ("size", "latent_dim", "width", "epochs", "batch_size", "ema", "augment",
           "label_smoothing", "mixed_precision")


class RunFolder:
    """RUN/config.json, metrics.jsonl, checkpoints/, samples/, progress.gif, tensorboard/,
    generator.keras and generator_ema.keras; best.json and generator_best.keras (the generator
    that scored best in the quality evaluations during training)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.metrics = self.path / "metrics.jsonl"
        self.checkpoints = self.path / "checkpoints"
        self.samples = self.path / "samples"
        self.progress_gif = self.path / "progress.gif"
        self.tensorboard = self.path / "tensorboard"
        self.skipped = self.path / "skipped-files.txt"
        self.generator = self.path / "generator.keras"
        self.generator_ema = self.path / "generator_ema.keras"
        self.best = self.path / "best.json"
        self.generator_best = self.path / "generator_best.keras"

    def create(self) -> None:
        if self.config.exists():
            raise UserError("the run folder already holds a run", where=str(self.path),
                            fix=f"continue it with `ml5-dcgan train --resume {self.path}`, "
                                "or choose another --out")
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise UserError("--out exists and is not an empty folder", where=str(self.path),
                            fix="choose a new or empty folder for the run")
        self.path.mkdir(parents=True, exist_ok=True)

    def sample_path(self, epoch: int) -> Path:
        return self.samples / f"epoch-{epoch:04d}.png"


def find_generator(path: Path) -> Path:
    """A run folder's final generator (the EMA one when there is one), or a .keras file itself."""
    path = Path(path)
    if path.is_file() and path.suffix == ".keras":
        return path
    if path.is_dir():
        run = RunFolder(path)
        for candidate in (run.generator_ema, run.generator):
            if candidate.is_file():
                return candidate
        if run.config.is_file():
            raise UserError("this run has no generator yet", where=str(path),
                            fix=f"let it finish, or stop it with Ctrl-C (it saves), or resume it "
                                f"with `ml5-dcgan train --resume {path}`")
    raise UserError("not a run folder or a .keras generator", where=str(path),
                    fix="pass the --out folder of `ml5-dcgan train`, or a generator .keras file")


CHECKPOINT_CHOICES = "last, best or step-N"


def pick_generator(path: Path, checkpoint: str = "best") -> tuple[Path, str]:
    """The .keras file of the generator to use from a run folder, and a note saying which step
    it is: `best` (the best quality evaluation; the last when there was none), `last`, or
    `step-N` (a kept checkpoint, written out as RUN/generator_step-N.keras on first use).
    A .keras file is itself, whatever `checkpoint` says."""
    path = Path(path)
    match = re.fullmatch(r"last|best|step-(\d+)", checkpoint)
    if not match:
        raise UsageError(f"--checkpoint {checkpoint!r} is not one of {CHECKPOINT_CHOICES}",
                         fix="e.g. --checkpoint best, --checkpoint step-1500")
    if not path.is_dir() or not (path / "config.json").is_file():
        return path, path.name  # a .keras file or a bundle: their loaders check them
    run = RunFolder(path)
    if match[1]:
        return _checkpoint_generator(run, int(match[1]))
    if checkpoint == "best":
        best = read_best(run)
        if best and run.generator_best.is_file():
            return run.generator_best, _best_note(run, best)
    steps = checkpoint_steps(run.checkpoints)
    last = find_generator(path)
    note = f"last checkpoint: step {steps[-1]}" if steps else "last checkpoint"
    if checkpoint == "best":
        note += " (no quality evaluation was recorded: train with --eval-every)"
    return last, note


def read_metrics(path: Path) -> list[dict]:
    """metrics.jsonl's records; a line that a killed run left half-written is left out."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def read_best(run: RunFolder) -> dict | None:
    """``best.json`` (the best evaluated step and its figures), None when absent or unreadable."""
    try:
        best = json.loads(run.best.read_text())
        return best if isinstance(best.get("step"), int) else None
    except (OSError, ValueError, AttributeError):
        return None


def last_evaluated(run: RunFolder) -> int:
    """The newest step that a quality evaluation saw (metrics.jsonl, best.json); 0 when none."""
    best = read_best(run)
    steps = [r["step"] for r in read_metrics(run.metrics) if "eval_fd" in r]
    return max([*steps, best["step"] if best else 0])


def _best_note(run: RunFolder, best: dict) -> str:
    """Which step `best` is and, when newer saved steps were never evaluated (a run killed, or
    from before stops evaluated), how many, and what to do."""
    note = (f"best checkpoint: step {best['step']} (Fréchet distance {best['fd']:.2f} during "
            "training)")
    newest, seen = max(checkpoint_steps(run.checkpoints), default=0), last_evaluated(run)
    if newest <= seen:
        return note
    try:
        finished = newest >= json.loads(run.config.read_text())["run"]["total_steps"]
    except (OSError, ValueError, KeyError, TypeError):
        finished = True  # unknown: do not promise that resuming trains on
    return (f"{note}; the last {newest - seen} steps (to step {newest}) were never evaluated: use "
            f"--checkpoint step-{newest}" + ("" if finished else
                                             ", or resume the run to evaluate newer ones"))


def _checkpoint_generator(run: RunFolder, step: int) -> tuple[Path, str]:
    out = run.path / f"generator_step-{step}.keras"
    if not out.is_file():
        kept = checkpoint_steps(run.checkpoints)
        if step not in kept:
            raise UsageError(f"no checkpoint of step {step} in this run", where=str(run.path),
                             fix=f"kept steps: {', '.join(map(str, kept)) or 'none'}; or use "
                                 "--checkpoint last or best")
        try:
            saved = json.loads(run.config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UserError(f"cannot read the run's configuration: {error}",
                            where=str(run.config), fix="restore the run's config.json") from None
        architecture = {key: saved[key] for key in ARCHITECTURE_KEYS if key in saved}
        if saved.get("labels"):
            architecture["num_classes"] = len(saved.get("class_names", []))
        save_generator(checkpoint_generator_weights(run.checkpoints, step), architecture, out)
    return out, f"checkpoint of step {step}"


def run_class_names(path: Path) -> list[str]:
    """The class names a run folder's config.json records ([] for an unlabelled or no run)."""
    try:
        saved = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = saved.get("class_names") if isinstance(saved, dict) and saved.get("labels") else None
    return [str(name) for name in names] if isinstance(names, list) else []


def training_facts(path: Path) -> dict[str, Any]:
    """How a run folder's generator was trained, for the bundle and its model card ({} when
    ``path`` is no run folder). A bundle is meant to be shared, so DATA is reduced to its name:
    no local path leaves the machine."""
    run = RunFolder(path)
    try:
        saved = json.loads(run.config.read_text(encoding="utf-8"))
        records = read_metrics(run.metrics)
        steps = records[-1]["step"] if records else 0
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    facts = saved.get("run", {})
    images = re.match(r"data: (\d+) images", str(facts.get("data_summary", "")))
    return {
        "dataset": Path(str(saved.get("data", ""))).name or str(saved.get("data", "")),
        **({"images": int(images.group(1))} if images else {}),
        "steps": steps,
        **{key: saved[key] for key in _RECIPE if isinstance(saved.get(key), int | float | str)},
        "tool": f"ml5-dcgan-tools {facts.get('versions', {}).get('ml5_dcgan_tools', '?')}",
    }


def checkpoint_path(folder: Path, step: int) -> Path:
    """Where training keeps the checkpoint of ``step``: one .npz of every training variable."""
    return folder / f"step-{step:09d}.npz"


def checkpoint_steps(folder: Path) -> list[int]:
    """Steps of the checkpoints kept in `folder`, oldest first."""
    return sorted(int(p.stem.split("-")[1]) for p in folder.glob("step-*.npz"))


def checkpoint_generator_weights(folder: Path, step: int) -> list[np.ndarray]:
    """The weights of the generator a checkpoint shows and exports: the EMA one when present."""
    path = checkpoint_path(folder, step)
    try:
        with np.load(path) as saved:
            group = "ema" if any(n.startswith("ema/") for n in saved.files) else "generator"
            return [saved[n] for n in sorted(saved.files) if n.startswith(f"{group}/")]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise UserError(f"cannot read the checkpoint: {error}", where=str(path),
                        fix="choose another --checkpoint (last, best or step-N)") from None


def save_generator(weights: list[np.ndarray], architecture: dict, path: Path) -> Path:
    """A plain float32 generator .keras file with these weights, whatever the training
    precision: only standard layers, which the exporter loads with safe_mode. `architecture`:
    build_generator's keyword arguments (ARCHITECTURE_KEYS, and num_classes for a labelled
    run). Atomic."""
    from ..model import build_generator, dtype_policy

    with dtype_policy(False):
        plain = build_generator(**architecture)
        plain.set_weights(weights)
        partial = path.with_name(f".{path.stem}.partial.keras")  # Keras wants .keras
        plain.save(partial)
        os.replace(partial, path)
    return path
