"""``ml5-dcgan runtime``: install and inspect the JavaScript runtimes that prove bundles."""

from __future__ import annotations

import json

import click

MB = 1e6


@click.group(
    "runtime",
    help=(
        "The real TensorFlow.js runtimes (1.7.4 as in ml5 0.12.2, and 4.22.0) run with Node.js, "
        "and the browser runtime (playwright-core, ml5.js, p5.js) of the browser check: pinned "
        "npm packages installed into a cache folder, each part the first time it is needed."
    ),
)
def runtime_group() -> None:
    pass


@runtime_group.command("install", short_help="Install runtime parts once; print their folders.")
@click.option("--browser", "which", flag_value="browser",
              help="Only the browser part (playwright-core and the pinned ml5/p5/TF.js builds).")
@click.option("--all", "which", flag_value="all", help="The numeric and the browser parts.")
def install_command(which: str | None) -> None:
    """Install the numeric proof's TF.js runtimes (default), the browser part, or both; needs
    the npm registry once, then works offline. Prints each part's folder."""
    from ..runtime.install import BROWSER, NUMERIC, ensure_runtime

    parts = {None: NUMERIC, "browser": (BROWSER,), "all": (*NUMERIC, BROWSER)}[which]
    for folder in ensure_runtime(parts, progress=lambda line: click.echo(line, err=True)):
        click.echo(str(folder))


@runtime_group.command("info", short_help="Show node, npm, each runtime part and its size.")
@click.option("--json", "as_json", is_flag=True, help="Print the same facts as one JSON object.")
def info_command(as_json: bool) -> None:
    """Show Node.js and npm, and for each runtime part its folder, whether it is installed and
    its size on disk; also cache folders of older pins that nothing uses any more."""
    from ..contract import ML5_TFJS_VERSION, TFJS_VERSIONS
    from ..runtime.install import NODE_FIX, runtime_info

    info = runtime_info()
    if as_json:
        click.echo(json.dumps({
            "node": info.node, "node_version": info.node_version,
            "npm": info.npm, "npm_version": info.npm_version,
            "parts": [{"name": part.name, "purpose": part.purpose, "folder": str(part.folder),
                       "installed": part.installed, "bytes": part.bytes} for part in info.parts],
            "total_bytes": info.total_bytes,
            "unused": [{"folder": str(folder), "bytes": size} for folder, size in info.unused],
        }, indent=2))
        return
    versions = ", ".join(
        f"{v} (ml5 0.12.2)" if v == ML5_TFJS_VERSION else v for v in TFJS_VERSIONS)
    click.echo(f"node: {f'{info.node} ({info.node_version})' if info.node else 'not found'}")
    click.echo(f"npm: {f'{info.npm} ({info.npm_version})' if info.npm else 'not found'}")
    click.echo(f"TF.js versions: {versions}")
    for part in info.parts:
        state = f"installed, {part.bytes / MB:.1f} MB" if part.installed else "not installed"
        click.echo(f"{part.name}: {state} ({part.purpose})")
        click.echo(f"  folder: {part.folder}")
    click.echo(f"total: {info.total_bytes / MB:.1f} MB")
    for folder, size in info.unused:
        click.echo(f"unused: {folder} ({size / MB:.1f} MB; an older pin: delete it)")
    if not all(part.installed for part in info.parts):
        click.echo("install: ml5-dcgan runtime install (numeric), --browser or --all; "
                   "otherwise each part installs the first time it is needed")
    if not (info.node and info.npm):
        click.echo(f"fix: {NODE_FIX}")
