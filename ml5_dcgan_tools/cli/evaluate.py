"""`ml5-dcgan evaluate`: quality numbers for a generator, with no download and no internet."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .checkpoint import checkpoint_option, use_checkpoint

EVALUATE_HELP = """How good are a generator's pictures? Compares samples from SOURCE with the
training images DATA in a fixed embedding that ships with this tool (a random convolutional
network with a fixed seed: nothing is downloaded).

SOURCE is a run folder (its best checkpoint by default, see --checkpoint), a .keras file or an
exported TF.js bundle (checked like `validate` does, never executed). DATA is what the run
trained on: a folder, an IDX file or shapes[:COUNT], loaded at the generator's size.

\b
Prints, each next to what real images give:
  Fréchet distance, KID ± spread   lower is better; real-vs-real is the floor
  precision, density               fidelity: samples look like some training image
  recall, coverage                 diversity: samples reach all of the data
  diversity, near-duplicates       MODE COLLAPSE when samples are far less varied
  copies of training images        MEMORISING, naming the training images copied

A labelled generator (trained with --labels) with --labels: DATA is read with its classes (class
folders, shapes, or an IDX file with --idx-labels) and the report adds, per class and overall,
how often a classifier trained on DATA recognises the class a sample was asked for, next to how
often it recognises held-out real images, and each class's Fréchet distance (--samples split
evenly between the classes).

\b
  ml5-dcgan evaluate runs/shapes --data shapes
  ml5-dcgan evaluate bundle --data photos/ --samples 5000 --json
  ml5-dcgan evaluate runs/pets --data pets/ --labels

Figures compare only at the same DATA, --samples and --seed. Exit code 0 even for poor
numbers; 1 or 2 when SOURCE or DATA cannot be read.
"""


@click.command("evaluate", help=EVALUATE_HELP, no_args_is_help=True)
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--data", required=True, help="The training data: folder, IDX file or shapes.")
@click.option("--samples", type=click.IntRange(20, 50000), default=2000, show_default=True,
              help="Images to generate (and real images to compare with).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the latents and of the real subset.")
@click.option("--labels", is_flag=True,
              help="Read DATA with its classes and measure whether a labelled generator draws "
                   "the class it is asked for.")
@click.option("--idx-labels", type=click.Path(path_type=Path),
              help="With --labels and an IDX DATA file: its labels file "
                   "(e.g. train-labels-idx1-ubyte).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@checkpoint_option
def evaluate_command(source: Path, data: str, samples: int, seed: int, labels: bool,
                     idx_labels: Path | None, as_json: bool, checkpoint: str) -> None:
    from ..evaluation import evaluate

    path, note = use_checkpoint(source, checkpoint)
    report = evaluate(path, data, samples=samples, seed=seed, labels=labels,
                      idx_labels=idx_labels)
    report.source = f"{source} ({note})" if note else str(source)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo("\n".join(report.lines()))
