"""``ml5-dcgan audit``: re-check every model in a hosting repository; ``--init-ci`` sets up the
repository's own CI."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command(
    "audit",
    help="""Check that every model hosted in REPO is still exactly what was published.

Walks REPO/models/dcgan/: index.json against the model folders (a model in one and not the
other, invalid or repeated names, entries that disagree with their manifest), the size and
sha256 of every file against index.json (changed, truncated, missing or unlisted files),
README.md and index.html against what index.json generates, and runs `ml5-dcgan validate` on
each model: with numbers, the model is rebuilt and run in TF.js 1.7.4 and 4.22.0 and compared
with its published reference.json. Nothing is written.

Each problem is one line naming the model and the file. --no-numbers skips the rebuild and
TF.js (no TensorFlow, a fraction of a second per model: right for a pre-commit hook).

--init-ci writes a GitHub Actions workflow (.github/workflows/ml5-dcgan-audit.yml: Python +
Node, install ml5-dcgan-tools and its TF.js runtimes, run the audit) and a pre-commit hook
(.pre-commit-config.yaml) into REPO, keeping files that exist; the first publish does the same.

\b
Examples:
  ml5-dcgan audit ../models
  ml5-dcgan audit ../models --no-numbers          # hashes and catalog only
  ml5-dcgan audit . --jobs 2 --json > audit.json
  ml5-dcgan audit ../models --init-ci

Exit codes: 0 every hosted model intact, 1 a problem was found, 2 usage error.
""",
)
@click.argument("repo", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report.")
@click.option("--no-numbers", is_flag=True, help="Skip the Keras rebuild and TF.js runs.")
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Models validated at once, each in its own process.")
@click.option("--init-ci", is_flag=True, help="Write the CI workflow and pre-commit hook.")
def audit_command(repo: Path, as_json: bool, no_numbers: bool, jobs: int, init_ci: bool) -> None:
    if init_ci:
        _init_ci(repo)
        return
    from ..publish.audit import audit_repository

    def show(model) -> None:
        if not as_json:
            click.echo(f"{'ok  ' if model.intact else 'FAIL'} {model.name} "
                       f"({model.seconds:.1f} s)", err=True)

    report = audit_repository(repo, numbers=not no_numbers, jobs=jobs, progress=show)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for note in report.notes:
            click.echo(f"note: {note}")
        for problem in report.problems:
            click.echo(f"FAIL {problem.model or 'catalog'}: {problem}")
        for model in report.models:
            for problem in model.problems:
                click.echo(f"FAIL {model.name}: {problem}")
            for warning in model.warnings:
                click.echo(f"warn {model.name}: {warning}")
        broken = sum(not model.intact for model in report.models)
        what = "numbers checked in TF.js" if report.numbers else "no numbers (--no-numbers)"
        click.echo(f"{'intact' if report.intact else 'NOT intact'}: "
                   f"{len(report.models) - broken} of {len(report.models)} models intact, "
                   f"{len(report.problems)} catalog problems; {what}; {report.seconds:.1f} s")
    if not report.intact:
        raise SystemExit(1)


def _init_ci(repo: Path) -> None:
    from ..errors import UsageError
    from ..publish.ci import HOOK_ENTRY, PRE_COMMIT, init_ci

    if not repo.is_dir():
        raise UsageError("the repository folder does not exist", where=str(repo),
                         fix="give the root of the hosting repository")
    done = init_ci(repo)
    for path in done.written:
        click.echo(f"wrote {repo / path}")
    for path in done.kept:
        click.echo(f"kept {repo / path} (exists)")
    if done.hook_missing:
        click.echo(f"add this entry under `repos:` in {repo / PRE_COMMIT}:\n{HOOK_ENTRY}")
