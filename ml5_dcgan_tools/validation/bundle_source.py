"""Find a bundle's files from what the user named, without ever reading outside the bundle.

A TARGET is a bundle folder, its ``manifest.json``, a ``model.json`` or a ``.zip`` of a bundle.
Zips are unpacked into a temporary folder only after every entry has been checked (no path
leaving the folder, no link, no bomb), and the manifest's ``model`` is followed only while it
stays inside the bundle. Everything found wrong is a finding; only a TARGET that does not exist
or is of no known kind raises :class:`~ml5_dcgan_tools.errors.UsageError`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import UsageError
from ..findings import Finding
from ..jsonio import preview, printable, read_json
from ..manifest import MAX_MANIFEST_BYTES, REQUIRED_FIELDS
from .limits import Limits
from .report import BundleReport, scoped

MANIFEST_NAME = "manifest.json"
MODEL_NAME = "model.json"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CHUNK = 2**20  # bytes copied at a time when unpacking
_RATIO_CHECKED_ABOVE = 2**20  # small entries may compress well (a bias of zeros)
_CODE_SUFFIXES = frozenset({
    ".py", ".pyc", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".h5", ".hdf5", ".keras",
    ".pb", ".js", ".mjs", ".html", ".htm", ".svg", ".wasm", ".exe", ".dll", ".so", ".dylib",
    ".sh", ".bat", ".cmd", ".ps1", ".jar",
})
_KEEP_PAGE_BESIDE = ('keep the page, manifest.json and model.json in one folder with '
                     '"model": "model.json", or use an absolute https:// URL')


@dataclass(frozen=True)
class Bundle:
    """The files to check. ``root`` is the bundle folder (a real path); nothing outside it is
    read. ``model_json_name`` is the model's path inside ``root``, None when there is none."""

    root: Path
    model_json_name: str | None = None
    manifest: Any = None  # the parsed manifest.json; None when absent or unreadable

    @property
    def model_json(self) -> Path | None:
        return None if self.model_json_name is None else self.root / self.model_json_name


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
    real = _real(path)
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


@contextmanager
def open_bundle(target: Path, report: BundleReport, *, limits: Limits,
                allow_network: bool) -> Iterator[Bundle]:
    """The bundle TARGET names; temporary folders (zip, download) are removed on exit."""
    with ExitStack() as cleanup:
        resolver = _Resolver(report, limits, allow_network, cleanup)
        kind = target_kind(target)
        if kind == "zip":
            folder = resolver.scratch()
            problems = extract_zip(target, folder, limits)
            report.findings.extend(problems)
            bundle = Bundle(folder) if problems else resolver.from_folder(_top_folder(folder))
        elif kind == "folder":
            bundle = resolver.from_folder(target)
        elif kind == "manifest":
            bundle = resolver.from_manifest(target)
        else:
            report.skip("manifest", "a model.json was given; name the bundle folder or its "
                                    "manifest.json to check the manifest too")
            bundle = resolver.from_model(target)
        if not report.failed("safety"):
            _scan_files(bundle.root, report, limits)
        yield bundle


def target_kind(target: Path) -> str:
    """``folder``, ``zip``, ``manifest`` or ``model``; a TARGET of no known kind is a usage
    error."""
    shown = printable(str(target))
    if target.is_dir():
        return "folder"
    if not target.exists():
        raise UsageError(f"{shown} does not exist", fix="check the path")
    if not target.is_file():
        raise UsageError(f"{shown} is not a file or folder",
                         fix="name a bundle folder, manifest.json, model.json or .zip")
    suffix = target.suffix.lower()
    if suffix == ".zip":
        return "zip"
    if suffix != ".json":
        raise UsageError(f"{shown} is not a bundle",
                         fix="name a bundle folder, manifest.json, model.json or .zip")
    if target.name in (MANIFEST_NAME, MODEL_NAME):
        return "manifest" if target.name == MANIFEST_NAME else "model"
    document = read_json(target, max_bytes=MAX_MANIFEST_BYTES, what="file").value
    looks_like_manifest = (isinstance(document, dict) and "modelTopology" not in document
                           and any(key in document for key in REQUIRED_FIELDS))
    return "manifest" if looks_like_manifest else "model"


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


class _Resolver:
    """Finds the model.json a folder or manifest leads to, recording what it finds wrong."""

    def __init__(self, report: BundleReport, limits: Limits, allow_network: bool,
                 cleanup: ExitStack) -> None:
        self.report = report
        self.limits = limits
        self.allow_network = allow_network
        self.cleanup = cleanup

    def scratch(self) -> Path:
        """A new temporary folder, removed when the bundle is closed."""
        return _real(Path(self.cleanup.enter_context(
            tempfile.TemporaryDirectory(prefix="ml5-dcgan-validate-"))))

    def from_folder(self, folder: Path) -> Bundle:
        root = _real(folder)
        manifest = root / MANIFEST_NAME
        if manifest.exists() or manifest.is_symlink():
            return self.from_manifest(manifest)
        self.report.add("manifest.missing", "warn", "the bundle has no manifest.json",
                        "ml5.dcgan() loads a manifest.json; create one with `ml5-dcgan "
                        "manifest create --from-model model.json --description ... "
                        "--out manifest.json`")
        return Bundle(root, self._own_model(root, "no manifest.json and no model.json"))

    def from_model(self, path: Path) -> Bundle:
        root = _real(path.parent)
        try:
            bundle_file(root, root, path.name, what="the model", missing_check="source.no-model")
        except FileRefused as refused:
            self.report.findings.append(refused.finding)
            return Bundle(root)
        return Bundle(root, path.name)

    def from_manifest(self, path: Path) -> Bundle:
        root = _real(path.parent)
        try:
            bundle_file(root, root, path.name, what="the manifest",
                        missing_check="manifest.missing")
        except FileRefused as refused:
            self.report.findings.append(refused.finding)
            return Bundle(root)
        result = read_json(path, max_bytes=MAX_MANIFEST_BYTES, what="manifest")
        self.report.findings.extend(scoped(result.findings, "manifest"))
        manifest = result.value if result.ok else None
        model = manifest.get("model") if isinstance(manifest, dict) else None
        if not isinstance(model, str):
            name = self._own_model(root, "the manifest names no model and there is no "
                                         "model.json")
        elif urlsplit(model).scheme.lower() in ("http", "https"):
            return self._remote(model, root, manifest)
        else:
            name = self._manifest_model(root, model)
        return Bundle(root, name, manifest)

    def _manifest_model(self, root: Path, model: str) -> str | None:
        """The manifest's relative ``model``, resolved as from a page beside the manifest."""
        shown = preview(model)
        if urlsplit(model).scheme:  # file:, data:, javascript: ...
            finding = path_problem(model, "model")
        else:
            try:
                path = bundle_file(root, root, unquote(urlsplit(model).path), what="model",
                                   missing_check="manifest.model-unresolved")
                return path.relative_to(root).as_posix()
            except FileRefused as refused:
                finding = refused.finding
        if finding is not None and finding.check != "manifest.model-unresolved":
            self.report.findings.append(dataclasses.replace(finding, pointer="/model"))
            return self._fallback_model(root)
        if _is_bundle_file(root, MODEL_NAME):
            self.report.add("manifest.model-unresolved", "warn",
                            f"model {shown} is not a file of this bundle as seen from a page "
                            "beside manifest.json (ml5 0.12.2 resolves it against the page's "
                            "URL); the bundle's model.json was checked in its place",
                            _KEEP_PAGE_BESIDE, "/model")
            return MODEL_NAME
        self.report.add("manifest.model-not-found", "fail", f"model {shown} is not in the "
                        "bundle", _KEEP_PAGE_BESIDE, "/model")
        return None

    def _remote(self, url: str, root: Path, manifest: Any) -> Bundle:
        shown = preview(url)
        if not self.allow_network:
            self.report.add("source.remote-model", "warn",
                            f"model {shown} is on the network and was not fetched, so the "
                            "model ml5 will load is unchecked",
                            "pass --allow-network to download and check it", "/model")
            return Bundle(root, self._fallback_model(root), manifest)
        from .remote import download_model

        folder = self.scratch()
        problems = download_model(url, folder, self.limits)
        self.report.findings.extend(problems)
        if problems:
            return Bundle(folder, None, manifest)
        self.report.add("source.remote-model", "info",
                        f"checked the model ml5 loads, {shown}, downloaded with its weights")
        return Bundle(folder, MODEL_NAME, manifest)

    def _fallback_model(self, root: Path) -> str | None:
        """The bundle's own model.json, checked when the manifest's model cannot be."""
        if not _is_bundle_file(root, MODEL_NAME):
            return None
        self.report.add("source.model-fallback", "info",
                        "checked the bundle's own model.json in place of the manifest's model")
        return MODEL_NAME

    def _own_model(self, root: Path, absent: str) -> str | None:
        try:
            bundle_file(root, root, MODEL_NAME, what="the model",
                        missing_check="source.no-model")
            return MODEL_NAME
        except FileRefused as refused:
            finding = refused.finding
        if finding.check == "source.no-model":
            finding = Finding("source.no-model", "fail", absent,
                              "a bundle holds model.json, its weight files and manifest.json")
        self.report.findings.append(finding)
        return None


def _is_bundle_file(root: Path, name: str) -> bool:
    try:
        bundle_file(root, root, name, what="file", missing_check="source.no-model")
    except FileRefused:
        return False
    return True


def _top_folder(folder: Path) -> Path:
    """Zips often hold the bundle inside one folder (and macOS adds __MACOSX)."""
    entries = [entry for entry in folder.iterdir() if entry.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir() and not (folder / MANIFEST_NAME).exists():
        return entries[0]
    return folder


# --- zip --------------------------------------------------------------------------------------


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


# --- what else the bundle holds ---------------------------------------------------------------


def _scan_files(root: Path, report: BundleReport, limits: Limits) -> None:
    """Links leaving the bundle (a web server would follow them) and files that carry code."""
    for count, path in enumerate(_walk(root)):
        if count >= limits.files:
            report.add("safety.too-many-files", "warn",
                       f"the bundle folder holds more than {limits.files:,} files; only the "
                       "first were checked for links and code", "a bundle holds a few files")
            return
        shown = printable(str(path.relative_to(root)))
        if path.is_symlink() and not _real(path).is_relative_to(root):
            report.add("safety.symlink-escape", "fail",
                       f"{shown} is a link to {printable(str(_real(path)))}, outside the "
                       "bundle folder; a web server hosting the bundle would serve that file",
                       "remove the link")
        elif path.suffix.lower() in _CODE_SUFFIXES:
            report.add("safety.unexpected-file", "warn",
                       f"{shown} is not part of an ml5 bundle and may carry code (a script, "
                       "a pickle, a saved Keras model); the hosting repository would serve it",
                       "remove it from the bundle")


def _walk(root: Path) -> Iterator[Path]:
    """Files, links and link-to-folder entries below ``root``; links are not followed."""
    for folder, folders, files in os.walk(root):
        base = Path(folder)
        yield from (base / name for name in folders if (base / name).is_symlink())
        yield from (base / name for name in files)

