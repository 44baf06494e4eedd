"""``ml5-dcgan unpublish``: take a model out of a hosting repository."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(
    "unpublish",
    help="""Remove model NAME from the hosting repository REPO: its folder models/dcgan/NAME/
and its rows in index.json, README.md and the gallery index.html, in one step under the same
lock as publish (a concurrent publish waits). With --commit, exactly those paths are committed.

\b
Examples:
  ml5-dcgan unpublish ../models faces
  ml5-dcgan unpublish ../models faces --commit

Exit codes: 0 removed, 1 git failed, 2 no such model or usage error.
""",
)
@click.argument("repo", type=click.Path(path_type=Path))
@click.argument("name")
@click.option("--commit", is_flag=True, help="git commit the removal.")
def unpublish_command(repo: Path, name: str, commit: bool) -> None:
    from ..publish.unpublish import unpublish_model

    done = unpublish_model(repo, name, commit=commit)
    removed = [what for what, had in (("its folder", done.had_folder),
                                      ("its catalog entry", done.had_entry)) if had]
    click.echo(f"unpublished {name}: removed {' and '.join(removed)}")
    if commit:
        click.echo(f"  committed {done.commit[:12]}" if done.commit else "  nothing to commit")
