"""The training loop: data in, run folder out; safe to kill at any moment and to resume."""

from __future__ import annotations

import dataclasses
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import __version__
from ..data import ImageSet, load_images
from ..data.pipeline import batches_from
from ..errors import UserError
from ..generators.pictures import (
    ProgressGif,
    class_rows,
    fixed_latents,
    image_grid,
    save_png,
    to_uint8,
)
from ..generators.run_folder import RunFolder, save_generator
from ..model import count_parameters, dtype_policy
from .background import BackgroundWriter
from .checkpoints import restore_latest, save_checkpoint, snapshot
from .config import CLASS_NAMES_KEY, TrainConfig
from .gan import Gan, make_train_step
from .hardware import make_strategy, writes_run_folder
from .interrupt import SkipEvaluation, StopRequest
from .metrics import MetricsLog
from .progress import Progress, epoch_label, of_total
from .quality import QualityTracker
from .tensorboard import EventWriter

FEW_STEPS = 3000  # below this, samples are rarely more than colour blobs
# An epoch of a small folder takes seconds: its samples and checkpoint wait for this many steps.
EPOCH_END_EVERY_STEPS = 100


@dataclass
class TrainResult:
    run: Path
    step: int
    total_steps: int | None  # None: the run had a --minutes budget and no epoch count
    interrupted: bool


def train(config: TrainConfig, out: Path, *, quiet: bool = False) -> TrainResult:
    """Start a new run in `out` (a new or empty folder)."""
    config.check()
    if Path(config.data).expanduser().exists():  # so the run resumes from any directory
        config = dataclasses.replace(config, data=str(Path(config.data).expanduser().resolve()))
    if config.idx_labels is not None:
        config = dataclasses.replace(config, idx_labels=str(
            Path(config.idx_labels).expanduser().resolve()))
    run = RunFolder(out)
    if writes_run_folder(config.distribute):
        run.create()
    return _train(run, config, quiet=quiet, new=True)


def resume(out: Path, *, epochs: int | None = None, quiet: bool = False) -> TrainResult:
    """Continue a run from its newest checkpoint with its saved configuration; `epochs` may
    extend it."""
    run = RunFolder(out)
    config = TrainConfig.load(run.config)
    if epochs is not None:
        if config.epochs is not None and epochs < config.epochs:
            raise UserError(f"--epochs {epochs} is fewer than the run's {config.epochs}",
                            where=str(out), fix="--epochs can only extend a run when resuming")
        config.epochs = epochs
    config.check()
    return _train(run, config, quiet=quiet, new=False)


def _train(run: RunFolder, config: TrainConfig, *, quiet: bool, new: bool) -> TrainResult:
    images = load_images(config.data, config.size, background=config.background,
                         progress=not quiet, labels=config.labels,
                         idx_labels_file=config.idx_labels)
    if len(images.images) < config.batch_size:
        raise UserError(f"{len(images.images)} images are fewer than one batch of "
                        f"{config.batch_size}", where=config.data,
                        fix=f"use --batch-size {len(images.images)} or less, or add images")
    steps_per_epoch = len(images.images) // config.batch_size
    total = None if config.epochs is None else config.epochs * steps_per_epoch
    progress = Progress(total, quiet=quiet)
    progress.line(images.summary())
    if total is not None and total < FEW_STEPS:
        progress.line(f"note: {config.epochs} epochs of {steps_per_epoch} steps make only {total} "
                      f"steps; a DCGAN needs a few thousand: try --epochs "
                      f"{-(-FEW_STEPS // steps_per_epoch)} or more")

    with dtype_policy(config.mixed_precision) as policy:
        strategy = make_strategy(config.distribute)
        keras.utils.set_random_seed(config.seed)
        with strategy.scope():
            gan = Gan.build(config, loss_scaling=policy == "mixed_float16",
                            num_classes=len(images.class_names))
        step = restore_latest(run.checkpoints, gan.variables())
        chief = writes_run_folder(config.distribute)
        out = run if chief else RunFolder(Path(tempfile.mkdtemp(prefix="ml5-dcgan-worker-")))
        if new and images.skipped:
            out.skipped.write_text("".join(f"{r}\t{p}\n" for p, r in images.skipped))
        replicas = strategy.num_replicas_in_sync
        if replicas > 1:
            progress.line(f"data-parallel over {replicas} replicas ({config.distribute})")
        facts = _run_facts(config, gan, images.summary(), steps_per_epoch, total, policy,
                           replicas)
        config.save(out.config, {**facts, **(
            {CLASS_NAMES_KEY: images.class_names} if images.class_names else {})})
        metrics = MetricsLog(out.metrics)
        metrics.rewind(step)
        if step:
            progress.line(f"resuming at step {step}{of_total(total)} "
                          f"({epoch_label(step // steps_per_epoch + 1, config.epochs)})")
        loop = _Loop(gan, config, strategy, out, metrics, images, steps_per_epoch)
        progress.start(step)
        try:
            with StopRequest() as stop:
                step = loop.run(step, total, progress, stop)
        finally:  # an error's one line then starts on a line of its own, below the bar
            progress.close()
        if not chief:
            shutil.rmtree(out.path, ignore_errors=True)
        if stop.requested or loop.out_of_time:
            why = (f"{config.minutes:g} minutes of training done" if loop.out_of_time
                   else "stopped")
            progress.line(f"{why} at step {step}{of_total(total)}; checkpoint saved. Continue "
                          f"with: ml5-dcgan train --resume {run.path}")
        else:
            progress.line(f"done: {step} steps; generator saved to {run.generator}")
    return TrainResult(run.path, step, total, stop.requested or loop.out_of_time)


def _run_facts(config: TrainConfig, gan: Gan, data_summary: str, steps_per_epoch: int,
               total: int | None, policy: str, replicas: int) -> dict:
    """What config.json records besides the options: enough to know what reproduced means."""
    return {"run": {
        "data_summary": data_summary, "steps_per_epoch": steps_per_epoch,
        "total_steps": total, "dtype_policy": policy,
        "replicas": replicas,
        "generator_parameters": count_parameters(gan.generator),
        "versions": {"ml5_dcgan_tools": __version__, "tensorflow": tf.__version__,
                     "keras": keras.__version__, "numpy": np.__version__,
                     "python": platform.python_version()}}}


class _Loop:
    """Epochs of steps, with the logging, sampling and checkpointing that go around them."""

    def __init__(self, gan: Gan, config: TrainConfig, strategy: tf.distribute.Strategy,
                 out: RunFolder, metrics: MetricsLog, images: ImageSet,
                 steps_per_epoch: int) -> None:
        self.gan, self.config, self.strategy, self.out = gan, config, strategy, out
        self.metrics, self.images, self.steps_per_epoch = metrics, images.images, steps_per_epoch
        self.labels = images.labels
        self.train_step = make_train_step(gan, config, strategy)
        self.events = EventWriter(out.tensorboard)
        self.progress_gif = ProgressGif(out.progress_gif)
        self.writer = BackgroundWriter()  # files are written off the training thread
        self.architecture = config.generator_architecture(gan.num_classes)
        grid_size = 64 if config.size <= 64 else 16
        # The sample grid: square, or one row per class with the same latent down each column.
        self.columns = None if not gan.num_classes else 8 if config.size <= 64 else 4
        self.latents = (fixed_latents(grid_size, config.latent_dim, config.seed)
                        if not gan.num_classes else class_rows(
                            fixed_latents(self.columns, config.latent_dim, config.seed),
                            gan.num_classes))
        self.saved_step = -1
        self.epoch_end_step = -EPOCH_END_EVERY_STEPS  # the first epoch's end always writes
        self.settled = -1  # the newest step evaluated, or whose evaluation a second stop skipped
        self.out_of_time = False

    def run(self, step: int, total: int | None, progress: Progress, stop: StopRequest) -> int:
        try:
            step = self._steps(step, total, progress, stop)
            self.writer.drain()
        finally:
            self.writer.close()  # also on a second Ctrl-C: what was asked for is still written
        return step

    def _steps(self, step: int, total: int | None, progress: Progress,
               stop: StopRequest) -> int:
        config, per_epoch = self.config, self.steps_per_epoch
        total = float("inf") if total is None else total  # None: the clock ends the run
        self.quality = QualityTracker(self.out, config, self.images, step, self.architecture)
        last_log, last_time, losses = step, time.monotonic(), {}
        deadline = last_time + 60 * config.minutes if config.minutes else float("inf")
        stopping = False
        batches = iter(self.strategy.experimental_distribute_dataset(
            batches_from(self.images, config.batch_size, config.seed, step, self.labels)))
        while step < total and not stopping and not self.out_of_time:
            epoch = step // per_epoch
            result = self.train_step(next(batches), tf.constant(step, tf.int64))
            step += 1
            self.out_of_time = time.monotonic() >= deadline
            last = step == total or self.out_of_time
            started = time.monotonic()
            quality = self._quality(step, last, stop, progress)  # {} unless due
            stopping = stop.requested  # one that comes later ends the next step instead
            if stopping and self.settled != step:  # so that `best` has seen the last step
                quality = self._quality(step, True, stop, progress)
            evaluating = time.monotonic() - started  # is not training time
            last_time, deadline = last_time + evaluating, deadline + evaluating
            if step % config.log_every == 0 or last or quality:
                now = time.monotonic()
                losses = {name: float(value) for name, value in result.items()}
                rate = (step - last_log) * config.batch_size / max(now - last_time, 1e-9)
                self._log(step, epoch + 1, losses, rate, quality)
                last_log, last_time = step, now
            if quality:
                progress.line(self.quality.summary(step, quality))
            progress.update(step, epoch + 1, config.epochs, losses,
                            deadline - time.monotonic() if config.minutes else None)
            if step % config.checkpoint_every == 0:
                self._checkpoint(step)
            if stopping or self.out_of_time:
                break
            if step % per_epoch == 0:  # the epoch line shows its last step's losses
                losses = {name: float(value) for name, value in result.items()}
                self._end_of_epoch(step, epoch + 1, losses, progress, final=step >= total)
                last_time = time.monotonic()  # sampling and saving are not training time
        if self.out_of_time:
            self._end_of_epoch(step, epoch + 1, losses, progress, final=True)
        if stop.requested or self.out_of_time or step >= total:
            self._checkpoint(step)
            self._save_generators()
        return step

    def _quality(self, step: int, last: bool, stop: StopRequest,
                 progress: Progress) -> dict[str, float]:
        """The quality evaluation of `step` when one is due, else {}. A second stop request
        during it skips it, which is said: the run then saves and exits as usual."""
        if not self.quality.due(step, last):
            return {}
        self.settled = step
        try:
            with stop.skippable():
                if stop.requested:
                    progress.line(f"stopping after a last quality evaluation of step {step} "
                                  "(Ctrl-C again skips it)")
                figures = self.quality.measure(step, self.gan.sampler)
        except SkipEvaluation:
            seen = self.quality.evaluated
            progress.line(f"{stop.signal} again: skipped the last quality evaluation; " + (
                f"`best` has not seen steps after {seen}" if seen else "no step was evaluated"))
            return {}
        return self.quality.record(step, self.gan.sampler, figures)

    def _log(self, step: int, epoch: int, losses: dict[str, float], rate: float,
             quality: dict[str, float]) -> None:
        self.metrics.append({"epoch": epoch, "step": step, **{k: round(v, 5) for k, v in
                             losses.items()}, "images_per_sec": round(rate, 1),
                             "time": round(time.time(), 3), **quality})
        self.writer.submit(self.events.scalars, step,
                           {**losses, "images_per_sec": rate, **quality})

    def _end_of_epoch(self, step: int, epoch: int, losses: dict[str, float],
                      progress: Progress, *, final: bool) -> None:
        if not final and step - self.epoch_end_step < EPOCH_END_EVERY_STEPS:
            return
        self.epoch_end_step = step
        pixels = to_uint8(self.gan.sampler(self.latents, training=False))
        self.writer.submit(self._write_samples, step, epoch, pixels)
        self._checkpoint(step)
        live = "  ".join(f"{k} {v:.3f}" for k, v in losses.items())
        done_in_epoch = step - (epoch - 1) * self.steps_per_epoch
        partial = ("" if done_in_epoch == self.steps_per_epoch else
                   f" (stopped after {done_in_epoch} of its {self.steps_per_epoch} steps)")
        progress.line(f"{epoch_label(epoch, self.config.epochs)}{partial}  step {step}  {live}")

    def _write_samples(self, step: int, epoch: int, pixels: np.ndarray) -> None:
        grid = image_grid(pixels, self.columns)
        save_png(grid, self.out.sample_path(epoch))
        self.progress_gif.update(sorted(self.out.samples.glob("epoch-*.png")))
        self.events.image(step, "samples", grid)

    def _checkpoint(self, step: int) -> None:
        if step == self.saved_step:
            return
        self.saved_step = step
        self.writer.submit(save_checkpoint, self.out.checkpoints, step,
                           snapshot(self.gan.variables()))
        self.writer.submit(self.events.flush)

    def _save_generators(self) -> None:
        pairs = [(self.gan.generator, self.out.generator)]
        if self.gan.ema is not None:
            pairs.append((self.gan.ema, self.out.generator_ema))
        for model, path in pairs:
            save_generator([w.numpy() for w in model.weights], self.architecture, path)
