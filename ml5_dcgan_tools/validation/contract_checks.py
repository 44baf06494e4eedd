"""Check a bundle against the ml5 contract (:mod:`ml5_dcgan_tools.contract`, whose rules export
applies too; facts in ``docs/reference/ml5-contract.md``): what ml5 and its TF.js 1.7.4 need.

One input ``[null, latent]`` (or, labelled, the latent and a ``label`` input ``[null, K]``, which
only the ml5-dcgan.js loader feeds); one channels-first output ``[null, 3 or 4, H, W]`` bounded to
[-1, 1]; only the layers, activations and settings that TF.js 1.7.4 computes exactly like Keras
(the exporter's whitelist); no float16 weights. Layers that run code (Lambda) are a safety
failure: this validator never runs them, and neither should anyone loading the bundle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..contract import (
    ACTIVATIONS,
    CODE_LAYERS,
    LABEL_INPUT,
    LAYER_CLASSES,
    OUTPUT_ACTIVATIONS,
    OUTPUT_BOUND_HINT,
    generator_inputs,
    image_layout,
    output_activation,
)
from ..jsonio import preview
from ..tfjs_model import Shape, TfjsModel, format_shape
from .report import BundleReport, listed
from .weight_files import stored_dtype


class _Setting(NamedTuple):
    """A config value that TF.js 1.7.4 ignores or computes differently from Keras."""

    layers: frozenset[str]
    key: str
    harmless: Callable[[Mapping[str, Any]], bool]
    problem: str


def _value(key: str, *accepted: Any) -> Callable[[Mapping[str, Any]], bool]:
    return lambda config: config.get(key, accepted[0]) in accepted


_SETTINGS = (
    _Setting(frozenset({"ReLU"}), "negative_slope", _value("negative_slope", None, 0, 0.0),
             "is ignored by TF.js (use a LeakyReLU layer)"),
    _Setting(frozenset({"ReLU"}), "threshold", _value("threshold", None, 0, 0.0),
             "is ignored by TF.js"),
    _Setting(frozenset({"LeakyReLU"}), "negative_slope",
             lambda config: "alpha" in config or "negative_slope" not in config,
             "(Keras 3) is not read by TF.js, which silently uses alpha 0.3 instead"),
    _Setting(frozenset({"Conv2DTranspose"}), "output_padding", _value("output_padding", None),
             "is ignored by TF.js"),
    _Setting(frozenset({"Conv2DTranspose"}), "dilation_rate",
             _value("dilation_rate", 1, [1, 1]), "is ignored by TF.js"),
    _Setting(frozenset({"Conv2D"}), "groups", _value("groups", 1), "does not exist in TF.js"),
    _Setting(frozenset({"UpSampling2D"}), "interpolation", _value("interpolation", "nearest"),
             "becomes nearest in TF.js 1.7.4 (ml5)"),
    _Setting(frozenset({"BatchNormalization"}), "renorm", _value("renorm", False),
             "(batch renormalization) does not exist in TF.js"),
    _Setting(frozenset({"LayerNormalization"}), "rms_scaling", _value("rms_scaling", False),
             "does not exist in TF.js"),
)


def check_layers(model: TfjsModel, report: BundleReport) -> bool:
    """Every layer is one TF.js 1.7.4 computes like Keras; False when shapes cannot follow."""
    code = [f"{layer.name} ({layer.class_name})" for layer in model.layers
            if layer.class_name in CODE_LAYERS]
    if code:
        report.add("safety.code-layer", "fail",
                   f"layers that carry code: {listed(code, quoted=False)}; they were not run",
                   "replace them by standard layers; ml5's TF.js cannot run them either")
    unknown = [f"{layer.name} ({layer.class_name})" for layer in model.layers
               if layer.class_name not in LAYER_CLASSES | CODE_LAYERS]
    if unknown:
        report.add("contract.unsupported-layer", "fail",
                   f"layers unknown to TF.js 1.7.4 or not computed like Keras: "
                   f"{listed(unknown, quoted=False)}",
                   f"build the generator from {', '.join(sorted(LAYER_CLASSES))}")
    for layer in model.layers:
        activation = layer.config.get("activation")
        if activation is not None and (not isinstance(activation, str)
                                       or activation not in ACTIVATIONS):
            report.add("contract.unsupported-activation", "fail",
                       f"layer {layer.name!r} uses the activation {preview(activation)}, which "
                       "TF.js "
                       "1.7.4 does not know or computes differently from Keras",
                       f"use one of {', '.join(sorted(ACTIVATIONS))}; for leaky ReLU a "
                       "LeakyReLU layer")
        for setting in _SETTINGS:
            if layer.class_name in setting.layers and not setting.harmless(layer.config):
                report.add("contract.unsupported-config", "fail",
                           f"layer {layer.name!r} ({layer.class_name}) sets {setting.key} "
                           f"{layer.config.get(setting.key)!r}, which {setting.problem}",
                           "TF.js would load the model and compute something else: rebuild "
                           "the generator without it")
    return not (code or unknown)


def check_cpu_batchnorm(model: TfjsModel, report: BundleReport) -> None:
    names = cpu_batchnorm_layers(model)
    if names:
        report.add("contract.cpu-batchnorm", "warn",
                   f"BatchNormalization over a channels-first axis ({listed(names)}): TF.js "
                   "computes it right with WebGL (most browsers) but wrong on its CPU backend, "
                   "which ml5 falls back to without WebGL (tensorflow/tfjs#1106)",
                   "build the generator channels last and append Permute((3, 1, 2)), as "
                   "`ml5-dcgan export` does")


def check_shapes(model: TfjsModel, report: BundleReport) -> None:
    """One latent input (and a label input), one channels-first 3-channel image output, bounded
    to [-1, 1]."""
    inputs, outputs = model.input_shapes, model.output_shapes
    widths = input_widths(model)
    if widths is None:
        report.add("contract.input-shape", "fail",
                   f"the model's inputs are {_shapes(inputs)}; ml5 feeds one latent vector "
                   f"[null, modelLatentDim] (a labelled generator: then a '{LABEL_INPUT}' "
                   "input [null, K])", "give the generator one rank-2 input")
    elif widths[1]:
        report.add("contract.labels-need-loader", "info",
                   f"a labelled generator ({widths[1]} classes): ml5 0.12.2's own ml5.DCGAN "
                   "feeds a latent only and cannot pass a label; the bundle's ml5-dcgan.js "
                   "loader can, on every stack (ml5 0.12.2, ml5 1.x, plain TF.js)",
                   "on ml5 0.12.2 load it with ml5-dcgan.js instead of ml5.DCGAN")
    if len(outputs) != 1:
        report.add("contract.output-shape", "fail",
                   f"the model has {len(outputs)} outputs {_shapes(outputs)}; ml5 draws one",
                   "give the generator one image output [null, 3, H, W]")
    else:
        _check_output_shape(outputs[0], report)
        _check_output_bound(model, report)


def input_widths(model: TfjsModel) -> tuple[int, int] | None:
    """``(latent_dim, label_count)`` of a generator's inputs (label_count 0: unlabelled); None
    when they are not a generator's."""
    names = list(model.input_layers) if model.model_class != "Sequential" else ["input"]
    return generator_inputs(names, model.input_shapes)


def cpu_batchnorm_layers(model: TfjsModel) -> list[str]:
    """BatchNormalization layers over another axis than the last, which TF.js's CPU backend
    computes wrongly: it applies the statistics cyclically over the flat tensor, as if the
    channel axis were the last (tensorflow/tfjs#1106). WebGL computes them right."""
    names = []
    for layer in model.layers:
        if layer.class_name == "BatchNormalization":
            rank = len(model.layer_shapes[layer.name].inputs[0])
            axis = layer.config.get("axis", -1)
            axis = axis[0] if isinstance(axis, list) else axis
            if axis % rank != rank - 1:
                names.append(layer.name)
    return names


def check_quantization(model: TfjsModel, report: BundleReport) -> None:
    half = [spec.name for spec in model.manifest_weights if stored_dtype(spec) == "float16"]
    if half:
        report.add("contract.float16", "fail",
                   f"{len(half)} weights are stored as float16 ({listed(half)}), which TF.js "
                   "1.7.4 inside ml5 cannot read: ml5 fails to load the model",
                   "export with --quantize uint16 or uint8 for ml5, or with float32 weights")


def _check_output_shape(shape: Shape, report: BundleReport) -> None:
    shown = format_shape(shape)
    layout = image_layout(shape)
    if layout is None:
        report.add("contract.output-shape", "fail",
                   f"the model's output {shown} is not an image [null, 3, H, W]",
                   "end the generator with a 3-channel image, channels first")
        return
    if layout == "last":
        report.add("contract.channels-last", "fail",
                   f"the model's output {shown} is channels last; ml5 fails with \"toPixels "
                   f"only supports depth of size 1, 3 or 4 but got {shape[2]}\" (ml5 issue 1384)",
                   "append Permute((3, 1, 2)) to the generator, or export it with `ml5-dcgan "
                   "export`, which does")
    channels = shape[1] if layout == "first" else shape[3]
    if channels == 1:
        report.add("contract.grayscale-output", "fail",
                   f"the model's output {shown} has 1 channel; ml5's transpose([1, 2, 0]) "
                   "fails on it", "emit 3 channels (repeat the gray one), as `ml5-dcgan export` "
                   "does")
    height, width = (shape[2], shape[3]) if layout == "first" else (shape[1], shape[2])
    if height != width:
        report.add("contract.not-square", "warn",
                   f"the model's output {shown} is not square, while modelSize describes "
                   "square images", "generate H = W")


def _check_output_bound(model: TfjsModel, report: BundleReport) -> None:
    by_name = {layer.name: layer for layer in model.layers}
    activation = output_activation(by_name, model.output_layers)
    if activation in OUTPUT_ACTIVATIONS:
        return
    if activation == "sigmoid":
        report.add("contract.output-sigmoid", "fail",
                   "the output is bounded by sigmoid to [0, 1]: ml5 maps [-1, 1] to pixels, "
                   "so every image comes out washed-out", OUTPUT_BOUND_HINT)
    else:
        report.add("contract.output-unbounded", "fail",
                   f"the output is bounded by {activation}, not to [-1, 1]: values outside "
                   "it make ml5's toPixels throw", OUTPUT_BOUND_HINT)


def _shapes(shapes: tuple[Shape, ...]) -> str:
    return ", ".join(format_shape(shape) for shape in shapes) or "none"
