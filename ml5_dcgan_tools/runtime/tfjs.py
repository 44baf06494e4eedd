"""Runs a bundle inside the real TF.js runtimes (pure JavaScript, in Node) and reports what they do.

Only a numerical comparison inside TF.js proves a bundle right: a model can load and still
compute something else. Each call runs one Node process for one TF.js version (two versions in
one process fight over the backend registry) and replays ml5 0.12.2's post-processing on every
output, so the run also says whether ml5 would draw the image.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contract import TFJS_VERSIONS
from ..errors import UsageError, UserError, last_line
from .install import PROJECT_DIR, ensure_part, find_node

DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_BYTES = 256 * 2**20
RUN_BUNDLE_JS = PROJECT_DIR / "run_bundle.js"
_INTERNAL_FAILURE = 3  # run_bundle.js's exit code when the request or the install is broken


@dataclass(frozen=True)
class RuntimeRun:
    """What one TF.js version did with one bundle.

    ``failed_at`` is None on success, else where it stopped: ``read`` (the bundle's files),
    ``load`` (tf.loadLayersModel), ``predict``, ``timeout`` or ``crash`` (Node died, e.g. out of
    memory). ``outputs`` has shape ``[N, *model output shape without batch]``, one row per latent.
    ``ml5_accepts`` is true only when every output went through ml5 0.12.2's post-processing and
    ``tf.browser.toPixels`` in this runtime; ``ml5_problem`` says why not (that failure, or the
    run's own error).
    """

    version: str
    outputs: np.ndarray | None
    error: str | None
    failed_at: str | None
    ml5_accepts: bool
    ml5_problem: str | None
    seconds: float  # the whole Node process, start-up included
    load_seconds: float | None = None  # reading the files + tf.loadLayersModel
    predict_seconds: tuple[float, ...] = ()  # one batch-of-one predict per latent

    @property
    def ok(self) -> bool:
        return self.error is None


def _failed(version: str, stage: str, error: str, seconds: float) -> RuntimeRun:
    return RuntimeRun(version=version, outputs=None, error=error, failed_at=stage,
                      ml5_accepts=False, ml5_problem=error, seconds=seconds)


def _reinstall(runtime: Path) -> str:
    return f"delete {runtime} and run `ml5-dcgan runtime install`"


def run_bundle(bundle_dir: Path, latents: np.ndarray, version: str, *,
               model_json: str = "model.json", timeout: float = DEFAULT_TIMEOUT,
               max_bytes: int = DEFAULT_MAX_BYTES, labels: np.ndarray | None = None
               ) -> RuntimeRun:
    """Loads ``bundle_dir/model_json`` in TF.js ``version`` and predicts each latent row.

    ``latents`` is ``[N, latent_dim]``; ``labels`` (a labelled generator's second input) is
    ``[N, K]``, fed beside each latent. Installs that version's runtime first if needed.
    Problems of the bundle come back in the RuntimeRun; a missing Node or a broken install
    raises UserError.
    """
    if version not in TFJS_VERSIONS:
        raise ValueError(f"TF.js version {version!r} is not one of {TFJS_VERSIONS}")
    latents = np.asarray(latents, dtype="<f4")
    if latents.ndim != 2 or len(latents) == 0:
        raise ValueError(f"latents must be [N >= 1, latent_dim], got shape {latents.shape}")
    if labels is not None:
        labels = np.asarray(labels, dtype="<f4")
        if labels.ndim != 2 or len(labels) != len(latents):
            raise ValueError(f"labels must be [{len(latents)}, K], got shape {labels.shape}")
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise UsageError("bundle folder not found", where=str(bundle_dir),
                         fix="give the folder that holds model.json and its weight files")
    node = find_node()
    runtime = ensure_part(f"tfjs-{version}")
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-tfjs-") as scratch:
        work = Path(scratch)
        latents.tofile(work / "latents.f32")
        request = {
            "runtime_dir": str(runtime),
            "module": "@tensorflow/tfjs",
            "bundle_dir": str(bundle_dir.resolve()),
            "model_json": model_json,
            "latents": str(work / "latents.f32"),
            "latent_shape": list(latents.shape),
            "outputs": str(work / "outputs.f32"),
            "max_bytes": max_bytes,
            "result": str(work / "result.json"),
        }
        if labels is not None:
            labels.tofile(work / "labels.f32")
            request.update(labels=str(work / "labels.f32"), label_shape=list(labels.shape))
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        started = time.perf_counter()
        try:
            done = subprocess.run([node, str(RUN_BUNDLE_JS), str(work / "request.json")],
                                  cwd=work, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return _failed(version, "timeout", f"TF.js {version} did not finish within "
                           f"{timeout:g} s", time.perf_counter() - started)
        seconds = time.perf_counter() - started
        if done.returncode == _INTERNAL_FAILURE:
            raise UserError(f"the TF.js {version} runtime failed: {last_line(done.stderr)}",
                            where=str(runtime), fix=_reinstall(runtime))
        if not (work / "result.json").is_file():
            return _failed(version, "crash", f"Node stopped with exit code {done.returncode}: "
                           f"{last_line(done.stderr)}", seconds)
        result = json.loads((work / "result.json").read_text(encoding="utf-8"))
        if result["tfjs"] != version:
            raise UserError(f"the tfjs-{version} runtime loads TF.js {result['tfjs']}",
                            where=str(runtime), fix=_reinstall(runtime))
        outputs = None
        if result["failed_at"] is None:
            outputs = np.fromfile(work / "outputs.f32", dtype="<f4").reshape(
                [len(latents), *result["output_shape"][1:]])
    return RuntimeRun(
        version=version,
        outputs=outputs,
        error=result["error"],
        failed_at=result["failed_at"],
        ml5_accepts=result["ml5"]["accepts"],
        ml5_problem=result["ml5"]["problem"],
        seconds=seconds,
        load_seconds=result["seconds"]["load"],
        predict_seconds=tuple(result["seconds"]["predict"]),
    )


def compare_outputs(expected: np.ndarray, actual: np.ndarray) -> float:
    """Largest absolute difference; ``inf`` when the shapes differ or a value is not finite."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if expected.shape != actual.shape:
        return math.inf
    if expected.size == 0:
        return 0.0
    error = float(np.max(np.abs(expected - actual)))
    return error if math.isfinite(error) else math.inf
