"""Rebuild a TF.js layers model in Keras 3 and run it: what the bundle should compute, in Python.

Nothing from the bundle is deserialized. Each whitelisted layer class has a builder that reads
the Keras 2 config keys and calls the Keras 3 class with explicit arguments, translating what
Keras 3 renamed (``alpha`` -> ``negative_slope``, ``batch_input_shape`` -> an Input's shape).
Settings that TF.js ignores (a ReLU's ``negative_slope``, ``output_padding``, bilinear
upsampling) are honored here, as Keras computes them: a bundle relying on them then differs from
TF.js, and the comparison says so. Channels-first layers (ml5's own legacy bundles) are built
channels first. Imports Keras when called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..contract import ACTIVATIONS, MERGING_LAYERS, require_layer_set
from ..errors import first_line
from ..jsonio import preview
from ..tfjs_model import TfjsModel
from .contract_checks import cpu_batchnorm_layers

_CONVOLUTIONS = frozenset({"Conv2D", "Conv2DTranspose"})
_Builder = Callable[[Any, Mapping[str, Any]], Any]  # (keras.layers, Keras 2 config) -> layer


class RebuildError(Exception):
    """The topology or weights cannot be rebuilt in Keras; the message says where."""


def python_outputs(model: TfjsModel, weights: Mapping[str, np.ndarray],
                   inputs: np.ndarray | list[np.ndarray], *, tfjs_cpu: bool = False
                   ) -> np.ndarray:
    """The rebuilt model's outputs for ``inputs``: latents ``[N, latent]``, or a labelled
    generator's ``[latents, labels]``; as float32."""
    keras_model = rebuild(model, weights, tfjs_cpu=tfjs_cpu)
    try:
        return np.asarray(keras_model(inputs, training=False), dtype=np.float32)
    except Exception as error:  # Keras raises many types on values it does not expect
        raise RebuildError(f"Keras cannot run the rebuilt model: {first_line(error)}") from None


def rebuild(model: TfjsModel, weights: Mapping[str, np.ndarray], *,
            tfjs_cpu: bool = False) -> Any:
    """A ``keras.Model`` computing what ``model`` describes, with ``weights`` (by TF.js name).

    ``tfjs_cpu``: compute channels-first BatchNormalization as TF.js's CPU backend does, to
    compare with the TF.js runtimes in Node (see :func:`~.contract.cpu_batchnorm_layers`).
    """
    import keras

    by_name = {layer.name: layer for layer in model.layers}
    cpu_batchnorm = set(cpu_batchnorm_layers(model)) if tfjs_cpu else set()
    tensors: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    built: dict[str, Any] = {}
    for name, shapes in model.layer_shapes.items():  # in dependency order
        layer = by_name[name]
        try:
            if layer.class_name == "InputLayer":
                tensors[name] = inputs[name] = keras.Input(shape=shapes.output[1:], name=name)
                continue
            if layer.inbound:
                sources = [tensors[source] for source in layer.inbound]
            else:  # a Sequential's first layer, carrying batch_input_shape
                sources = [keras.Input(shape=shapes.inputs[0][1:])]
                inputs[name] = sources[0]
            if name in cpu_batchnorm:
                tensors[name], built[name] = _cpu_batch_normalization(
                    keras.layers, layer.config, shapes.inputs[0], sources[0])
                continue
            if layer.class_name in _CONVOLUTIONS and _data_format(layer.config) != "channels_last":
                tensors[name], built[name] = _channels_first_convolution(
                    keras.layers, layer.class_name, layer.config, sources[0])
                continue
            keras_layer = _BUILDERS[layer.class_name](keras.layers, layer.config)
            if keras_layer is None:  # an identity at inference (Dropout)
                tensors[name] = sources[0]
                continue
            merging = layer.class_name in MERGING_LAYERS
            tensors[name] = keras_layer(sources if merging else sources[0])
            built[name] = keras_layer
        except Exception as error:  # Keras raises many types on values it does not expect
            raise RebuildError(f"layer {name!r} ({layer.class_name}): {first_line(error)}"
                               ) from None
    entries = [inputs[name] for name in model.input_layers or inputs]
    exits = [tensors[name] for name in model.output_layers]
    keras_model = keras.Model(_one_or_all(entries), _one_or_all(exits))
    _set_weights(built, weights)
    return keras_model


def _set_weights(built: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> None:
    for layer_name, keras_layer in built.items():
        for variable in keras_layer.weights:
            name = f"{layer_name}/{variable.name}"
            if name not in weights:
                raise RebuildError(f"Keras needs the weight {name!r}, which the bundle lacks")
            value = weights[name]
            if tuple(variable.shape) != value.shape:
                raise RebuildError(f"Keras needs {name!r} shaped {tuple(variable.shape)}, the "
                                   f"bundle's is {value.shape}")
            variable.assign(value)


def _one_or_all(tensors: list[Any]) -> Any:
    """Keras wants a single tensor, not a list of one, for a single input or output."""
    return tensors[0] if len(tensors) == 1 else tensors


# --- one builder per whitelisted layer class --------------------------------------------------


def _activation(config: Mapping[str, Any]) -> str:
    activation = config.get("activation") or "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {preview(activation)} is not rebuilt")
    return activation


def _tuples(value: Any) -> Any:
    """Lists (as JSON has them) to tuples, as Keras expects shapes and paddings."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def _data_format(config: Mapping[str, Any]) -> str:
    return config.get("data_format") or "channels_last"  # TF.js's default, whatever Keras's


def _dense(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Dense(config["units"], activation=_activation(config),
                        use_bias=config.get("use_bias", True))


def _convolution(transposed: bool) -> _Builder:
    def build(layers: Any, config: Mapping[str, Any]) -> Any:
        arguments = {
            "filters": config["filters"], "kernel_size": _tuples(config["kernel_size"]),
            "strides": _tuples(config.get("strides", 1)),
            "padding": config.get("padding", "valid"), "data_format": _data_format(config),
            "dilation_rate": _tuples(config.get("dilation_rate", 1)),
            "activation": _activation(config), "use_bias": config.get("use_bias", True),
        }
        if transposed:
            return layers.Conv2DTranspose(output_padding=_tuples(config.get("output_padding")),
                                          **arguments)
        return layers.Conv2D(**arguments)

    return build


def _single_axis(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _batch_normalization(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.BatchNormalization(
        axis=_single_axis(config.get("axis", -1)), momentum=config.get("momentum", 0.99),
        epsilon=config.get("epsilon", 1e-3), center=config.get("center", True),
        scale=config.get("scale", True))


def _cpu_batch_normalization(layers: Any, config: Mapping[str, Any], shape: tuple,
                             source: Any) -> tuple[Any, Any]:
    """TF.js's CPU kernel cycles the C statistics over the flat tensor: the same as normalizing
    the tensor viewed as ``[-1, C]`` over its last axis. Returns the output and the BN layer."""
    axis = _single_axis(config.get("axis", -1))
    normalization = _batch_normalization(layers, {**config, "axis": -1})
    flat = layers.Reshape((-1, shape[axis]))(source)
    return layers.Reshape(shape[1:])(normalization(flat)), normalization


def _channels_first_convolution(layers: Any, class_name: str, config: Mapping[str, Any],
                                source: Any) -> tuple[Any, Any]:
    """TensorFlow's CPU kernels for (transposed) convolution take channels last only (recent
    Keras no longer transposes for them): compute the layer channels last between two Permutes,
    which only move values. The kernel's shape does not depend on the data format."""
    convolution = _BUILDERS[class_name](layers, {**config, "data_format": "channels_last"})
    inner = convolution(layers.Permute((2, 3, 1))(source))
    return layers.Permute((3, 1, 2))(inner), convolution


def _layer_normalization(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.LayerNormalization(
        axis=_tuples(config.get("axis", -1)), epsilon=config.get("epsilon", 1e-3),
        center=config.get("center", True), scale=config.get("scale", True))


def _relu(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.ReLU(max_value=config.get("max_value"),
                       negative_slope=config.get("negative_slope") or 0.0,
                       threshold=config.get("threshold") or 0.0)


def _leaky_relu(layers: Any, config: Mapping[str, Any]) -> Any:
    # Keras 2 and TF.js say alpha (default 0.3); a Keras 3 config says negative_slope.
    slope = config["alpha"] if "alpha" in config else config.get("negative_slope", 0.3)
    return layers.LeakyReLU(negative_slope=slope)


def _activation_layer(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Activation(_activation(config))


def _upsampling(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.UpSampling2D(size=_tuples(config.get("size", 2)),
                               data_format=_data_format(config),
                               interpolation=config.get("interpolation", "nearest"))


def _reshape(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Reshape(_tuples(config["target_shape"]))


def _permute(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Permute(_tuples(config["dims"]))


def _flatten(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Flatten(data_format=_data_format(config))


def _zero_padding(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.ZeroPadding2D(padding=_tuples(config.get("padding", 1)),
                                data_format=_data_format(config))


def _cropping(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Cropping2D(cropping=_tuples(config.get("cropping", 0)),
                             data_format=_data_format(config))


def _add(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Add()


def _concatenate(layers: Any, config: Mapping[str, Any]) -> Any:
    return layers.Concatenate(axis=config.get("axis", -1))


def _dropout(layers: Any, config: Mapping[str, Any]) -> None:
    return None


_BUILDERS: dict[str, _Builder] = {
    "Dense": _dense,
    "Conv2D": _convolution(transposed=False),
    "Conv2DTranspose": _convolution(transposed=True),
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "ReLU": _relu,
    "LeakyReLU": _leaky_relu,
    "Activation": _activation_layer,
    "UpSampling2D": _upsampling,
    "Reshape": _reshape,
    "Permute": _permute,
    "Flatten": _flatten,
    "ZeroPadding2D": _zero_padding,
    "Cropping2D": _cropping,
    "Add": _add,
    "Concatenate": _concatenate,
    "Dropout": _dropout,
}
require_layer_set(_BUILDERS, "validation/keras_rebuild._BUILDERS", without={"InputLayer"})
