"""``ml5-dcgan validate``: check any ml5 DCGAN bundle before it is hosted or loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..jsonio import printable

if TYPE_CHECKING:
    from ..validation import BundleReport

_LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


@click.command(
    "validate",
    help="""Check ml5 DCGAN bundles: structure, safety, the ml5 contract and the numbers.

TARGET is a bundle folder, its manifest.json, a model.json or a .zip of a bundle, ours or
anyone's. Nothing from the bundle is executed and nothing is fetched from the network unless
--allow-network is given. The checks, in order:

\b
  source    find the files (a zip is unpacked only after checking every entry)
  safety    no path, link or zip entry leaving the bundle; size caps; no code
  manifest  the schema, ml5's pitfalls, modelLatentDim, modelLabels and modelSize against
            the model
  model     model.json parses, its topology has shapes
  weights   weightsManifest matches the topology exactly; the files hold exactly its
            bytes; no NaN or Inf
  contract  channels-first 3-channel output bounded to [-1, 1]; only layers and settings
            TF.js 1.7.4 (inside ml5 0.12.2) computes like Keras; no float16
  numbers   the model rebuilt in Keras on fixed latents: finite, in [-1, 1], different per
            latent, equal to the bundle's reference outputs; then run in TF.js (Node) and
            compared with Python (max abs error per runtime)

Prints PASS / WARN / FAIL / SKIP per stage with each finding (severity, message, check id,
hint), then the verdict. --json prints one JSON report per TARGET, one per line
(schemas/validate-report.schema.json).

\b
Examples:
  ml5-dcgan validate bundle/
  ml5-dcgan validate submissions/*.zip --strict
  ml5-dcgan validate bundle/manifest.json --runtime 1.7.4 --json
  ml5-dcgan validate bundle/ --runtime none          # no Node.js: Keras only
  ml5-dcgan validate bundle/ --no-numbers            # structure only, no TensorFlow
  ml5-dcgan validate manifest.json --allow-network   # fetch a model given by URL

Exit codes: 0 no bundle failed (warnings allowed unless --strict), 1 a bundle failed, 2 usage
error (a TARGET that does not exist or is no bundle, a bad option).
""",
)
@click.argument("targets", nargs=-1, required=True, metavar="TARGET...",
                type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON report per TARGET, one per line.")
@click.option("--runtime", "runtimes", multiple=True, metavar="VERSION",
              help="TF.js version to run the bundle in: 1.7.4 (ml5's) or 4.22.0; repeat for "
                   "both (the default), or 'none' to skip TF.js.")
@click.option("--reference", type=click.Path(path_type=Path, dir_okay=False),
              help="A reference.json (fixed latents and expected outputs) to compare with, "
                   "instead of the bundle's own.")
@click.option("--atol", type=float, default=None,
              help="Largest abs difference allowed between Python, the reference outputs and "
                   "TF.js, on the [-1, 1] scale (default: the bundle's reference tolerance, at "
                   "most 1e-4).")
@click.option("--strict", is_flag=True, help="Count warnings as failures.")
@click.option("--allow-network", is_flag=True,
              help="Download a model that the manifest names by http(s) URL, with its weights.")
@click.option("--no-numbers", is_flag=True,
              help="Skip the Keras rebuild and TF.js: structure, safety and contract only.")
@click.pass_context
def validate_command(ctx: click.Context, targets: tuple[Path, ...], as_json: bool,
                     runtimes: tuple[str, ...], reference: Path | None, atol: float | None,
                     strict: bool, allow_network: bool, no_numbers: bool) -> None:
    from ..contract import TFJS_VERSIONS
    from ..errors import UsageError
    from ..validation import validate_bundle
    from ..validation.targets import target_kind
    from ..validation.validator import numbers_options

    if "none" in runtimes and len(runtimes) > 1:
        raise UsageError("--runtime none cannot be combined with a version",
                         fix="repeat --runtime for each version, or give none alone")
    options = numbers_options(() if runtimes == ("none",) else runtimes or TFJS_VERSIONS,
                              reference, atol)
    for target in targets:  # a bad TARGET is a usage error before any output
        target_kind(target)
    statuses = []
    for target in targets:
        if not as_json:
            click.echo(f"checking {printable(str(target))} ...", err=True)
        report = validate_bundle(target, runtimes=options.runtimes, reference=options.reference,
                                 atol=options.atol, allow_network=allow_network,
                                 numbers=not no_numbers)
        statuses.append(report.status(strict))
        if as_json:
            click.echo(json.dumps(report.as_dict(strict)))
        else:
            click.echo(render(report, strict))
    if not as_json and len(targets) > 1:
        click.echo(f"{len(targets)} bundles: " + ", ".join(
            f"{statuses.count(status)} {_LABELS[status]}" for status in ("pass", "warn", "fail")))
    ctx.exit(1 if "fail" in statuses else 0)


def render(report: BundleReport, strict: bool) -> str:
    """The human summary: each stage's status with its findings, then the verdict."""
    lines = [report.target]
    severities = []
    for stage, status in report.stage_statuses(strict).items():
        own = [finding for finding in report.findings if finding.check.partition(".")[0] == stage]
        skipped = next((finding for finding in own if finding.check == f"{stage}.skipped"), None)
        reason = f"  ({skipped.message.split(': ', 1)[-1]})" if skipped else ""
        lines.append(f"  {_LABELS[status]}  {stage}{reason}")
        for finding in own:
            if finding is skipped:
                continue
            severity = "fail" if strict and finding.severity == "warn" else finding.severity
            severities.append(severity)
            lines.append(f"        {severity:<4}  {printable(finding.message)}  [{finding.check}]")
            if finding.hint and severity != "info":
                lines.append(f"              hint: {printable(finding.hint)}")
    lines.append(f"verdict: {_LABELS[report.status(strict)]} ({severities.count('fail')} "
                 f"failed, {severities.count('warn')} warnings)")
    return "\n".join(lines)
