"""The --checkpoint option of every command that reads a generator from a run folder."""

from __future__ import annotations

from pathlib import Path

import click

checkpoint_option = click.option(
    "--checkpoint", default="best", show_default=True,
    help="Which generator of a run folder: best (lowest Fréchet distance in training's quality "
         "evaluations; the last when there were none), last, or step-N (a kept checkpoint).")


def use_checkpoint(source: Path, checkpoint: str) -> tuple[Path, str | None]:
    """The generator file to read for SOURCE and, for a run folder, which step it is (also said
    on stderr); other sources are returned as they are, for their own loaders to check."""
    from ..generators import pick_generator

    path, note = pick_generator(source, checkpoint)
    if path == source:
        return path, None
    click.echo(f"generator: {note}", err=True)
    return path, note
