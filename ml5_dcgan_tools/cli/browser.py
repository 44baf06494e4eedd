"""``ml5-dcgan browser-check``: run a bundle in real ml5.js 0.12.2 in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command(
    "browser-check",
    help="""Run BUNDLE in real ml5.js 0.12.2 inside headless Chromium and compare the pixels.

The sketch page (`ml5-dcgan sketch`) is served over BUNDLE on 127.0.0.1 and opened in the
system's Chromium, driven by playwright-core (no browser is downloaded). Once the page shows
its images, ml5.DCGAN("manifest.json") draws the bundle's reference latents (reference.json,
written by `ml5-dcgan export`), and every RGBA byte must be within 2 levels of 255 of the
Python reference. A bundle without reference.json is only checked to draw.

Needs Chromium (Debian/Ubuntu: apt-get install chromium; elsewhere set ML5_DCGAN_CHROMIUM)
and Node.js >= 20.

\b
Examples:
  ml5-dcgan browser-check bundle
  ml5-dcgan browser-check bundle --screenshot docs/sketch.png --json

Exit codes: 0 passed, 1 failed, 2 usage error.
""",
)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--screenshot", type=click.Path(path_type=Path), help="Save a PNG of the page.")
@click.option("--chromium", type=click.Path(path_type=Path),
              help="Chromium or Chrome executable (default: $ML5_DCGAN_CHROMIUM, then PATH).")
@click.option("--timeout", type=click.FloatRange(min=1), default=180, show_default=True,
              help="Seconds for each browser step.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def browser_check_command(ctx: click.Context, bundle: Path, screenshot: Path | None,
                          chromium: Path | None, timeout: float, as_json: bool) -> None:
    from ..web.browser_check import check_in_browser

    check = check_in_browser(bundle, screenshot=screenshot, chromium=chromium, timeout=timeout)
    if as_json:
        click.echo(json.dumps(check.as_dict(), indent=2))
        ctx.exit(0 if check.passed else 1)
    if check.passed:
        compared = (f"max pixel difference {check.max_pixel_difference} of 255 (allowed "
                    f"{check.tolerance})" if check.compared else "no reference.json to compare")
        click.echo(f"PASS {bundle}: ml5 {check.ml5} drew {check.images} images in Chromium "
                   f"{check.chromium}; {compared}")
    else:
        click.echo(f"FAIL {bundle}: {check.problem}")
    click.echo(f"  TF.js {check.tfjs}, {check.backend} backend"
               + (f" ({check.webgl_renderer})" if check.webgl_renderer else ""))
    times = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in check.seconds.items()
                      if seconds is not None)
    click.echo(f"  times: {times}")
    if check.screenshot:
        click.echo(f"  screenshot: {check.screenshot}")
    ctx.exit(0 if check.passed else 1)
