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
ml5.js 0.12.2 and its built-in ml5.DCGAN. A labelled bundle (its manifest names modelLabels)
gets a picker: the class to draw and a slider that mixes it with a second class; ml5 0.12.2's
ml5.DCGAN cannot pass a label, so such a bundle takes --ml5 1 only.

By default the page goes into BUNDLE itself, so serving that folder is all it takes. With
--out elsewhere, serve a folder that holds both (the command prints which). --offline copies
every script (p5, ml5) from the pinned npm packages (installed once into the cache) instead
of linking jsDelivr, for a page that works without internet.

--zip [OUT.zip] writes instead one zip of a flat sketch folder for the p5.js web editor
(default: BUNDLE-p5-editor.zip beside BUNDLE): every file of an accepted type and under the
editor's 5 MB upload limit (weight files re-cut when larger, the bytes unchanged), the sketch
naming each file so the editor can swap in its upload's URL. Unzip it, then upload its files
into a new editor sketch (docs/how-to/p5-web-editor.md).

\b
Examples:
  ml5-dcgan sketch bundle && ml5-dcgan serve bundle
  ml5-dcgan sketch bundle --offline
  ml5-dcgan sketch bundle --ml5 0.12 --out site/classic
  ml5-dcgan sketch models/faces --out site/faces
  ml5-dcgan sketch bundle --zip faces-editor.zip
""",
)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--ml5", "ml5", type=click.Choice(["1", "0.12"]), default="1", show_default=True,
              help="ml5 1.4.0 + p5 2.x + ml5-dcgan.js, or ml5 0.12.2 + p5 1.x.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder for the page (default: BUNDLE).")
@click.option("--offline", is_flag=True,
              help="Copy ml5 and p5 next to the page instead of linking a CDN.")
@click.option("--zip", "zip_out", is_flag=False, flag_value=".", default=None,
              type=click.Path(path_type=Path), metavar="[OUT.zip]",
              help="Write a zip for the p5.js web editor instead (ml5 1.x, from the CDN).")
@click.option("--force", is_flag=True,
              help="Replace an index.html, sketch.js or ml5-dcgan.js that differs, or the zip.")
def sketch_command(bundle: Path, ml5: str, out_dir: Path | None, offline: bool,
                   zip_out: Path | None, force: bool) -> None:
    from ..web.sketch import write_sketch

    if zip_out is not None:
        _write_zip(bundle, None if zip_out == Path(".") else zip_out, ml5=ml5, out_dir=out_dir,
                   offline=offline, force=force)
        return
    page = write_sketch(bundle, out_dir, ml5=ml5, offline=offline, force=force)
    click.echo(f"wrote {', '.join(page.files)} into {page.folder}")
    click.echo(f"see it: ml5-dcgan serve {page.serve_root}  then open "
               f"http://127.0.0.1:{DEFAULT_PORT}/{page.page_path}")


def _write_zip(bundle: Path, out: Path | None, *, ml5: str, out_dir: Path | None, offline: bool,
               force: bool) -> None:
    from ..errors import UsageError
    from ..p5_editor import EDITOR_FILES_PER_UPLOAD
    from ..web.editor_zip import write_editor_zip

    if ml5 != "1" or out_dir is not None or offline:
        raise UsageError("--zip makes the ml5 1.x page from the CDN, into the zip",
                         fix="drop --ml5, --out and --offline, or drop --zip")
    path = write_editor_zip(bundle, out, force=force)
    click.echo(f"wrote {path}")
    click.echo(f"unzip it; in a new p5.js web editor sketch delete index.html and sketch.js, "
               f"then upload every file (at most {EDITOR_FILES_PER_UPLOAD} at a time)")
