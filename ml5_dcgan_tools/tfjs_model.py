"""Read a TensorFlow.js layers-model ``model.json`` in pure Python, without TensorFlow.

Gives the layers, the input and output shapes as TF.js 1.7.4 (the runtime inside ml5 0.12.2)
computes them, the weights the topology needs (``<layer>/<weight>`` names and shapes) and the
weights its ``weightsManifest`` declares, so a validator can compare them. Both Keras 2
topology shapes found in the wild are accepted: a Sequential config as a bare list of layers
(ml5's face model) or as ``{name, layers}`` (geo), and a functional ``Model``; with or without
the ``model_config`` wrapper.

Problems raise :class:`ModelFormatError` (a :class:`~ml5_dcgan_tools.errors.UserError`) that
names the layer and the fix; a layer class this reader cannot compute raises
:class:`UnsupportedLayerError`. Parsing is lazy about layers: an unknown layer only fails when
shapes or weights are asked for, so its name and config can still be listed.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .contract import LAYER_CLASSES, require_layer_set
from .errors import UserError
from .jsonio import preview, read_json

Shape = tuple[int | None, ...]
"""A tensor shape; ``None`` for the batch dimension (or any unknown one)."""

_WeightShapes = list[tuple[str, tuple[int, ...]]]  # (weight name within the layer, shape)
_ShapeRule = Callable[["_Config", list[Shape]], Shape]
_WeightRule = Callable[["_Config", list[Shape]], _WeightShapes]

MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024
"""Topologies are kilobytes and weight manifests rarely a megabyte; 32 MiB is generous."""

_MISSING = object()


class ModelFormatError(UserError):
    """The model.json is not a TF.js layers model that this reader (or TF.js) can understand."""


class UnsupportedLayerError(ModelFormatError):
    """A layer class that TF.js 1.7.4 does not have, or whose shapes this reader cannot compute."""

    def __init__(self, layer_name: str, class_name: str) -> None:
        self.layer_name = layer_name
        self.class_name = class_name
        super().__init__(
            f"layer {layer_name!r} is a {class_name}, not one of the generator layers that both "
            "ml5's TF.js 1.7.4 and TF.js 4 run",
            fix="build the generator from " + ", ".join(sorted(LAYER_CLASSES)),
        )


@dataclass(frozen=True)
class Layer:
    """One layer of the topology. ``inbound`` names the layers feeding it, in order."""

    class_name: str
    name: str
    config: Mapping[str, Any]
    inbound: tuple[str, ...]


@dataclass(frozen=True)
class WeightSpec:
    """A weight tensor: its TF.js name ``<layer>/<weight>``, shape and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    quantization: Mapping[str, Any] | None = None

    @property
    def size(self) -> int:
        """Number of values in the tensor."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class WeightGroup:
    """One ``weightsManifest`` entry: shard files whose concatenated bytes hold ``weights``."""

    paths: tuple[str, ...]
    weights: tuple[WeightSpec, ...]


@dataclass(frozen=True)
class LayerShapes:
    """The shapes flowing into and out of one layer."""

    inputs: tuple[Shape, ...]
    output: Shape


@dataclass(frozen=True)
class TfjsModel:
    """A parsed model.json. Shapes and weights are computed on first access."""

    model_class: str  # "Sequential" or "Model"
    layers: tuple[Layer, ...]
    input_layers: tuple[str, ...]  # functional models: the InputLayers that are model inputs
    output_layers: tuple[str, ...]
    weight_groups: tuple[WeightGroup, ...]
    format: str | None = None
    keras_version: str | None = None
    generated_by: str | None = None
    converted_by: str | None = None

    @cached_property
    def layer_shapes(self) -> Mapping[str, LayerShapes]:
        """Input and output shapes of every layer, by layer name."""
        return MappingProxyType(_infer_shapes(self.layers))

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        if self.model_class == "Sequential":
            first = self.layers[0]
            if first.class_name == "InputLayer":
                return (self.layer_shapes[first.name].output,)
            return self.layer_shapes[first.name].inputs
        return tuple(self.layer_shapes[name].output for name in self.input_layers)

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        return tuple(self.layer_shapes[name].output for name in self.output_layers)

    @property
    def input_shape(self) -> Shape:
        """The single input's shape, e.g. ``(None, 128)``; ml5 needs exactly one input."""
        return _only(self.input_shapes, "input")

    @property
    def output_shape(self) -> Shape:
        """The single output's shape, e.g. ``(None, 3, 64, 64)``; ml5 needs exactly one output."""
        return _only(self.output_shapes, "output")

    @cached_property
    def expected_weights(self) -> tuple[WeightSpec, ...]:
        """The weights TF.js creates for this topology, in layer order, all float32."""
        specs = []
        for layer in self.layers:
            inputs = list(self.layer_shapes[layer.name].inputs)
            for weight_name, shape in _rule(layer).weights(_Config(layer), inputs):
                specs.append(WeightSpec(f"{layer.name}/{weight_name}", shape))
        return tuple(specs)

    @property
    def parameter_count(self) -> int:
        return sum(spec.size for spec in self.expected_weights)

    @property
    def manifest_weights(self) -> tuple[WeightSpec, ...]:
        """The weights the ``weightsManifest`` declares, in file order, over all groups."""
        return tuple(spec for group in self.weight_groups for spec in group.weights)


def read_model_json(path: str | os.PathLike[str], *,
                    max_bytes: int = MAX_MODEL_JSON_BYTES) -> TfjsModel:
    """Read and parse a model.json file; any problem raises one :class:`UserError`."""
    result = read_json(path, max_bytes=max_bytes, what="model.json")
    failure = next((f for f in result.findings if f.severity == "fail"), None)
    if failure is not None:
        raise ModelFormatError(failure.message, where=os.fspath(path), fix=failure.hint)
    try:
        return parse_model_json(result.value)
    except ModelFormatError as error:
        error.where = os.fspath(path)
        raise


def parse_model_json(document: Any) -> TfjsModel:
    """Build a :class:`TfjsModel` from the parsed JSON of a model.json."""
    if not isinstance(document, dict) or not isinstance(document.get("modelTopology"), dict):
        raise ModelFormatError("this is not a TF.js layers model: no modelTopology object",
                               fix="point to the model.json written by the TF.js converter")
    topology = document["modelTopology"]
    model_config = topology.get("model_config", topology)
    if not isinstance(model_config, dict):
        raise ModelFormatError("modelTopology.model_config is not an object")
    model_class = model_config.get("class_name")
    config = model_config.get("config")
    if model_class == "Sequential":
        layers, inputs, outputs = _sequential_layers(config)
    elif model_class == "Model":
        layers, inputs, outputs = _functional_layers(config)
    elif model_class == "Functional":
        raise ModelFormatError(
            'the model class is "Functional" (Keras 3 / TF 2.4+), unknown to TF.js 1.7.4',
            fix='export with this tool, which writes "Model" as TF.js expects')
    else:
        raise ModelFormatError(f"unknown model class {preview(model_class)}",
                               fix="a TF.js layers model is a Sequential or a Model")
    return TfjsModel(
        model_class=model_class,
        layers=layers,
        input_layers=inputs,
        output_layers=outputs,
        weight_groups=_weight_groups(document.get("weightsManifest", [])),
        format=_optional_str(document, "format"),
        keras_version=_optional_str(topology, "keras_version"),
        generated_by=_optional_str(document, "generatedBy"),
        converted_by=_optional_str(document, "convertedBy"),
    )


# --- topology ---------------------------------------------------------------------------------


def _sequential_layers(config: Any) -> tuple[tuple[Layer, ...], tuple[str, ...], tuple[str, ...]]:
    entries = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(entries, list) or not entries:
        raise ModelFormatError("the Sequential model has no layers list")
    layers: list[Layer] = []
    for index, entry in enumerate(entries):
        class_name, layer_config = _layer_entry(entry, index)
        inbound = (layers[-1].name,) if layers else ()
        layers.append(Layer(class_name, _layer_name(layer_config, index), layer_config, inbound))
    _check_unique_names(layers)
    return tuple(layers), (), (layers[-1].name,)


def _functional_layers(config: Any) -> tuple[tuple[Layer, ...], tuple[str, ...], tuple[str, ...]]:
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelFormatError("the Model config has no layers list")
    layers = []
    for index, entry in enumerate(config["layers"]):
        class_name, layer_config = _layer_entry(entry, index)
        name = _layer_name(entry, index)
        layers.append(Layer(class_name, name, layer_config,
                            _inbound_layer_names(entry.get("inbound_nodes", []), name)))
    _check_unique_names(layers)
    known = {layer.name for layer in layers}
    inputs = _endpoint_names(config.get("input_layers"), "input_layers", known)
    outputs = _endpoint_names(config.get("output_layers"), "output_layers", known)
    classes = {layer.name: layer.class_name for layer in layers}
    not_input = next((name for name in inputs if classes[name] != "InputLayer"), None)
    if not_input is not None:
        raise ModelFormatError(f"model input {not_input!r} is not an InputLayer")
    return tuple(layers), inputs, outputs


def _layer_entry(entry: Any, index: int) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
            or not isinstance(entry.get("config"), dict):
        raise ModelFormatError(f"layer #{index} is not a {{class_name, config}} object")
    return entry["class_name"], MappingProxyType(entry["config"])


def _layer_name(entry: Mapping[str, Any], index: int) -> str:
    """Functional entries carry ``name`` next to ``config``; Sequential ones inside it."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFormatError(f"layer #{index} has no name")
    return name


def _check_unique_names(layers: Sequence[Layer]) -> None:
    seen: set[str] = set()
    for layer in layers:
        if layer.name in seen:
            raise ModelFormatError(f"two layers are named {layer.name!r}",
                                   fix="TF.js matches weights by layer name; rename one")
        seen.add(layer.name)


def _inbound_layer_names(nodes: Any, layer_name: str) -> tuple[str, ...]:
    """Keras 2 ``inbound_nodes``: one node per call, a list of ``[layer, node, tensor, {}]``."""
    if not isinstance(nodes, list):
        raise ModelFormatError(f"layer {layer_name!r}: inbound_nodes is not a list")
    if not nodes:
        return ()
    if len(nodes) > 1:
        raise ModelFormatError(f"layer {layer_name!r} is called {len(nodes)} times (a shared "
                               "layer)", fix="use each layer once in a generator")
    node = nodes[0]
    if isinstance(node, dict):
        raise ModelFormatError(
            f"layer {layer_name!r} has Keras 3 style inbound_nodes ({{args, kwargs}})",
            fix="TF.js reads only Keras 2 lists [[layer, node, tensor, {}]]; export with this tool")
    if not isinstance(node, list):
        raise ModelFormatError(f"layer {layer_name!r}: an inbound node is not a list")
    return tuple(_tensor_reference(reference, f"layer {layer_name!r}") for reference in node)


def _tensor_reference(reference: Any, where: str) -> str:
    if not (isinstance(reference, list) and 3 <= len(reference) <= 4
            and isinstance(reference[0], str) and reference[1:3] == [0, 0]):
        raise ModelFormatError(
            f"{where}: the reference {preview(reference)} is not [\"layer_name\", 0, 0, {{}}]",
            fix="each layer must be called once, on one tensor")
    return reference[0]


def _endpoint_names(references: Any, key: str, known: set[str]) -> tuple[str, ...]:
    if not isinstance(references, list) or not references:
        raise ModelFormatError(f"the Model config has no {key} list")
    names = tuple(_tensor_reference(reference, key) for reference in references)
    unknown = next((name for name in names if name not in known), None)
    if unknown is not None:
        raise ModelFormatError(f"{key} names {unknown!r}, which is not a layer of the model")
    return names


def _weight_groups(manifest: Any) -> tuple[WeightGroup, ...]:
    if not isinstance(manifest, list):
        raise ModelFormatError("weightsManifest is not a list")
    return tuple(_weight_group(group, index) for index, group in enumerate(manifest))


def _weight_group(group: Any, index: int) -> WeightGroup:
    where = f"weightsManifest[{index}]"
    if not isinstance(group, dict):
        raise ModelFormatError(f"{where} is not an object")
    paths, weights = group.get("paths"), group.get("weights")
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ModelFormatError(f"{where}.paths is not a list of file names")
    if not isinstance(weights, list):
        raise ModelFormatError(f"{where}.weights is not a list")
    return WeightGroup(tuple(paths), tuple(_weight_spec(weight, f"{where}.weights[{number}]")
                                           for number, weight in enumerate(weights)))


def _weight_spec(entry: Any, where: str) -> WeightSpec:
    if not isinstance(entry, dict):
        raise ModelFormatError(f"{where} is not an object")
    name, shape, dtype = entry.get("name"), entry.get("shape"), entry.get("dtype", "float32")
    quantization = entry.get("quantization")
    if not isinstance(name, str):
        raise ModelFormatError(f"{where} has no name")
    if not isinstance(shape, list) or not all(_is_int(dim) and dim >= 0 for dim in shape):
        raise ModelFormatError(f"{where} ({name!r}) has shape {preview(shape)}, not a list of "
                               "sizes")
    if not isinstance(dtype, str):
        raise ModelFormatError(f"{where} ({name!r}) has dtype {preview(dtype)}, not a string")
    if quantization is not None and not isinstance(quantization, dict):
        raise ModelFormatError(f"{where} ({name!r}) has a quantization that is not an object")
    return WeightSpec(name, tuple(shape), dtype,
                      None if quantization is None else MappingProxyType(quantization))


# --- shape inference --------------------------------------------------------------------------


def _infer_shapes(layers: Sequence[Layer]) -> dict[str, LayerShapes]:
    """Propagate shapes through the graph in dependency order (Kahn's algorithm, no recursion)."""
    by_name = {layer.name: layer for layer in layers}
    waiting_on = {layer.name: len(layer.inbound) for layer in layers}
    consumers: dict[str, list[str]] = {name: [] for name in by_name}
    for layer in layers:
        for source in layer.inbound:
            if source not in by_name:
                raise ModelFormatError(f"layer {layer.name!r} takes its input from {source!r}, "
                                       "which is not a layer of the model")
            consumers[source].append(layer.name)
    ready = deque(layer.name for layer in layers if not layer.inbound)
    shapes: dict[str, LayerShapes] = {}
    while ready:
        layer = by_name[ready.popleft()]
        inputs = tuple(shapes[source].output for source in layer.inbound)
        shapes[layer.name] = LayerShapes(*_apply(layer, inputs))
        for consumer in consumers[layer.name]:
            waiting_on[consumer] -= 1
            if waiting_on[consumer] == 0:
                ready.append(consumer)
    stuck = next((layer.name for layer in layers if layer.name not in shapes), None)
    if stuck is not None:
        raise ModelFormatError(f"layer {stuck!r} is in or after a cycle of layers",
                               fix="a model is acyclic: check the inbound_nodes")
    return shapes


def _apply(layer: Layer, inputs: tuple[Shape, ...]) -> tuple[tuple[Shape, ...], Shape]:
    config = _Config(layer)
    if layer.class_name == "InputLayer":
        if inputs:
            raise config.error("has inbound layers; an InputLayer starts the model")
        return (), config.batch_input_shape()
    rule = _rule(layer)
    if not inputs:
        if "batch_input_shape" not in layer.config:
            raise config.error("has no input: no inbound layer and no batch_input_shape")
        inputs = (config.batch_input_shape(),)
    if rule.merges and len(inputs) < 2:
        raise config.error(f"merges {len(inputs)} input, it needs at least 2")
    if not rule.merges and len(inputs) != 1:
        raise config.error(f"takes {len(inputs)} inputs, it needs exactly 1")
    return inputs, rule.output_shape(config, list(inputs))


class _Config:
    """Typed access to a layer's config; bad values raise errors naming the layer and key."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    def error(self, problem: str, fix: str | None = None) -> ModelFormatError:
        return ModelFormatError(f"layer {self.layer.name!r} ({self.layer.class_name}) {problem}",
                                fix=fix)

    def value(self, key: str, default: Any = _MISSING) -> Any:
        """The raw value; a missing key without a default is an error."""
        value = self.layer.config.get(key, default)
        if value is _MISSING:
            raise self.error(f"has no {key}")
        return value

    def positive_int(self, key: str, default: Any = _MISSING) -> int:
        value = self.value(key, default)
        if not (_is_int(value) and value > 0):
            raise self.error(f"has {key} {preview(value)}, not a positive integer")
        return value

    def ints(self, key: str, count: int, default: Any = _MISSING, minimum: int = 1
             ) -> tuple[int, ...]:
        """An int or a list of ``count`` ints, as Keras writes kernel_size, strides, size."""
        value = self.value(key, default)
        values = [value] * count if _is_int(value) else value
        if not (isinstance(values, list | tuple) and len(values) == count
                and all(_is_int(v) and v >= minimum for v in values)):
            raise self.error(f"has {key} {preview(value)}, not {count} integers >= {minimum}")
        return tuple(values)

    def choice(self, key: str, options: Sequence[str], default: Any = _MISSING) -> str:
        value = self.value(key, default)
        if value not in options:
            raise self.error(f"has {key} {preview(value)}, not one of {', '.join(options)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.value(key, default)
        if not isinstance(value, bool):
            raise self.error(f"has {key} {preview(value)}, not true or false")
        return value

    def axes(self, key: str, rank: int, default: Any = -1) -> tuple[int, ...]:
        """An axis or a list of axes, made non-negative; the batch axis 0 is refused."""
        value = self.value(key, default)
        values = [value] if _is_int(value) else value
        if not isinstance(values, list) or not values or not all(_is_int(v) for v in values):
            raise self.error(f"has {key} {preview(value)}, not an axis or a list of axes")
        normalized = tuple(axis + rank if axis < 0 else axis for axis in values)
        if not all(0 < axis < rank for axis in normalized) or len(set(normalized)) != len(values):
            raise self.error(f"has {key} {preview(value)}, invalid for an input of rank {rank}")
        return normalized

    def axis(self, key: str, rank: int) -> int:
        """A single axis, made non-negative."""
        axes = self.axes(key, rank)
        if len(axes) != 1:
            raise self.error(f"has several {key}s, it takes one")
        return axes[0]

    def channels_first(self) -> bool:
        data_format = self.choice("data_format", ("channels_last", "channels_first"),
                                  "channels_last")
        return data_format == "channels_first"

    def batch_input_shape(self) -> Shape:
        if "batch_shape" in self.layer.config and "batch_input_shape" not in self.layer.config:
            raise self.error("has Keras 3's batch_shape, which TF.js does not read",
                             fix="rename it batch_input_shape; export with this tool")
        shape = self.value("batch_input_shape")
        if not (isinstance(shape, list) and len(shape) >= 2
                and all(dim is None or (_is_int(dim) and dim > 0) for dim in shape)):
            raise self.error(f"has batch_input_shape {preview(shape)}, not [null, size, ...]")
        return tuple(shape)


def _no_weights(config: _Config, inputs: list[Shape]) -> _WeightShapes:
    return []


@dataclass(frozen=True)
class _LayerRule:
    """How one layer class maps input shapes to its output shape and to its weights."""

    output_shape: _ShapeRule
    weights: _WeightRule = _no_weights
    merges: bool = False  # takes two or more inputs (Add, Concatenate)


def _rule(layer: Layer) -> _LayerRule:
    rule = _RULES.get(layer.class_name)
    if rule is None:
        raise UnsupportedLayerError(layer.name, layer.class_name)
    return rule


def _known(config: _Config, shape: Shape, axis: int, what: str) -> int:
    size = shape[axis]
    if size is None:
        raise config.error(f"needs a known {what}, the input shape is {format_shape(shape)}")
    return size


def _rank(config: _Config, shape: Shape, rank: int) -> None:
    if len(shape) != rank:
        raise config.error(f"needs an input of rank {rank}, got {format_shape(shape)}")


def _spatial_axes(config: _Config, shape: Shape) -> tuple[int, int, int]:
    """(channel axis, height axis, width axis) of a rank-4 image tensor."""
    _rank(config, shape, 4)
    return (1, 2, 3) if config.channels_first() else (3, 1, 2)


def _with_spatial(config: _Config, shape: Shape, channels: int | None,
                  height: int | None, width: int | None) -> Shape:
    channel_axis, height_axis, width_axis = _spatial_axes(config, shape)
    result = list(shape)
    result[channel_axis], result[height_axis], result[width_axis] = channels, height, width
    return tuple(result)


def _map_spatial(config: _Config, shape: Shape, per_dim: Callable[[int, int], int],
                 channels: int | None = None) -> Shape:
    """Apply ``per_dim(size, index)`` to height (index 0) and width (1); None stays None."""
    channel_axis, height_axis, width_axis = _spatial_axes(config, shape)
    height, width = (None if shape[axis] is None else per_dim(shape[axis], index)
                     for index, axis in enumerate((height_axis, width_axis)))
    if (height is not None and height <= 0) or (width is not None and width <= 0):
        raise config.error(f"turns the input {format_shape(shape)} into an empty image")
    return _with_spatial(config, shape, shape[channel_axis] if channels is None else channels,
                         height, width)


def _identity(config: _Config, inputs: list[Shape]) -> Shape:
    return inputs[0]


def _dense_shape(config: _Config, inputs: list[Shape]) -> Shape:
    return (*inputs[0][:-1], config.positive_int("units"))


def _dense_weights(config: _Config, inputs: list[Shape]) -> _WeightShapes:
    units = config.positive_int("units")
    kernel = ("kernel", (_known(config, inputs[0], -1, "input size"), units))
    return [kernel, ("bias", (units,))] if config.flag("use_bias", True) else [kernel]


def _conv_shape(config: _Config, inputs: list[Shape]) -> Shape:
    kernel, strides = config.ints("kernel_size", 2), config.ints("strides", 2, 1)
    dilation = config.ints("dilation_rate", 2, 1)
    same = config.choice("padding", ("valid", "same"), "valid") == "same"

    def output_size(size: int, index: int) -> int:
        extent = (kernel[index] - 1) * dilation[index] + 1
        return -(-(size if same else size - extent + 1) // strides[index])

    return _map_spatial(config, inputs[0], output_size, config.positive_int("filters"))


def _conv_transpose_shape(config: _Config, inputs: list[Shape]) -> Shape:
    """TF.js deconvLength; it ignores output_padding and dilation_rate."""
    kernel, strides = config.ints("kernel_size", 2), config.ints("strides", 2, 1)
    same = config.choice("padding", ("valid", "same"), "valid") == "same"

    def output_size(size: int, index: int) -> int:
        grown = size * strides[index]
        return grown if same else grown + max(kernel[index] - strides[index], 0)

    return _map_spatial(config, inputs[0], output_size, config.positive_int("filters"))


def _conv_weights(transposed: bool) -> _WeightRule:
    """Conv2D kernels are [kh, kw, in, filters]; Conv2DTranspose kernels [kh, kw, filters, in]."""

    def weights(config: _Config, inputs: list[Shape]) -> _WeightShapes:
        channel_axis, _, _ = _spatial_axes(config, inputs[0])
        channels = _known(config, inputs[0], channel_axis, "number of input channels")
        filters = config.positive_int("filters")
        height, width = config.ints("kernel_size", 2)
        pair = (filters, channels) if transposed else (channels, filters)
        kernel = ("kernel", (height, width, *pair))
        return [kernel, ("bias", (filters,))] if config.flag("use_bias", True) else [kernel]

    return weights


def _normalization_weights(moving_statistics: bool) -> _WeightRule:
    """BatchNormalization (one axis, with moving statistics) and LayerNormalization."""

    def weights(config: _Config, inputs: list[Shape]) -> _WeightShapes:
        shape = inputs[0]
        axes = (config.axis("axis", len(shape)),) if moving_statistics \
            else config.axes("axis", len(shape))
        params = tuple(_known(config, shape, axis, f"size on axis {axis}") for axis in axes)
        names = [name for name, present in (("gamma", config.flag("scale", True)),
                                            ("beta", config.flag("center", True))) if present]
        if moving_statistics:
            names += ["moving_mean", "moving_variance"]
        return [(name, params) for name in names]

    return weights


def _reshape_shape(config: _Config, inputs: list[Shape]) -> Shape:
    target = config.value("target_shape")
    if not (isinstance(target, list) and target and all(_is_int(d) and (d > 0 or d == -1)
                                                        for d in target)
            and target.count(-1) <= 1):
        raise config.error(f"has target_shape {preview(target)}, not a list of sizes")
    shape = inputs[0]
    if None in shape[1:]:
        if -1 in target:
            raise config.error(f"cannot infer -1 from the input {format_shape(shape)}")
        return (shape[0], *target)
    total, fixed = math.prod(shape[1:]), math.prod(dim for dim in target if dim != -1)
    if total % fixed if -1 in target else total != fixed:
        raise config.error(f"cannot reshape {format_shape(shape)} into {preview(target)}")
    return (shape[0], *(total // fixed if dim == -1 else dim for dim in target))


def _flatten_shape(config: _Config, inputs: list[Shape]) -> Shape:
    rest = inputs[0][1:]
    return (inputs[0][0], None if None in rest else math.prod(rest))


def _upsampling_shape(config: _Config, inputs: list[Shape]) -> Shape:
    size = config.ints("size", 2, (2, 2))
    return _map_spatial(config, inputs[0], lambda dim, index: dim * size[index])


def _padding_amounts(config: _Config, key: str, default: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from an int, [vertical, horizontal] or [[t, b], [l, r]]."""
    value = config.value(key, default)
    if _is_int(value):
        value = [value, value]
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) for v in value):
        value = [[value[0], value[0]], [value[1], value[1]]]
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(pair, list) and len(pair) == 2 for pair in value)
            and all(_is_int(v) and v >= 0 for pair in value for v in pair)):
        raise config.error(f"has {key} {preview(config.layer.config.get(key))}, not an int, "
                           "[vertical, horizontal] or [[top, bottom], [left, right]]")
    (top, bottom), (left, right) = value
    return top, bottom, left, right


def _resize_by(sign: int, key: str, default: int) -> _ShapeRule:
    """ZeroPadding2D (sign +1) and Cropping2D (sign -1)."""

    def output_shape(config: _Config, inputs: list[Shape]) -> Shape:
        top, bottom, left, right = _padding_amounts(config, key, default)
        change = (top + bottom, left + right)
        return _map_spatial(config, inputs[0], lambda dim, index: dim + sign * change[index])

    return output_shape


def _permute_shape(config: _Config, inputs: list[Shape]) -> Shape:
    shape = inputs[0]
    dims = config.value("dims")
    if not (isinstance(dims, list) and all(_is_int(dim) for dim in dims)
            and sorted(dims) == list(range(1, len(shape)))):
        raise config.error(f"has dims {preview(dims)}, not a permutation of 1..{len(shape) - 1}")
    return (shape[0], *(shape[dim] for dim in dims))


def _add_shape(config: _Config, inputs: list[Shape]) -> Shape:
    result = inputs[0]
    for shape in inputs[1:]:
        if len(shape) != len(result):
            raise config.error(f"adds {format_shape(result)} and {format_shape(shape)}")
        result = tuple(_merged_dim(config, mine, theirs, inputs)
                       for mine, theirs in zip(result, shape, strict=True))
    return result


def _concatenate_shape(config: _Config, inputs: list[Shape]) -> Shape:
    rank = len(inputs[0])
    if any(len(shape) != rank for shape in inputs):
        raise config.error(f"concatenates inputs of different ranks: {_formats(inputs)}")
    axis = config.axis("axis", rank)
    result = list(inputs[0])
    for shape in inputs[1:]:
        for index, dim in enumerate(shape):
            if index == axis:
                result[index] = None if result[index] is None or dim is None \
                    else result[index] + dim
            else:
                result[index] = _merged_dim(config, result[index], dim, inputs)
    return tuple(result)


def _merged_dim(config: _Config, a: int | None, b: int | None, inputs: list[Shape]) -> int | None:
    if a is not None and b is not None and a != b:
        raise config.error(f"gets inputs of incompatible shapes {_formats(inputs)}")
    return a if a is not None else b


_RULES: dict[str, _LayerRule] = {
    "InputLayer": _LayerRule(_identity),  # shapes come from batch_input_shape, see _apply
    "Dense": _LayerRule(_dense_shape, _dense_weights),
    "Reshape": _LayerRule(_reshape_shape),
    "Flatten": _LayerRule(_flatten_shape),
    "Conv2D": _LayerRule(_conv_shape, _conv_weights(transposed=False)),
    "Conv2DTranspose": _LayerRule(_conv_transpose_shape, _conv_weights(transposed=True)),
    "BatchNormalization": _LayerRule(_identity, _normalization_weights(moving_statistics=True)),
    "LayerNormalization": _LayerRule(_identity, _normalization_weights(moving_statistics=False)),
    "ReLU": _LayerRule(_identity),
    "LeakyReLU": _LayerRule(_identity),
    "Activation": _LayerRule(_identity),
    "Dropout": _LayerRule(_identity),
    "UpSampling2D": _LayerRule(_upsampling_shape),
    "Permute": _LayerRule(_permute_shape),
    "ZeroPadding2D": _LayerRule(_resize_by(+1, "padding", 1)),
    "Cropping2D": _LayerRule(_resize_by(-1, "cropping", 0)),
    "Add": _LayerRule(_add_shape, merges=True),
    "Concatenate": _LayerRule(_concatenate_shape, merges=True),
}
require_layer_set(_RULES, "tfjs_model._RULES")


# --- small helpers ----------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _only(shapes: tuple[Shape, ...], what: str) -> Shape:
    if len(shapes) != 1:
        raise ModelFormatError(f"the model has {len(shapes)} {what}s; ml5 needs exactly one")
    return shapes[0]


def _optional_str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def format_shape(shape: Shape) -> str:
    """A shape as TF.js prints it: ``[null, 3, 64, 64]``."""
    return "[" + ", ".join("null" if dim is None else str(dim) for dim in shape) + "]"


def _formats(shapes: Sequence[Shape]) -> str:
    return ", ".join(format_shape(shape) for shape in shapes)
