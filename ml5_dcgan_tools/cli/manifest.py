"""``ml5-dcgan manifest``: validate community manifest.json files, or write a new one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..errors import UsageError
from ..findings import Report
from ..jsonio import json_text, printable, write_json_atomic
from ..manifest import create_manifest, manifest_fields_from_model, validate_manifest
from ..manifest_batch import Outcome, exit_code, summary, validate_manifests

_LABELS = {"pass": "OK", "warn": "WARN", "fail": "FAIL"}


@click.group("manifest", help="Check or write the manifest.json that ml5.dcgan() loads.")
def manifest_group() -> None:
    pass


@manifest_group.command(
    "validate",
    help="""Check manifest.json files against the schema and against what ml5 trips on.

PATH is a file, a folder (searched recursively for *.json; hidden files and folders are left
out, TF.js model.json files are skipped) or - for standard input. Prints one line per file:
OK, WARN or FAIL (SKIP for a model.json, ERROR for a file that cannot be read), then each
finding: severity, JSON pointer, message, check id, and a hint on how to fix it.

\b
Examples:
  ml5-dcgan manifest validate manifest.json
  ml5-dcgan manifest validate submissions/ --strict
  curl -s https://example.org/manifest.json | ml5-dcgan manifest validate -
  ml5-dcgan manifest validate submissions/ --json > report.json

Exit codes: 0 all passed (warnings allowed unless --strict), 1 a manifest failed, 2 usage
error or unreadable input (missing path, no permission, a folder without .json files).
""",
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--strict", is_flag=True, help="Count warnings as failures.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON report (schemas/manifest-report.schema.json) instead.")
@click.pass_context
def validate_command(ctx: click.Context, paths: tuple[str, ...], strict: bool,
                     as_json: bool) -> None:
    def show(outcome: Outcome) -> None:
        if as_json:
            return
        if outcome.error is not None:
            click.echo(f"ERROR {outcome.target}\n  {printable(outcome.error)}")
        elif outcome.skipped is not None:
            click.echo(f"SKIP  {outcome.target}  ({outcome.skipped})")
        else:
            click.echo(_render(outcome.report))

    document = validate_manifests(paths, strict=strict, on_outcome=show)
    counts = document["summary"]
    if as_json:
        click.echo(json.dumps(document, indent=2))
    elif sum(counts[status] for status in ("pass", "warn", "fail", "skipped", "errors")) > 1:
        click.echo(summary(document))
    ctx.exit(exit_code(document))


@manifest_group.command(
    "create",
    help="""Write a valid manifest.json.

Give --size and --latent-dim, or read both off the model with --from-model (the model's
output [null, 3, H, H] gives modelSize H, its input [null, N] gives modelLatentDim N).
Without --out the manifest is printed.

\b
Examples:
  ml5-dcgan manifest create --description "Faces, 64x64" --from-model bundle/model.json \\
      --out bundle/manifest.json
  ml5-dcgan manifest create --description "Faces, 64x64" --size 64 --latent-dim 128 \\
      --model https://example.org/faces/model.json --license MIT
""",
)
@click.option("--description", required=True, help="Human text, e.g. \"DCGAN, faces, 64x64\".")
@click.option("--model", "model_url", default="model.json", show_default=True,
              help="URL or path of model.json, as the browser will request it.")
@click.option("--size", "model_size", type=click.IntRange(min=1),
              help="Side of the generated images in pixels, e.g. 64.")
@click.option("--latent-dim", type=click.IntRange(min=1),
              help="Length of the latent vector, e.g. 128.")
@click.option("--from-model", type=click.Path(path_type=Path),
              help="A TF.js model.json to read --size and --latent-dim from.")
@click.option("--license", "license_", help="License of the weights, e.g. MIT, CC-BY-4.0.")
@click.option("--author", help="Who trained the model.")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default: print).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def create_command(description: str, model_url: str, model_size: int | None,
                   latent_dim: int | None, from_model: Path | None, license_: str | None,
                   author: str | None, out: Path | None, force: bool) -> None:
    if from_model is not None:
        model_size, latent_dim = _sizes_from_model(from_model, model_size, latent_dim)
    if model_size is None or latent_dim is None:
        raise UsageError("the manifest needs --size and --latent-dim",
                         fix="give both, or --from-model path/to/model.json")
    manifest = create_manifest(description=description, model=model_url, model_size=model_size,
                               latent_dim=latent_dim, license=license_, author=author)
    for finding in validate_manifest(manifest).findings:
        click.echo(f"{finding.severity}: {finding.message}", err=True)
        if finding.hint:
            click.echo(f"  hint: {finding.hint}", err=True)
    if out is None:
        click.echo(json_text(manifest))
    else:
        write_json_atomic(out, manifest, overwrite=force)
        click.echo(f"wrote {printable(os.fspath(out))}", err=True)


def _sizes_from_model(path: Path, size: int | None, latent_dim: int | None) -> tuple[int, int]:
    """The model's sizes; a --size or --latent-dim that contradicts the model is a usage error."""
    from ..tfjs_model import read_model_json

    fields = manifest_fields_from_model(read_model_json(path))
    for option, given, key in (("--size", size, "modelSize"),
                               ("--latent-dim", latent_dim, "modelLatentDim")):
        if given is not None and given != fields[key]:
            raise UsageError(f"{option} {given} contradicts the model, whose {key} is "
                             f"{fields[key]}", where=os.fspath(path),
                             fix=f"leave {option} out, or check the model")
    return fields["modelSize"], fields["modelLatentDim"]


def _render(report: Report) -> str:
    lines = [f"{_LABELS[report.status()]:<5} {report.target}"]
    for finding in report.findings:
        lines.append(f"  {finding.severity:<4}  {finding.pointer or '(file)'}  "
                     f"{printable(finding.message)}  [{finding.check}]")
        if finding.hint:
            lines.append(f"        hint: {printable(finding.hint)}")
    return "\n".join(lines)


