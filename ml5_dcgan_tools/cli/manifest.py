"""``ml5-dcgan manifest``: validate community manifest.json files, or write a new one."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from .. import __version__
from ..errors import UsageError, UserError
from ..findings import Report
from ..jsonio import json_text, printable, write_json_atomic
from ..manifest import (
    MAX_MANIFEST_BYTES,
    create_manifest,
    manifest_fields_from_model,
    validate_manifest,
)

STDIN = "-"
STDIN_TARGET = "<stdin>"
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
    run = _ValidationRun(strict)
    for candidate in _candidates(paths):
        run.check(candidate, echo=not as_json)
    if as_json:
        click.echo(json.dumps(run.as_dict(), indent=2))
    elif len(run.reports) + len(run.skipped) + len(run.errors) > 1:
        click.echo(run.summary())
    if not run.reports and not run.errors:
        raise UsageError("no manifest found: the .json files were all TF.js model.json files",
                         fix="name the manifest files to check")
    ctx.exit(run.exit_code())


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


# --- validate: which files, and what came of them ------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """A file to check; ``found_in_folder`` files may be skipped when they are model.json."""

    target: str
    path: Path | None  # None for standard input
    found_in_folder: bool = False


def _candidates(paths: tuple[str, ...]) -> list[_Candidate]:
    """All files named or found, resolved up front so a bad path fails before any output."""
    resolved: list[_Candidate] = []
    for name in paths:
        if name == STDIN:
            resolved.append(_Candidate(STDIN_TARGET, None))
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(_json_files(path))
            if not found:
                raise UsageError(f"no .json files in the folder {printable(name)}",
                                 fix="name a manifest file or a folder that holds some")
            resolved.extend(_Candidate(os.fspath(file), file, True) for file in found)
        elif path.exists():
            resolved.append(_Candidate(name, path))
        else:
            raise UsageError(f"{printable(name)} does not exist", fix="check the path")
    return resolved


def _json_files(folder: Path) -> Iterator[Path]:
    """``*.json`` below ``folder``: hidden ones left out, folder symlinks not followed."""
    for root, folders, files in os.walk(folder, onerror=_unreadable_folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        yield from (Path(root, name) for name in files
                    if name.lower().endswith(".json") and not name.startswith("."))


@dataclass
class _ValidationRun:
    strict: bool
    reports: list[Report] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def check(self, candidate: _Candidate, *, echo: bool) -> None:
        target = printable(candidate.target)
        try:
            source = _read_stdin() if candidate.path is None else candidate.path
            report = validate_manifest(source, strict=self.strict, target=target)
        except UserError as error:
            self.errors.append({"target": target, "message": str(error)})
            if echo:
                click.echo(f"ERROR {target}\n  {printable(str(error))}")
            return
        if candidate.found_in_folder and _is_model_json(report):
            self.skipped.append({"target": target, "message": "a TF.js model.json"})
            if echo:
                click.echo(f"SKIP  {target}  (a TF.js model.json, not a manifest)")
            return
        self.reports.append(report)
        if echo:
            click.echo(_render(report))

    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if any(report.status() == "fail" for report in self.reports) else 0

    def counts(self) -> dict[str, int]:
        statuses = [report.status() for report in self.reports]
        return {**{status: statuses.count(status) for status in _LABELS},
                "skipped": len(self.skipped), "errors": len(self.errors)}

    def summary(self) -> str:
        counts = self.counts()
        return (f"{len(self.reports)} checked: {counts['pass']} OK, {counts['warn']} WARN, "
                f"{counts['fail']} FAIL; {counts['skipped']} skipped, {counts['errors']} "
                "unreadable")

    def as_dict(self) -> dict:
        counts = self.counts()
        worst = next((status for status in ("fail", "warn") if counts[status]), "pass")
        return {"tool": "ml5-dcgan manifest validate", "version": __version__,
                "strict": self.strict, "status": worst, "summary": counts,
                "reports": [report.as_dict() for report in self.reports],
                "skipped": self.skipped, "errors": self.errors}


def _unreadable_folder(error: OSError) -> None:
    raise UsageError(f"cannot read the folder {printable(str(error.filename))}: "
                     f"{error.strerror}", fix="check its permissions")


def _read_stdin() -> bytes:
    """At most one byte over the limit, so an endless stream cannot exhaust memory."""
    return sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)


def _is_model_json(report: Report) -> bool:
    return any(finding.check == "manifest.is-model-json" for finding in report.findings)


def _render(report: Report) -> str:
    lines = [f"{_LABELS[report.status()]:<5} {report.target}"]
    for finding in report.findings:
        lines.append(f"  {finding.severity:<4}  {finding.pointer or '(file)'}  "
                     f"{printable(finding.message)}  [{finding.check}]")
        if finding.hint:
            lines.append(f"        hint: {printable(finding.hint)}")
    return "\n".join(lines)


