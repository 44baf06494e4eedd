"""Installs the pinned npm project (the real TF.js runtimes) into the cache, once per lockfile.

The npm project ships inside this package (``package.json`` + ``package-lock.json``); its
``node_modules`` lives in ``$ML5_DCGAN_CACHE/npm-<hash>`` (default cache root
``${XDG_CACHE_HOME:-~/.cache}/ml5-dcgan-tools``), so a changed lockfile gets a fresh folder. A
marker file, written last and atomically, says the install finished; a file lock keeps two
processes from installing at once.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..files import cache_root, exclusive_lock, write_atomically

PROJECT_DIR = Path(__file__).resolve().parent
PROJECT_FILES = ("package.json", "package-lock.json")
MIN_NODE_MAJOR = 18
NODE_FIX = (
    f"install Node.js >= {MIN_NODE_MAJOR} with npm (Debian/Ubuntu: apt-get install nodejs npm; "
    "others: https://nodejs.org), or put it on PATH"
)
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund")
INSTALL_TIMEOUT = 900.0
MARKER = ".installed"
LOG_NAME = "npm-install.log"


def lockfile_hash() -> str:
    """Short hash of the shipped npm project: names the cache folder of this exact install."""
    digest = hashlib.sha256()
    for name in PROJECT_FILES:
        digest.update((PROJECT_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def runtime_dir() -> Path:
    """Where the npm project for the shipped lockfile is (or will be) installed."""
    return cache_root() / f"npm-{lockfile_hash()}"


def is_installed(folder: Path | None = None) -> bool:
    folder = folder or runtime_dir()
    return (folder / MARKER).is_file() and (folder / "node_modules").is_dir()


def _tool_version(executable: str) -> str:
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True,
                              timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise UserError(f"{executable} --version failed: {error}", fix=NODE_FIX) from None
    return done.stdout.strip()


def find_node() -> str:
    """Path of a usable ``node`` (>= MIN_NODE_MAJOR), or one UserError line saying how to get it."""
    node = shutil.which("node")
    if node is None:
        raise UserError("Node.js (node) is not on PATH; it runs the TF.js checks", fix=NODE_FIX)
    version = _tool_version(node)
    major = re.match(r"v?(\d+)\.", version)
    if major is None or int(major.group(1)) < MIN_NODE_MAJOR:
        raise UserError(f"Node.js {version} is too old", where=node, fix=NODE_FIX)
    return node


def find_npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("npm is not on PATH; it installs the TF.js runtimes", fix=NODE_FIX)
    return npm


def ensure_runtime(*, progress: Callable[[str], None] | None = None,
                   timeout: float = INSTALL_TIMEOUT) -> Path:
    """The installed npm project folder; runs ``npm ci`` first if this lockfile is not installed.

    ``progress`` receives one line before a (slow, one-time) install starts.
    """
    folder = runtime_dir()
    if is_installed(folder):
        return folder
    find_node()
    npm = find_npm()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder.parent / f"{folder.name}.lock"):
        if is_installed(folder):  # another process finished it while we waited
            return folder
        if progress:
            progress(f"installing the TF.js runtimes into {folder} (once, about 1.2 GB)")
        folder.mkdir(exist_ok=True)
        (folder / MARKER).unlink(missing_ok=True)
        for name in PROJECT_FILES:
            shutil.copyfile(PROJECT_DIR / name, folder / name)
        log = folder / LOG_NAME
        with log.open("wb") as log_file:
            try:
                done = subprocess.run([npm, *NPM_CI], cwd=folder, stdout=log_file,
                                      stderr=subprocess.STDOUT, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise UserError(f"npm ci did not finish within {timeout:g} s", where=str(log),
                                fix="check network access to the npm registry, then run "
                                    "`ml5-dcgan runtime install` again") from None
        if done.returncode != 0:
            raise UserError(f"npm ci failed with exit code {done.returncode}", where=str(log),
                            fix="read the log; check network access to the npm registry, then "
                                "run `ml5-dcgan runtime install` again")
        write_atomically(folder / MARKER, lockfile_hash() + "\n")
    return folder


@dataclass(frozen=True)
class RuntimeInfo:
    """What ``ml5-dcgan runtime info`` shows: the tools found and the install state."""

    node: str | None
    node_version: str | None
    npm: str | None
    npm_version: str | None
    folder: Path
    installed: bool


def runtime_info() -> RuntimeInfo:
    node = shutil.which("node")
    npm = shutil.which("npm")
    folder = runtime_dir()
    return RuntimeInfo(
        node=node,
        node_version=_tool_version(node) if node else None,
        npm=npm,
        npm_version=_tool_version(npm) if npm else None,
        folder=folder,
        installed=is_installed(folder),
    )
