"""What ml5.js and TensorFlow.js accept from a DCGAN bundle: the one place these rules live.

Export (what we write), validation (what we accept from others), the manifest checks and the
Keras rebuild all import the rules from here, so a curator and a user get the same verdict.
The facts behind them are in ``docs/reference/ml5-contract.md`` and
``docs/reference/tfjs-layers-notes.md``.

The layer set is :data:`LAYER_CLASSES`. Three registries implement it, one job each: the
exporter's translators (``export/layers_format.py``), the shape and weight rules of the
TensorFlow-free reader (``tfjs_model.py``) and the Keras rebuild (``validation/keras_rebuild.py``).
Each calls :func:`require_layer_set` when it is imported, so a layer added to one and not the
others fails at once, and ``tests/test_contract.py`` checks the round trip layer by layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

# --- runtimes ---------------------------------------------------------------------------------

ML5_TFJS_VERSION = "1.7.4"
"""The TF.js compiled into ml5 0.12.2, the last ml5 with a DCGAN of its own."""
TFJS_VERSIONS = ("1.7.4", "4.22.0")
"""Every bundle is proven in both: 1.7.4 for ml5 0.12.2; 4.22.0 for ml5 1.x (through the
``ml5-dcgan.js`` loader) and for plain ``tf.loadLayersModel``. ml5's post-processing must accept
the output in each, since the loader replays it on ml5 1.x."""

# --- the bundle -------------------------------------------------------------------------------

MANIFEST_FILE = "manifest.json"
MODEL_FILE = "model.json"
"""A bundle: manifest.json naming model.json, and the weight shards model.json names."""

# --- layers -----------------------------------------------------------------------------------

LAYER_CLASSES = frozenset({
    "InputLayer", "Dense", "Conv2D", "Conv2DTranspose", "BatchNormalization",
    "LayerNormalization", "ReLU", "LeakyReLU", "Activation", "UpSampling2D", "Dropout",
    "Reshape", "Permute", "Flatten", "ZeroPadding2D", "Cropping2D", "Add", "Concatenate",
})
"""Layers that TF.js 1.7.4 and 4.22.0 compute exactly as Keras 3 does (with the settings the
exporter checks). Anything else is refused by export and failed by validate."""

MERGING_LAYERS = frozenset({"Add", "Concatenate"})
"""Layers with several inputs."""

VALUE_PRESERVING_LAYERS = frozenset({
    "Permute", "Reshape", "Flatten", "Cropping2D", "UpSampling2D", "Dropout", "ZeroPadding2D",
    "Concatenate",
})
"""Layers that move or copy values without changing them: the bound of their input holds.
(ZeroPadding2D adds zeros, which are inside every bound below.)"""

CODE_LAYERS = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda"})
"""Keras layers whose config carries Python code or calls into TensorFlow by name: a safety
failure, never run."""

ACTIVATIONS = frozenset(
    {"linear", "relu", "relu6", "tanh", "sigmoid", "elu", "selu", "softplus", "softsign"})
"""Activations both runtimes compute as Keras 3. Not here on purpose: leaky_relu and silu
(unknown to both), swish and gelu (4.22 only), hard_sigmoid (Keras 3 changed its slope),
softmax (axis semantics differ for images)."""

# --- the output -------------------------------------------------------------------------------

OUTPUT_ACTIVATIONS = frozenset({"tanh", "softsign"})
"""The output bound, one decision for export and validate alike: ml5 maps [-1, 1] to pixels and
its ``toPixels`` throws outside it, so the last activation must bound the output to [-1, 1].
tanh and softsign do; sigmoid ([0, 1], washed-out images) and anything unbounded do not."""

OUTPUT_BOUND_HINT = ("ml5 maps [-1, 1] to pixels: end the generator with tanh (or softsign) and "
                     "train on images scaled to [-1, 1]")

IMAGE_CHANNELS = (1, 3, 4)
"""Channels an image output may have before export; ml5 draws 3 or 4 (1 is repeated to 3)."""
ML5_CHANNELS = (3, 4)

Layout = Literal["first", "last"]


def image_layout(shape: Sequence[Any], prefer: Layout = "first") -> Layout | None:
    """``first`` for ``[N, C, H, W]``, ``last`` for ``[N, H, W, C]`` (C in 1, 3, 4), else None.

    A shape that reads both ways (``[N, 4, 4, 3]``) is taken as ``prefer``: channels first for a
    bundle (ml5 reads it so), channels last for a Keras model being exported (Keras's default).
    """
    if len(shape) != 4:
        return None
    first, last = shape[1] in IMAGE_CHANNELS, shape[3] in IMAGE_CHANNELS
    if first and last:
        return prefer
    return "first" if first else "last" if last else None


def image_side(shape: Sequence[Any]) -> int | None:
    """The output image's height, channels first or last; None when it is not an image."""
    layout = image_layout(shape)
    if layout is None:
        return None
    return shape[2] if layout == "first" else shape[1]


def output_activation(layers: Mapping[str, Any], outputs: Iterable[str]) -> str:
    """The activation that bounds the model's output, looking back through value-preserving
    layers. ``layers`` maps names to objects with ``class_name``, ``config`` and ``inbound``.

    Iterative, not recursive: a hostile topology may chain or fan out thousands of layers.
    Several different bounds read as ``mixed (...)``, which no rule accepts.
    """
    found: set[str] = set()
    seen: set[str] = set()
    waiting = list(outputs)
    while waiting:
        layer = layers[waiting.pop()]
        if layer.name in seen:
            continue
        seen.add(layer.name)
        if layer.class_name in VALUE_PRESERVING_LAYERS and layer.inbound:
            waiting.extend(layer.inbound)
        else:
            activation = layer.config.get("activation")
            found.add(activation if isinstance(activation, str)
                      else f"the {layer.class_name} layer's unbounded output")
    return found.pop() if len(found) == 1 else "mixed (" + ", ".join(sorted(found)) + ")"


# --- inputs ---------------------------------------------------------------------------------

LABEL_INPUT = "label"
"""The second input of a labelled generator: ``[null, K]`` float32, a one-hot row per image (or
a convex mix of rows). The first is the latent ``[null, modelLatentDim]``."""


def generator_inputs(names: Sequence[str], shapes: Sequence[Sequence[Any]]
                     ) -> tuple[int, int] | None:
    """``(latent_dim, label_count)`` of a generator's inputs: one ``[null, L]`` (label_count 0),
    or ``[null, L]`` then the ``label`` input ``[null, K]``; None for anything else."""
    if not 1 <= len(shapes) <= 2 or any(len(shape) != 2 or not isinstance(shape[1], int)
                                        or shape[1] < 1 for shape in shapes):
        return None
    if len(shapes) == 2 and names[1] != LABEL_INPUT:
        return None
    return shapes[0][1], (shapes[1][1] if len(shapes) == 2 else 0)


# --- tolerances -------------------------------------------------------------------------------

RUNTIME_ATOL = 1e-4
"""Largest abs difference allowed between TF.js and Python on the weights the bundle stores, on
the [-1, 1] output scale. Also the most a bundle's own reference.json may ask for: a reference
may tighten it, never loosen it."""

QUANTIZATION_BOUNDS = {"none": 0.0, "float16": 0.01, "uint16": 0.01, "uint8": 0.1}
"""Largest abs output change (on the [-1, 1] scale) that quantizing the weights may cause: 0.01
is about one pixel level of 255, 0.1 about thirteen (uint8 is a visible trade for a 4x smaller
download). The canonical 64x64 generator measures 1e-4 (uint16) and 2e-2 (uint8)."""

PIXEL_TOLERANCE = 2
"""Largest difference allowed per RGBA byte between a browser and the Python reference, in
levels of 255. One level because a value that lands near a rounding boundary may round the other
way; one more for the WebGL backend, which computes in float32 in another order than Keras on the
CPU (seen: SwiftShader differs by at most 1 level). Anything wrong in the model (a transposed
image, a wrong activation, swapped weights) is off by tens of levels."""


def require_layer_set(registry: Iterable[str], what: str, *, without: Iterable[str] = ()) -> None:
    """Fail at import when ``registry`` does not implement exactly :data:`LAYER_CLASSES`."""
    expected = LAYER_CLASSES - frozenset(without)
    actual = frozenset(registry)
    if actual != expected:
        missing = ", ".join(sorted(expected - actual)) or "none"
        extra = ", ".join(sorted(actual - expected)) or "none"
        raise RuntimeError(f"{what} does not match contract.LAYER_CLASSES (missing: {missing}; "
                           f"not in the contract: {extra}); add the layer to every registry")
