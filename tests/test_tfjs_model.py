"""tfjs_model: layers, shapes as TF.js computes them, and the weights a topology needs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.tfjs_model import (
    ModelFormatError,
    UnsupportedLayerError,
    format_shape,
    parse_model_json,
    read_model_json,
)

FACE_WEIGHT_NAMES = {
    *(f"batch_normalization_{n}/{w}" for n in range(5, 9)
      for w in ("gamma", "beta", "moving_mean", "moving_variance")),
    *(f"conv2d_transpose_{n}/{w}" for n in range(5, 9) for w in ("kernel", "bias")),
    "dense_2/kernel", "dense_2/bias",
}


# --- building model.json documents ------------------------------------------------------------


def layer(class_name: str, name: str, **config: Any) -> dict[str, Any]:
    return {"class_name": class_name, "config": {"name": name, **config}}


def sequential(*layers: dict[str, Any], wrapped: bool = True,
               bare_list: bool = False) -> dict[str, Any]:
    config: Any = list(layers) if bare_list else {"name": "sequential", "layers": list(layers)}
    model_config = {"class_name": "Sequential", "config": config}
    topology = {"keras_version": "2.15.0", "backend": "tensorflow",
                "model_config": model_config} if wrapped else model_config
    return {"format": "layers-model", "modelTopology": topology, "weightsManifest": []}


def functional(layers: list[tuple[dict[str, Any], list[str]]], inputs: list[str],
               outputs: list[str], class_name: str = "Model") -> dict[str, Any]:
    entries = [{**entry, "name": entry["config"]["name"],
                "inbound_nodes": [[[source, 0, 0, {}] for source in sources]] if sources else []}
               for entry, sources in layers]
    config = {"name": "model", "layers": entries,
              "input_layers": [[name, 0, 0] for name in inputs],
              "output_layers": [[name, 0, 0] for name in outputs]}
    return {"modelTopology": {"model_config": {"class_name": class_name, "config": config}}}


def input_layer(name: str = "input", shape: list[int | None] | None = None) -> dict[str, Any]:
    return layer("InputLayer", name, batch_input_shape=shape or [None, 128], dtype="float32")


def single(class_name: str, input_shape: list[int | None], **config: Any):
    """A model of one layer on an input of ``input_shape``."""
    return parse_model_json(sequential(input_layer(shape=input_shape),
                                       layer(class_name, "under_test", **config)))


def weights_of(model) -> dict[str, tuple[int, ...]]:
    return {spec.name.removeprefix("under_test/"): spec.shape for spec in model.expected_weights}


# --- ml5's reference models -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["face", "geo"])
def test_reference_models(ml5_reference: Path, name: str) -> None:
    model = read_model_json(ml5_reference / name / "model.json")
    assert model.model_class == "Sequential" and len(model.layers) == 15
    assert model.input_shape == (None, 128)
    assert model.output_shape == (None, 3, 64, 64)
    assert len(model.expected_weights) == 26
    assert model.parameter_count == 3_847_363
    assert {spec.name for spec in model.expected_weights} == FACE_WEIGHT_NAMES
    declared = {spec.name: spec.shape for spec in model.manifest_weights}
    assert declared == {spec.name: spec.shape for spec in model.expected_weights}
    assert model.layers[1].inbound == ("dense_2",)


def test_reference_metadata(ml5_reference: Path) -> None:
    face = read_model_json(ml5_reference / "face" / "model.json")
    geo = read_model_json(ml5_reference / "geo" / "model.json")
    assert (face.format, face.keras_version) == (None, "2.2.2")
    assert face.weight_groups[0].paths[0] == "group1-shard1of4"
    assert (geo.format, geo.keras_version) == ("layers-model", "2.2.4")
    assert geo.converted_by == "TensorFlow.js Converter v1.1.2"
    assert geo.weight_groups[0].paths[0] == "group1-shard1of4.bin"


def test_topology_without_model_config_wrapper(ml5_reference: Path) -> None:
    document = json.loads((ml5_reference / "face" / "model.json").read_text())
    document["modelTopology"] = document["modelTopology"]["model_config"]
    model = parse_model_json(document)
    assert model.output_shape == (None, 3, 64, 64) and model.parameter_count == 3_847_363


def test_functional_version_of_the_reference_model(ml5_reference: Path) -> None:
    document = json.loads((ml5_reference / "face" / "model.json").read_text())
    sequential_layers = document["modelTopology"]["model_config"]["config"]
    chain: list[tuple[dict[str, Any], list[str]]] = [(input_layer("z"), [])]
    for entry in sequential_layers:
        entry = copy.deepcopy(entry)
        entry["config"].pop("batch_input_shape", None)
        chain.append((entry, [chain[-1][0]["config"]["name"]]))
    model = parse_model_json(functional(chain, ["z"], ["activation_10"]))
    assert model.model_class == "Model"
    assert model.input_shape == (None, 128) and model.output_shape == (None, 3, 64, 64)
    assert model.parameter_count == 3_847_363


def test_bare_list_and_named_sequential_configs_are_equivalent() -> None:
    layers = (layer("Dense", "d", units=4, batch_input_shape=[None, 2]),)
    for document in (sequential(*layers), sequential(*layers, bare_list=True),
                     sequential(*layers, wrapped=False)):
        assert parse_model_json(document).output_shape == (None, 4)


# --- shapes and weights per layer class -------------------------------------------------------


@pytest.mark.parametrize("class_name, input_shape, config, output_shape, weights", [
    ("Dense", [None, 5], {"units": 10}, (None, 10), {"kernel": (5, 10), "bias": (10,)}),
    ("Dense", [None, 5], {"units": 10, "use_bias": False}, (None, 10), {"kernel": (5, 10)}),
    ("Dense", [None, 4, 5], {"units": 10}, (None, 4, 10), {"kernel": (5, 10), "bias": (10,)}),
    ("Conv2D", [None, 32, 32, 3], {"filters": 8, "kernel_size": [3, 3], "padding": "valid"},
     (None, 30, 30, 8), {"kernel": (3, 3, 3, 8), "bias": (8,)}),
    ("Conv2D", [None, 33, 33, 3], {"filters": 8, "kernel_size": 3, "strides": 2,
                                   "padding": "same"}, (None, 17, 17, 8),
     {"kernel": (3, 3, 3, 8), "bias": (8,)}),
    ("Conv2D", [None, 33, 33, 3], {"filters": 8, "kernel_size": 3, "strides": 2},
     (None, 16, 16, 8), {"kernel": (3, 3, 3, 8), "bias": (8,)}),
    ("Conv2D", [None, 3, 20, 20], {"filters": 16, "kernel_size": [3, 5], "strides": [1, 2],
                                   "data_format": "channels_first", "use_bias": False},
     (None, 16, 18, 8), {"kernel": (3, 5, 3, 16)}),
    ("Conv2D", [None, 10, 10, 1], {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
     (None, 6, 6, 2), {"kernel": (3, 3, 1, 2), "bias": (2,)}),
    ("Conv2DTranspose", [None, 512, 4, 4], {"filters": 256, "kernel_size": 4, "strides": 2,
                                            "padding": "same", "data_format": "channels_first"},
     (None, 256, 8, 8), {"kernel": (4, 4, 256, 512), "bias": (256,)}),
    ("Conv2DTranspose", [None, 4, 4, 8], {"filters": 3, "kernel_size": 4, "strides": 2,
                                          "padding": "valid"},
     (None, 10, 10, 3), {"kernel": (4, 4, 3, 8), "bias": (3,)}),
    ("Conv2DTranspose", [None, 4, 4, 8], {"filters": 3, "kernel_size": 1, "strides": 2,
                                          "padding": "valid", "use_bias": False},
     (None, 8, 8, 3), {"kernel": (1, 1, 3, 8)}),
    ("BatchNormalization", [None, 8192], {"axis": 1}, (None, 8192),
     {"gamma": (8192,), "beta": (8192,), "moving_mean": (8192,), "moving_variance": (8192,)}),
    ("BatchNormalization", [None, 4, 4, 16], {"axis": [3], "center": False}, (None, 4, 4, 16),
     {"gamma": (16,), "moving_mean": (16,), "moving_variance": (16,)}),
    ("BatchNormalization", [None, 16, 4, 4], {"axis": 1, "scale": False}, (None, 16, 4, 4),
     {"beta": (16,), "moving_mean": (16,), "moving_variance": (16,)}),
    ("LayerNormalization", [None, 4, 4, 16], {"axis": -1}, (None, 4, 4, 16),
     {"gamma": (16,), "beta": (16,)}),
    ("LayerNormalization", [None, 4, 4, 16], {"axis": [1, 2, 3], "center": False},
     (None, 4, 4, 16), {"gamma": (4, 4, 16)}),
    ("Reshape", [None, 8192], {"target_shape": [512, 4, 4]}, (None, 512, 4, 4), {}),
    ("Reshape", [None, 8192], {"target_shape": [-1, 4, 4]}, (None, 512, 4, 4), {}),
    ("Flatten", [None, 3, 4, 5], {}, (None, 60), {}),
    ("UpSampling2D", [None, 8, 8, 3], {"size": [2, 2]}, (None, 16, 16, 3), {}),
    ("UpSampling2D", [None, 3, 8, 8], {"size": [2, 3], "data_format": "channels_first"},
     (None, 3, 16, 24), {}),
    ("Permute", [None, 64, 64, 3], {"dims": [3, 1, 2]}, (None, 3, 64, 64), {}),
    ("ZeroPadding2D", [None, 8, 8, 3], {"padding": 1}, (None, 10, 10, 3), {}),
    ("ZeroPadding2D", [None, 8, 8, 3], {"padding": [1, 2]}, (None, 10, 12, 3), {}),
    ("ZeroPadding2D", [None, 3, 8, 8], {"padding": [[1, 2], [3, 4]],
                                        "data_format": "channels_first"}, (None, 3, 11, 15), {}),
    ("Cropping2D", [None, 8, 8, 3], {"cropping": [[1, 1], [2, 2]]}, (None, 6, 4, 3), {}),
    ("Activation", [None, 3, 8, 8], {"activation": "tanh"}, (None, 3, 8, 8), {}),
    ("ReLU", [None, 7], {}, (None, 7), {}),
    ("LeakyReLU", [None, 7], {"alpha": 0.2}, (None, 7), {}),
    ("Dropout", [None, 7], {"rate": 0.5}, (None, 7), {}),
])
def test_layer_shapes_and_weights(class_name, input_shape, config, output_shape,
                                  weights) -> None:
    model = single(class_name, input_shape, **config)
    assert model.output_shape == output_shape
    assert weights_of(model) == weights
    assert model.layer_shapes["under_test"].inputs == (tuple(input_shape),)


def test_unknown_dimensions_pass_through() -> None:
    model = single("Conv2D", [None, None, None, 3], filters=4, kernel_size=3, padding="same")
    assert model.output_shape == (None, None, None, 4)
    assert weights_of(model) == {"kernel": (3, 3, 3, 4), "bias": (4,)}


def two_branch(merge: dict[str, Any], left: dict[str, Any], right: dict[str, Any]):
    return parse_model_json(functional(
        [(input_layer("x", [None, 4, 4, 3]), []), (left, ["x"]), (right, ["x"]),
         (merge, [left["config"]["name"], right["config"]["name"]])],
        ["x"], [merge["config"]["name"]]))


def test_add_and_concatenate() -> None:
    conv = {"kernel_size": 1, "padding": "same"}
    added = two_branch(layer("Add", "sum"), layer("Conv2D", "a", filters=5, **conv),
                       layer("Conv2D", "b", filters=5, **conv))
    assert added.output_shape == (None, 4, 4, 5)
    assert added.layers[-1].inbound == ("a", "b")
    joined = two_branch(layer("Concatenate", "cat", axis=-1),
                        layer("Conv2D", "a", filters=5, **conv),
                        layer("Conv2D", "b", filters=2, **conv))
    assert joined.output_shape == (None, 4, 4, 7)
    assert joined.parameter_count == (3 * 5 + 5) + (3 * 2 + 2)


def test_add_refuses_mismatched_shapes() -> None:
    conv = {"kernel_size": 1}
    model = two_branch(layer("Add", "sum"), layer("Conv2D", "a", filters=5, **conv),
                       layer("Conv2D", "b", filters=2, **conv))
    with pytest.raises(ModelFormatError, match=r"'sum'.*incompatible"):
        _ = model.output_shape


def test_layers_listed_in_any_order_are_resolved() -> None:
    document = functional([(layer("Dense", "d2", units=3), ["d1"]),
                           (layer("Dense", "d1", units=5), ["x"]),
                           (input_layer("x", [None, 2]), [])], ["x"], ["d2"])
    assert parse_model_json(document).output_shape == (None, 3)


def test_format_shape() -> None:
    assert format_shape((None, 3, 64, 64)) == "[null, 3, 64, 64]"


# --- refusals -----------------------------------------------------------------------------


def test_unknown_layer_is_listed_but_refused_for_shapes() -> None:
    model = single("Softmax", [None, 10])
    assert [entry.class_name for entry in model.layers] == ["InputLayer", "Softmax"]
    with pytest.raises(UnsupportedLayerError) as caught:
        _ = model.output_shape
    assert (caught.value.layer_name, caught.value.class_name) == ("under_test", "Softmax")
    assert "'under_test'" in str(caught.value) and "Conv2DTranspose" in str(caught.value)


@pytest.mark.parametrize("class_name, input_shape, config, match", [
    ("Conv2D", [None, 2, 2, 3], {"filters": 1, "kernel_size": 3}, "empty image"),
    ("Conv2D", [None, 8, 8, 3], {"filters": 1, "kernel_size": "3"}, "kernel_size"),
    ("Conv2D", [None, 8, 8, 3], {"filters": 1, "kernel_size": 3, "padding": "causal"},
     "padding"),
    ("Conv2D", [None, 8, 8, 3], {"filters": 1, "kernel_size": 3, "data_format": "NHWC"},
     "data_format"),
    ("Conv2D", [None, 8, 8], {"filters": 1, "kernel_size": 3}, "rank 4"),
    ("Conv2D", [None, 8, 8, None], {"filters": 1, "kernel_size": 3}, "input channels"),
    ("Dense", [None, 5], {"units": True}, "units"),
    ("Dense", [None, 5], {"units": -1}, "units"),
    ("Dense", [None, 5], {}, "no units"),
    ("Dense", [None, 5], {"units": 2, "use_bias": "yes"}, "use_bias"),
    ("Reshape", [None, 10], {"target_shape": [3, 3]}, "cannot reshape"),
    ("Reshape", [None, 10], {"target_shape": [-1, -1]}, "target_shape"),
    ("Permute", [None, 2, 3], {"dims": [1, 1]}, "permutation"),
    ("BatchNormalization", [None, 4, 4], {"axis": 0}, "axis"),
    ("BatchNormalization", [None, 4, 4], {"axis": [1, 2]}, "several"),
    ("ZeroPadding2D", [None, 4, 4, 3], {"padding": [1, 2, 3]}, "padding"),
    ("Cropping2D", [None, 4, 4, 3], {"cropping": 2}, "empty image"),
])
def test_bad_layer_configs_name_the_layer(class_name, input_shape, config, match) -> None:
    model = single(class_name, input_shape, **config)
    with pytest.raises(ModelFormatError, match=match) as caught:
        _ = model.expected_weights, model.output_shape
    assert "'under_test'" in str(caught.value)


@pytest.mark.parametrize("document, match", [
    ({}, "modelTopology"),
    ([], "modelTopology"),
    ({"modelTopology": {"class_name": "Graph", "config": {}}}, "unknown model class"),
    ({"modelTopology": {"class_name": "Sequential", "config": []}}, "no layers"),
    ({"modelTopology": {"class_name": "Sequential", "config": [{"class_name": "Dense"}]}},
     "class_name, config"),
    ({"modelTopology": {"class_name": "Model", "config": {"layers": "x"}}}, "layers list"),
])
def test_structural_problems(document, match) -> None:
    with pytest.raises(ModelFormatError, match=match):
        parse_model_json(document)


def test_keras_3_functional_class_is_refused() -> None:
    document = functional([(input_layer("x"), [])], ["x"], ["x"], class_name="Functional")
    with pytest.raises(ModelFormatError, match='"Functional"'):
        parse_model_json(document)


def test_keras_3_inbound_nodes_are_refused() -> None:
    document = functional([(input_layer("x"), []), (layer("Dense", "d", units=2), ["x"])],
                          ["x"], ["d"])
    document["modelTopology"]["model_config"]["config"]["layers"][1]["inbound_nodes"] = [
        {"args": [{"class_name": "__keras_tensor__"}], "kwargs": {}}]
    with pytest.raises(ModelFormatError, match="Keras 3 style inbound_nodes"):
        parse_model_json(document)


def test_keras_3_batch_shape_is_refused() -> None:
    model = parse_model_json(sequential(layer("InputLayer", "x", batch_shape=[None, 2]),
                                        layer("Dense", "d", units=2)))
    with pytest.raises(ModelFormatError, match="batch_input_shape"):
        _ = model.input_shape


def test_shared_layer_is_refused() -> None:
    document = functional([(input_layer("x"), []), (layer("Dense", "d", units=2), ["x"])],
                          ["x"], ["d"])
    entry = document["modelTopology"]["model_config"]["config"]["layers"][1]
    entry["inbound_nodes"] *= 2
    with pytest.raises(ModelFormatError, match="called 2 times"):
        parse_model_json(document)


def test_cycles_and_dangling_references_are_refused() -> None:
    cyclic = functional([(input_layer("x"), []), (layer("Add", "a"), ["x", "b"]),
                         (layer("Dense", "b", units=128), ["a"])], ["x"], ["b"])
    with pytest.raises(ModelFormatError, match="cycle"):
        _ = parse_model_json(cyclic).output_shape
    dangling = functional([(input_layer("x"), []), (layer("Dense", "d", units=2), ["ghost"])],
                          ["x"], ["d"])
    with pytest.raises(ModelFormatError, match="'ghost'"):
        _ = parse_model_json(dangling).output_shape


def test_duplicate_layer_names_are_refused() -> None:
    document = sequential(input_layer("x"), layer("Dense", "d", units=2),
                          layer("Dense", "d", units=2))
    with pytest.raises(ModelFormatError, match="two layers are named 'd'"):
        parse_model_json(document)


def test_model_with_two_outputs_has_no_single_output_shape() -> None:
    document = functional([(input_layer("x"), []), (layer("Dense", "a", units=2), ["x"]),
                           (layer("Dense", "b", units=3), ["x"])], ["x"], ["a", "b"])
    model = parse_model_json(document)
    assert model.output_shapes == ((None, 2), (None, 3))
    with pytest.raises(ModelFormatError, match="2 outputs"):
        _ = model.output_shape


@pytest.mark.parametrize("manifest, match", [
    ({}, "not a list"),
    ([{"paths": "shard", "weights": []}], "paths"),
    ([{"paths": [], "weights": [{"name": "d/kernel", "shape": [2, -1]}]}], "shape"),
    ([{"paths": [], "weights": [{"shape": [2]}]}], "no name"),
    ([{"paths": [], "weights": [{"name": "d/kernel", "shape": [2], "dtype": 1}]}], "dtype"),
])
def test_bad_weights_manifest(manifest, match) -> None:
    document = sequential(input_layer())
    document["weightsManifest"] = manifest
    with pytest.raises(ModelFormatError, match=match):
        parse_model_json(document)


def test_weights_manifest_entries_are_kept() -> None:
    document = sequential(input_layer(shape=[None, 2]), layer("Dense", "d", units=3))
    document["weightsManifest"] = [{"paths": ["group1-shard1of1.bin"], "weights": [
        {"name": "d/kernel", "shape": [2, 3], "dtype": "float32",
         "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.01}},
        {"name": "d/bias", "shape": [3], "dtype": "float32"}]}]
    model = parse_model_json(document)
    kernel, bias = model.manifest_weights
    assert (kernel.name, kernel.shape, kernel.size) == ("d/kernel", (2, 3), 6)
    assert kernel.quantization["dtype"] == "uint8" and bias.quantization is None
    assert model.weight_groups[0].paths == ("group1-shard1of1.bin",)


def test_read_model_json_reports_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text('{"modelTopology": {"class_name": "Graph", "config": {}}}')
    with pytest.raises(ModelFormatError) as caught:
        read_model_json(broken)
    assert str(broken) in str(caught.value)
    broken.write_bytes(b"\x00\xff")
    with pytest.raises(ModelFormatError, match="UTF-8"):
        read_model_json(broken)
    with pytest.raises(UsageError):
        read_model_json(tmp_path / "missing.json")


# --- robustness -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["class_name", "config", "layers", "name", "units",
                                       "modelTopology", "model_config", "inbound_nodes",
                                       "batch_input_shape", "weightsManifest", "paths",
                                       "weights", "shape"]) | st.text(max_size=5),
                      children, max_size=5),
    max_leaves=25,
)


def exercise(document: Any) -> None:
    """Everything a validator would touch; only ModelFormatError may come out."""
    try:
        model = parse_model_json(document)
        _ = model.layer_shapes, model.input_shapes, model.output_shapes
        _ = model.expected_weights, model.parameter_count, model.manifest_weights
    except ModelFormatError as error:
        assert str(error)


@given(json_values)
def test_arbitrary_json_raises_only_model_format_errors(document) -> None:
    exercise(document)
    exercise({"modelTopology": document})
    exercise({"modelTopology": {"class_name": "Sequential", "config": document}})


@given(st.data())
def test_corrupted_reference_configs_raise_only_model_format_errors(ml5_reference: Path,
                                                                    data) -> None:
    document = json.loads((ml5_reference / "geo" / "model.json").read_text())
    layers = document["modelTopology"]["model_config"]["config"]["layers"]
    config = data.draw(st.sampled_from(layers))["config"]
    key = data.draw(st.sampled_from(sorted(config)))
    config[key] = data.draw(json_values)
    exercise(document)
