"""Validate many manifest.json files at once, as curators do: which files, what came of each,
the exit-code policy and the report document (``schemas/manifest-report.schema.json``).

    from ml5_dcgan_tools.manifest_batch import validate_manifests

    document = validate_manifests(["submissions/"], strict=True)
    document["status"]  # "pass" | "warn" | "fail"
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__
from .errors import UsageError, UserError
from .findings import Report
from .jsonio import printable
from .manifest import MAX_MANIFEST_BYTES, validate_manifest

STDIN = "-"
STDIN_TARGET = "<stdin>"
STATUSES = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Candidate:
    """A file to check; ``found_in_folder`` files may be skipped when they are model.json."""

    target: str
    path: Path | None  # None for standard input
    found_in_folder: bool = False


@dataclass(frozen=True)
class Outcome:
    """What came of one candidate: a report, a skip (a model.json) or an unreadable file."""

    target: str
    report: Report | None = None
    skipped: str | None = None
    error: str | None = None


def find_candidates(paths: Iterable[str | os.PathLike[str]]) -> list[Candidate]:
    """All files named or found, resolved up front so that a bad path fails before any output.

    PATH is a file, a folder (searched recursively for ``*.json``; hidden files and folders
    left out, folder links not followed) or ``-`` for standard input.
    """
    resolved: list[Candidate] = []
    for name in map(os.fspath, paths):
        if name == STDIN:
            resolved.append(Candidate(STDIN_TARGET, None))
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(_json_files(path))
            if not found:
                raise UsageError(f"no .json files in the folder {printable(name)}",
                                 fix="name a manifest file or a folder that holds some")
            resolved.extend(Candidate(os.fspath(file), file, True) for file in found)
        elif path.exists():
            resolved.append(Candidate(name, path))
        else:
            raise UsageError(f"{printable(name)} does not exist", fix="check the path")
    return resolved


@dataclass
class ManifestBatch:
    """The results of a batch so far; :meth:`as_dict` is the manifest-report document."""

    strict: bool = False
    reports: list[Report] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def check(self, candidate: Candidate, stdin: BinaryIO | None = None) -> Outcome:
        target = printable(candidate.target)
        try:
            source = (_read_capped(stdin or sys.stdin.buffer) if candidate.path is None
                      else candidate.path)
            report = validate_manifest(source, strict=self.strict, target=target)
        except UserError as error:
            self.errors.append({"target": target, "message": str(error)})
            return Outcome(target, error=str(error))
        if candidate.found_in_folder and _is_model_json(report):
            self.skipped.append({"target": target, "message": "a TF.js model.json"})
            return Outcome(target, skipped="a TF.js model.json, not a manifest")
        self.reports.append(report)
        return Outcome(target, report=report)

    def counts(self) -> dict[str, int]:
        statuses = [report.status() for report in self.reports]
        return {**{status: statuses.count(status) for status in STATUSES},
                "skipped": len(self.skipped), "errors": len(self.errors)}

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts()
        worst = next((status for status in ("fail", "warn") if counts[status]), "pass")
        return {"tool": "ml5-dcgan manifest validate", "version": __version__,
                "strict": self.strict, "status": worst, "summary": counts,
                "reports": [report.as_dict() for report in self.reports],
                "skipped": self.skipped, "errors": self.errors}


def validate_manifests(paths: Iterable[str | os.PathLike[str]], *, strict: bool = False,
                       on_outcome: Callable[[Outcome], None] | None = None) -> dict[str, Any]:
    """Validate every manifest PATHS name; returns the manifest-report document.

    ``on_outcome`` sees each file's outcome as it is checked (the CLI prints from it). Raises
    :class:`UsageError` for a missing path, or when every file found is a TF.js model.json.
    """
    batch = ManifestBatch(strict)
    for candidate in find_candidates(paths):
        outcome = batch.check(candidate)
        if on_outcome is not None:
            on_outcome(outcome)
    if not batch.reports and not batch.errors:
        raise UsageError("no manifest found: the .json files were all TF.js model.json files",
                         fix="name the manifest files to check")
    return batch.as_dict()


def summary(document: dict[str, Any]) -> str:
    """One line for people: how many manifests passed, warned, failed, were skipped."""
    counts = document["summary"]
    checked = counts["pass"] + counts["warn"] + counts["fail"]
    return (f"{checked} checked: {counts['pass']} OK, {counts['warn']} WARN, "
            f"{counts['fail']} FAIL; {counts['skipped']} skipped, {counts['errors']} unreadable")


def exit_code(document: dict[str, Any]) -> int:
    """The CLI's exit code for a report document: 0 all passed (warnings allowed unless it was
    strict), 1 a manifest failed, 2 a file could not be read."""
    if document["errors"]:
        return 2
    return 1 if document["summary"]["fail"] else 0


def _json_files(folder: Path) -> Iterator[Path]:
    for root, folders, files in os.walk(folder, onerror=_unreadable_folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        yield from (Path(root, name) for name in files
                    if name.lower().endswith(".json") and not name.startswith("."))


def _unreadable_folder(error: OSError) -> None:
    raise UsageError(f"cannot read the folder {printable(str(error.filename))}: "
                     f"{error.strerror}", fix="check its permissions")


def _read_capped(stream: BinaryIO) -> bytes:
    """At most one byte over the limit, so an endless stream cannot exhaust memory."""
    return stream.read(MAX_MANIFEST_BYTES + 1)


def _is_model_json(report: Report) -> bool:
    return any(finding.check == "manifest.is-model-json" for finding in report.findings)
