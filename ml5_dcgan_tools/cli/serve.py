"""``ml5-dcgan serve``: a local static server for a bundle and its sketch page."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_PORT = 8000


@click.command(
    "serve",
    help="""Serve FOLDER (a bundle, usually with its sketch page) on http://127.0.0.1:PORT/.

Loopback only, with the MIME types TF.js expects and CORS headers, so a page elsewhere (the
p5.js web editor) can load the model from here too. Prints the URL, then one line per request
on stderr; Ctrl+C stops it.

\b
Examples:
  ml5-dcgan serve bundle
  ml5-dcgan serve bundle --port 0     # any free port
""",
)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1; 0 picks a free one.")
def serve_command(folder: Path, port: int) -> None:
    from ..web.serve import StaticServer

    server = StaticServer([folder], port, log=lambda line: click.echo(line, err=True))
    click.echo(f"serving {folder} at {server.url}  (Ctrl+C to stop)")
    if not (folder / "index.html").is_file():
        click.echo(f"no index.html in {folder}: write the page with `ml5-dcgan sketch {folder}`; "
                   f"the manifest is at {server.url}manifest.json", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
