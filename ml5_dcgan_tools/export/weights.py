"""Weights in the TF.js layers format: named tensors, optional quantization, 4 MiB shards.

A group's tensors are concatenated as little-endian C-order bytes in manifest order and cut
into ``group1-shardNofM.bin`` files; a tensor may straddle two shards, as TF.js expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

Quantization = Literal["none", "uint8", "uint16", "float16"]
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class EncodedWeight:
    """One tensor as stored: its manifest entry, its bytes, and the values TF.js will read."""

    spec: dict[str, Any]
    data: bytes
    decoded: np.ndarray


def encode_weight(name: str, values: np.ndarray, quantization: Quantization) -> EncodedWeight:
    """Encode one float32 tensor, returning also what TF.js will decode it to."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    spec: dict[str, Any] = {"name": name, "shape": list(values.shape), "dtype": "float32"}
    if quantization == "none":
        return EncodedWeight(spec, values.astype("<f4").tobytes(), values)
    if quantization == "float16":
        half = values.astype("<f2")
        spec["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
        return EncodedWeight(spec, half.tobytes(), half.astype(np.float32))
    # Affine per-tensor quantization: value = q * scale + min, as tfjs-core dequantizes it.
    levels = np.iinfo(np.dtype(quantization)).max
    low = float(values.min()) if values.size else 0.0
    high = float(values.max()) if values.size else 0.0
    scale = (high - low) / levels if high > low else 1.0
    quantized = np.clip(np.round((values - low) / scale), 0, levels).astype(quantization)
    spec["quantization"] = {"dtype": quantization, "min": low, "scale": scale,
                            "original_dtype": "float32"}
    decoded = (quantized.astype(np.float64) * scale + low).astype(np.float32)
    return EncodedWeight(spec, quantized.astype(f"<{np.dtype(quantization).str[1:]}").tobytes(),
                         decoded)


def write_shards(weights: list[EncodedWeight], out_dir: Path, shard_bytes: int) -> dict[str, Any]:
    """Write the weight group's shards into ``out_dir``; return its ``weightsManifest`` entry."""
    blob = b"".join(weight.data for weight in weights)
    count = max(1, -(-len(blob) // shard_bytes))
    paths = [f"group1-shard{index}of{count}.bin" for index in range(1, count + 1)]
    for index, path in enumerate(paths):
        (out_dir / path).write_bytes(blob[index * shard_bytes:(index + 1) * shard_bytes])
    return {"paths": paths, "weights": [weight.spec for weight in weights]}
