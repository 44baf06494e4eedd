"""Reference data kept inside a bundle: fixed latents and the outputs the model must produce.

Written by the exporter from Keras, read later by ``validate`` to check a bundle's numbers
without the original Keras model. ``reference.json`` holds the latents inline and names a
little-endian float32 file with the outputs, as ml5 sees them (channels first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REFERENCE_FILE = "reference.json"
OUTPUTS_FILE = "reference-outputs.bin"
FORMAT = "ml5-dcgan-tools/reference@1"
MAX_REFERENCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    latents: np.ndarray  # [N, latent_dim] float32
    outputs: np.ndarray  # [N, C, H, W] float32


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
    (folder / REFERENCE_FILE).write_text(json.dumps(document) + "\n")
    return [REFERENCE_FILE, OUTPUTS_FILE]


def read_reference(path: Path) -> Reference:
    """Read a reference written by :func:`write_reference` (``path`` is its JSON file).

    Raises ValueError with a readable message on anything malformed; sizes are checked before
    anything is allocated, since the bundle may come from a stranger.
    """
    if path.stat().st_size > MAX_REFERENCE_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_REFERENCE_BYTES} bytes")
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path.name} is not a {FORMAT} file")
    latents = np.asarray(document["latents"], dtype=np.float32)
    spec = document["outputs"]
    shape = [int(n) for n in spec["shape"]]
    name = Path(spec["file"]).name  # never follow a path out of the bundle
    outputs_path = path.parent / name
    expected = 4 * int(np.prod(shape, dtype=np.int64))
    if latents.ndim != 2 or not shape or shape[0] != latents.shape[0]:
        raise ValueError(f"{path.name}: {latents.shape[0]} latents but outputs shaped {shape}")
    if expected > MAX_REFERENCE_BYTES or outputs_path.stat().st_size != expected:
        raise ValueError(f"{name} does not hold {shape} float32 values")
    outputs = np.frombuffer(outputs_path.read_bytes(), dtype="<f4").reshape(shape)
    return Reference(latents, outputs.astype(np.float32))
