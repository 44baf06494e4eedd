"""A static file server on loopback for bundles and sketch pages.

ml5 fetches manifest.json, model.json and the weight shards over HTTP, so a page opened from
``file://`` cannot load a model, and a page on another origin (the p5.js web editor) needs CORS
headers. This server sends both the MIME types TF.js expects and ``Access-Control-Allow-Origin:
*``, binds 127.0.0.1 only, and serves only what is inside its folders (no symbolic link
out of them). Several folders can be overlaid on one URL space, the first that has a file wins:
the browser check serves its sketch page over the untouched bundle folder this way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import UsageError, UserError

LOOPBACK = "127.0.0.1"
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".bin": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
BINARY = "application/octet-stream"
"""Everything else, notably TF.js shards without an extension (``group1-shard1of4``)."""


def _inside(path: str, root: Path) -> bool:
    real = os.path.realpath(path)
    return real == str(root) or real.startswith(str(root) + os.sep)


class _Handler(SimpleHTTPRequestHandler):
    server: StaticServer

    def translate_path(self, path: str) -> str:
        """The file in the first root that has it; the first root's path (a 404) otherwise."""
        candidates = []
        for root in self.server.roots:
            self.directory = str(root)
            candidate = super().translate_path(path)
            if os.path.exists(candidate) and _inside(candidate, root):
                return candidate
            candidates.append(candidate)
        return candidates[0]

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.lexists(path) and not any(_inside(path, root) for root in self.server.roots):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")  # a link out of the folder
            return None
        return super().send_head()

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return MIME_TYPES.get(Path(path).suffix.lower(), BINARY)

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")  # a re-exported bundle shows at once
        super().end_headers()

    def do_OPTIONS(self) -> None:
        """CORS preflight: only reading is allowed."""
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")


class StaticServer(ThreadingHTTPServer):
    """Serves ``roots`` (overlaid, first wins) on ``http://127.0.0.1:PORT/``.

    ``port=0`` picks a free port; ``log`` receives one line per request (None: silent).
    Raises :class:`UserError` when the port is taken.
    """

    daemon_threads = True

    def __init__(self, roots: Sequence[Path], port: int = 0,
                 log: Callable[[str], None] | None = None) -> None:
        if not roots:
            raise ValueError("StaticServer needs at least one folder")
        self.roots = tuple(Path(os.path.realpath(root)) for root in roots)
        for root in self.roots:
            if not root.is_dir():
                raise UsageError("folder not found", where=str(root),
                                 fix="give the bundle folder (the one with manifest.json)")
        self.log = log
        try:
            super().__init__((LOOPBACK, port), partial(_Handler, directory=str(self.roots[0])))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(f"port {port} on {LOOPBACK} is already in use",
                                fix="choose another with --port, or --port 0 for any free "
                                    "port") from None
            raise UserError(f"cannot listen on {LOOPBACK}:{port}: {error.strerror or error}",
                            fix="choose another --port") from None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/"


@contextlib.contextmanager
def serving(roots: Sequence[Path], port: int = 0) -> Iterator[StaticServer]:
    """A silent :class:`StaticServer` running in a background thread for the ``with`` block."""
    server = StaticServer(roots, port)
    # A short poll interval: shutdown() waits for it, and checks stop servers many times.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="ml5-dcgan-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
