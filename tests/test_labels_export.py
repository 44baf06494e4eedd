"""Issue 24, part 3: a labelled (two-input) generator exported, proven in TF.js 1.7.4 and 4.22,
validated, and loaded back; the manifest's modelLabels and the reference's labels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import keras
import numpy as np
import pytest
from generator_zoo import LATENT, labelled, randomize
from keras import layers

from ml5_dcgan_tools import export_bundle
from ml5_dcgan_tools.contract import RUNTIME_ATOL, TFJS_VERSIONS
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.generators import load_generator
from ml5_dcgan_tools.jsonio import load_schema
from ml5_dcgan_tools.reference import read_reference
from ml5_dcgan_tools.validation import validate_bundle

pytestmark = pytest.mark.slow

NAMES = ["circle", "square", "triangle", "star", "heart"]  # 5 > REFERENCE_COUNT (4)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("labelled") / "bundle"
    report = export_bundle(labelled(len(NAMES)), folder, labels=NAMES)
    assert report.verified and report.labels == NAMES
    assert [check.version for check in report.runtime_checks] == list(TFJS_VERSIONS)
    for check in report.runtime_checks:
        assert check.max_abs_error <= RUNTIME_ATOL and check.ml5_accepts, check
    return folder


def findings(report, severity: str) -> dict[str, str]:
    return {f.check: f.message for f in report.findings if f.severity == severity}


def test_the_bundle_takes_the_latent_then_the_label(bundle: Path) -> None:
    config = json.loads((bundle / "model.json").read_text())["modelTopology"]["model_config"]
    by_name = {layer["name"]: layer for layer in config["config"]["layers"]}
    assert [name for name, _, _ in config["config"]["input_layers"]] == ["latent", "label"]
    assert by_name["latent"]["config"]["batch_input_shape"] == [None, LATENT]
    assert by_name["label"]["config"]["batch_input_shape"] == [None, len(NAMES)]
    concatenate = next(layer for layer in by_name.values()
                       if layer["class_name"] == "Concatenate")
    assert concatenate["inbound_nodes"] == [[["latent", 0, 0, {}], ["label", 0, 0, {}]]]
    assert config["config"]["output_layers"] == [["ml5_channels_first", 0, 0]]


def test_manifest_and_reference_carry_the_labels(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["modelLabels"] == NAMES
    assert manifest["modelLatentDim"] == LATENT and manifest["modelSize"] == 16
    reference = read_reference(bundle / "reference.json")
    assert reference.labels is not None
    assert reference.labels.shape == (len(NAMES), len(NAMES))  # one image per label
    np.testing.assert_array_equal(reference.labels, np.eye(len(NAMES)))
    assert reference.outputs.shape == (len(NAMES), 3, 16, 16)


def test_the_label_changes_the_image(bundle: Path) -> None:
    """Same latent, two labels: different images, so a runtime that dropped the label input
    would have failed the proof."""
    model = load_generator(bundle)
    latent = read_reference(bundle / "reference.json").latents[:1]
    first, second = (np.asarray(model([latent, np.eye(len(NAMES), dtype="float32")[[k]]]))
                     for k in (0, 1))
    assert np.max(np.abs(first - second)) > 0.05


def test_a_labelled_bundle_loads_back_into_keras(bundle: Path) -> None:
    model = load_generator(bundle)
    assert [tensor.name for tensor in model.inputs] == ["latent", "label"]
    reference = read_reference(bundle / "reference.json")
    outputs = np.asarray(model.predict(reference.inputs, verbose=0))
    assert np.max(np.abs(outputs - reference.outputs)) <= RUNTIME_ATOL


def test_validate_passes_it_in_both_runtimes_and_says_ml5_0_12_cannot_pass_a_label(
        bundle: Path) -> None:
    report = validate_bundle(bundle)
    assert report.status(strict=True) == "pass", findings(report, "fail")
    info = findings(report, "info")
    assert {"numbers.reference-match", "numbers.tfjs-match"} <= set(info)
    assert all(run["max_abs_error"] <= RUNTIME_ATOL and run["ml5_accepts"]
               for run in report.metrics["numbers"]["tfjs"].values())
    assert set(report.metrics["numbers"]["tfjs"]) == set(TFJS_VERSIONS)
    note = info["contract.labels-need-loader"]
    assert "ml5 0.12.2's own ml5.DCGAN" in note and "ml5-dcgan.js" in note
    jsonschema.validate(report.as_dict(), load_schema("validate-report.schema.json"))


@pytest.mark.parametrize("labels, check", [
    (NAMES[:3], "manifest.labels-mismatch"),
    (None, "manifest.labels-missing"),
])
def test_a_manifest_whose_labels_disagree_with_the_model_fails_in_one_line(
        bundle: Path, tmp_path: Path, labels, check: str) -> None:
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for path in bundle.iterdir():
        (tampered / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((bundle / "manifest.json").read_text())
    if labels is None:
        del manifest["modelLabels"]
    else:
        manifest["modelLabels"] = labels
    (tampered / "manifest.json").write_text(json.dumps(manifest))
    report = validate_bundle(tampered, numbers=False)
    failures = findings(report, "fail")
    assert set(failures) == {check}
    assert "\n" not in failures[check] and str(len(NAMES)) in failures[check]


def test_class_names_default_to_the_run_folder_then_to_digits(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    labelled(3).save(run / "generator.keras")
    (run / "config.json").write_text(json.dumps({"labels": True,
                                                 "class_names": ["cats", "dogs", "owls"]}))
    from_run = export_bundle(run, tmp_path / "from-run", verify=False)
    assert from_run.labels == ["cats", "dogs", "owls"]
    assert json.loads((tmp_path / "from-run" / "manifest.json").read_text())[
        "modelLabels"] == ["cats", "dogs", "owls"]
    assert export_bundle(labelled(3), tmp_path / "digits", verify=False).labels == [
        "0", "1", "2"]


def test_wrong_class_names_are_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="2 class names for a model whose label input takes 3"):
        export_bundle(labelled(3), tmp_path / "a", labels=["cats", "dogs"], verify=False)
    with pytest.raises(UsageError, match="the model has no label input"):
        from generator_zoo import dcgan

        export_bundle(dcgan(16), tmp_path / "b", labels=["cats"], verify=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_model_with_three_inputs_is_refused_in_one_line(tmp_path: Path) -> None:
    inputs = [keras.Input((LATENT,), name="latent"), keras.Input((3,), name="label"),
              keras.Input((2,), name="style")]
    x = layers.Dense(4 * 4 * 3)(layers.Concatenate()(inputs))
    x = layers.Reshape((4, 4, 3))(x)
    out = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    model = randomize(keras.Model(inputs, out, name="three_inputs"))
    with pytest.raises(UserError) as caught:
        export_bundle(model, tmp_path / "bundle", verify=False)
    assert "takes 3 inputs" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "bundle").exists()


def test_a_second_input_not_named_label_is_refused(tmp_path: Path) -> None:
    z, style = keras.Input((LATENT,), name="latent"), keras.Input((3,), name="style")
    x = layers.Reshape((4, 4, 3))(layers.Dense(4 * 4 * 3)(layers.Concatenate()([z, style])))
    out = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    with pytest.raises(UserError, match="named 'label'"):
        export_bundle(keras.Model([z, style], out), tmp_path / "bundle", verify=False)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", *args], capture_output=True,
                          text=True, check=False)


def test_the_cli_validates_it_and_fails_a_wrong_label_list_in_one_line(
        bundle: Path, tmp_path: Path) -> None:
    good = _cli("validate", str(bundle), "--runtime", "none")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ml5 0.12.2's own ml5.DCGAN" in good.stdout + good.stderr
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for path in bundle.iterdir():
        (tampered / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((bundle / "manifest.json").read_text())
    (tampered / "manifest.json").write_text(json.dumps({**manifest, "modelLabels": ["a", "b"]}))
    bad = _cli("validate", str(tampered), "--runtime", "none")
    assert bad.returncode != 0 and "Traceback" not in bad.stdout + bad.stderr
    lines = [line for line in (bad.stdout + bad.stderr).splitlines()
             if "modelLabels lists 2 classes" in line]
    assert len(lines) == 1, bad.stdout + bad.stderr


def test_the_cli_refuses_a_three_input_model_in_one_line(tmp_path: Path) -> None:
    inputs = [keras.Input((LATENT,), name="latent"), keras.Input((3,), name="label"),
              keras.Input((2,), name="style")]
    x = layers.Reshape((4, 4, 3))(layers.Dense(4 * 4 * 3)(layers.Concatenate()(inputs)))
    out = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    keras.Model(inputs, out).save(tmp_path / "three.keras")
    done = _cli("export", str(tmp_path / "three.keras"), "--out", str(tmp_path / "bundle"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "takes 3 inputs" in error


def test_manifest_create_from_a_labelled_model_points_to_the_exported_manifest(
        bundle: Path) -> None:
    done = _cli("manifest", "create", "--from-model", str(bundle / "model.json"),
                "--description", "x")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "labelled generator" in done.stderr
