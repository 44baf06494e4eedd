"""The layout of a run folder, and the rules for starting, resuming and finding its generator."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import UserError
from .config import TrainConfig

TRAINING_FACTS = "training.json"
_RECIPE = ("size", "latent_dim", "width", "epochs", "batch_size", "ema", "augment",
           "label_smoothing", "mixed_precision")


class RunFolder:
    """RUN/config.json, metrics.jsonl, checkpoints/, samples/, progress.gif, tensorboard/,
    generator.keras and generator_ema.keras."""

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

    def create(self) -> None:
        if self.config.exists():
            raise UserError("the run folder already holds a run", where=str(self.path),
                            fix=f"continue it with `ml5-dcgan train --resume {self.path}`, "
                                "or choose another --out")
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise UserError("--out exists and is not an empty folder", where=str(self.path),
                            fix="choose a new or empty folder for the run")
        self.path.mkdir(parents=True, exist_ok=True)

    def read_config(self) -> TrainConfig:
        if not self.config.is_file():
            raise UserError("not a run folder: no config.json", where=str(self.path),
                            fix="pass the --out folder of an earlier `ml5-dcgan train`")
        return TrainConfig.load(self.config)

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


def training_facts(path: Path) -> dict[str, Any]:
    """How a run folder's generator was trained, for the bundle and its model card ({} when
    ``path`` is no run folder). A bundle is meant to be shared, so DATA is reduced to its name:
    no local path leaves the machine."""
    run = RunFolder(path)
    try:
        saved = json.loads(run.config.read_text(encoding="utf-8"))
        lines = run.metrics.read_text(encoding="utf-8").splitlines() if run.metrics.is_file() \
            else []
        steps = json.loads(lines[-1])["step"] if lines else 0
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
