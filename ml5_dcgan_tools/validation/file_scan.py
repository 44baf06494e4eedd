"""What else a bundle folder holds: links that leave it and files that may carry code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..assets import is_shipped_loader
from ..jsonio import printable
from ..safety import CODE_SUFFIXES, Limits, real_path
from .report import BundleReport


def scan_files(root: Path, report: BundleReport, limits: Limits) -> None:
    """Links leaving the bundle (a web server would follow them) and files that carry code."""
    for count, path in enumerate(_walk(root)):
        if count >= limits.files:
            report.add("safety.too-many-files", "warn",
                       f"the bundle folder holds more than {limits.files:,} files; only the "
                       "first were checked for links and code", "a bundle holds a few files")
            return
        shown = printable(str(path.relative_to(root)))
        if path.is_symlink() and not real_path(path).is_relative_to(root):
            report.add("safety.symlink-escape", "fail",
                       f"{shown} is a link to {printable(str(real_path(path)))}, outside the "
                       "bundle folder; a web server hosting the bundle would serve that file",
                       "remove the link")
        elif path.suffix.lower() in CODE_SUFFIXES and not is_shipped_loader(path):
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
