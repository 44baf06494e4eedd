"""The exporter, proven in the real TF.js runtimes: a zoo of generators, quantization, and the
regression test for each row of the Keras 3 -> TF.js incompatibility table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from generator_zoo import (
    LATENT,
    dcgan,
    ends_channels_first,
    functional_skip,
    randomize,
    upsampling_conv,
)

from ml5_dcgan_tools import export_bundle
from ml5_dcgan_tools.contract import TFJS_VERSIONS
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.export import layers_format
from ml5_dcgan_tools.export.bundle import QUANTIZATION_BOUNDS
from ml5_dcgan_tools.manifest import validate_manifest
from ml5_dcgan_tools.model import build_generator
from ml5_dcgan_tools.reference import read_reference
from ml5_dcgan_tools.runtime.tfjs import run_bundle

pytestmark = pytest.mark.slow

ZOO = {
    "dcgan-32px": lambda: dcgan(32),
    "dcgan-64px-latent128": lambda: dcgan(64, latent=128, width=8),
    "dcgan-128px": lambda: dcgan(128, width=2),
    "functional-add-skip": functional_skip,
    "upsampling-conv2d": upsampling_conv,
    "leaky-relu-0.2": lambda: dcgan(16, slope=0.2),
    "leaky-relu-0.1": lambda: dcgan(16, slope=0.1),
    "batchnorm-epsilon-momentum": lambda: dcgan(16, epsilon=0.3, momentum=0.5),
    "no-bias": lambda: dcgan(16, use_bias=False),
    "grayscale": lambda: dcgan(16, channels=1),
    "already-channels-first": ends_channels_first,
    # ours with train's --no-project-bias --bn-epsilon --bn-momentum
    "ours-paper-projection-pytorch-bn": lambda: randomize(build_generator(
        32, LATENT, 8, project_bias=False, bn_epsilon=1e-5, bn_momentum=0.99)),
}


def stored_weights(bundle: Path) -> dict[str, np.ndarray]:
    """Decode the float32 shards independently of the exporter's own code."""
    model_json = json.loads((bundle / "model.json").read_text())
    (group,) = model_json["weightsManifest"]
    blob = b"".join((bundle / path).read_bytes() for path in group["paths"])
    weights, offset = {}, 0
    for spec in group["weights"]:
        count = int(np.prod(spec["shape"]))
        weights[spec["name"]] = np.frombuffer(blob, "<f4", count, offset).reshape(spec["shape"])
        offset += 4 * count
    assert offset == len(blob)
    return weights


@pytest.mark.parametrize("name", ZOO)
def test_zoo_generator_exports_and_matches_keras_in_both_runtimes(name, tmp_path):
    model = ZOO[name]()
    report = export_bundle(model, tmp_path / "bundle", description=f"zoo {name}")
    bundle = tmp_path / "bundle"

    assert report.verified
    assert [check.version for check in report.runtime_checks] == list(TFJS_VERSIONS)
    for check in report.runtime_checks:
        print(f"{name}: TF.js {check.version} max abs error {check.max_abs_error:.2e}")
        assert check.max_abs_error <= 1e-4
        assert check.ml5_accepts

    outputs = read_reference(bundle / "reference.json").outputs
    assert np.mean(np.abs(outputs) > 0.99) < 0.05  # not saturated: mistakes would show
    assert np.max(np.abs(outputs[0] - outputs[1])) > 1e-2  # the latent matters

    side = model.output_shape[2]
    assert report.output_shape == [3, side, side]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest == {"description": f"zoo {name}", "model": "model.json", "modelSize": side,
                        "modelLatentDim": model.input_shape[1]}
    assert validate_manifest(manifest).status() == "pass"

    keras_weights = {f"{layer.name}/{variable.name}": np.asarray(variable.numpy())
                     for layer in model.layers for variable in layer.weights}
    bundle_weights = stored_weights(bundle)
    assert bundle_weights.keys() == keras_weights.keys()
    for key, values in keras_weights.items():
        np.testing.assert_array_equal(bundle_weights[key], values, err_msg=key)


def test_grayscale_becomes_three_identical_channels(tmp_path):
    report = export_bundle(dcgan(16, channels=1), tmp_path / "b", verify=False)
    assert any("3 identical channels" in note for note in report.adaptations)
    outputs = read_reference(tmp_path / "b" / "reference.json").outputs
    assert outputs.shape[1] == 3
    np.testing.assert_array_equal(outputs[:, 0], outputs[:, 1])
    np.testing.assert_array_equal(outputs[:, 0], outputs[:, 2])


def test_model_ending_channels_first_is_left_alone(tmp_path):
    report = export_bundle(ends_channels_first(), tmp_path / "b", verify=False)
    assert report.adaptations == []
    layers = json.loads((tmp_path / "b" / "model.json").read_text())[
        "modelTopology"]["model_config"]["config"]["layers"]
    assert [layer["class_name"] for layer in layers].count("Permute") == 1


def test_topology_carries_no_keras3_only_keys(tmp_path):
    export_bundle(functional_skip(), tmp_path / "b", verify=False)
    text = (tmp_path / "b" / "model.json").read_text()
    for key in ('"module"', '"registered_name"', '"build_config"', '"batch_shape"',
                '"negative_slope"', "DTypePolicy", "__keras_tensor__", '"Functional"'):
        assert key not in text


@pytest.mark.parametrize("quantization,ratio", [("uint16", 2), ("uint8", 4)])
def test_quantized_export_reports_its_error_and_runs_in_both_runtimes(quantization, ratio,
                                                                      tmp_path):
    model = dcgan(32, width=8)
    export_bundle(model, tmp_path / "full", verify=False)
    report = export_bundle(model, tmp_path / "q", quantization=quantization)
    assert report.verified
    assert 0 < report.quantization_error <= QUANTIZATION_BOUNDS[quantization]
    for check in report.runtime_checks:
        assert check.max_abs_error <= 1e-4  # against Keras run on the decoded weights
    shard_bytes = sum(p.stat().st_size for p in (tmp_path / "q").glob("group1-*.bin"))
    full_bytes = sum(p.stat().st_size for p in (tmp_path / "full").glob("group1-*.bin"))
    assert shard_bytes * ratio == full_bytes


def test_float16_is_refused_for_ml5_and_verified_in_tfjs4_for_the_tfjs_target(tmp_path):
    with pytest.raises(UserError, match=r"TF\.js 1\.7\.4"):
        export_bundle(dcgan(16), tmp_path / "ml5", quantization="float16")
    assert not (tmp_path / "ml5").exists()
    report = export_bundle(dcgan(16), tmp_path / "tfjs", target="tfjs", quantization="float16")
    assert [check.version for check in report.runtime_checks] == ["4.22.0"]
    assert report.verified and not (tmp_path / "tfjs" / "manifest.json").exists()


def test_small_shards_split_tensors_across_files(tmp_path):
    report = export_bundle(dcgan(16), tmp_path / "b", shard_bytes=4096)
    assert report.verified
    assert len(list((tmp_path / "b").glob("group1-shard*of*.bin"))) > 3


# --- one regression test per row of the incompatibility table
# (docs/reference/tfjs-layers-notes.md) ---

def _exported(tmp_path: Path, model=None) -> Path:
    bundle = tmp_path / "bundle"
    export_bundle(model or dcgan(16, slope=0.2), bundle, verify=False)
    return bundle


def _mutated_copy(bundle: Path, mutate) -> Path:
    copy = bundle.parent / "mutated"
    shutil.copytree(bundle, copy)
    model_json = json.loads((copy / "model.json").read_text())
    mutate(model_json)
    (copy / "model.json").write_text(json.dumps(model_json))
    return copy


def _layers(model_json: dict) -> list[dict]:
    return model_json["modelTopology"]["model_config"]["config"]["layers"]


def test_row_leaky_relu_slope_is_translated_else_tfjs_silently_uses_0_3(tmp_path, monkeypatch):
    bundle = _exported(tmp_path)
    reference = read_reference(bundle / "reference.json")
    for version in TFJS_VERSIONS:
        run = run_bundle(bundle, reference.latents, version)
        assert np.max(np.abs(run.outputs - reference.outputs)) <= 1e-4

    # What Keras 3 writes: negative_slope. TF.js loads it and computes LeakyReLU(0.3).
    untranslated = dict(layers_format.TRANSLATORS)
    untranslated["LeakyReLU"] = lambda c: {**layers_format._base(c),
                                           "negative_slope": c["negative_slope"]}
    monkeypatch.setattr(layers_format, "TRANSLATORS", untranslated)
    with pytest.raises(UserError, match=r"TF.js 1.7.4 output differs from Keras by") as caught:
        export_bundle(dcgan(16, slope=0.2), tmp_path / "bad")
    error = float(str(caught.value).split("differs from Keras by ")[1].split()[0])
    assert error > 1e-3
    assert not (tmp_path / "bad").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]  # no partial folder left


def test_row_input_layer_batch_shape_must_be_batch_input_shape(tmp_path):
    def keras3_input(model_json):
        config = _layers(model_json)[0]["config"]
        config["batch_shape"] = config.pop("batch_input_shape")

    bundle = _mutated_copy(_exported(tmp_path), keras3_input)
    run = run_bundle(bundle, np.zeros((1, LATENT), np.float32), "1.7.4")
    assert run.failed_at == "load" and "batchInputShape" in run.error


def test_row_functional_class_name_must_be_model(tmp_path):
    def keras3_class(model_json):
        model_json["modelTopology"]["model_config"]["class_name"] = "Functional"

    bundle = _mutated_copy(_exported(tmp_path), keras3_class)
    run = run_bundle(bundle, np.zeros((1, LATENT), np.float32), "1.7.4")
    assert run.failed_at == "load" and "Functional" in run.error


def test_row_inbound_nodes_must_be_keras2_lists(tmp_path):
    def keras3_nodes(model_json):
        for layer in _layers(model_json):
            layer["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
                "keras_history": node[0][:3]}}], "kwargs": {}} for node in layer["inbound_nodes"]]

    bundle = _mutated_copy(_exported(tmp_path, functional_skip()), keras3_nodes)
    for version in TFJS_VERSIONS:
        run = run_bundle(bundle, np.zeros((1, LATENT), np.float32), version)
        assert run.failed_at in ("load", "predict"), version


def test_row_weight_names_must_be_layer_slash_weight(tmp_path):
    def keras3_paths(model_json):
        for spec in model_json["weightsManifest"][0]["weights"]:
            spec["name"] = "generator/" + spec["name"]

    bundle = _mutated_copy(_exported(tmp_path), keras3_paths)
    run = run_bundle(bundle, np.zeros((1, LATENT), np.float32), "1.7.4")
    assert run.failed_at == "load" and "no target variable" in run.error


def test_quantization_error_above_the_bound_fails_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(QUANTIZATION_BOUNDS, "uint8", 1e-9)
    with pytest.raises(UserError, match="uint8 quantization changes the output by up to"):
        export_bundle(dcgan(16), tmp_path / "b", quantization="uint8")
    assert list(tmp_path.iterdir()) == []


def test_sources_h5_file_and_run_folder_with_ema_generator(tmp_path):
    dcgan(16).save(tmp_path / "legacy.h5")
    assert export_bundle(tmp_path / "legacy.h5", tmp_path / "from-h5").verified

    run = tmp_path / "run"
    run.mkdir()
    dcgan(16).save(run / "generator.keras")
    ema = randomize(dcgan(16), seed=7)
    ema.save(run / "generator_ema.keras")
    export_bundle(run, tmp_path / "from-run", verify=False)
    reference = read_reference(tmp_path / "from-run" / "reference.json")
    expected = np.transpose(np.asarray(ema(reference.latents, training=False)), (0, 3, 1, 2))
    np.testing.assert_allclose(reference.outputs, expected, atol=1e-6)
