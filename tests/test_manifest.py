"""manifest: schema findings with pointers and hints, ml5's pitfalls, creating manifests."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml5_dcgan_tools import create_manifest as lazily_imported_create_manifest
from ml5_dcgan_tools import validate_manifest as lazily_imported_validate_manifest
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.manifest import (
    create_manifest,
    manifest_fields_from_model,
    validate_manifest,
)
from ml5_dcgan_tools.tfjs_model import parse_model_json, read_model_json

FACE = {"description": "DCGAN, human faces, 64x64",
        "model": "https://example.org/models/faces/model.json",
        "modelSize": 64, "modelLatentDim": 128}
CHECK_ID = re.compile(r"^[a-z0-9]+(\.[a-zA-Z0-9-]+)+$")


def manifest(**changes: Any) -> dict[str, Any]:
    """FACE with fields changed; ``...`` removes a field."""
    result = {**FACE, **changes}
    return {key: value for key, value in result.items() if value is not ...}


def checks(report) -> list[tuple[str, str, str]]:
    return [(finding.check, finding.severity, finding.pointer) for finding in report.findings]


def test_the_public_api_is_importable_from_the_package() -> None:
    assert lazily_imported_validate_manifest is validate_manifest
    assert lazily_imported_create_manifest is create_manifest


def test_a_good_manifest_passes_from_dict_bytes_and_path(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(FACE))
    for source in (FACE, json.dumps(FACE).encode(), path, str(path)):
        report = validate_manifest(source)
        assert report.status() == "pass" and report.findings == []
    assert validate_manifest(path).target == str(path)
    assert validate_manifest(FACE, target="upload #3").target == "upload #3"


def test_missing_latent_dim_points_at_it_with_ml5s_hint() -> None:
    report = validate_manifest(manifest(modelLatentDim=...))
    assert checks(report) == [("schema.required", "fail", "/modelLatentDim")]
    hint = report.findings[0].hint
    assert "sample latents" in hint and "128" in hint


def test_all_missing_fields_are_reported_in_schema_order() -> None:
    report = validate_manifest({})
    assert [finding.pointer for finding in report.findings] == [
        "/description", "/model", "/modelSize", "/modelLatentDim"]


@pytest.mark.parametrize("field, value, check", [
    ("description", "", "schema.minLength"),
    ("description", " \t\n", "schema.pattern"),
    ("description", 42, "schema.type"),
    ("model", "", "schema.minLength"),
    ("model", "https://example.org/generator.h5", "schema.pattern"),
    ("model", "ftp://example.org/model.json", "schema.pattern"),
    ("model", "file:///home/me/model.json", "schema.pattern"),
    ("model", "data:application/json,model.json", "schema.pattern"),
    ("model", None, "schema.type"),
    ("modelSize", "64", "schema.type"),
    ("modelSize", 64.5, "schema.type"),
    ("modelSize", True, "schema.type"),
    ("modelSize", 0, "schema.minimum"),
    ("modelLatentDim", -1, "schema.minimum"),
    ("modelLatentDim", [128], "schema.type"),
    ("license", 3, "schema.type"),
    ("author", {"name": "Ada"}, "schema.type"),
])
def test_one_finding_per_wrong_field(field: str, value: Any, check: str) -> None:
    report = validate_manifest(manifest(**{field: value}))
    assert checks(report) == [(check, "fail", f"/{field}")]
    assert field in report.findings[0].message


def test_messages_show_the_wrong_value_briefly() -> None:
    report = validate_manifest(manifest(modelSize="64", description="x" * 5000,
                                        modelLatentDim={"a": 1}))
    messages = [finding.message for finding in report.findings]
    assert 'the string "64"' in messages[0]
    assert "an object" in messages[1]
    assert all(len(message) < 200 for message in messages)


@pytest.mark.parametrize("model", [
    "https://example.org/faces/model.json", "https://example.org/model.json?raw=true",
    "https://example.org/model.json#v2", "/models/faces/model.json",
    "//cdn.example.org/faces/model.json",
])
def test_model_locations_that_work_from_any_page(model: str) -> None:
    assert validate_manifest(manifest(model=model)).findings == []


@pytest.mark.parametrize("model", ["model.json", "./model.json"])
def test_model_in_the_same_folder_is_only_informational(model: str) -> None:
    report = validate_manifest(manifest(model=model))
    assert checks(report) == [("manifest.model-same-folder", "info", "/model")]
    assert report.status(strict=True) == "pass"


@pytest.mark.parametrize("changes, check, pointer", [
    ({"model": "model/geo/model.json"}, "manifest.model-relative-path", "/model"),
    ({"model": "../models/model.json"}, "manifest.model-relative-path", "/model"),
    ({"model": "http://example.org/model.json"}, "manifest.model-insecure-url", "/model"),
    ({"model": "https://github.com/a/b/blob/main/model.json"}, "manifest.model-github-page",
     "/model"),
    ({"modelSize": 2048, "description": "big"}, "manifest.model-size-large", "/modelSize"),
    ({"modelSize": 96, "description": "odd"}, "manifest.model-size-not-power-of-two",
     "/modelSize"),
    ({"modelSize": 128}, "manifest.description-size-mismatch", "/modelSize"),
    ({"modelLatentDim": 1}, "manifest.latent-dim-unusual", "/modelLatentDim"),
    ({"modelLatentDim": 4097}, "manifest.latent-dim-unusual", "/modelLatentDim"),
])
def test_what_ml5_trips_on_is_a_warning(changes: dict, check: str, pointer: str) -> None:
    report = validate_manifest(manifest(**changes))
    assert checks(report) == [(check, "warn", pointer)]
    assert report.findings[0].hint
    assert report.status() == "warn"


def test_strict_turns_warnings_into_failures() -> None:
    relaxed = validate_manifest(manifest(model="http://example.org/model.json"))
    strict = validate_manifest(manifest(model="http://example.org/model.json"), strict=True)
    assert relaxed.status() == "warn"
    assert strict.status() == "fail"
    assert checks(strict) == [("manifest.model-insecure-url", "fail", "/model")]


def test_no_ml5_warnings_on_top_of_a_schema_failure() -> None:
    report = validate_manifest(manifest(model="", modelSize=-3))
    assert {finding.check for finding in report.findings} == {"schema.minLength",
                                                              "schema.minimum"}


def test_description_sizes_must_agree_only_when_unambiguous() -> None:
    assert validate_manifest(manifest(description="64x64 from 256 x 256 photos")).findings == []
    assert validate_manifest(manifest(description="faces 64×64px")).findings == []
    assert validate_manifest(manifest(description="faces 640x480")).findings == []


@pytest.mark.parametrize("source, check", [
    ([FACE], "manifest.not-object"),
    (b"x", "json.syntax"),
    (b'"just a string"', "manifest.not-object"),
    (b"null", "manifest.not-object"),
    (42, "manifest.not-object"),
])
def test_top_level_non_objects_fail(source: Any, check: str) -> None:
    report = validate_manifest(source)
    assert report.status() == "fail" and report.findings[0].check == check


def test_a_model_json_is_recognised(ml5_reference: Path) -> None:
    report = validate_manifest(ml5_reference / "face" / "model.json")
    assert checks(report) == [("manifest.is-model-json", "fail", "")]


def test_json_level_warnings_are_kept() -> None:
    report = validate_manifest(b"\xef\xbb\xbf" + json.dumps(FACE).encode())
    assert checks(report) == [("json.bom", "warn", "")]


def test_unreadable_path_raises_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        validate_manifest(tmp_path / "missing.json")


def test_real_ml5_manifests(ml5_reference: Path) -> None:
    assert validate_manifest(ml5_reference / "face" / "manifest.json").status() == "pass"
    geo = validate_manifest(ml5_reference / "geo" / "manifest.json")
    assert {finding.check for finding in geo.findings} == {
        "manifest.model-relative-path", "manifest.description-size-mismatch"}


# --- never a traceback ------------------------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers() | st.text()
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=8), children, max_size=4),
                           max_leaves=20)
field_values = json_values | st.integers(-5, 5000) | st.sampled_from(
    ["model.json", "http://x/model.json", "https://x/m.json", "a/b.json", "/m.json", " ",
     "\x1b[31m", "\ud800", "64x64", "https://github.com/a/b/blob/c/m.json"])
manifests = st.dictionaries(
    st.sampled_from(["description", "model", "modelSize", "modelLatentDim", "license"])
    | st.text(max_size=8), field_values, max_size=6)


def assert_well_formed(report) -> None:
    assert report.status() in {"pass", "warn", "fail"}
    for finding in report.findings:
        assert CHECK_ID.match(finding.check) and finding.message
        assert finding.severity in {"fail", "warn", "info"}
        assert finding.hint
        assert finding.pointer == "" or finding.pointer.startswith("/")
        json.dumps(report.as_dict())


@given(json_values)
def test_any_json_value_gives_a_report(value: Any) -> None:
    assert_well_formed(validate_manifest(json.dumps(value).encode()))
    if not isinstance(value, str):  # a str source is a path
        assert_well_formed(validate_manifest(value))


@given(manifests, st.booleans())
def test_any_manifest_like_object_gives_a_report(value: dict, strict: bool) -> None:
    assert_well_formed(validate_manifest(value, strict=strict))


@given(st.binary(max_size=1000))
def test_any_bytes_give_a_report(data: bytes) -> None:
    assert_well_formed(validate_manifest(data))


# --- create -----------------------------------------------------------------------------------


def test_create_manifest_in_the_usual_order() -> None:
    created = create_manifest(description="Faces", model_size=64, latent_dim=128,
                              license="MIT", author=None)
    assert list(created) == ["description", "model", "modelSize", "modelLatentDim", "license"]
    assert created["model"] == "model.json"
    assert validate_manifest(created).status() == "pass"


@pytest.mark.parametrize("arguments, match", [
    ({"description": " ", "model_size": 64, "latent_dim": 128}, "description"),
    ({"description": "x", "model_size": 0, "latent_dim": 128}, "modelSize"),
    ({"description": "x", "model_size": 64, "latent_dim": 128, "model": "m.h5"}, "model"),
])
def test_create_manifest_refuses_invalid_values(arguments: dict, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        create_manifest(**arguments)


def test_fields_from_the_reference_model(ml5_reference: Path) -> None:
    model = read_model_json(ml5_reference / "geo" / "model.json")
    assert manifest_fields_from_model(model) == {"modelSize": 64, "modelLatentDim": 100 + 28}


def generator(*layers: dict[str, Any]) -> Any:
    first = {"class_name": "InputLayer",
             "config": {"name": "z", "batch_input_shape": [None, 16]}}
    return parse_model_json({"modelTopology": {"class_name": "Sequential",
                                               "config": [first, *layers]}})


def dense_reshape(target: list[int]) -> list[dict[str, Any]]:
    units = 1
    for dim in target:
        units *= dim
    return [{"class_name": "Dense", "config": {"name": "d", "units": units}},
            {"class_name": "Reshape", "config": {"name": "r", "target_shape": target}}]


@pytest.mark.parametrize("target, match", [
    ([8, 8, 3], "channels-first"),       # channels last: ml5-library issue 1384
    ([1, 8, 8], "channels-first"),       # grayscale
    ([3, 8, 4], "not a square"),
    ([192], "channels-first"),
])
def test_fields_from_models_ml5_cannot_draw(target: list[int], match: str) -> None:
    with pytest.raises(UserError, match=match):
        manifest_fields_from_model(generator(*dense_reshape(target)))


def test_fields_from_a_four_channel_model() -> None:
    assert manifest_fields_from_model(generator(*dense_reshape([4, 8, 8]))) == {
        "modelSize": 8, "modelLatentDim": 16}


@pytest.mark.parametrize("model", ["a" * 1_000_000, "https://x/" + "/" * 1_000_000 + "?"])
def test_huge_strings_are_checked_in_linear_time(model: str) -> None:
    start = time.perf_counter()
    report = validate_manifest(manifest(model=model, description="64x" * 333_333))
    assert time.perf_counter() - start < 2
    assert [finding.check for finding in report.findings] == ["schema.pattern"]
