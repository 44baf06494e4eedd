"""``validate_bundle`` and ``ml5-dcgan validate`` without TensorFlow or Node (--no-numbers):
targets, ml5's face and geo bundles, the JSON report, options and exit codes, the network."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from hostile_bundles import edit_model, good_bundle, specs, with_generated_weights
from test_cli_imports import HEAVY, imported_modules
from test_manifest_cli import run

from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.jsonio import load_schema
from ml5_dcgan_tools.validation import STAGES, validate_bundle


def checks(report, severity: str | None = None) -> list[str]:
    return [f.check for f in report.findings if severity in (None, f.severity)]


def assert_valid_report(line: str) -> dict:
    report = json.loads(line)
    jsonschema.Draft202012Validator(load_schema("validate-report.schema.json")).validate(report)
    return report


# --- targets ----------------------------------------------------------------------------------


def test_folder_manifest_and_model_targets(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    for target in (bundle, bundle / "manifest.json"):
        report = validate_bundle(target, numbers=False)
        assert report.status() == "pass" and "manifest.model-same-folder" in checks(report)
    alone = validate_bundle(bundle / "model.json", numbers=False)
    assert alone.status() == "pass"
    assert alone.stage_statuses()["manifest"] == "skip"


def test_json_files_are_told_apart_by_content(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    (bundle / "manifest.json").rename(bundle / "faces-manifest.json")
    (bundle / "model.json").rename(bundle / "generator.json")
    manifest = bundle / "faces-manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()),
                                    "model": "generator.json"}))
    assert validate_bundle(bundle / "faces-manifest.json", numbers=False).status() == "pass"
    model_only = validate_bundle(bundle / "generator.json", numbers=False)
    assert model_only.status() == "pass" and model_only.stage_statuses()["manifest"] == "skip"


@pytest.mark.parametrize("prefix", ["", "faces/"])
def test_zip_of_a_bundle(tmp_path: Path, prefix: str) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        if prefix:
            zipped.writestr("__MACOSX/._manifest.json", b"resource fork")
        for path in bundle.iterdir():
            zipped.write(path, prefix + path.name)
    report = validate_bundle(archive, numbers=False)
    assert report.status() == "pass", report.findings
    assert report.target == str(archive)


def test_a_corrupt_zip_is_a_finding(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"PK\x03\x04 not really")
    report = validate_bundle(archive, numbers=False)
    assert checks(report, "fail") == ["source.zip-invalid"]


def test_a_folder_without_model_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = validate_bundle(tmp_path / "empty", numbers=False)
    assert checks(report, "fail") == ["source.no-model"]
    assert "manifest.missing" in checks(report, "warn")
    assert report.stage_statuses()["numbers"] == "skip"


@pytest.mark.parametrize("name", ["absent", "notes.txt"])
def test_targets_that_are_no_bundle_are_usage_errors(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError):
        validate_bundle(tmp_path / name)
    outcome = run("validate", str(tmp_path / name))
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith("error: ") and len(outcome.stderr.splitlines()) == 1


# --- ml5's own bundles ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_bundles(ml5_reference: Path, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reference")
    return {name: with_generated_weights(ml5_reference / name, root / name)
            for name in ("face", "geo")}


def test_face_bundle_is_read_from_a_bare_layer_list(reference_bundles: dict[str, Path]) -> None:
    report = validate_bundle(reference_bundles["face"], numbers=False)
    assert report.status() == "warn"  # its model is a URL, not fetched
    # ml5's own face model names its weight files without an extension, which the p5.js web
    # editor refuses to upload.
    assert checks(report, "warn") == ["source.remote-model", "contract.cpu-batchnorm",
                                      "source.p5-web-editor"]
    statuses = report.stage_statuses()
    assert statuses["model"] == statuses["weights"] == "pass"
    assert statuses["contract"] == "warn"  # channels-first BatchNormalization, see numbers


def test_a_float_model_size_is_compared_too(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle", modelSize=64.0)  # valid JSON Schema integer
    report = validate_bundle(bundle, numbers=False)
    assert checks(report, "fail") == ["manifest.size-mismatch"]
    assert "modelSize is 64 but the model generates 4x4 images" in next(
        f.message for f in report.findings if f.check == "manifest.size-mismatch")


def test_geo_bundle_model_size_is_reported(reference_bundles: dict[str, Path]) -> None:
    report = validate_bundle(reference_bundles["geo"], numbers=False)
    assert checks(report, "fail") == ["manifest.size-mismatch"]
    size = next(f for f in report.findings if f.check == "manifest.size-mismatch")
    assert "modelSize is 128 but the model generates 64x64 images" in size.message
    assert size.hint == "set modelSize to 64" and size.pointer == "/modelSize"
    assert {"manifest.model-relative-path", "manifest.model-unresolved"} <= set(
        checks(report, "warn"))
    assert report.stage_statuses()["weights"] == "pass"


def test_geo_without_weights_names_the_missing_shards(ml5_reference: Path) -> None:
    report = validate_bundle(ml5_reference / "geo", numbers=False)
    missing = next(f for f in report.findings if f.check == "weights.shard-missing")
    assert "'group1-shard1of4.bin'" in missing.message and "4of4" in missing.message


# --- report, output, exit codes ---------------------------------------------------------------


def test_json_reports_follow_the_schema(tmp_path: Path, ml5_reference: Path) -> None:
    good = good_bundle(tmp_path / "good")
    outcome = run("validate", "--json", "--no-numbers", str(good), str(ml5_reference / "geo"))
    assert outcome.code == 1 and outcome.stderr == ""
    first, second = (assert_valid_report(line) for line in outcome.stdout.splitlines())
    assert (first["status"], second["status"]) == ("pass", "fail")
    assert list(first["stages"]) == list(STAGES)
    assert first["stages"]["numbers"] == "skip"
    assert {"check", "severity", "message", "hint"} <= set(second["findings"][0])


def test_strict_turns_warnings_into_failures(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    (bundle / "manifest.json").unlink()  # ml5 needs one: a warning
    relaxed = run("validate", "--no-numbers", str(bundle))
    assert relaxed.code == 0 and "verdict: WARN (0 failed, 1 warnings)" in relaxed.stdout
    strict = run("validate", "--no-numbers", "--strict", "--json", str(bundle))
    assert strict.code == 1
    report = assert_valid_report(strict.stdout)
    assert report["status"] == "fail" and report["stages"]["manifest"] == "fail"


def test_weights_next_to_a_model_in_a_subfolder_are_found(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle", model="models/model.json")
    (bundle / "models").mkdir()
    for name in ("model.json", "group1-shard1of1.bin"):
        (bundle / name).rename(bundle / "models" / name)
    report = validate_bundle(bundle, numbers=False)
    assert report.stage_statuses()["weights"] == "pass", report.findings


def test_several_targets_end_with_a_count(tmp_path: Path) -> None:
    good = good_bundle(tmp_path / "good")
    outcome = run("validate", "--no-numbers", str(good), str(good / "manifest.json"))
    assert outcome.code == 0
    assert outcome.stdout.splitlines()[-1] == "2 bundles: 2 PASS, 0 WARN, 0 FAIL"


@pytest.mark.parametrize("options", [
    ["--runtime", "2.0.0"], ["--runtime", "none", "--runtime", "1.7.4"], ["--atol", "-1"],
    ["--reference", "absent.json"],
])
def test_bad_options_are_usage_errors(tmp_path: Path, options: list[str]) -> None:
    outcome = run("validate", *options, str(good_bundle(tmp_path / "bundle")))
    assert outcome.code == 2 and outcome.stdout == ""


def test_structure_checks_import_no_tensorflow(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    code, modules = imported_modules("validate", "--no-numbers", str(bundle))
    assert code == 0 and not modules & set(HEAVY)


def test_a_failed_bundle_never_imports_tensorflow(tmp_path: Path) -> None:
    bundle = good_bundle(tmp_path / "bundle")
    edit_model(bundle, lambda document: specs(document)[0].update(name="dense_9/kernel"))
    code, modules = imported_modules("validate", str(bundle))
    assert code == 1 and not modules & set(HEAVY)


# --- --allow-network --------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local web server (the only network these tests touch) over a folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_allowed_network_checks_the_remote_model(tmp_path: Path, served) -> None:
    url, site = served
    good_bundle(site / "tiny")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"description": "Tiny", "model": f"{url}/tiny/model.json",
                                    "modelSize": 4, "modelLatentDim": 8}))
    report = validate_bundle(manifest, numbers=False, allow_network=True)
    assert report.stage_statuses()["weights"] == "pass", report.findings
    assert "source.remote-model" in checks(report, "info")
    assert "manifest.model-insecure-url" in checks(report, "warn")  # http://, not https://


def test_allowed_network_never_requests_paths_leaving_the_model_folder(tmp_path: Path,
                                                                       served) -> None:
    url, site = served
    good_bundle(site / "tiny")
    edit_model(site / "tiny", lambda document: document["weightsManifest"][0].update(
        paths=["../../secret.bin"]))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"description": "Tiny", "model": f"{url}/tiny/model.json",
                                    "modelSize": 4, "modelLatentDim": 8}))
    report = validate_bundle(manifest, numbers=False, allow_network=True)
    assert "safety.path-escape" in checks(report, "fail")


def test_a_failed_download_is_a_finding(tmp_path: Path, served) -> None:
    url, _ = served
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"description": "Tiny", "model": f"{url}/absent/model.json",
                                    "modelSize": 4, "modelLatentDim": 8}))
    report = validate_bundle(manifest, numbers=False, allow_network=True)
    assert "source.download-failed" in checks(report, "fail")
    assert "404" in next(f.message for f in report.findings
                         if f.check == "source.download-failed")
