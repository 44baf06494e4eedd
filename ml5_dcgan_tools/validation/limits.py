"""Caps that a bundle from a stranger must stay under, checked before anything is read or
allocated: a hostile bundle may be built to exhaust memory, disk or time."""

from __future__ import annotations

from dataclasses import dataclass

from ..tfjs_model import MAX_MODEL_JSON_BYTES


@dataclass(frozen=True)
class Limits:
    """The defaults are far above any DCGAN a browser runs (ml5's own: 15 MB of weights,
    3.8 M parameters, outputs of 3 x 64 x 64) and far below what hurts the machine."""

    model_json_bytes: int = MAX_MODEL_JSON_BYTES
    bundle_bytes: int = 256 * 2**20
    """Weight files together; also what the TF.js runner may read."""
    weight_elements: int = 2**26
    """Values over all weight tensors (256 MiB as float32)."""
    activation_elements: int = 2**24
    """Values in any one layer's output for one latent; the rebuilt model allocates these."""
    zip_entries: int = 1000
    zip_ratio: int = 100
    """Largest uncompressed / compressed size of a zip entry above 1 MiB."""
    files: int = 10_000
    """Files looked at when listing a bundle folder."""
    download_seconds: float = 30.0
