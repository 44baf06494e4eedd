"""The --checkpoint option of every command that reads a generator from a run folder."""

from __future__ import annotations

import click

checkpoint_option = click.option(
    "--checkpoint", default="best", show_default=True,
    help="Which generator of a run folder: best (lowest Fréchet distance in training's quality "
         "evaluations; the last when there were none), last, or step-N (a kept checkpoint).")
