"""Reference data kept inside a bundle: fixed latents and the outputs the model must produce.

Written by the exporter from Keras, read later by ``validate`` to check a bundle's numbers
without the original Keras model. ``reference.json`` holds the latents inline and names a
little-endian float32 file with the outputs, as ml5 sees them (channels first).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .jsonio import read_json

REFERENCE_FILE = "reference.json"
OUTPUTS_FILE = "reference-outputs.bin"
FORMAT = "ml5-dcgan-tools/reference@1"
MAX_REFERENCE_BYTES = 64 * 1024 * 1024
REFERENCE_COUNT = 4
"""Latents a bundle carries with their outputs: enough to catch a wrong weight or layout."""


class ReferenceInvalid(ValueError):
    """A reference file that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class Reference:
    latents: np.ndarray  # [N, latent_dim] float32
    outputs: np.ndarray  # [N, C, H, W] float32
    tolerance: float | None = None  # the exporter's stated max abs error, when recorded
    labels: np.ndarray | None = None  # [N, K] float32 label rows of a labelled model, else None


def reference_latents(count: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """Standard-normal latents, what ml5 samples, fixed by the seed."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


def write_reference(folder: Path, reference: Reference, tolerance: float) -> list[str]:
    """Write the reference files into ``folder``; return their names."""
    outputs = np.ascontiguousarray(reference.outputs, dtype="<f4")
    (folder / OUTPUTS_FILE).write_bytes(outputs.tobytes())
    document = {
        "format": FORMAT,
        "latents": [[float(value) for value in row] for row in reference.latents],
        "outputs": {"file": OUTPUTS_FILE, "shape": list(outputs.shape), "dtype": "float32"},
        "tolerance": tolerance,
    }
    if reference.labels is not None:
        document["labels"] = [[float(value) for value in row] for row in reference.labels]
    (folder / REFERENCE_FILE).write_text(json.dumps(document) + "\n")
    return [REFERENCE_FILE, OUTPUTS_FILE]


def read_reference(path: Path) -> Reference:
    """Read a reference written by :func:`write_reference` (``path`` is its JSON file).

    The bundle may come from a stranger: every malformed value raises :class:`ReferenceInvalid`
    with a readable message (never a bare TypeError or IndexError), and sizes are checked
    before anything is allocated.
    """
    result = read_json(path, max_bytes=MAX_REFERENCE_BYTES, what=path.name)
    if not result.ok:
        raise ReferenceInvalid(result.findings[0].message)
    document = result.value
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReferenceInvalid(f"{path.name} is not a {FORMAT} file")
    latents = _latents(document.get("latents"), path.name)
    spec = document.get("outputs")
    if not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
        raise ReferenceInvalid(f'{path.name}: "outputs" must be an object naming its "file"')
    shape = spec.get("shape")
    if (not isinstance(shape, list) or not shape or len(shape) > 8
            or not all(_is_count(side) for side in shape)):
        raise ReferenceInvalid(f'{path.name}: "outputs.shape" must be a list of whole numbers')
    if shape[0] != latents.shape[0]:
        raise ReferenceInvalid(f"{path.name}: {latents.shape[0]} latents but outputs shaped "
                               f"{shape}")
    name = Path(spec["file"]).name  # never follow a path out of the bundle
    outputs_path = path.parent / name
    expected = 4 * int(np.prod(shape, dtype=np.int64))
    if expected > MAX_REFERENCE_BYTES or not outputs_path.is_file() \
            or outputs_path.stat().st_size != expected:
        raise ReferenceInvalid(f"{name} does not hold {shape} float32 values")
    outputs = np.frombuffer(outputs_path.read_bytes(), dtype="<f4").reshape(shape)
    labels = None
    if "labels" in document:
        labels = _latents(document["labels"], path.name, key="labels")
        if len(labels) != len(latents):
            raise ReferenceInvalid(f'{path.name}: {len(latents)} latents but {len(labels)} '
                                   '"labels" rows')
    return Reference(latents, outputs.astype(np.float32), _tolerance(document, path.name), labels)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _latents(value: object, name: str, key: str = "latents") -> np.ndarray:
    rows = value if isinstance(value, list) else None
    if (not rows or not all(isinstance(row, list) and row for row in rows)
            or len({len(row) for row in rows}) != 1
            or not all(isinstance(x, int | float) and not isinstance(x, bool)
                       for row in rows for x in row)):
        raise ReferenceInvalid(f'{name}: "{key}" must be a non-empty list of equally long '
                               "lists of numbers")
    latents = np.asarray(rows, dtype=np.float32)
    if not np.isfinite(latents).all():
        raise ReferenceInvalid(f'{name}: "{key}" holds a value that is not finite')
    return latents


def _tolerance(document: dict, name: str) -> float | None:
    tolerance = document.get("tolerance")
    if tolerance is None:
        return None
    if (not isinstance(tolerance, int | float) or isinstance(tolerance, bool)
            or not math.isfinite(tolerance) or tolerance < 0):
        raise ReferenceInvalid(f'{name}: "tolerance" must be a number >= 0')
    return float(tolerance)
