"""Download a model that a manifest names by URL, only when the user allowed network access.

The model.json and its weight files are fetched into a temporary folder and then checked like
any local bundle. Sizes are capped while reading (a server may lie about Content-Length or send
none), every request has a timeout, redirects may only go to http(s), and weight paths that
would leave the model's folder are not requested at all: the structure checks report them.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin

from .. import __version__
from ..contract import MODEL_FILE
from ..findings import Finding
from ..jsonio import preview, printable, read_json
from ..safety import Limits, path_problem

_USER_AGENT = f"ml5-dcgan-tools/{__version__} (bundle validator)"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib also follows redirects to ftp://; a model is fetched over http(s) only."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.URLError(f"redirected to {preview(newurl)}, not an http(s) URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _DownloadFailed(Exception):
    pass


def download_model(url: str, into: Path, limits: Limits) -> list[Finding]:
    """Fetch ``url`` (a model.json) and its weight files into ``into``; return what went wrong."""
    downloader = _Downloader(limits)
    try:
        data = downloader.fetch(url, limits.model_json_bytes)
        (into / MODEL_FILE).write_bytes(data)
        document = read_json(data, max_bytes=limits.model_json_bytes, what="model.json").value
        for path in _weight_paths(document):
            if path_problem(path, "weight file") is not None:
                continue  # never requested; the structure checks report it
            target = into.joinpath(*PurePosixPath(path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(downloader.fetch(urljoin(url, path), limits.bundle_bytes))
    except _DownloadFailed as failure:
        return [Finding("source.download-failed", "fail", str(failure),
                        "check that the URL serves the raw files (not an HTML page) and is "
                        "reachable")]
    return []


def _weight_paths(document: Any) -> list[str]:
    """The shard paths of a weightsManifest, leniently: the structure checks judge the rest."""
    groups = document.get("weightsManifest") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        return []
    return [path for group in groups if isinstance(group, dict)
            and isinstance(group.get("paths"), list)
            for path in group["paths"] if isinstance(path, str)]


class _Downloader:
    """HTTP(S) GETs within one byte budget for the whole bundle."""

    def __init__(self, limits: Limits) -> None:
        self.left = limits.model_json_bytes + limits.bundle_bytes
        self.timeout = limits.download_seconds
        self.opener = urllib.request.build_opener(_HttpOnlyRedirects)

    def fetch(self, url: str, max_bytes: int) -> bytes:
        shown = printable(url)
        allowed = min(max_bytes, self.left)
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                data = response.read(allowed + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise _DownloadFailed(f"cannot download {shown}: HTTP {error.code} "
                                  f"{printable(str(error.reason))[:100]}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise _DownloadFailed(f"cannot download {shown}: {printable(str(reason))[:200]}"
                                  ) from None
        if len(data) > allowed:
            raise _DownloadFailed(f"{shown} is larger than the {allowed:,} bytes left of the "
                                  "download limit")
        self.left -= len(data)
        return data
