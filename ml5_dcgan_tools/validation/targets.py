"""Find a bundle's files from what the user named: a bundle folder, its ``manifest.json``, a
``model.json`` or a ``.zip`` of a bundle.

Zips are unpacked (by :mod:`ml5_dcgan_tools.safety`) into a temporary folder, and the manifest's
``model`` is followed only while it stays inside the bundle. Everything found wrong is a finding;
only a TARGET that does not exist or is of no known kind raises
:class:`~ml5_dcgan_tools.errors.UsageError`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..contract import MANIFEST_FILE, MODEL_FILE
from ..errors import UsageError
from ..findings import Finding
from ..jsonio import preview, printable, read_json
from ..manifest import MAX_MANIFEST_BYTES, REQUIRED_FIELDS
from ..safety import FileRefused, Limits, bundle_file, extract_zip, path_problem, real_path
from .file_scan import scan_files
from .report import BundleReport, scoped

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
            scan_files(bundle.root, report, limits)
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
    if target.name in (MANIFEST_FILE, MODEL_FILE):
        return "manifest" if target.name == MANIFEST_FILE else "model"
    document = read_json(target, max_bytes=MAX_MANIFEST_BYTES, what="file").value
    looks_like_manifest = (isinstance(document, dict) and "modelTopology" not in document
                           and any(key in document for key in REQUIRED_FIELDS))
    return "manifest" if looks_like_manifest else "model"


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
        return real_path(Path(self.cleanup.enter_context(
            tempfile.TemporaryDirectory(prefix="ml5-dcgan-validate-"))))

    def from_folder(self, folder: Path) -> Bundle:
        root = real_path(folder)
        manifest = root / MANIFEST_FILE
        if manifest.exists() or manifest.is_symlink():
            return self.from_manifest(manifest)
        self.report.add("manifest.missing", "warn", "the bundle has no manifest.json",
                        "ml5.dcgan() loads a manifest.json; create one with `ml5-dcgan "
                        "manifest create --from-model model.json --description ... "
                        "--out manifest.json`")
        return Bundle(root, self._own_model(root, "no manifest.json and no model.json"))

    def from_model(self, path: Path) -> Bundle:
        root = real_path(path.parent)
        try:
            bundle_file(root, root, path.name, what="the model", missing_check="source.no-model")
        except FileRefused as refused:
            self.report.findings.append(refused.finding)
            return Bundle(root)
        return Bundle(root, path.name)

    def from_manifest(self, path: Path) -> Bundle:
        root = real_path(path.parent)
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
        if _is_bundle_file(root, MODEL_FILE):
            self.report.add("manifest.model-unresolved", "warn",
                            f"model {shown} is not a file of this bundle as seen from a page "
                            "beside manifest.json (ml5 0.12.2 resolves it against the page's "
                            "URL); the bundle's model.json was checked in its place",
                            _KEEP_PAGE_BESIDE, "/model")
            return MODEL_FILE
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
        return Bundle(folder, MODEL_FILE, manifest)

    def _fallback_model(self, root: Path) -> str | None:
        """The bundle's own model.json, checked when the manifest's model cannot be."""
        if not _is_bundle_file(root, MODEL_FILE):
            return None
        self.report.add("source.model-fallback", "info",
                        "checked the bundle's own model.json in place of the manifest's model")
        return MODEL_FILE

    def _own_model(self, root: Path, absent: str) -> str | None:
        try:
            bundle_file(root, root, MODEL_FILE, what="the model",
                        missing_check="source.no-model")
            return MODEL_FILE
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
    if len(entries) == 1 and entries[0].is_dir() and not (folder / MANIFEST_FILE).exists():
        return entries[0]
    return folder
