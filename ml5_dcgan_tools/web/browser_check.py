"""Runs a bundle in real ml5.js 0.12.2 inside real headless Chromium and compares the pixels.

The Node checks (``tfjs.py``) prove the numbers of TF.js 1.7.4 on the CPU. This proves the
path a user's sketch takes: the sketch page served over the bundle folder, ml5 fetching
manifest.json and resolving its ``model`` path, TF.js on WebGL where the browser has it, ml5's
post-processing and ``toPixels``. Chromium is the system's (Debian: ``apt-get install
chromium``), driven by playwright-core from the pinned npm project; nothing downloads a browser.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..errors import UsageError, UserError
from ..reference import OUTPUTS_FILE, REFERENCE_FILE, read_reference, reference_latents
from ..runtime.install import ensure_runtime, find_node

PIXEL_TOLERANCE = 2
"""Largest difference allowed per RGBA byte between Chromium and the Python reference, in
levels out of 255. One level because a value that lands near a rounding boundary may round the
other way; one more for the WebGL backend, which computes in float32 in another order than
Keras on the CPU (seen: SwiftShader differs by at most 1 level). Anything wrong in the model
(a transposed image, a wrong activation, swapped weights) is off by tens of levels."""
UNREFERENCED_IMAGES = 2  # images generated for a bundle without reference.json
DEFAULT_TIMEOUT = 180.0
CHROMIUM_ENV = "ML5_DCGAN_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FIX = (f"install Chromium (Debian/Ubuntu: apt-get install chromium) or set "
                f"{CHROMIUM_ENV}=/path/to/chrome")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
BROWSER_CHECK_JS = Path(__file__).resolve().parent / "browser_check.js"
CHANNELS_LAST_ERROR = re.compile(r"toPixels only supports depth of size 1, 3 or 4 but got \d+")
CHANNELS_LAST_FIX = ("the model outputs channels last [1, H, W, 3] but ml5 needs channels first "
                     "[1, 3, H, W]: export with `ml5-dcgan export --target ml5`, which appends "
                     "Permute((3, 1, 2))")
_INTERNAL_FAILURE = 3  # browser_check.js's exit code when the request or the install is broken


@dataclass
class BrowserCheck:
    """What ml5 0.12.2 did with a bundle in headless Chromium.

    ``passed`` means the sketch page came up and ml5 drew every image; with a reference
    (``compared``), also that every pixel is within ``tolerance`` levels of the Python
    reference. ``problem`` is one line saying what failed and how to fix it.
    """

    bundle: Path
    passed: bool
    problem: str | None
    images: int
    compared: bool
    max_pixel_difference: int | None
    tolerance: int
    backend: str | None  # TF.js backend ml5 ran on: "webgl" or "cpu"
    webgl_renderer: str | None
    chromium: str | None
    ml5: str | None
    tfjs: str | None
    screenshot: Path | None
    seconds: dict[str, float | None] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bundle"] = str(self.bundle)
        data["screenshot"] = str(self.screenshot) if self.screenshot else None
        return data


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


def expected_pixels(outputs: np.ndarray) -> np.ndarray:
    """The RGBA bytes ml5 0.12.2 draws for outputs ``[N, C, H, W]`` in [-1, 1] (C = 3 or 4):
    ``(x / 2 + 0.5) * 255`` rounded half up, as ``tf.browser.toPixels`` does."""
    values = np.clip(np.asarray(outputs, np.float64) / 2 + 0.5, 0.0, 1.0)
    pixels = np.floor(values.transpose(0, 2, 3, 1) * 255 + 0.5).astype(np.uint8)
    if pixels.shape[-1] == 3:
        alpha = np.full((*pixels.shape[:-1], 1), 255, np.uint8)
        pixels = np.concatenate([pixels, alpha], axis=-1)
    return pixels


def check_in_browser(bundle_dir: str | os.PathLike[str], *, screenshot: Path | None = None,
                     chromium: str | os.PathLike[str] | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> BrowserCheck:
    """Serve the sketch page over ``bundle_dir``, open it in headless Chromium, and have ml5
    draw the reference latents (or a few random ones when the bundle has no reference.json).

    Problems of the bundle come back in the result; a missing Chromium or Node.js, or a broken
    install, raises :class:`UserError`. ``screenshot`` receives a PNG of the page.
    """
    from .serve import serving
    from .sketch import write_page

    bundle = Path(bundle_dir)
    manifest = _read_manifest(bundle)
    latents, outputs = _latents_and_outputs(bundle, manifest)
    node, browser = find_node(), find_chromium(chromium)
    runtime = ensure_runtime()
    started = time.perf_counter()
    if screenshot is not None:
        screenshot = Path(screenshot).resolve()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-browser-") as scratch:
        work = Path(scratch)
        write_page(work / "page", "manifest.json", offline=True)
        with serving([work / "page", bundle]) as server:
            request = {
                "runtime_dir": str(runtime),
                "chromium": browser,
                "chromium_args": list(CHROMIUM_ARGS),
                "page_url": server.url,
                "bundle_dir": str(bundle.resolve()),
                "model_prefix": _hosted_model_prefix(manifest),
                "latents": latents.tolist(),
                "screenshot": str(screenshot) if screenshot else None,
                "timeout_ms": int(timeout * 1000),
                "result": str(work / "result.json"),
            }
            result = _run_node(node, request, work, timeout, runtime)
    result["seconds"]["total"] = time.perf_counter() - started
    return _verdict(bundle, result, outputs, screenshot)


def _read_manifest(bundle: Path) -> dict[str, Any]:
    path = bundle / "manifest.json"
    if not path.is_file():
        raise UsageError("no manifest.json in the bundle folder", where=str(bundle),
                         fix="give a folder written by `ml5-dcgan export` (target ml5)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"manifest.json is unreadable: {error}", where=str(path),
                         fix=f"run `ml5-dcgan manifest validate {path}`") from None
    if not isinstance(manifest, dict):
        raise UsageError("manifest.json is not a JSON object", where=str(path),
                         fix=f"run `ml5-dcgan manifest validate {path}`")
    return manifest


def _latents_and_outputs(bundle: Path, manifest: dict[str, Any]
                         ) -> tuple[np.ndarray, np.ndarray | None]:
    """The reference latents and outputs; random latents and None without a reference."""
    if (bundle / REFERENCE_FILE).is_file():
        try:
            reference = read_reference(bundle / REFERENCE_FILE)
        except (ValueError, KeyError, OSError) as error:
            raise UsageError(f"{REFERENCE_FILE} is unreadable: {error}", where=str(bundle),
                             fix=f"re-export the bundle, or delete {REFERENCE_FILE} and "
                                 f"{OUTPUTS_FILE} to check without comparing") from None
        return reference.latents, reference.outputs
    latent_dim = manifest.get("modelLatentDim")
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise UsageError("manifest.json has no whole-number modelLatentDim", where=str(bundle),
                         fix="run `ml5-dcgan manifest validate` on it")
    return reference_latents(UNREFERENCED_IMAGES, latent_dim), None


def _hosted_model_prefix(manifest: dict[str, Any]) -> str | None:
    """The folder URL of an absolute ``model`` URL in the manifest (a published bundle)."""
    model = manifest.get("model")
    if isinstance(model, str) and urlsplit(model).scheme in ("http", "https"):
        return model[: model.rindex("/") + 1]
    return None


def _run_node(node: str, request: dict[str, Any], work: Path, timeout: float,
              runtime: Path) -> dict[str, Any]:
    (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
    try:
        # Playwright's own timeouts fire first; this one catches a hung Node.
        done = subprocess.run([node, str(BROWSER_CHECK_JS), str(work / "request.json")],
                              cwd=work, capture_output=True, text=True, timeout=timeout * 3,
                              check=False)
    except subprocess.TimeoutExpired:
        raise UserError(f"the browser check did not finish within {timeout * 3:g} s",
                        fix="check that Chromium starts: chromium --headless --version") from None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode == _INTERNAL_FAILURE or not (work / "result.json").is_file():
        raise UserError(f"the browser check failed: {lines[-1] if lines else done.returncode}",
                        where=str(runtime),
                        fix=f"delete {runtime} and run `ml5-dcgan runtime install`")
    result = json.loads((work / "result.json").read_text(encoding="utf-8"))
    if result["failed_at"] == "launch":
        raise UserError(f"Chromium did not start: {result['error']}", where=request["chromium"],
                        fix=CHROMIUM_FIX)
    return result


def _verdict(bundle: Path, result: dict[str, Any], outputs: np.ndarray | None,
             screenshot: Path | None) -> BrowserCheck:
    images = [np.frombuffer(base64.b64decode(text), np.uint8) for text in result["images"]]
    check = BrowserCheck(
        bundle=bundle, passed=False, problem=_run_problem(result), images=len(images),
        compared=outputs is not None, max_pixel_difference=None, tolerance=PIXEL_TOLERANCE,
        backend=result["backend"], webgl_renderer=result["webgl_renderer"],
        chromium=result["chromium"], ml5=result["ml5"], tfjs=result["tfjs"],
        screenshot=screenshot if screenshot and screenshot.is_file() else None,
        seconds=result["seconds"], page_errors=result["page_errors"],
    )
    if check.problem is None and outputs is not None:
        check.max_pixel_difference, check.problem = _compare(images, expected_pixels(outputs))
    check.passed = check.problem is None
    return check


def _run_problem(result: dict[str, Any]) -> str | None:
    """One line on what failed in the browser, or None when ml5 drew every image."""
    stage, error = result["failed_at"], result["error"]
    if stage == "page":
        return f"the sketch page did not come up in Chromium: {error}"
    if stage == "load":
        return f"ml5 {result['ml5']} could not load the bundle: {error}"
    if stage == "generate":
        problem = f"ml5 {result['ml5']} could not draw the model's output: {error}"
        return problem + (f". Fix: {CHANNELS_LAST_FIX}" if CHANNELS_LAST_ERROR.search(error)
                          else "")
    if stage is not None:
        return f"the browser check failed ({stage}): {error}"
    if result["page"]["state"] != "ready":
        return f"the sketch page reports: {result['page']['status']}"
    return None


def _compare(images: list[np.ndarray], expected: np.ndarray) -> tuple[int | None, str | None]:
    """The largest per-byte difference between drawn and expected pixels, and the problem."""
    largest = 0
    for index, (drawn, wanted) in enumerate(zip(images, expected, strict=True)):
        if drawn.size != wanted.size:
            height, width = wanted.shape[:2]
            return None, (f"ml5 drew {drawn.size // 4} pixels for image {index} but the "
                          f"reference is {height}x{width}")
        difference = np.abs(drawn.astype(np.int16) - wanted.reshape(-1).astype(np.int16))
        largest = max(largest, int(difference.max()))
    if largest > PIXEL_TOLERANCE:
        return largest, (f"ml5 in Chromium draws pixels up to {largest} levels (of 255) away "
                         f"from the reference outputs, allowed {PIXEL_TOLERANCE}")
    return largest, None
