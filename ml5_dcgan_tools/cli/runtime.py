"""``ml5-dcgan runtime``: install and inspect the TF.js runtimes that prove bundles numerically."""

from __future__ import annotations

import click


@click.group(
    "runtime",
    help=(
        "The real TensorFlow.js runtimes (1.7.4 as in ml5 0.12.2, and 4.22.0), installed from npm "
        "into a cache folder and run with Node.js to check exported bundles."
    ),
)
def runtime_group() -> None:
    pass


@runtime_group.command("install", short_help="Install the TF.js runtimes once; print the folder.")
def install_command() -> None:
    """Install the pinned npm packages once (npm ci; needs the npm registry); print the folder."""
    from ..runtime.install import ensure_runtime

    folder = ensure_runtime(progress=lambda line: click.echo(line, err=True))
    click.echo(str(folder))


@runtime_group.command("info", short_help="Show node, npm, cache folder, install state.")
def info_command() -> None:
    """Show Node.js and npm, the cache folder, and whether the runtimes are installed."""
    from ..contract import ML5_TFJS_VERSION, TFJS_VERSIONS
    from ..runtime.install import NODE_FIX, runtime_info

    info = runtime_info()
    versions = ", ".join(
        f"{v} (ml5 0.12.2)" if v == ML5_TFJS_VERSION else v for v in TFJS_VERSIONS)
    click.echo(f"node: {f'{info.node} ({info.node_version})' if info.node else 'not found'}")
    click.echo(f"npm: {f'{info.npm} ({info.npm_version})' if info.npm else 'not found'}")
    click.echo(f"TF.js versions: {versions}")
    click.echo(f"cache folder: {info.folder}")
    click.echo(f"installed: {'yes' if info.installed else 'no (run: ml5-dcgan runtime install)'}")
    if not (info.node and info.npm):
        click.echo(f"fix: {NODE_FIX}")
