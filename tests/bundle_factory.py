"""Builds TF.js layers bundles by hand with numpy (no TensorFlow), and what they must compute.

Shared by the runtime tests and the bundle validator tests: a tiny ml5-shaped generator
(Dense -> Reshape -> Permute) written the way Keras 2 / the tensorflowjs converter write it, with
weights cut into shards and optionally quantized.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARD_BYTES = 4 * 2**20  # the converter's default


def _dense_config(name: str, units: int, activation: str, batch_input_shape=None) -> dict:
    config = {"name": name, "trainable": True}
    if batch_input_shape is not None:
        config["batch_input_shape"] = batch_input_shape
    config.update({
        "dtype": "float32", "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": {"class_name": "VarianceScaling", "config": {
            "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    })
    return {"class_name": "Dense", "config": config}


@dataclass(frozen=True)
class TinyGenerator:
    """Dense(side*side*channels) -> Reshape [side, side, channels] -> Permute [3, 1, 2].

    ``channels_first=False`` drops the Permute (the channels-last mistake of ml5 issue 1384).
    ``bare_list`` writes the Sequential config as a bare list with ``batch_input_shape`` on the
    Dense (Keras 2.2.2, ml5's face model); otherwise ``{name, layers}`` starting with an
    InputLayer (tf.keras 2.x).
    """

    latent_dim: int = 8
    side: int = 4
    channels: int = 3
    activation: str = "tanh"
    channels_first: bool = True
    bare_list: bool = False
    dense_name: str = "dense_1"

    @property
    def units(self) -> int:
        return self.side * self.side * self.channels

    def topology(self) -> dict:
        batch_input_shape = [None, self.latent_dim]
        layers = []
        if not self.bare_list:
            layers.append({"class_name": "InputLayer", "config": {
                "batch_input_shape": batch_input_shape, "dtype": "float32", "sparse": False,
                "name": "input_1"}})
        layers.append(_dense_config(self.dense_name, self.units, self.activation,
                                    batch_input_shape if self.bare_list else None))
        layers.append({"class_name": "Reshape", "config": {
            "name": "reshape_1", "trainable": True,
            "target_shape": [self.side, self.side, self.channels]}})
        if self.channels_first:
            layers.append({"class_name": "Permute", "config": {
                "name": "permute_1", "trainable": True, "dims": [3, 1, 2]}})
        config = layers if self.bare_list else {"name": "sequential_1", "layers": layers}
        return {"keras_version": "2.2.4", "backend": "tensorflow",
                "model_config": {"class_name": "Sequential", "config": config}}

    def random_weights(self, seed: int = 0, scale: float = 0.5) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        return {
            f"{self.dense_name}/kernel":
                (rng.standard_normal((self.latent_dim, self.units)) * scale).astype(np.float32),
            f"{self.dense_name}/bias": (rng.standard_normal(self.units) * scale).astype(np.float32),
        }

    def predict(self, latents: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
        """What Keras computes, in float64: [N, C, H, W] (or [N, H, W, C] channels-last)."""
        kernel = weights[f"{self.dense_name}/kernel"].astype(np.float64)
        bias = weights[f"{self.dense_name}/bias"].astype(np.float64)
        y = latents.astype(np.float64) @ kernel + bias
        if self.activation == "tanh":
            y = np.tanh(y)
        elif self.activation != "linear":
            raise ValueError(f"no numpy forward for activation {self.activation!r}")
        y = y.reshape(len(latents), self.side, self.side, self.channels)
        return y.transpose(0, 3, 1, 2) if self.channels_first else y


def _encode(array: np.ndarray, quantization: str | None) -> tuple[bytes, dict | None, np.ndarray]:
    """Bytes as stored, the manifest's quantization entry, and the values TF.js will use."""
    array = np.asarray(array, dtype=np.float32)
    if quantization is None:
        return array.astype("<f4").tobytes(), None, array
    if quantization == "uint8":
        low, high = float(array.min()), float(array.max())
        scale = (high - low) / 255 or 1.0
        q = np.round((array - low) / scale).astype(np.uint8)
        dequantized = (q.astype(np.float64) * scale + low).astype(np.float32)
        entry = {"dtype": "uint8", "min": low, "scale": scale, "original_dtype": "float32"}
        return q.tobytes(), entry, dequantized
    if quantization == "float16":
        half = array.astype("<f2")
        return half.tobytes(), {"dtype": "float16"}, half.astype(np.float32)
    raise ValueError(f"unknown quantization {quantization!r}")


def write_bundle(folder: Path, topology: dict, weights: dict[str, np.ndarray], *,
                 shard_bytes: int = SHARD_BYTES, quantization: str | None = None,
                 model_json: str = "model.json") -> dict[str, np.ndarray]:
    """Writes ``model.json`` and ``group1-shardNofM.bin`` files; returns the weights as TF.js
    will see them (dequantized). Manifest names are the keys of ``weights``, in order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = bytearray()
    specs = []
    effective = {}
    for name, array in weights.items():
        raw, entry, effective[name] = _encode(array, quantization)
        data += raw
        spec = {"name": name, "shape": list(np.shape(array)), "dtype": "float32"}
        if entry is not None:
            spec["quantization"] = entry
        specs.append(spec)
    count = max(1, -(-len(data) // shard_bytes))
    paths = []
    for index in range(count):
        path = f"group1-shard{index + 1}of{count}.bin"
        (folder / path).write_bytes(bytes(data[index * shard_bytes:(index + 1) * shard_bytes]))
        paths.append(path)
    model = {
        "format": "layers-model",
        "generatedBy": "keras v2.2.4",
        "convertedBy": "tests/bundle_factory.py",
        "modelTopology": topology,
        "weightsManifest": [{"paths": paths, "weights": specs}],
    }
    (folder / model_json).write_text(json.dumps(model), encoding="utf-8")
    return effective


@dataclass(frozen=True)
class LabelledGenerator:
    """A conditional generator as a labelled export writes it: a functional model with inputs
    ``latent`` [null, L] and ``label`` [null, K] -> Concatenate -> Dense(tanh) -> Reshape ->
    Permute (channels first, as ml5 needs)."""

    labels: tuple[str, ...] = ("circle", "square", "triangle")
    latent_dim: int = 8
    side: int = 4
    channels: int = 3

    @property
    def plain(self) -> TinyGenerator:
        """The same body on the concatenated input (its Dense, Reshape and Permute)."""
        return TinyGenerator(latent_dim=self.latent_dim + len(self.labels), side=self.side,
                             channels=self.channels)

    def topology(self) -> dict:
        def node(layer: dict, *sources: str) -> dict:
            name = layer["config"]["name"]
            inbound = [[[source, 0, 0, {}] for source in sources]] if sources else []
            return {**layer, "name": name, "inbound_nodes": inbound}

        def source(name: str, width: int) -> dict:
            return node({"class_name": "InputLayer", "config": {
                "batch_input_shape": [None, width], "dtype": "float32", "sparse": False,
                "name": name}})

        dense, reshape, permute = self.plain.topology()["model_config"]["config"]["layers"][1:]
        layers = [
            source("latent", self.latent_dim), source("label", len(self.labels)),
            node({"class_name": "Concatenate", "config": {
                "name": "concatenate_1", "trainable": True, "axis": -1}}, "latent", "label"),
            node(dense, "concatenate_1"), node(reshape, dense["config"]["name"]),
            node(permute, "reshape_1"),
        ]
        config = {"name": "generator", "layers": layers,
                  "input_layers": [["latent", 0, 0], ["label", 0, 0]],
                  "output_layers": [["permute_1", 0, 0]]}
        return {"keras_version": "2.2.4", "backend": "tensorflow",
                "model_config": {"class_name": "Model", "config": config}}

    def random_weights(self, seed: int = 0) -> dict[str, np.ndarray]:
        return self.plain.random_weights(seed)

    def predict(self, latents: np.ndarray, rows: np.ndarray,
                weights: dict[str, np.ndarray]) -> np.ndarray:
        """What Keras computes for latents and label rows, in float64: [N, C, H, W]."""
        return self.plain.predict(np.concatenate([latents, rows], axis=1), weights)

    def reference_rows(self, count: int) -> np.ndarray:
        """One-hot rows cycling through the classes, as the shared reference format has them."""
        return np.eye(len(self.labels), dtype=np.float32)[np.arange(count) % len(self.labels)]
