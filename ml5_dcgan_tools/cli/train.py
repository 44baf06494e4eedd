"""`ml5-dcgan train` and `ml5-dcgan generate`: TensorFlow is imported inside the commands only."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from ..errors import UsageError
from ..training.config import EPOCHS, LABELLED_LATENT_DIM, LATENT_DIM, TrainConfig, read_settings
from .checkpoint import checkpoint_option, use_checkpoint

DEFAULTS = TrainConfig(data="")
SIZES = ("32", "64", "128", "256")


TRAIN_HELP = """Train a DCGAN on DATA and write everything to the run folder --out.

\b
DATA is one of:
  a folder of images   png, jpg, webp, bmp, gif (first frame), searched recursively;
                       unusable files are skipped and counted
  an IDX file          MNIST-format images, e.g. train-images-idx3-ubyte(.gz)
  shapes[:COUNT]       built-in: coloured shapes on gradients (8192 unless COUNT)

\b
  ml5-dcgan train shapes --out runs/shapes --size 32 --minutes 5
  ml5-dcgan train photos/ --out runs/photos --augment          # a few hundred photos
  ml5-dcgan train photos/ --out runs/big --width 64 --batch-size 64   # ml5's own model size
  ml5-dcgan train art/ --out runs/art --labels       # art/cats/*.jpg, art/dogs/*.jpg
  ml5-dcgan train --resume runs/photos --epochs 50

Everything else (learning rate, label smoothing, background colour, mixed precision, several
GPUs...) is a setting in a --config file: see docs/reference/training-settings.md.

Ctrl-C (or SIGTERM) evaluates the last step (see --eval-every), saves a checkpoint and
exits; Ctrl-C again skips that evaluation. --resume continues exactly where it stopped.
"""


@click.command(help=TRAIN_HELP, no_args_is_help=True)
@click.argument("data", required=False)
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run folder to create.")
@click.option("--resume", type=click.Path(path_type=Path),
              help="Continue this run folder with its saved configuration.")
@click.option("--config", "settings_file", type=click.Path(path_type=Path),
              help="Settings file: TOML (`lr = 0.0001`), or a run's config.json to train again "
                   "like that run. Options given here win over it.")
@click.option("--size", type=click.Choice(SIZES), default=str(DEFAULTS.size), show_default=True,
              help="Image side in pixels.")
@click.option("--minutes", type=float, default=None,
              help="Train for this many minutes, then stop and save as Ctrl-C does. A resumed "
                   "run gets the same budget again.")
@click.option("--epochs", type=int, default=None,
              help="Passes over the data; with --minutes too, whichever ends first; with "
                   f"--resume, a larger number extends the run.  [default: {EPOCHS}, or as many "
                   "as --minutes allows]")
@click.option("--width", type=int, default=DEFAULTS.width, show_default=True,
              help="Base channel width of both networks: 32 draws better pictures per minute on "
                   "a laptop CPU; 64 is ml5's own model size, for long runs.")
@click.option("--batch-size", type=int, default=DEFAULTS.batch_size, show_default=True)
@click.option("--latent-dim", type=int, default=None,
              help=f"Length of the latent vector  [default: {LATENT_DIM}, as ml5's own models; "
                   f"{LABELLED_LATENT_DIM} with --labels, which it then follows better]")
@click.option("--augment/--no-augment", default=DEFAULTS.augment, show_default=True,
              help="DiffAugment (colour, translation, cutout): for a few hundred images.")
@click.option("--ema/--no-ema", default=DEFAULTS.ema, show_default=True,
              help="Keep a moving average of the generator; it is the one saved for export.")
@click.option("--eval-every", type=click.IntRange(0), default=DEFAULTS.eval_every,
              show_default=True,
              help="Steps between quality evaluations (and one at the end); the best generator "
                   "is kept as generator_best.keras. 0 turns them off.")
@click.option("--labels", is_flag=True, default=DEFAULTS.labels,
              help="Learn each image's class (DATA's subfolders, or the shapes; an IDX file's "
                   "labels file: idx_labels in --config), to draw one with generate --label.")
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def train(ctx: click.Context, data: str | None, out: Path | None, resume: Path | None,
          settings_file: Path | None, quiet: bool, **options) -> None:
    from .. import training

    options["size"] = int(options["size"])
    given = {name: value for name, value in options.items()
             if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    if resume is not None:
        changed = [f"--{name.replace('_', '-')}" for name in given if name != "epochs"]
        if data or out or settings_file or changed:
            named = ["DATA"] * bool(data) + ["--out"] * bool(out) + [
                "--config"] * bool(settings_file) + changed
            raise UsageError(f"{', '.join(named)} cannot be given with --resume",
                             fix="a resumed run keeps its config.json; only --epochs may change")
        training.resume(resume, epochs=given.get("epochs"), quiet=quiet)
        return
    settings = read_settings(settings_file) if settings_file else {}
    data = data or settings.pop("data", None)
    settings.pop("data", None)
    if not data or not out:
        raise UsageError("DATA and --out are needed to start a run",
                         fix="ml5-dcgan train DATA --out RUN, or ml5-dcgan train --resume RUN")
    defaults = {name: value for name, value in options.items() if name not in given}
    training.train(TrainConfig(data=data, **{**defaults, **settings, **given}), out, quiet=quiet)


GENERATE_HELP = """Images from a trained generator: a run folder (its best checkpoint by
default, see --checkpoint; the EMA generator when the run has one), a .keras file, or an
exported TF.js bundle (a folder, its model.json or manifest.json, or a .zip; checked like
`validate` does, and rebuilt without running anything from it).

\b
  ml5-dcgan generate runs/shapes --n 64 --out samples.png
  ml5-dcgan generate runs/shapes --checkpoint last --out last.png
  ml5-dcgan generate runs/shapes/generator.keras --interpolate --out walk.gif
  ml5-dcgan generate bundle --n 16 --out bundle-samples.png
  ml5-dcgan generate runs/art --label cats --out cats.png   # a run trained with --labels
"""


@click.command(help=GENERATE_HELP, no_args_is_help=True)
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--n", "count", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Images in the grid (or walking in the GIF).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the standard-normal latents.")
@click.option("--out", "-o", type=click.Path(path_type=Path),
              help="Output file  [default: samples.png, or walk.gif with --interpolate]")
@click.option("--interpolate", is_flag=True,
              help="Write a looping GIF that walks through latent space.")
@click.option("--label", default=None,
              help="Draw this class of a labelled generator (default: one row per class).")
@checkpoint_option
def generate(source: Path, count: int, seed: int, out: Path | None, interpolate: bool,
             label: str | None, checkpoint: str) -> None:
    from ..generators import sample_grid, walk_gif

    out = out or Path("walk.gif" if interpolate else "samples.png")
    wanted = ".gif" if interpolate else ".png"
    if out.suffix.lower() != wanted:
        raise UsageError(f"--out must end in {wanted}", where=str(out))
    source, _ = use_checkpoint(source, checkpoint)
    written = (walk_gif if interpolate else sample_grid)(source, out, count=count, seed=seed,
                                                         label=label)
    click.echo(f"wrote {written}")
