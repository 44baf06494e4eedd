"""Safety rules for files that come from strangers, in one place: which names a bundle may use,
which files may be read, how a zip is unpacked, and the caps on what a hostile bundle may cost.

Validation, remote downloads and publishing all go through here, so a rule tightened once holds
everywhere. Nothing here executes or deserialises what it reads.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .findings import Finding
from .jsonio import preview, printable
from .tfjs_model import MAX_MODEL_JSON_BYTES

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CHUNK = 2**20  # bytes copied at a time when unpacking
_RATIO_CHECKED_ABOVE = 2**20  # small entries may compress well (a bias of zeros)
CODE_SUFFIXES = frozenset({
    ".py", ".pyc", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".h5", ".hdf5", ".keras",
    ".pb", ".js", ".mjs", ".html", ".htm", ".svg", ".wasm", ".exe", ".dll", ".so", ".dylib",
    ".sh", ".bat", ".cmd", ".ps1", ".jar",
})
"""Suffixes of files that may carry code; a bundle holds JSON and weight shards only."""


@dataclass(frozen=True)
class Limits:
    """The defaults are far above any DCGAN a browser runs (ml5's own: 15 MB of weights,
    3.8 M parameters, outputs of 3 x 64 x 64) and far below what hurts the machine."""

    model_json_bytes: int = MAX_MODEL_JSON_BYTES
    bundle_bytes: int = 256 * 2**20
    """Weight files together; also what the TF.js runner may read."""
    weight_elements: int = 2**26
    """Values over all weight tensors (256 MiB as float32)."""
    activation_elements: int = 2**24
    """Values in any one layer's output for one latent; the rebuilt model allocates these."""
    zip_entries: int = 1000
    zip_ratio: int = 100
    """Largest uncompressed / compressed size of a zip entry above 1 MiB."""
    files: int = 10_000
    """Files looked at when listing a bundle folder."""
    download_seconds: float = 30.0


def real_path(path: Path) -> Path:
    """``path`` with every link resolved, so that "inside the folder" means inside on disk."""
    return Path(os.path.realpath(path))


class FileRefused(Exception):
    """A file named by the bundle that must not, or cannot, be read; carries the finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def path_problem(name: Any, what: str) -> Finding | None:
    """Why a path named by the bundle must not be followed: not a relative path inside it."""
    shown = preview(name)
    if not isinstance(name, str) or not name or "\0" in name:
        return Finding("safety.path-escape", "fail", f"{what} {shown} is not a file name",
                       "name files relative to model.json, e.g. group1-shard1of1.bin")
    if name.startswith("/") or "\\" in name or _SCHEME.match(name):
        return Finding("safety.path-escape", "fail",
                       f"{what} {shown} is an absolute path or URL, not a file inside the "
                       "bundle", "name files relative to model.json, e.g. group1-shard1of1.bin")
    if ".." in PurePosixPath(name).parts:
        return Finding("safety.path-escape", "fail",
                       f'{what} {shown} leaves the bundle folder ("..")',
                       "keep every file of the bundle inside its folder")
    return None


def bundle_file(root: Path, base: Path, name: str, *, what: str, missing_check: str) -> Path:
    """``base / name`` when it is a regular file inside ``root``, else :class:`FileRefused`.

    ``name`` comes from the bundle: see :func:`path_problem`. A link is followed only to check
    that it stays inside ``root`` (a real path).
    """
    problem = path_problem(name, what)
    if problem is not None:
        raise FileRefused(problem)
    path = base / name
    real = real_path(path)
    if not real.is_relative_to(root):
        raise FileRefused(Finding("safety.symlink-escape", "fail",
                                  f"{what} {preview(name)} is a link to "
                                  f"{printable(str(real))}, outside the bundle folder",
                                  "replace the link by the file itself"))
    try:
        mode = real.stat().st_mode
    except OSError:
        raise FileRefused(Finding(missing_check, "fail",
                                  f"{what} {preview(name)} is missing from the bundle")
                        ) from None
    if not stat.S_ISREG(mode):
        raise FileRefused(Finding("safety.not-a-file", "fail",
                                  f"{what} {preview(name)} is not a regular file",
                                  "a bundle holds only plain files"))
    return path


# --- zip ---------------------------------------------------------------------------------------


def extract_zip(archive: Path, into: Path, limits: Limits) -> list[Finding]:
    """Unpack ``archive`` into the empty folder ``into``, or return why it must not be.

    Every entry is checked before anything is written: its name (zip-slip), its type (links),
    the entry count, the total size and the compression ratio (zip bombs). While writing, the
    bytes really produced are counted too, since the sizes in the header are the archive's word.
    """
    try:
        with zipfile.ZipFile(archive) as opened:
            infos = opened.infolist()
            problems = _zip_problems(infos, limits)
            if not problems:
                _unpack(opened, infos, into)
            return problems
    except _ZipRefused as refused:
        return [refused.finding]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError,
            OSError) as error:
        return [Finding("source.zip-invalid", "fail",
                        f"the zip cannot be read: {printable(str(error))[:200]}",
                        "create it again, e.g. `zip -r bundle.zip bundle/`")]


class _ZipRefused(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _zip_problems(infos: list[zipfile.ZipInfo], limits: Limits) -> list[Finding]:
    def bomb(message: str) -> list[Finding]:
        return [Finding("safety.zip-bomb", "fail", message,
                        "a bundle zip holds model.json, its weight files and manifest.json; "
                        "zip exactly those")]

    if len(infos) > limits.zip_entries:
        return bomb(f"the zip has {len(infos):,} entries, more than {limits.zip_entries:,}")
    names = set()
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (name.startswith("/") or "\\" in name or "\0" in name or ".." in parts
                or _SCHEME.match(name)):
            return [Finding("safety.zip-slip", "fail",
                            f"the zip entry {preview(name)} would be written outside the "
                            "folder it is unpacked into",
                            "zip the bundle with relative paths inside one folder")]
        if stat.S_ISLNK(info.external_attr >> 16):
            return [Finding("safety.zip-symlink", "fail",
                            f"the zip entry {preview(name)} is a symbolic link",
                            "zip the files themselves, not links to them")]
        if info.flag_bits & 0x1:
            return [Finding("source.zip-invalid", "fail",
                            f"the zip entry {preview(name)} is encrypted",
                            "zip the bundle without a password")]
        if name in names:
            return [Finding("source.zip-invalid", "fail",
                            f"the zip holds {preview(name)} twice",
                            "create the zip again from the bundle folder")]
        names.add(name)
        if info.file_size > _RATIO_CHECKED_ABOVE and info.file_size > limits.zip_ratio * max(
                info.compress_size, 1):
            return bomb(f"the zip entry {preview(name)} unpacks {info.compress_size:,} bytes "
                        f"into {info.file_size:,} (more than {limits.zip_ratio}x)")
    total = sum(info.file_size for info in infos)
    if total > _zip_budget(limits):
        return bomb(f"the zip unpacks to {total:,} bytes, more than {_zip_budget(limits):,}")
    return []


def _zip_budget(limits: Limits) -> int:
    return limits.bundle_bytes + limits.model_json_bytes


def _unpack(opened: zipfile.ZipFile, infos: list[zipfile.ZipInfo], into: Path) -> None:
    for info in infos:
        destination = into.joinpath(*PurePosixPath(info.filename).parts)
        if info.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with opened.open(info) as source, destination.open("xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise _ZipRefused(Finding(
                        "safety.zip-bomb", "fail",
                        f"the zip entry {preview(info.filename)} unpacks to more than the "
                        f"{info.file_size:,} bytes its header declares",
                        "create the zip again from the bundle folder"))
                sink.write(chunk)
