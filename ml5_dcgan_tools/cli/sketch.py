"""``ml5-dcgan sketch``: write the p5.js + ml5.js page that shows what a bundle generates."""

from __future__ import annotations

from pathlib import Path

import click

from .serve import DEFAULT_PORT


@click.command(
    "sketch",
    help="""Write index.html and sketch.js: a p5.js + ml5.js page that loads BUNDLE's
manifest.json and shows generated images, a "new image" button and a smooth latent walk.

--ml5 1 (the default) is today's ml5: p5.js 2.x + ml5.js 1.4.0, which has no DCGAN of its
own, so the page also gets ml5-dcgan.js (the loader every export carries) and the sketch calls
ml5DCGAN("manifest.json") in an async setup(). --ml5 0.12 is the classic page: p5.js 1.x +
ml5.js 0.12.2 and its built-in ml5.DCGAN.

By default the page goes into BUNDLE itself, so serving that folder is all it takes. With
--out elsewhere, serve a folder that holds both (the command prints which). --offline copies
every script (p5, ml5) from the pinned npm packages (installed once into the cache) instead
of linking jsDelivr, for a page that works without internet.

\b
Examples:
  ml5-dcgan sketch bundle && ml5-dcgan serve bundle
  ml5-dcgan sketch bundle --offline
  ml5-dcgan sketch bundle --ml5 0.12 --out site/classic
  ml5-dcgan sketch models/faces --out site/faces
""",
)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--ml5", "ml5", type=click.Choice(["1", "0.12"]), default="1", show_default=True,
              help="ml5 1.4.0 + p5 2.x + ml5-dcgan.js, or ml5 0.12.2 + p5 1.x.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder for the page (default: BUNDLE).")
@click.option("--offline", is_flag=True,
              help="Copy ml5 and p5 next to the page instead of linking a CDN.")
@click.option("--force", is_flag=True,
              help="Replace an index.html, sketch.js or ml5-dcgan.js that differs.")
def sketch_command(bundle: Path, ml5: str, out_dir: Path | None, offline: bool,
                   force: bool) -> None:
    from ..web.sketch import write_sketch

    page = write_sketch(bundle, out_dir, ml5=ml5, offline=offline, force=force)
    click.echo(f"wrote {', '.join(page.files)} into {page.folder}")
    click.echo(f"see it: ml5-dcgan serve {page.serve_root}  then open "
               f"http://127.0.0.1:{DEFAULT_PORT}/{page.page_path}")
