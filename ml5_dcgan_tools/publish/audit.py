"""``audit``: is every model in a hosting repository still exactly what was published?

Checks, for ``REPO/models/dcgan/``: index.json is a readable catalog whose names are valid and
unique; every entry has its folder and every model folder its entry; every file of a model is
listed with its size and sha256 and nothing else is there; each entry agrees with its model's
(hash-checked) manifest; README.md and index.html are what index.json generates; and each
model passes ``validate`` (with numbers: rebuilt in Keras and run in both TF.js runtimes,
compared with its published reference.json). Nothing is written; the model card's pictures are
only hashed, never redrawn.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..errors import UsageError, UserError, first_line
from ..runtime.tfjs import TFJS_VERSIONS
from .catalog import INDEX, read_index, rendered
from .layout import MANIFEST, sha256_file
from .publisher import MODELS_DIR, NAME_PATTERN, STAGING_PREFIX
from .text import GENERATED

ENTRY_FROM_MANIFEST = ("description", "modelSize", "modelLatentDim", "license", "modelLabels")


@dataclass(frozen=True)
class Problem:
    """One way the repository differs from what was published."""

    model: str | None  # None: the catalog as a whole
    file: str  # below models/dcgan/, e.g. "faces/group1-shard1of1.bin" or "index.json"
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class ModelAudit:
    name: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    validated: bool = False
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class AuditReport:
    """Every model's verdict and the catalog's own problems; ``intact`` is the exit code."""

    repo: Path
    numbers: bool
    models: list[ModelAudit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # of no single model
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return not self.problems and all(model.intact for model in self.models)

    def as_dict(self) -> dict[str, Any]:
        return {
            "repo": str(self.repo), "intact": self.intact, "numbers": self.numbers,
            "seconds": round(self.seconds, 3), "notes": self.notes,
            "problems": [asdict(problem) for problem in self.problems],
            "models": [{"name": model.name, "intact": model.intact,
                        "validated": model.validated, "seconds": round(model.seconds, 3),
                        "problems": [asdict(problem) for problem in model.problems],
                        "warnings": model.warnings} for model in self.models],
        }


def audit_repository(repo: str | os.PathLike[str], *, numbers: bool = True, jobs: int = 1,
                     runtimes: Iterable[str] = TFJS_VERSIONS,
                     progress: Callable[[ModelAudit], None] | None = None) -> AuditReport:
    """Audit the hosting repository ``repo``; never writes. ``jobs`` > 1 validates models in
    that many worker processes. ``progress`` receives each model's audit as it completes.
    Raises :class:`UsageError` only when ``repo`` has no models/dcgan/ folder."""
    started = time.perf_counter()
    repo = Path(repo)
    models = repo / MODELS_DIR
    if not models.is_dir():
        raise UsageError(f"no {MODELS_DIR.as_posix()}/ folder", where=str(repo),
                         fix="give the root of a repository written by `ml5-dcgan publish`")
    if jobs < 1:
        raise UsageError(f"--jobs {jobs} is not a number of processes", fix="use --jobs 1 or more")
    report = AuditReport(repo=repo, numbers=numbers)
    try:
        index = read_index(models)
    except UserError as error:
        report.problems.append(Problem(None, INDEX, error.what))
        report.seconds = time.perf_counter() - started
        return report
    if not (models / INDEX).is_file():
        report.problems.append(Problem(None, INDEX, "missing: no model has been published"))
    entries = _check_entries(index, report)
    audits = _check_files(models, entries, report)
    _check_generated(models, index, report)
    runtimes = tuple(runtimes) if numbers else ()
    for audit, outcome in zip(audits, _validations(models, audits, numbers, runtimes, jobs),
                              strict=True):
        problems, audit.warnings, audit.seconds = outcome
        audit.problems += [Problem(audit.name, f"{audit.name}/", message) for message in problems]
        audit.validated = True
        if progress:
            progress(audit)
    report.models = sorted([*audits, *report.models], key=lambda audit: audit.name)
    report.seconds = time.perf_counter() - started
    return report


def _check_entries(index: dict[str, Any], report: AuditReport) -> dict[str, dict[str, Any]]:
    """The usable entries by name; bad names, duplicates and malformed entries are problems."""
    entries: dict[str, dict[str, Any]] = {}
    for entry in index["models"]:
        name = entry["name"]
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            report.problems.append(Problem(None, INDEX, f"entry {name!r} is not a valid model "
                                                        "name (edited by hand?)"))
        elif name in entries:
            report.problems.append(Problem(name, INDEX, f"{name} is listed twice"))
        elif not _files_ok(entry.get("files")):
            report.problems.append(Problem(name, INDEX, f"{name}'s file list is malformed"))
        else:
            entries[name] = entry
    return entries


def _files_ok(files: Any) -> bool:
    return isinstance(files, list) and all(
        isinstance(file, dict) and isinstance(file.get("path"), str)
        and isinstance(file.get("bytes"), int) and isinstance(file.get("sha256"), str)
        for file in files)


def _check_files(models: Path, entries: dict[str, dict[str, Any]],
                 report: AuditReport) -> list[ModelAudit]:
    """Hash every file; the audits of models whose folder exists (to be validated next)."""
    folders = {path.name for path in models.iterdir()
               if path.is_dir() and not path.name.startswith(".")}
    for path in models.iterdir():
        if path.name.startswith(STAGING_PREFIX):
            report.notes.append(f"{path.name}: an unfinished publish left this folder (ignored)")
    for name in sorted(folders - set(entries)):
        report.models.append(ModelAudit(name, [Problem(
            name, f"{name}/", "this folder is not in index.json (added by hand, or its entry "
                              "was removed)")]))
    audits = []
    for name, entry in sorted(entries.items()):
        if name not in folders:
            report.models.append(ModelAudit(name, [Problem(
                name, f"{name}/", "listed in index.json but the folder is missing")]))
            continue
        audit = ModelAudit(name)
        audit.problems += _compare_files(models / name, name, entry["files"])
        audit.problems += _compare_entry(models / name, name, entry)
        audits.append(audit)
    return audits


def _compare_files(folder: Path, name: str, listed: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    present = {path.relative_to(folder).as_posix(): path for path in folder.rglob("*")
               if not path.is_dir() or path.is_symlink()}
    for file in listed:
        shown = f"{name}/{file['path']}"
        path = present.pop(file["path"], None)
        if path is None:
            problems.append(Problem(name, shown, "listed in index.json but missing"))
        elif path.is_symlink() or not path.is_file():
            problems.append(Problem(name, shown, "is a link or not a plain file"))
        elif path.stat().st_size != file["bytes"]:
            problems.append(Problem(name, shown, f"has {path.stat().st_size} bytes, index.json "
                                                 f"says {file['bytes']} (changed or truncated)"))
        elif sha256_file(path) != file["sha256"]:
            problems.append(Problem(name, shown, "sha256 differs from index.json (the file "
                                                 "changed after it was published)"))
    problems += [Problem(name, f"{name}/{path}", "is not listed in index.json")
                 for path in sorted(present)]
    return problems


def _compare_entry(folder: Path, name: str, entry: dict[str, Any]) -> list[Problem]:
    """index.json's facts about the model must be its manifest's (checked by hash above)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # reported as a missing or changed file, and by validate
    problems = []
    if entry.get("manifest") != f"{name}/{MANIFEST}":
        problems.append(Problem(name, INDEX, f"{name}'s manifest is {entry.get('manifest')!r}, "
                                             f"not {name}/{MANIFEST}"))
    for key in ENTRY_FROM_MANIFEST:
        if isinstance(manifest, dict) and entry.get(key) != manifest.get(key):
            problems.append(Problem(name, INDEX, f"{name}'s {key} differs from "
                                                 f"{name}/{MANIFEST} (edited by hand?)"))
    if entry.get("bytes") != sum(file["bytes"] for file in entry["files"]):
        problems.append(Problem(name, INDEX, f"{name}'s bytes is not the sum of its files"))
    return problems


def _check_generated(models: Path, index: dict[str, Any], report: AuditReport) -> None:
    """README.md and index.html must be what index.json generates; one written by another
    version of the tool is only noted (the next publish or unpublish rewrites it)."""
    for file_name, text in rendered(index).items():
        path = models / file_name
        if not path.is_file():
            report.problems.append(Problem(None, file_name, "missing; publish writes it"))
            continue
        written = path.read_bytes()
        if written == text.encode("utf-8"):
            continue
        if written.rstrip().endswith(GENERATED.encode()):
            report.problems.append(Problem(None, file_name, "differs from what index.json "
                                                            "generates (edited by hand)"))
        else:
            report.notes.append(f"{file_name} was written by another version of "
                                "ml5-dcgan-tools: the next publish or unpublish rewrites it")


Outcome = tuple[list[str], list[str], float]  # failure messages, warnings, seconds


def _validations(models: Path, audits: list[ModelAudit], numbers: bool,
                 runtimes: tuple[str, ...], jobs: int) -> Iterable[Outcome]:
    folders = [str(models / audit.name) for audit in audits]
    if jobs == 1 or len(folders) < 2:
        return [validate_model(folder, numbers, runtimes) for folder in folders]
    # Separate processes: TensorFlow and Keras are not made to build models in threads.
    pool = ProcessPoolExecutor(min(jobs, len(folders)), mp_context=get_context("spawn"))
    with pool:
        return list(pool.map(validate_model, folders, [numbers] * len(folders),
                             [runtimes] * len(folders)))


def validate_model(folder: str, numbers: bool, runtimes: tuple[str, ...]) -> Outcome:
    """``validate`` on one published model: its failures and warnings as lines (a worker's
    job, so it returns plain data and never raises)."""
    from ..validation import validate_bundle

    started = time.perf_counter()
    try:
        report = validate_bundle(folder, numbers=numbers, runtimes=runtimes)
    except UserError as error:
        return [f"validate could not check it: {error}"], [], time.perf_counter() - started
    except Exception as error:  # a validator bug must not hide the other models' verdicts
        return ([f"validate stopped with {type(error).__name__}: {first_line(error)}"], [],
                time.perf_counter() - started)
    failures = [f"validate {f.check}: {f.message}" for f in report.findings
                if f.severity == "fail"]
    warnings = [f"{f.check}: {f.message}" for f in report.findings if f.severity == "warn"]
    return failures, warnings, time.perf_counter() - started
