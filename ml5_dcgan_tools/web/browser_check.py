"""Runs a bundle in real headless Chromium on every stack a sketch may use, and compares pixels.

The Node checks (``tfjs.py``) prove the numbers of TF.js on the CPU. This proves the paths a
user's page takes, one stack at a time: ml5 0.12.2 (its own ``ml5.DCGAN``, and ml5-dcgan.js over
its TF.js 1.7.4), ml5 1.x (ml5-dcgan.js's ``ml5.DCGAN`` and ``ml5DCGAN`` over ``ml5.tf``) and plain
TF.js 4.x (``ml5DCGAN``): the sketch page served over the bundle folder, the manifest fetched and
its ``model`` path resolved, TF.js on WebGL where the browser has it, the post-processing and
``toPixels``. Chromium is the system's (Debian: ``apt-get install chromium``), driven by
playwright-core from the pinned npm project, launched once for all stacks; nothing downloads
a browser.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..contract import PIXEL_TOLERANCE, image_layout
from ..errors import UsageError, UserError
from ..jsonio import read_json_object
from ..reference import OUTPUTS_FILE, REFERENCE_FILE, read_reference, reference_latents
from ..runtime.install import BROWSER, ensure_part, find_node
from .chromium import CHROMIUM_ARGS, CHROMIUM_FIX, DEFAULT_TIMEOUT, find_chromium
from .sketch import FLAVORS, Flavor, Library

UNREFERENCED_IMAGES = 2  # images generated for a bundle without reference.json
BROWSER_CHECK_JS = Path(__file__).resolve().parent / "browser_check.js"
CHANNELS_LAST_ERROR = re.compile(r"toPixels only supports depth of size 1, 3 or 4 but got \d+")
CHANNELS_LAST_FIX = ("the model outputs channels last [1, H, W, 3] but ml5 needs channels first "
                     "[1, 3, H, W]: export with `ml5-dcgan export --target ml5`, which appends "
                     "Permute((3, 1, 2))")
_INTERNAL_FAILURE = 3  # browser_check.js's exit code when the request or the install is broken
OWN_DCGAN_CANNOT_LABEL = ("ml5 0.12.2's own ml5.DCGAN skipped: it takes a latent only and cannot "
                          "pass a label to this labelled model; ml5-dcgan.js draws it on this "
                          "stack")


@dataclass(frozen=True)
class Stack:
    """A set of browser libraries a page may load a bundle with, and the loaders to try there."""

    name: str
    flavor: Flavor
    loaders: tuple[str, ...]  # "ml5.DCGAN" (ml5's own or ml5-dcgan.js's), "ml5DCGAN"


STACKS = {stack.name: stack for stack in (
    # The 0.12 sketch page, plus ml5-dcgan.js to prove it over ml5 0.12.2's TF.js 1.7.4 too.
    Stack("ml5-0.12.2", replace(FLAVORS["0.12"], loader=True), ("ml5.DCGAN", "ml5DCGAN")),
    Stack("ml5-1.4.0", FLAVORS["1"], ("ml5.DCGAN", "ml5DCGAN")),
    Stack("tfjs-4.22.0", Flavor((Library("tfjs-4.22.0", "dist/tf.min.js"),), None, loader=True),
          ("ml5DCGAN",)),
)}
"""Each name is a package and the version pinned for it in the runtime's browser-files.json."""


@dataclass(frozen=True)
class PagePlan:
    """One page to open in Chromium, served over the bundle folder, and what to load in it."""

    name: str
    folder: Path  # the page's own files, overlaid on the bundle (the page's files win)
    loads: list[dict[str, Any]]  # {"loader", "manifest", "latents", "labels"?}, in order
    screenshot: Path | None = None


@dataclass
class BrowserCheck:
    """What one stack did with a bundle in headless Chromium.

    ``passed`` means the sketch page came up and every loader drew every image; with a
    reference (``compared``), also that every pixel is within ``tolerance`` levels of the
    Python reference. ``problem`` is one line saying what failed and how to fix it.
    ``images`` counts the images of one loader. ``skipped`` says which loader of the stack was
    not tried, and why (ml5 0.12.2's own ml5.DCGAN on a labelled bundle).
    """

    bundle: Path
    stack: str
    loaders: list[str]
    passed: bool
    problem: str | None
    images: int
    compared: bool
    max_pixel_difference: int | None
    tolerance: int
    backend: str | None  # TF.js backend ml5 ran on: "webgl" or "cpu"
    webgl_renderer: str | None
    chromium: str | None
    ml5: str | None  # None on the plain TF.js stack
    tfjs: str | None
    screenshot: Path | None
    seconds: dict[str, float | None] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bundle"] = str(self.bundle)
        data["screenshot"] = str(self.screenshot) if self.screenshot else None
        return data


def expected_pixels(outputs: np.ndarray) -> np.ndarray:
    """The RGBA bytes drawn for outputs ``[N, C, H, W]`` in [-1, 1] (C = 1, 3 or 4):
    ``(x / 2 + 0.5) * 255`` rounded half up, as ``tf.browser.toPixels`` does, one channel
    shown as gray, alpha 255 unless given."""
    values = np.clip(np.asarray(outputs, np.float64) / 2 + 0.5, 0.0, 1.0)
    pixels = np.floor(values.transpose(0, 2, 3, 1) * 255 + 0.5).astype(np.uint8)
    if pixels.shape[-1] == 1:
        pixels = np.repeat(pixels, 3, axis=-1)
    if pixels.shape[-1] == 3:
        alpha = np.full((*pixels.shape[:-1], 1), 255, np.uint8)
        pixels = np.concatenate([pixels, alpha], axis=-1)
    return pixels


def channels_first(outputs: np.ndarray, model_size: object = None) -> np.ndarray:
    """Outputs ``[N, C, H, W]`` from either layout, read the way ml5-dcgan.js reads them:
    channels first when the second axis can be channels (1, 3 or 4), unless the last axis can
    too and the manifest's ``modelSize`` names the first two as height and width."""
    prefer = "last" if outputs.shape[1] == outputs.shape[2] == model_size else "first"
    if image_layout(outputs.shape, prefer=prefer) == "first":
        return outputs
    return outputs.transpose(0, 3, 1, 2)


def check_in_browser(bundle_dir: str | os.PathLike[str], *,
                     stacks: tuple[str, ...] = tuple(STACKS), screenshot: Path | None = None,
                     chromium: str | os.PathLike[str] | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> list[BrowserCheck]:
    """On each stack, serve its page over ``bundle_dir``, open it in headless Chromium (one
    launch for all), and have each loader draw the reference latents (or a few random ones when
    the bundle has no reference.json). A labelled bundle (``modelLabels``) is drawn with the
    reference's label rows (a class by name, a mix as name -> weight) through ml5-dcgan.js;
    ml5 0.12.2's own ml5.DCGAN, which cannot pass a label, is skipped there.

    Problems of the bundle come back in the results, one per stack; a missing Chromium or
    Node.js, or a broken install, raises :class:`UserError`. ``screenshot`` receives a PNG of
    the page; with several stacks, each gets its own, named ``<stem>-<stack><suffix>``.
    """
    from .sketch import write_page

    unknown = [name for name in stacks if name not in STACKS]
    if unknown or not stacks:
        raise UsageError(f"unknown stack {', '.join(unknown) or '(none)'}",
                         fix=f"use one of {', '.join(STACKS)}")
    bundle = Path(bundle_dir)
    manifest = _read_manifest(bundle)
    latents, labels, outputs = _latents_and_outputs(bundle, manifest)
    if outputs is not None:
        outputs = channels_first(outputs, manifest.get("modelSize"))
    shots = _screenshot_paths(screenshot, stacks)
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-browser-") as scratch:
        pages, used = [], {}
        for name in stacks:
            stack = used[name] = _for_labels(STACKS[name]) if labels is not None else STACKS[name]
            folder = Path(scratch) / name
            write_page(folder, "manifest.json", flavor=stack.flavor, offline=True)
            loads = [{"loader": loader, "manifest": "manifest.json", "latents": latents.tolist(),
                      "labels": None if labels is None else labels.tolist()}
                     for loader in stack.loaders]
            pages.append(PagePlan(name, folder, loads, shots.get(name)))
        result = run_pages(bundle, pages, chromium=chromium, timeout=timeout,
                           model_prefix=_hosted_model_prefix(manifest))
    checks = []
    for page in result["pages"]:
        stack = used[page["name"]]
        check = _verdict(bundle, stack, page, result, outputs, shots.get(page["name"]))
        if stack.loaders != STACKS[stack.name].loaders:
            check.skipped = OWN_DCGAN_CANNOT_LABEL
        checks.append(check)
    return checks


def _for_labels(stack: Stack) -> Stack:
    """The stack as it runs a labelled bundle: ml5 0.12.2's page without its own sketch (whose
    ml5.DCGAN feeds the latent alone) and ml5-dcgan.js only; the other stacks as they are."""
    if stack.name != "ml5-0.12.2":
        return stack
    return replace(stack, flavor=replace(stack.flavor, template=None), loaders=("ml5DCGAN",))


def run_pages(bundle: Path, pages: list[PagePlan], *,
              chromium: str | os.PathLike[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
              model_prefix: str | None = None) -> dict[str, Any]:
    """Open ``pages`` in one headless Chromium, each served over ``bundle`` on its own loopback
    port, and do their loads: browser_check.js's raw result (see there)."""
    from .serve import serving

    node, browser = find_node(), find_chromium(chromium)
    runtime = ensure_part(BROWSER)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-browser-") as scratch, ExitStack() as stack:
        specs = []
        for page in pages:
            if page.screenshot is not None:
                page.screenshot.parent.mkdir(parents=True, exist_ok=True)
            server = stack.enter_context(serving([page.folder, bundle]))
            specs.append({"name": page.name, "url": server.url, "loads": page.loads,
                          "screenshot": str(page.screenshot) if page.screenshot else None})
        request = {
            "runtime_dir": str(runtime),
            "chromium": browser,
            "chromium_args": list(CHROMIUM_ARGS),
            "bundle_dir": str(bundle.resolve()),
            "model_prefix": model_prefix,
            "pages": specs,
            "timeout_ms": int(timeout * 1000),
            "result": str(Path(scratch) / "result.json"),
        }
        result = _run_node(node, request, Path(scratch), timeout * (1 + len(pages)), runtime)
    result["seconds"]["total"] = time.perf_counter() - started
    return result


def _screenshot_paths(screenshot: Path | None, stacks: tuple[str, ...]) -> dict[str, Path]:
    if screenshot is None:
        return {}
    screenshot = Path(screenshot).resolve()
    if len(stacks) == 1:
        return {stacks[0]: screenshot}
    return {name: screenshot.with_name(f"{screenshot.stem}-{name}{screenshot.suffix}")
            for name in stacks}


def _read_manifest(bundle: Path) -> dict[str, Any]:
    path = bundle / "manifest.json"
    if not path.is_file():
        raise UsageError("no manifest.json in the bundle folder", where=str(bundle),
                         fix="give a folder written by `ml5-dcgan export` (target ml5)")
    return read_json_object(path, what="manifest.json",
                            fix=f"run `ml5-dcgan manifest validate {path}`")


def _latents_and_outputs(bundle: Path, manifest: dict[str, Any]
                         ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The reference latents, label rows (None when unlabelled) and outputs; without a
    reference, random latents (one-hot rows cycling through ``modelLabels``) and no outputs."""
    names = manifest.get("modelLabels")
    if (bundle / REFERENCE_FILE).is_file():
        try:
            reference = read_reference(bundle / REFERENCE_FILE)
        except (ValueError, KeyError, OSError) as error:
            raise UsageError(f"{REFERENCE_FILE} is unreadable: {error}", where=str(bundle),
                             fix=f"re-export the bundle, or delete {REFERENCE_FILE} and "
                                 f"{OUTPUTS_FILE} to check without comparing") from None
        if (reference.labels is None) != (names is None) or (
                reference.labels is not None and reference.labels.shape[1] != len(names)):
            raise UsageError(f"{REFERENCE_FILE} has label rows for "
                             f"{0 if reference.labels is None else reference.labels.shape[1]} "
                             f"classes but manifest.json names {len(names or [])} modelLabels",
                             where=str(bundle), fix="re-export the bundle")
        if reference.outputs.ndim != 4:
            raise UsageError(f"{REFERENCE_FILE} holds outputs of shape "
                             f"{list(reference.outputs.shape)}, not images [N, C, H, W]",
                             where=str(bundle), fix="re-export the bundle")
        return reference.latents, reference.labels, reference.outputs
    latent_dim = manifest.get("modelLatentDim")
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise UsageError("manifest.json has no whole-number modelLatentDim", where=str(bundle),
                         fix="run `ml5-dcgan manifest validate` on it")
    if names is None:
        return reference_latents(UNREFERENCED_IMAGES, latent_dim), None, None
    if not isinstance(names, list) or not names:
        raise UsageError("manifest.json has modelLabels that is not a list of names",
                         where=str(bundle), fix="run `ml5-dcgan manifest validate` on it")
    count = max(UNREFERENCED_IMAGES, len(names))
    rows = np.eye(len(names), dtype=np.float32)[np.arange(count) % len(names)]
    return reference_latents(count, latent_dim), rows, None


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
                        fix=f"delete {runtime} and run `ml5-dcgan runtime install --browser`")
    result = json.loads((work / "result.json").read_text(encoding="utf-8"))
    if result["launch_error"]:
        raise UserError(f"Chromium did not start: {result['launch_error']}",
                        where=request["chromium"], fix=CHROMIUM_FIX)
    return result


def _verdict(bundle: Path, stack: Stack, page: dict[str, Any], result: dict[str, Any],
             outputs: np.ndarray | None, screenshot: Path | None) -> BrowserCheck:
    loads = page["loads"]
    check = BrowserCheck(
        bundle=bundle, stack=stack.name, loaders=[load["loader"] for load in loads],
        passed=False, problem=_run_problem(stack, page),
        images=min((len(load["images"]) for load in loads), default=0),
        compared=outputs is not None, max_pixel_difference=None, tolerance=PIXEL_TOLERANCE,
        backend=page["backend"], webgl_renderer=page["webgl_renderer"],
        chromium=result["chromium"], ml5=page["ml5"], tfjs=page["tfjs"],
        screenshot=screenshot if screenshot and screenshot.is_file() else None,
        seconds={"launch": result["seconds"]["launch"], **page["seconds"],
                 "total": result["seconds"]["total"]},
        page_errors=page["page_errors"],
    )
    if check.problem is None and outputs is not None:
        expected = expected_pixels(outputs)
        check.max_pixel_difference = 0
        for load in loads:
            images = [np.frombuffer(base64.b64decode(text), np.uint8) for text in load["images"]]
            largest, problem = _compare(images, expected, _drawer(stack, page, load["loader"]))
            check.max_pixel_difference = max(check.max_pixel_difference, largest or 0)
            check.problem = check.problem or problem
    check.passed = check.problem is None
    return check


def _drawer(stack: Stack, page: dict[str, Any], loader: str) -> str:
    """Who drew, in words: "ml5 0.12.2's ml5.DCGAN", "ml5DCGAN on TF.js 4.22.0"..."""
    on = f"ml5 {page['ml5']}" if page["ml5"] else f"TF.js {page['tfjs']}"
    if loader == "ml5.DCGAN" and stack.name == "ml5-0.12.2":
        return f"{on}'s ml5.DCGAN"
    return f"{loader} (ml5-dcgan.js) on {on}"


def _run_problem(stack: Stack, page: dict[str, Any]) -> str | None:
    """One line on what failed in the browser, or None when every loader drew every image."""
    stage, error = page["failed_at"], page["error"]
    if stage == "page":
        return f"the {stack.name} sketch page did not come up in Chromium: {error}"
    if stage is not None:
        return f"the browser check failed on {stack.name} ({stage}): {error}"
    for load in page["loads"]:  # first: they name who failed, the page only shows it
        drawer, error = _drawer(stack, page, load["loader"]), load["error"]
        if load["failed_at"] == "load":
            return f"{drawer} could not load the bundle: {error}"
        if load["failed_at"] == "generate":
            problem = f"{drawer} could not draw the model's output: {error}"
            return problem + (f". Fix: {CHANNELS_LAST_FIX}" if CHANNELS_LAST_ERROR.search(error)
                              else "")
    if page["page"]["state"] != "ready":
        return f"the {stack.name} sketch page reports: {page['page']['status']}"
    return None


def _compare(images: list[np.ndarray], expected: np.ndarray, drawer: str
             ) -> tuple[int | None, str | None]:
    """The largest per-byte difference between drawn and expected pixels, and the problem."""
    largest = 0
    if len(images) != len(expected):
        return None, f"{drawer} drew {len(images)} images, expected {len(expected)}"
    for index, (drawn, wanted) in enumerate(zip(images, expected, strict=True)):
        if drawn.size != wanted.size:
            height, width = wanted.shape[:2]
            return None, (f"{drawer} drew {drawn.size // 4} pixels for image {index} but the "
                          f"reference is {height}x{width}")
        difference = np.abs(drawn.astype(np.int16) - wanted.reshape(-1).astype(np.int16))
        largest = max(largest, int(difference.max()))
    if largest > PIXEL_TOLERANCE:
        return largest, (f"{drawer} in Chromium draws pixels up to {largest} levels (of 255) "
                         f"away from the reference outputs, allowed {PIXEL_TOLERANCE}")
    return largest, None
