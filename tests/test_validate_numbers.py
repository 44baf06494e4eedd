"""The numbers stage: Keras rebuilds of exported, legacy and broken bundles, run in TF.js.

Imports TensorFlow and spawns Node: marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hostile_bundles import CASES, build, good_bundle, with_generated_weights
from test_manifest_cli import run
from test_validate import assert_valid_report

from ml5_dcgan_tools.contract import TFJS_VERSIONS
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.runtime import ensure_runtime
from ml5_dcgan_tools.validation import validate_bundle

pytestmark = pytest.mark.slow
ML5 = ("1.7.4",)


@pytest.fixture(scope="module", autouse=True)
def installed_runtime() -> Path:
    return ensure_runtime()


def checks(report, severity: str | None = None) -> list[str]:
    return [f.check for f in report.findings if severity in (None, f.severity)]


def exported(name: str, folder: Path, **options) -> Path:
    import generator_zoo

    from ml5_dcgan_tools.export import export_bundle

    builders = {"dcgan16": lambda: generator_zoo.dcgan(16),
                "skip": generator_zoo.functional_skip,
                "upsampling": generator_zoo.upsampling_conv,
                "channels_first": generator_zoo.ends_channels_first}
    export_bundle(builders[name](), folder, verify=False, **options)
    return folder


@pytest.mark.parametrize("name, quantization", [
    ("dcgan16", "none"), ("skip", "none"), ("upsampling", "none"), ("channels_first", "none"),
    ("dcgan16", "uint8"), ("dcgan16", "uint16"),
])
def test_every_exported_bundle_validates_clean(tmp_path: Path, name: str,
                                               quantization: str) -> None:
    bundle = exported(name, tmp_path / "bundle", quantization=quantization)
    report = validate_bundle(bundle)
    assert report.status(strict=True) == "pass", [f for f in report.findings
                                                   if f.severity != "info"]
    assert {"numbers.reference-match", "numbers.tfjs-match"} <= set(checks(report, "info"))
    numbers = report.metrics["numbers"]
    assert numbers["reference_max_abs_error"] <= 1e-4
    assert set(numbers["tfjs"]) == set(TFJS_VERSIONS)
    assert all(run["max_abs_error"] <= 1e-4 and run["ml5_accepts"]
               for run in numbers["tfjs"].values())


@pytest.fixture(scope="module")
def reference_bundles(ml5_reference: Path, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reference")
    return {name: with_generated_weights(ml5_reference / name, root / name)
            for name in ("face", "geo")}


@pytest.mark.parametrize("name, problems", [
    ("face", {"source.remote-model"}), ("geo", {"manifest.size-mismatch"}),
])
def test_ml5_channels_first_bundles_are_rebuilt_and_run(reference_bundles, name, problems):
    report = validate_bundle(reference_bundles[name])
    assert problems | {"contract.cpu-batchnorm"} <= set(checks(report, "fail")
                                                        + checks(report, "warn"))
    assert report.stage_statuses()["numbers"] == "pass", report.findings
    numbers = assert_valid_report(json.dumps(report.as_dict()))["metrics"]["numbers"]
    assert -1 <= numbers["output_min"] < numbers["output_max"] <= 1
    for version in TFJS_VERSIONS:  # once TF.js's CPU batch normalization is emulated ...
        assert numbers["tfjs"][version]["max_abs_error"] <= 1e-4
    assert numbers["tfjs"]["1.7.4"]["ml5_accepts"]
    assert numbers["tfjs_cpu_batchnorm_effect"] > 0.1  # ... which differs from Keras (WebGL)


@pytest.mark.parametrize("case, expected, runtimes", [
    ("keras3-leaky-relu", {"numbers.tfjs-mismatch"}, TFJS_VERSIONS),  # TF.js uses alpha 0.3
    ("linear-output", {"numbers.out-of-range", "numbers.ml5-rejects"}, ML5),
    ("float16-for-ml5", {"numbers.tfjs-failed"}, ML5),
    ("channels-last-output", {"numbers.ml5-rejects"}, ML5),
    ("channels-last-output", {"numbers.ml5-rejects"}, ("4.22.0",)),  # ml5 1.x, one rule
    ("one-channel-output", {"numbers.ml5-rejects"}, ML5),
])
def test_broken_numbers_are_found(tmp_path: Path, case: str, expected: set[str],
                                  runtimes: tuple[str, ...]) -> None:
    report = validate_bundle(build(case, tmp_path), runtimes=runtimes)
    assert expected <= set(checks(report, "fail")), report.findings


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_hostile_corpus_with_numbers_and_tfjs(tmp_path: Path, case) -> None:
    outcome = run("validate", "--json", "--runtime", "1.7.4", str(case.build(tmp_path)))
    assert outcome.code == 1
    report = assert_valid_report(outcome.stdout)
    assert case.check in {f["check"] for f in report["findings"] if f["severity"] == "fail"}


def test_float16_loads_in_tfjs_4_only(tmp_path: Path) -> None:
    report = validate_bundle(build("float16-for-ml5", tmp_path))
    failed = [f.message for f in report.findings if f.check == "numbers.tfjs-failed"]
    assert len(failed) == 1 and failed[0].startswith("TF.js 1.7.4 fails at load")
    assert report.metrics["numbers"]["tfjs"]["4.22.0"]["max_abs_error"] <= 1e-4


def test_outputs_that_ignore_the_latent_fail(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    shard = bundle / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[:8 * 48 * 4] = bytes(8 * 48 * 4)  # a zero kernel: only the bias is left
    shard.write_bytes(bytes(data))
    report = validate_bundle(bundle, runtimes=())
    assert checks(report, "fail") == ["numbers.constant-output"]


def exported_with_moved_reference(folder: Path, delta: float) -> Path:
    """An exported bundle whose first reference output value is moved by ``delta``."""
    bundle = exported("dcgan16", folder)
    outputs = bundle / "reference-outputs.bin"
    values = np.frombuffer(outputs.read_bytes(), "<f4").copy()
    values[0] += delta
    outputs.write_bytes(values.tobytes())
    return bundle


def test_outputs_are_compared_with_the_reference(tmp_path: Path) -> None:
    bundle = exported_with_moved_reference(tmp_path / "bundle", 0.5)
    report = validate_bundle(bundle, runtimes=())
    assert checks(report, "fail") == ["numbers.reference-mismatch"]
    assert "max abs error 0.5" in next(f.message for f in report.findings
                                       if f.check == "numbers.reference-mismatch")


def test_a_given_reference_of_another_model_is_reported(tmp_path: Path) -> None:
    other = exported("dcgan16", tmp_path / "other")
    bundle = good_bundle(tmp_path / "bundle")  # latent 8, the other's is 16
    report = validate_bundle(bundle, runtimes=(), reference=other / "reference.json")
    assert checks(report, "fail") == ["numbers.reference-invalid"]


def test_a_tampered_reference_file_is_reported(tmp_path: Path) -> None:
    bundle = exported("dcgan16", tmp_path / "bundle")
    document = json.loads((bundle / "reference.json").read_text())
    document["outputs"]["shape"] = [10**6, 3, 64, 64]
    (bundle / "reference.json").write_text(json.dumps(document))
    report = validate_bundle(bundle, runtimes=())
    assert checks(report, "fail") == ["numbers.reference-invalid"]


def test_the_reference_tolerance_can_tighten_but_not_loosen(tmp_path: Path) -> None:
    bundle = exported_with_moved_reference(tmp_path / "bundle", 5e-5)  # inside the default
    document = json.loads((bundle / "reference.json").read_text())
    (bundle / "reference.json").write_text(json.dumps({**document, "tolerance": 1e-5}))
    tight = validate_bundle(bundle, runtimes=())
    assert checks(tight, "fail") == ["numbers.reference-mismatch"]
    assert tight.metrics["numbers"]["atol"] == pytest.approx(1e-5)
    (bundle / "reference.json").write_text(json.dumps({**document, "tolerance": 0.5}))
    loose = validate_bundle(bundle, runtimes=())
    assert loose.status() == "pass" and "numbers.reference-tolerance" in checks(loose, "info")
    assert loose.metrics["numbers"]["atol"] == pytest.approx(1e-4)
    assert checks(validate_bundle(bundle, runtimes=(), atol=1e-6), "fail") == [
        "numbers.reference-mismatch"]


def test_a_tfjs_comparison_that_cannot_be_made_is_a_warning(
        reference_bundles, monkeypatch: pytest.MonkeyPatch) -> None:
    from ml5_dcgan_tools.validation import keras_rebuild

    real = keras_rebuild.python_outputs

    def no_emulation(*args, tfjs_cpu: bool = False, **kwargs):
        if tfjs_cpu:
            raise keras_rebuild.RebuildError("emulation unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(keras_rebuild, "python_outputs", no_emulation)
    report = validate_bundle(reference_bundles["geo"], runtimes=ML5)
    assert "numbers.tfjs-uncompared" in checks(report, "warn")
    assert report.metrics["numbers"]["tfjs"]["1.7.4"]["max_abs_error"] is None


def test_missing_node_is_a_warning_not_a_crash(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def no_node() -> str:
        raise UserError("Node.js (node) is not on PATH")
    monkeypatch.setattr("ml5_dcgan_tools.runtime.tfjs.find_node", no_node)
    report = validate_bundle(good_bundle(tmp_path / "bundle"), runtimes=ML5)
    assert checks(report, "warn") == ["numbers.tfjs-unavailable"]
    assert report.status() == "warn"


def test_the_cli_reports_the_error_per_runtime(tmp_path: Path) -> None:
    outcome = run("validate", str(good_bundle(tmp_path / "bundle")))
    assert outcome.code == 0
    lines = outcome.stdout.splitlines()
    assert "  PASS  numbers" in lines
    for version in TFJS_VERSIONS:
        assert any(f"Python matches TF.js {version}: max abs error" in line for line in lines)
