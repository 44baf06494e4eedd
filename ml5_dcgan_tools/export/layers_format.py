"""Translate a Keras 3 model into the Keras-2-style topology that TF.js 1.7.4 and 4.22 read.

Every layer of the contract (:data:`~ml5_dcgan_tools.contract.LAYER_CLASSES`) has a translator
that writes exactly the keys tfjs-layers understands, under the names it expects
(``docs/reference/tfjs-layers-notes.md``). Anything not in the whitelist,
or a config value that TF.js would silently ignore or compute differently, is refused with the
layer's name and the reason, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..contract import ACTIVATIONS, require_layer_set
from ..keras_layers import UnsupportedModel, check_layer_classes
from ..tfjs_model import Layer

# Initializers only matter if someone trains the model further in TF.js; the loaded weights
# replace them. These are the ones both runtimes know, with the config keys they read.
INITIALIZER_KEYS = {
    "Zeros": (), "Ones": (), "Constant": ("value",),
    "RandomNormal": ("mean", "stddev", "seed"), "TruncatedNormal": ("mean", "stddev", "seed"),
    "RandomUniform": ("minval", "maxval", "seed"),
    "GlorotUniform": ("seed",), "GlorotNormal": ("seed",), "HeNormal": ("seed",),
    "HeUniform": ("seed",), "LecunNormal": ("seed",), "LecunUniform": ("seed",),
}
TFJS_INITIALIZER_NAMES = {"LecunNormal": "LeCunNormal", "LecunUniform": "LeCunUniform"}

WEIGHT_NAMES = ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")


def _plain(value: Any) -> Any:
    """Tuples to lists, as JSON would write them."""
    return json.loads(json.dumps(value))


def _activation(layer: str, value: Any) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise UnsupportedModel(
            layer, f"activation {value!r} is not computed the same by TF.js 1.7.4 and 4.22",
            f"use one of {', '.join(sorted(ACTIVATIONS))} (for leaky ReLU, a LeakyReLU layer)")
    return value


def _initializer(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("class_name") not in INITIALIZER_KEYS:
        return {"class_name": "Zeros", "config": {}}
    class_name = value["class_name"]
    config = value.get("config") or {}
    kept = {key: config.get(key) for key in INITIALIZER_KEYS[class_name]}
    return {"class_name": TFJS_INITIALIZER_NAMES.get(class_name, class_name), "config": kept}


def _base(config: dict[str, Any]) -> dict[str, Any]:
    return {"name": config["name"], "trainable": bool(config.get("trainable", True)),
            "dtype": "float32"}


def _require(layer: str, ok: bool, reason: str, fix: str) -> None:
    if not ok:
        raise UnsupportedModel(layer, reason, fix)


def _kernel_layer(c: dict[str, Any]) -> dict[str, Any]:
    """What Dense and the convolutions share: activation, bias, initializers."""
    return {**_base(c), "activation": _activation(c["name"], c["activation"]),
            "use_bias": c["use_bias"],
            "kernel_initializer": _initializer(c.get("kernel_initializer")),
            "bias_initializer": _initializer(c.get("bias_initializer")),
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}


def _dense(c: dict[str, Any]) -> dict[str, Any]:
    return {**_kernel_layer(c), "units": c["units"]}


def _conv2d(c: dict[str, Any]) -> dict[str, Any]:
    name = c["name"]
    _require(name, list(c.get("dilation_rate", [1, 1])) == [1, 1],
             f"dilation_rate {c.get('dilation_rate')} is not supported",
             "use dilation_rate=1")
    _require(name, c.get("groups", 1) == 1, "grouped convolutions do not exist in TF.js",
             "use groups=1")
    _require(name, c.get("padding") in ("same", "valid"), f"padding {c.get('padding')!r}",
             "use padding 'same' or 'valid'")
    return {**_kernel_layer(c), "filters": c["filters"], "kernel_size": c["kernel_size"],
            "strides": c["strides"], "padding": c["padding"], "data_format": c["data_format"],
            "dilation_rate": [1, 1]}


def _conv2d_transpose(c: dict[str, Any]) -> dict[str, Any]:
    _require(c["name"], c.get("output_padding") is None,
             f"output_padding {c.get('output_padding')} is silently ignored by TF.js",
             "remove output_padding and pick padding/strides that give the size you need")
    return _conv2d(c)


def _batch_normalization(c: dict[str, Any]) -> dict[str, Any]:
    axis = c["axis"]
    if isinstance(axis, list):
        _require(c["name"], len(axis) == 1, f"normalizing over several axes {axis}",
                 "normalize over one (the channel) axis")
        axis = axis[0]
    _require(c["name"], not c.get("renorm", False), "batch renormalization",
             "train without renorm")
    return {**_base(c), "axis": axis, "momentum": c["momentum"], "epsilon": c["epsilon"],
            "center": c["center"], "scale": c["scale"],
            **{key: _initializer(c.get(key)) for key in (
                "beta_initializer", "gamma_initializer", "moving_mean_initializer",
                "moving_variance_initializer")},
            "beta_regularizer": None, "gamma_regularizer": None,
            "beta_constraint": None, "gamma_constraint": None}


def _layer_normalization(c: dict[str, Any]) -> dict[str, Any]:
    _require(c["name"], not c.get("rms_scaling", False), "rms_scaling does not exist in TF.js",
             "use rms_scaling=False")
    return {**_base(c), "axis": c["axis"], "epsilon": c["epsilon"], "center": c["center"],
            "scale": c["scale"],
            "beta_initializer": _initializer(c.get("beta_initializer")),
            "gamma_initializer": _initializer(c.get("gamma_initializer")),
            "beta_regularizer": None, "gamma_regularizer": None}


def _relu(c: dict[str, Any]) -> dict[str, Any]:
    _require(c["name"], not c.get("negative_slope") and not c.get("threshold"),
             "ReLU negative_slope/threshold are silently ignored by TF.js",
             "use a LeakyReLU layer for a negative slope, and threshold=0")
    return {**_base(c), "max_value": c.get("max_value")}


def _leaky_relu(c: dict[str, Any]) -> dict[str, Any]:
    # Keras 3 says negative_slope; TF.js reads alpha and silently uses 0.3 without it.
    return {**_base(c), "alpha": c["negative_slope"]}


def _upsampling2d(c: dict[str, Any]) -> dict[str, Any]:
    _require(c["name"], c.get("interpolation", "nearest") == "nearest",
             f"interpolation {c.get('interpolation')!r} becomes 'nearest' in TF.js 1.7.4 (ml5)",
             "use interpolation='nearest', or a Conv2DTranspose")
    return {**_base(c), "size": c["size"], "data_format": c["data_format"]}


def _copy(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def translate(c: dict[str, Any]) -> dict[str, Any]:
        return {**_base(c), **{key: c[key] for key in keys}}
    return translate


def _activation_layer(c: dict[str, Any]) -> dict[str, Any]:
    return {**_base(c), "activation": _activation(c["name"], c["activation"])}


def _dropout(c: dict[str, Any]) -> dict[str, Any]:
    return {**_base(c), "rate": c["rate"], "noise_shape": None, "seed": c.get("seed")}


TRANSLATORS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Dense": _dense,
    "Conv2D": _conv2d,
    "Conv2DTranspose": _conv2d_transpose,
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "ReLU": _relu,
    "LeakyReLU": _leaky_relu,
    "Activation": _activation_layer,
    "UpSampling2D": _upsampling2d,
    "Dropout": _dropout,
    "Reshape": _copy("target_shape"),
    "Permute": _copy("dims"),
    "Flatten": _copy("data_format"),
    "ZeroPadding2D": _copy("padding", "data_format"),
    "Cropping2D": _copy("cropping", "data_format"),
    "Add": _copy(),
    "Concatenate": _copy("axis"),
}
require_layer_set(TRANSLATORS, "export/layers_format.TRANSLATORS", without={"InputLayer"})
def _input_layer(name: str, batch_shape: list[Any]) -> Layer:
    config = {"batch_input_shape": batch_shape, "dtype": "float32", "sparse": False,
              "name": name}
    return Layer("InputLayer", name, config, ())


def _inbound_names(layer_config: dict[str, Any]) -> tuple[str, ...]:
    """The producers of a Keras 3 functional node: every keras_history inside its args."""
    nodes = layer_config.get("inbound_nodes") or []
    if len(nodes) > 1:
        raise UnsupportedModel(layer_config["name"], "the layer is shared (called twice)",
                               "give each call its own layer")
    names: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            history = value.get("config", {}).get("keras_history")
            if value.get("class_name") == "__keras_tensor__" and history:
                names.append(history[0])
                return
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for node in nodes:
        collect(node.get("args", []))
    return tuple(names)


def check_batchnorm_axes(model: Any) -> None:
    """Refuse BatchNormalization over another axis than the last: TF.js's CPU backend, which
    ml5 falls back to without WebGL, computes it wrongly (tensorflow/tfjs#1106)."""
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            rank = len(layer.input.shape)
            if layer.axis % rank != rank - 1:
                raise UnsupportedModel(
                    layer.name, f"BatchNormalization over axis {layer.axis} of a rank-{rank} "
                    "tensor (channels first) is computed wrongly by TF.js's CPU backend "
                    "(tensorflow/tfjs#1106)",
                    "build the generator channels last (Keras's default); export appends the "
                    "Permute((3, 1, 2)) that ml5 needs")


def translate_model(model: Any) -> list[Layer]:
    """The model's layers as TF.js-readable layers, in topological order."""
    check_layer_classes(model)
    check_batchnorm_axes(model)
    config = _plain(model.get_config())
    layer_configs = config["layers"]
    sequential = all("inbound_nodes" not in entry for entry in layer_configs)
    translated: list[Layer] = []
    previous: tuple[str, ...] = ()
    if sequential and (not layer_configs or layer_configs[0]["class_name"] != "InputLayer"):
        shape = config.get("build_input_shape")
        if shape is None:
            raise UnsupportedModel(model.name, "the Sequential model has no input shape",
                                   "start it with keras.Input((latent_dim,))")
        translated.append(_input_layer(f"{model.name}_input", shape))
        previous = (translated[0].name,)
    for entry in layer_configs:
        class_name, layer_config = entry["class_name"], entry["config"]
        name = layer_config["name"]
        inbound = previous if sequential else _inbound_names(entry)
        if class_name == "InputLayer":
            layer = _input_layer(name, layer_config["batch_shape"])
        else:
            layer = Layer(class_name, name, TRANSLATORS[class_name](layer_config), inbound)
        translated.append(layer)
        previous = (name,)
    return translated


def output_names(layers: list[Layer]) -> list[str]:
    """The layers nothing else consumes: the model's outputs."""
    consumed = {inbound for layer in layers for inbound in layer.inbound}
    return [layer.name for layer in layers if layer.name not in consumed]


def _keras2_entry(layer: Layer) -> dict[str, Any]:
    """A layer as Keras 2 serialized it: inbound nodes as ``[[[name, 0, 0, {}], ...]]``."""
    nodes = [[[name, 0, 0, {}] for name in layer.inbound]] if layer.inbound else []
    return {"class_name": layer.class_name, "name": layer.name, "config": layer.config,
            "inbound_nodes": nodes}


def model_topology(layers: list[Layer], name: str, keras_version: str) -> dict[str, Any]:
    """The ``modelTopology`` of model.json: a Keras-2 functional ``Model`` config."""
    inputs = [[layer.name, 0, 0] for layer in layers if layer.class_name == "InputLayer"]
    outputs = [[name, 0, 0] for name in output_names(layers)]
    return {
        "keras_version": keras_version,
        "backend": "tensorflow",
        "model_config": {
            "class_name": "Model",
            "config": {"name": name, "layers": [_keras2_entry(layer) for layer in layers],
                       "input_layers": inputs, "output_layers": outputs},
        },
    }
