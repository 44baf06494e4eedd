"""``ml5-dcgan manifest validate|create``: output, JSON report, exit codes, never a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.jsonio import load_schema

GOOD = {"description": "DCGAN, human faces, 64x64",
        "model": "https://example.org/models/faces/model.json",
        "modelSize": 64, "modelLatentDim": 128}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run(*args: str, stdin: bytes | None = None) -> Outcome:
    """Run the real entry point (with its error handling) as the console script would."""
    with CliRunner().isolation(input=stdin) as (stdout, stderr, _):
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code
        else:  # pragma: no cover - main always exits
            code = 0
    outcome = Outcome(code if isinstance(code, int) else 1, stdout.getvalue().decode(),
                      stderr.getvalue().decode())
    assert "Traceback" not in outcome.stdout + outcome.stderr
    return outcome


def write(path: Path, content: dict | str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def assert_valid_report(text: str) -> dict:
    report = json.loads(text)
    jsonschema.Draft202012Validator(load_schema("manifest-report.schema.json")).validate(report)
    return report


# --- validate ---------------------------------------------------------------------------------


def test_a_good_manifest(tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.json", GOOD)
    outcome = run("manifest", "validate", str(path))
    assert outcome.code == 0
    assert outcome.stdout == f"OK    {path}\n"


def test_a_failing_manifest_shows_pointer_message_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.json", {**GOOD, "modelLatentDim": None})
    outcome = run("manifest", "validate", str(path))
    assert outcome.code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0] == f"FAIL  {path}"
    assert lines[1].split() [:2] == ["fail", "/modelLatentDim"]
    assert "[schema.type]" in lines[1]
    assert lines[2].strip().startswith("hint: ml5 needs it to sample latents")


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.json", {**GOOD, "model": "models/faces/model.json"})
    relaxed = run("manifest", "validate", str(path))
    assert relaxed.code == 0 and relaxed.stdout.startswith("WARN  ")
    assert "manifest.model-relative-path" in relaxed.stdout
    strict = run("manifest", "validate", "--strict", str(path))
    assert strict.code == 1 and strict.stdout.startswith("FAIL  ")


def test_any_failure_makes_the_exit_code_1(tmp_path: Path) -> None:
    good = write(tmp_path / "a.json", GOOD)
    bad = write(tmp_path / "b.json", "{")
    outcome = run("manifest", "validate", str(good), str(bad))
    assert outcome.code == 1
    assert outcome.stdout.splitlines()[-1] == (
        "2 checked: 1 OK, 0 WARN, 1 FAIL; 0 skipped, 0 unreadable")


def test_folders_are_searched_recursively_and_model_json_skipped(
        tmp_path: Path, ml5_reference: Path) -> None:
    write(tmp_path / "faces" / "manifest.json", GOOD)
    write(tmp_path / "faces" / "model.json", (ml5_reference / "face" / "model.json").read_bytes())
    write(tmp_path / "deep" / "er" / "other.JSON", GOOD)
    write(tmp_path / ".git" / "config.json", "not json")
    write(tmp_path / "notes.txt", "not json")
    outcome = run("manifest", "validate", str(tmp_path))
    assert outcome.code == 0, outcome.stdout
    assert outcome.stdout.splitlines() == [
        f"OK    {tmp_path / 'deep' / 'er' / 'other.JSON'}",
        f"OK    {tmp_path / 'faces' / 'manifest.json'}",
        f"SKIP  {tmp_path / 'faces' / 'model.json'}  (a TF.js model.json, not a manifest)",
        "2 checked: 2 OK, 0 WARN, 0 FAIL; 1 skipped, 0 unreadable",
    ]


def test_a_model_json_named_explicitly_fails(ml5_reference: Path) -> None:
    outcome = run("manifest", "validate", str(ml5_reference / "geo" / "model.json"))
    assert outcome.code == 1 and "manifest.is-model-json" in outcome.stdout


def test_standard_input(tmp_path: Path) -> None:
    outcome = run("manifest", "validate", "-", stdin=json.dumps(GOOD).encode())
    assert (outcome.code, outcome.stdout) == (0, "OK    <stdin>\n")


def test_endless_standard_input_is_capped() -> None:
    outcome = run("manifest", "validate", "-", stdin=b" " * (3 * 1024 * 1024))
    assert outcome.code == 1 and "json.too-large" in outcome.stdout


@pytest.mark.parametrize("make_path, message", [
    (lambda tmp: tmp / "missing.json", "does not exist"),
    (lambda tmp: tmp, "no .json files"),
])
def test_unusable_paths_exit_2_with_one_line(tmp_path: Path, make_path, message) -> None:
    outcome = run("manifest", "validate", str(make_path(tmp_path)))
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith("error: ") and message in outcome.stderr
    assert outcome.stderr.count("\n") == 1


def test_no_path_is_a_usage_error() -> None:
    assert run("manifest", "validate").code == 2


def test_unreadable_file_exits_2_after_checking_the_others(tmp_path: Path, monkeypatch) -> None:
    good = write(tmp_path / "a.json", GOOD)
    secret = write(tmp_path / "b.json", GOOD)
    original_open = Path.open

    def guarded_open(self, *args, **kwargs):
        if self == secret:
            raise PermissionError(13, "Permission denied", str(self))
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    outcome = run("manifest", "validate", str(good), str(secret))
    assert outcome.code == 2
    assert f"OK    {good}" in outcome.stdout
    assert f"ERROR {secret}" in outcome.stdout and "permission" in outcome.stdout
    report = assert_valid_report(run("manifest", "validate", "--json", str(good),
                                     str(secret)).stdout)
    assert report["errors"][0]["target"] == str(secret)
    assert report["summary"]["errors"] == 1


def test_json_report_matches_its_schema(tmp_path: Path, ml5_reference: Path) -> None:
    write(tmp_path / "good.json", GOOD)
    write(tmp_path / "warn.json", {**GOOD, "model": "http://example.org/model.json"})
    write(tmp_path / "bad.json", {"description": ""})
    write(tmp_path / "model.json", (ml5_reference / "face" / "model.json").read_bytes())
    outcome = run("manifest", "validate", "--json", str(tmp_path))
    assert outcome.code == 1
    report = assert_valid_report(outcome.stdout)
    assert report["status"] == "fail" and report["strict"] is False
    assert report["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skipped": 1, "errors": 0}
    by_target = {Path(entry["target"]).name: entry for entry in report["reports"]}
    assert by_target["warn.json"]["findings"][0]["check"] == "manifest.model-insecure-url"
    assert report["skipped"] == [{"target": str(tmp_path / "model.json"),
                                  "message": "a TF.js model.json"}]


def test_json_report_in_strict_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "warn.json", {**GOOD, "model": "http://example.org/model.json"})
    outcome = run("manifest", "validate", "--json", "--strict", str(path))
    report = assert_valid_report(outcome.stdout)
    assert outcome.code == 1 and report["strict"] is True
    assert report["reports"][0]["findings"][0]["severity"] == "fail"


def test_a_folder_of_model_json_only_has_no_manifest(tmp_path: Path,
                                                     ml5_reference: Path) -> None:
    write(tmp_path / "model.json", (ml5_reference / "face" / "model.json").read_bytes())
    outcome = run("manifest", "validate", str(tmp_path))
    assert outcome.code == 2 and "no manifest found" in outcome.stderr


def test_hostile_text_cannot_reach_the_terminal(tmp_path: Path) -> None:
    path = write(tmp_path / "evil\x1b[2J.json",
                 '{"description": 1, "model": "\\u001b[31m\\ud800", "modelSize": "\\u202e"}')
    outcome = run("manifest", "validate", str(tmp_path))
    assert outcome.code == 1
    assert "\x1b" not in outcome.stdout and "\u202e" not in outcome.stdout
    assert "\\u001b" in outcome.stdout
    outcome.stdout.encode("utf-8")  # no lone surrogates
    assert path.exists()


@settings(max_examples=40)
@given(st.binary(max_size=300))
def test_any_bytes_on_standard_input_give_a_verdict(data: bytes) -> None:
    outcome = run("manifest", "validate", "-", stdin=data)
    assert outcome.code in (0, 1)
    assert outcome.stdout.split()[0] in {"OK", "WARN", "FAIL"}


@settings(max_examples=40)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.sampled_from(list(GOOD)) | st.text(max_size=5),
                                      children, max_size=5), max_leaves=12))
def test_any_json_on_standard_input_gives_a_schema_valid_report(value) -> None:
    outcome = run("manifest", "validate", "--json", "-", stdin=json.dumps(value).encode())
    assert outcome.code in (0, 1)
    assert_valid_report(outcome.stdout)


def test_help_has_examples() -> None:
    outcome = run("manifest", "validate", "--help")
    assert outcome.code == 0 and "Examples:" in outcome.stdout and "--strict" in outcome.stdout
    assert "Examples:" in run("manifest", "create", "--help").stdout
    assert "manifest" in run("--help").stdout


# --- create -----------------------------------------------------------------------------------


def test_create_prints_a_valid_manifest() -> None:
    outcome = run("manifest", "create", "--description", "Faces", "--size", "64",
                  "--latent-dim", "128", "--model", "https://example.org/faces/model.json",
                  "--license", "MIT", "--author", "Ada")
    assert outcome.code == 0 and outcome.stderr == ""
    assert json.loads(outcome.stdout) == {
        "description": "Faces", "model": "https://example.org/faces/model.json",
        "modelSize": 64, "modelLatentDim": 128, "license": "MIT", "author": "Ada"}


def test_create_mentions_the_same_folder_default() -> None:
    outcome = run("manifest", "create", "--description", "Faces", "--size", "64",
                  "--latent-dim", "128")
    assert outcome.code == 0 and json.loads(outcome.stdout)["model"] == "model.json"
    assert outcome.stderr.startswith("info: ")


def test_create_writes_atomically_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "manifest.json"
    arguments = ("manifest", "create", "--description", "Faces", "--size", "64",
                 "--latent-dim", "128", "--out", str(out))
    assert run(*arguments).code == 0
    assert run("manifest", "validate", str(out)).code == 0
    again = run(*arguments)
    assert again.code == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert run(*arguments, "--force").code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["manifest.json"]


def test_create_from_model(ml5_reference: Path) -> None:
    outcome = run("manifest", "create", "--description", "Aerial images, 64x64",
                  "--from-model", str(ml5_reference / "geo" / "model.json"))
    assert outcome.code == 0
    created = json.loads(outcome.stdout)
    assert (created["modelSize"], created["modelLatentDim"]) == (64, 128)


def test_create_from_model_agrees_with_matching_options(ml5_reference: Path) -> None:
    outcome = run("manifest", "create", "--description", "Faces", "--size", "64",
                  "--latent-dim", "128", "--from-model", str(ml5_reference / "face" / "model.json"))
    assert outcome.code == 0


def test_create_refuses_a_size_the_model_contradicts(ml5_reference: Path) -> None:
    outcome = run("manifest", "create", "--description", "Aerial images", "--size", "128",
                  "--from-model", str(ml5_reference / "geo" / "model.json"))
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr.count("\n") == 1
    assert "--size 128 contradicts the model, whose modelSize is 64" in outcome.stderr


def test_create_refuses_a_model_ml5_cannot_draw(tmp_path: Path) -> None:
    channels_last = {"modelTopology": {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "units": 192,
                                           "batch_input_shape": [None, 16]}},
        {"class_name": "Reshape", "config": {"name": "r", "target_shape": [8, 8, 3]}}]}}
    path = write(tmp_path / "model.json", channels_last)
    outcome = run("manifest", "create", "--description", "x", "--from-model", str(path))
    assert outcome.code == 1 and "channels-first" in outcome.stderr


@pytest.mark.parametrize("arguments, message", [
    (("--description", "Faces", "--size", "64"), "--latent-dim"),
    (("--description", "Faces", "--size", "0", "--latent-dim", "128"), "--size"),
    (("--description", "   ", "--size", "64", "--latent-dim", "128"), "whitespace"),
    (("--description", "x", "--size", "64", "--latent-dim", "128", "--model", "m.h5"),
     "model"),
    (("--description", "x", "--from-model", "missing/model.json"), "does not exist"),
    (("--size", "64", "--latent-dim", "128"), "--description"),
])
def test_create_usage_errors(arguments: tuple[str, ...], message: str) -> None:
    outcome = run("manifest", "create", *arguments)
    assert outcome.code == 2 and message in outcome.stderr and outcome.stdout == ""
