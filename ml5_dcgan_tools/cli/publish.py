"""``ml5-dcgan publish``: a validated bundle into a model hosting repository."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(
    "publish",
    help="""Publish BUNDLE into the model hosting repository DIR as models/dcgan/NAME/.

BUNDLE is validated first (as `ml5-dcgan validate` does) and refused if it fails; a refused
publish leaves DIR untouched. The model folder gets manifest.json, model.json and the weight
shards, reference.json + reference-outputs.bin (so `ml5-dcgan audit` can re-check its numbers
at any time), the ml5-dcgan.js loader and training.json when the bundle has them, and a model
card README.md (Hugging Face style front matter, licence, a sample grid and a latent-walk GIF
drawn from the published files, how to load it, the sha256 of every file).
models/dcgan/index.json, README.md and the gallery index.html list every model. The first
publish also writes the repository's CI (see `ml5-dcgan audit --init-ci`). Files are written
atomically and a lock keeps concurrent publishes and unpublishes apart.

A licence is required: --license with an SPDX id, unless the bundle's manifest (or the model
being replaced) already has one. --license, --author, --source-url and --training-data also
go into the published manifest (license, author, source, trainingData).

With --base-url (where DIR will be hosted, e.g. a raw.githubusercontent.com or GitHub Pages
URL), the manifest's "model" becomes the absolute URL model.json will have, so any sketch
anywhere can load it: ml5 0.12.2 resolves a relative "model" against the page, not the
manifest.

\b
Examples:
  ml5-dcgan publish bundle --repo ../models --name shapes-32 --license MIT
  ml5-dcgan publish bundle --repo ../models --name faces --license CC-BY-4.0 \\
      --author "Ada" --training-data "2,000 portraits I drew" \\
      --base-url https://raw.githubusercontent.com/me/models/main --commit
  ml5-dcgan publish bundle --repo ../models --name faces --force --commit

Exit codes: 0 published, 1 the bundle failed validation (or git failed), 2 usage error.
""",
)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--repo", "repo", required=True, type=click.Path(path_type=Path),
              help="The repository folder (a git work tree for --commit).")
@click.option("--name", required=True, help="Folder name under models/dcgan/, e.g. faces-64.")
@click.option("--base-url", help="URL where the repository's root will be served.")
@click.option("--force", is_flag=True, help="Replace a model of the same name.")
@click.option("--commit", is_flag=True, help="git commit the model and the catalog.")
@click.option("--license", "license_id", metavar="SPDX-ID",
              help="Licence of the weights, e.g. CC-BY-4.0 (required unless the manifest has "
                   "one).")
@click.option("--author", help="Who trained the model.")
@click.option("--source-url", help="Where the model comes from (a URL).")
@click.option("--training-data", help="What it was trained on (free text).")
def publish_command(bundle: Path, repo: Path, name: str, base_url: str | None, force: bool,
                    commit: bool, license_id: str | None, author: str | None,
                    source_url: str | None, training_data: str | None) -> None:
    from ..publish import ModelFacts, publish_bundle

    facts = ModelFacts(license=license_id, author=author, source_url=source_url,
                       training_data=training_data)
    done = publish_bundle(bundle, repo, name, base_url=base_url, force=force, commit=commit,
                          facts=facts, progress=lambda line: click.echo(line, err=True))
    warnings = [f.message for f in done.validation.findings if f.severity == "warn"]
    for message in warnings:
        click.echo(f"  warning: {message}", err=True)
    if warnings:
        click.echo("  (only the model's files, its reference and the card are published)",
                   err=True)
    entry = done.entry
    click.echo(f"{'replaced' if done.replaced else 'published'} {name} in {done.folder} "
               f"({len(entry['files'])} files, {entry['bytes'] / 1e6:.2f} MB, "
               f"{entry['parameters']:,} parameters)")
    if entry["manifestUrl"]:
        click.echo(f"  once hosted: ml5.DCGAN('{entry['manifestUrl']}')")
    else:
        click.echo("  its manifest says \"model\": \"model.json\", which ml5 resolves against the "
                   "page: only a page in that folder loads it; add --base-url for any page")
    click.echo(f"  card: {done.folder / 'README.md'}")
    click.echo(f"  catalog: {done.folder.parent / 'index.json'}, README.md, index.html")
    for path in done.ci_files:
        click.echo(f"  wrote {path} (the repository's audit in CI)")
    if commit:
        click.echo(f"  committed {done.commit[:12]}" if done.commit
                   else "  nothing to commit: the repository already has exactly these files")
