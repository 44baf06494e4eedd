"""Open any page in real headless Chromium and run JavaScript in it, for the browser check and
for other pages (the hosting repository's gallery).

Chromium is the system's (found by :func:`find_chromium`), driven by playwright-core from the
pinned npm project with :data:`CHROMIUM_ARGS`; nothing downloads a browser. Libraries a page
loads from the CDN can be answered from the browser runtime's pinned copies (:func:`cdn_routes`),
so a test needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError, UserError, last_line
from ..runtime.install import BROWSER, PACKAGES, ensure_part, find_node
from .sketch import FLAVORS

DEFAULT_TIMEOUT = 180.0
CHROMIUM_ENV = "ML5_DCGAN_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FIX = (f"install Chromium (Debian/Ubuntu: apt-get install chromium) or set "
                f"{CHROMIUM_ENV}=/path/to/chrome")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
CHROMIUM_JS = Path(__file__).resolve().parent / "chromium.js"
_INTERNAL_FAILURE = 3  # chromium.js's exit code when the request or the install is broken


@dataclass
class PageRun:
    """What happened: the script's value, or where it failed (``failed_at``: page or script)."""

    value: Any
    failed_at: str | None
    error: str | None
    chromium: str | None
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def find_chromium(explicit: str | os.PathLike[str] | None = None) -> str:
    """The Chromium to drive: ``explicit``, else ``$ML5_DCGAN_CHROMIUM``, else one on PATH."""
    named = explicit or os.environ.get(CHROMIUM_ENV)
    if named:
        if not (Path(named).is_file() and os.access(named, os.X_OK)):
            raise UsageError("Chromium is not an executable file", where=str(named),
                             fix=CHROMIUM_FIX)
        return str(named)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise UserError("Chromium is not installed; the browser check runs ml5 in it",
                    fix=CHROMIUM_FIX)


def cdn_routes(runtime: Path | None = None) -> dict[str, Path]:
    """CDN URL prefix -> the browser runtime's folder of that package, for every page library."""
    runtime = runtime or ensure_part(BROWSER)
    libraries = {library for flavor in FLAVORS.values() for library in flavor.libraries}
    return {library.cdn_url().removesuffix(library.path): runtime / PACKAGES / library.alias
            for library in libraries}


def run_in_chromium(page_url: str, script: str, *, routes: Mapping[str, Path] | None = None,
                    wait_for: str | None = None, screenshot: Path | None = None,
                    viewport: tuple[int, int] = (1000, 700),
                    chromium: str | os.PathLike[str] | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> PageRun:
    """Open ``page_url``, wait until the expression ``wait_for`` is true, and return the value
    of the expression ``script`` (awaited; it must be JSON). Requests starting with a prefix
    in ``routes`` are answered from that folder. A missing Chromium or Node.js, or a broken
    install, raises :class:`UserError`; what went wrong in the page comes back in the result."""
    node, browser = find_node(), find_chromium(chromium)
    runtime = ensure_part(BROWSER)
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-chromium-") as scratch:
        work = Path(scratch)
        request = {
            "runtime_dir": str(runtime), "chromium": browser, "chromium_args": CHROMIUM_ARGS,
            "page_url": page_url, "wait_for": wait_for, "script": script,
            "routes": {prefix: str(Path(folder).resolve()) for prefix, folder in
                       (routes or {}).items()},
            "viewport": {"width": viewport[0], "height": viewport[1]},
            "screenshot": str(Path(screenshot).resolve()) if screenshot else None,
            "timeout_ms": int(timeout * 1000), "result": str(work / "result.json"),
        }
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        try:
            done = subprocess.run([node, str(CHROMIUM_JS), str(work / "request.json")],
                                  cwd=work, capture_output=True, text=True,
                                  timeout=timeout * 3, check=False)
        except subprocess.TimeoutExpired:
            raise UserError(f"Chromium did not finish within {timeout * 3:g} s",
                            fix="check that it starts: chromium --headless --version") from None
        if done.returncode == _INTERNAL_FAILURE or not (work / "result.json").is_file():
            raise UserError(f"the Chromium run failed: {last_line(done.stderr)}",
                            where=str(runtime),
                            fix=f"delete {runtime} and run `ml5-dcgan runtime install --browser`")
        result = json.loads((work / "result.json").read_text(encoding="utf-8"))
    if result["failed_at"] == "launch":
        raise UserError(f"Chromium did not start: {result['error']}", where=browser,
                        fix=CHROMIUM_FIX)
    return PageRun(value=result["value"], failed_at=result["failed_at"], error=result["error"],
                   chromium=result["chromium"], page_errors=result["page_errors"],
                   console_errors=result["console_errors"])
