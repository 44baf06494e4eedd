"""``ml5-dcgan browser-check``: run a bundle in real ml5.js and TF.js in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import click

STACK_NAMES = ("ml5-0.12.2", "ml5-1.4.0", "tfjs-4.22.0")  # web.browser_check.STACKS, kept light


@click.command(
    "browser-check",
    help="""Run BUNDLE in real headless Chromium on each stack and compare the pixels.

Stacks: ml5-0.12.2 (the classic sketch page; ml5's own ml5.DCGAN, and ml5-dcgan.js over its
TF.js 1.7.4), ml5-1.4.0 (the p5.js 2.x + ml5 1.4.0 sketch page; ml5-dcgan.js's ml5.DCGAN and
ml5DCGAN over ml5.tf) and tfjs-4.22.0 (plain TF.js 4.22.0 + ml5-dcgan.js). Each stack's page is
served over BUNDLE on 127.0.0.1 and opened in the system's Chromium (one launch for all),
driven by playwright-core (no browser is downloaded). Once the page shows its images, each
loader draws the bundle's reference latents (reference.json, written by `ml5-dcgan export`),
and every RGBA byte must be within 2 levels of 255 of the Python reference. A bundle without
reference.json is only checked to draw.

Needs Chromium (Debian/Ubuntu: apt-get install chromium; elsewhere set ML5_DCGAN_CHROMIUM)
and Node.js >= 18.

\b
Examples:
  ml5-dcgan browser-check bundle
  ml5-dcgan browser-check bundle --stack ml5-1.4.0 --screenshot docs/sketch.png
  ml5-dcgan browser-check bundle --json

Exit codes: 0 passed on every stack, 1 failed on one, 2 usage error.
""",
)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--stack", type=click.Choice([*STACK_NAMES, "all"]), default="all",
              show_default=True, help="Which stack to check.")
@click.option("--screenshot", type=click.Path(path_type=Path),
              help="Save a PNG of the page (with several stacks: NAME-STACK.png each).")
@click.option("--chromium", type=click.Path(path_type=Path),
              help="Chromium or Chrome executable (default: $ML5_DCGAN_CHROMIUM, then PATH).")
@click.option("--timeout", type=click.FloatRange(min=1), default=180, show_default=True,
              help="Seconds for each browser step.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def browser_check_command(ctx: click.Context, bundle: Path, stack: str, screenshot: Path | None,
                          chromium: Path | None, timeout: float, as_json: bool) -> None:
    from ..web.browser_check import check_in_browser

    stacks = STACK_NAMES if stack == "all" else (stack,)
    checks = check_in_browser(bundle, stacks=stacks, screenshot=screenshot, chromium=chromium,
                              timeout=timeout)
    passed = all(check.passed for check in checks)
    if as_json:
        click.echo(json.dumps({"bundle": str(bundle), "passed": passed,
                               "stacks": [check.as_dict() for check in checks]}, indent=2))
        ctx.exit(0 if passed else 1)
    for check in checks:
        runs_on = (f"ml5 {check.ml5}, " if check.ml5 else "") + f"TF.js {check.tfjs}"
        if check.passed:
            compared = (f"max pixel difference {check.max_pixel_difference} of 255 (allowed "
                        f"{check.tolerance})" if check.compared else "no reference.json to "
                        "compare")
            click.echo(f"PASS {check.stack}: {' and '.join(check.loaders)} drew {check.images} "
                       f"images each; {compared}")
        else:
            click.echo(f"FAIL {check.stack}: {check.problem}")
        if check.skipped:
            click.echo(f"  {check.skipped}")
        click.echo(f"  {runs_on}, {check.backend} backend"
                   + (f" ({check.webgl_renderer})" if check.webgl_renderer else ""))
        times = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in check.seconds.items()
                          if seconds is not None)
        click.echo(f"  times: {times}")
        if check.screenshot:
            click.echo(f"  screenshot: {check.screenshot}")
    verdict = "PASS" if passed else "FAIL"
    chromium_version = checks[0].chromium if checks else None
    click.echo(f"{verdict} {bundle}: {sum(c.passed for c in checks)} of {len(checks)} stacks "
               f"passed in Chromium {chromium_version}")
    ctx.exit(0 if passed else 1)
