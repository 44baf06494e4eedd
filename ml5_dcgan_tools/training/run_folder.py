"""The layout of a run folder, and the rules for starting, resuming and finding its generator."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .config import TrainConfig


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
