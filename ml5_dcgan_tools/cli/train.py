"""`ml5-dcgan train` and `ml5-dcgan generate`: TensorFlow is imported inside the commands only."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.core import ParameterSource

from ..errors import UsageError
from ..training.config import DISTRIBUTE, UPDATE_ORDERS, TrainConfig
from .checkpoint import checkpoint_option, use_checkpoint

DEFAULTS = TrainConfig(data="")
SIZES = ("32", "64", "128", "256")


def _colour(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip())
    if not match:
        raise click.BadParameter(f"{value!r} is not a colour like '#ffffff'")
    return tuple(int(match[1][i:i + 2], 16) for i in (0, 2, 4))


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
  ml5-dcgan train --resume runs/photos --epochs 50

Ctrl-C (or SIGTERM) evaluates the last step (see --eval-every), saves a checkpoint and
exits; Ctrl-C again skips that evaluation. --resume continues exactly where it stopped.
"""


@click.command(help=TRAIN_HELP, no_args_is_help=True)
@click.argument("data", required=False)
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run folder to create.")
@click.option("--resume", type=click.Path(path_type=Path),
              help="Continue this run folder with its saved configuration.")
@click.option("--size", type=click.Choice(SIZES), default=str(DEFAULTS.size), show_default=True,
              help="Image side in pixels.")
@click.option("--latent-dim", type=int, default=DEFAULTS.latent_dim, show_default=True,
              help="Length of the latent vector (ml5's own models: 128).")
@click.option("--width", type=int, default=DEFAULTS.width, show_default=True,
              help="Base channel width of both networks. 32 draws better pictures per minute on a "
                   "laptop CPU; 64 is classic DCGAN and ml5's own model size, for long runs.")
@click.option("--epochs", type=int, default=DEFAULTS.epochs, show_default=True,
              help="Passes over the data; with --resume, a larger number extends the run.")
@click.option("--batch-size", type=int, default=DEFAULTS.batch_size, show_default=True)
@click.option("--lr", type=float, default=DEFAULTS.lr, show_default=True,
              help="Adam learning rate, both networks.")
@click.option("--beta1", type=float, default=DEFAULTS.beta1, show_default=True,
              help="Adam beta1.")
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@click.option("--ema/--no-ema", default=DEFAULTS.ema, show_default=True,
              help="Keep a moving average of the generator; it is the one saved for export.")
@click.option("--ema-decay", type=float, default=DEFAULTS.ema_decay, show_default=True)
@click.option("--augment/--no-augment", default=DEFAULTS.augment, show_default=True,
              help="DiffAugment (colour, translation, cutout): for a few hundred images.")
@click.option("--label-smoothing", type=float, default=DEFAULTS.label_smoothing,
              show_default=True, help="Real images are labelled 1 minus this.")
@click.option("--update-order", type=click.Choice(UPDATE_ORDERS), default=DEFAULTS.update_order,
              show_default=True,
              help="simultaneous: both networks learn from one forward pass (TensorFlow's DCGAN "
                   "tutorial); alternating: the generator learns against the discriminator "
                   "just updated (pytorch/examples).")
@click.option("--bn-momentum", type=float, default=DEFAULTS.bn_momentum, show_default=True,
              help="BatchNormalization momentum of both networks (PyTorch's 0.1 is 0.9 here).")
@click.option("--bn-epsilon", type=float, default=DEFAULTS.bn_epsilon, show_default=True,
              help="BatchNormalization epsilon of both networks (PyTorch: 1e-5).")
@click.option("--project-bias/--no-project-bias", default=DEFAULTS.project_bias,
              show_default=True,
              help="A bias in the generator's first (Dense) layer, as in ml5's own models; the "
                   "DCGAN paper has none.")
@click.option("--background", default="#ffffff", show_default=True, callback=_colour,
              help="Colour behind transparent pixels.")
@click.option("--mixed-precision/--no-mixed-precision", default=DEFAULTS.mixed_precision,
              show_default=True, help="float16 on a GPU, bfloat16 on a CPU: faster where the "
              "hardware has it, but not shown to draw as well as float32.")
@click.option("--xla/--no-xla", default=DEFAULTS.xla, show_default=True,
              help="Compile the training step with XLA (helps on GPUs, slower on CPUs).")
@click.option("--distribute", type=click.Choice(DISTRIBUTE), default=DEFAULTS.distribute,
              show_default=True, help="Data-parallel training over local GPUs (mirrored) or a "
                                      "TF_CONFIG cluster (multiworker).")
@click.option("--log-every", type=int, default=DEFAULTS.log_every, show_default=True,
              help="Steps between lines of metrics.jsonl.")
@click.option("--checkpoint-every", type=int, default=DEFAULTS.checkpoint_every,
              show_default=True, help="Steps between checkpoints (also at every epoch's end).")
@click.option("--eval-every", type=click.IntRange(0), default=DEFAULTS.eval_every,
              show_default=True,
              help="Steps between quality evaluations (a cheap `evaluate` on 500 samples, also "
                   "at the end) into metrics.jsonl and TensorBoard; the best generator is kept "
                   "as generator_best.keras. 0 turns them off.")
@click.option("--minutes", type=float, default=None,
              help="Stop after this many minutes of training (evaluations not counted), with a "
                   "checkpoint, samples and the generators saved, as Ctrl-C does; --epochs is "
                   "then an upper bound. A resumed run gets the same budget again.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def train(ctx: click.Context, data: str | None, out: Path | None, resume: Path | None,
          quiet: bool, **options) -> None:
    from .. import training

    if resume is not None:
        changed = [f"--{name.replace('_', '-')}" for name in options if name != "epochs"
                   and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
        if data or out or changed:
            given = ", ".join(["DATA"] * bool(data) + ["--out"] * bool(out) + changed)
            raise UsageError(f"{given} cannot be given with --resume",
                             fix="a resumed run keeps its config.json; only --epochs may change")
        epochs = options["epochs"]
        explicit = ctx.get_parameter_source("epochs") is ParameterSource.COMMANDLINE
        training.resume(resume, epochs=epochs if explicit else None, quiet=quiet)
        return
    if not data or not out:
        raise UsageError("DATA and --out are needed to start a run",
                         fix="ml5-dcgan train DATA --out RUN, or ml5-dcgan train --resume RUN")
    options["size"] = int(options["size"])
    training.train(TrainConfig(data=data, **options), out, quiet=quiet)


GENERATE_HELP = """Images from a trained generator: a run folder (its best checkpoint by
default, see --checkpoint; the EMA generator when the run has one), a .keras file, or an
exported TF.js bundle (a folder, its model.json or manifest.json, or a .zip; checked like
`validate` does, and rebuilt without running anything from it).

\b
  ml5-dcgan generate runs/shapes --n 64 --out samples.png
  ml5-dcgan generate runs/shapes --checkpoint last --out last.png
  ml5-dcgan generate runs/shapes/generator.keras --interpolate --out walk.gif
  ml5-dcgan generate bundle --n 16 --out bundle-samples.png
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
@checkpoint_option
def generate(source: Path, count: int, seed: int, out: Path | None, interpolate: bool,
             checkpoint: str) -> None:
    from ..training.generate import sample_grid, walk_gif

    out = out or Path("walk.gif" if interpolate else "samples.png")
    wanted = ".gif" if interpolate else ".png"
    if out.suffix.lower() != wanted:
        raise UsageError(f"--out must end in {wanted}", where=str(out))
    source, _ = use_checkpoint(source, checkpoint)
    written = (walk_gif if interpolate else sample_grid)(source, out, count=count, seed=seed)
    click.echo(f"wrote {written}")
