"""The hostile corpus through ``ml5-dcgan validate``: each bundle rejected by its own check, one
readable report and no traceback, nothing written outside a temporary folder, nothing fetched."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import urllib.request
from pathlib import Path

import pytest
from bundle_factory import TinyGenerator
from hostile_bundles import CASES, build, edit_model, good_bundle, layers, specs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_manifest_cli import run

from ml5_dcgan_tools.validation import Limits, validate_bundle


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry below ``folder`` (links not followed): mode, size and, for files, the
    modification time (a folder's changes when a temporary folder comes and goes in it)."""
    entries = {}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            info = os.lstat(Path(root, name))
            modified = 0 if stat.S_ISDIR(info.st_mode) else info.st_mtime_ns
            entries[os.path.relpath(Path(root, name), folder)] = (
                info.st_mode, info.st_size, modified)
    return entries


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A corpus folder, an empty working folder and an empty temporary folder for the run."""
    folders = {name: tmp_path / name for name in ("corpus", "cwd", "tmp")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.chdir(folders["cwd"])
    monkeypatch.setattr(tempfile, "tempdir", str(folders["tmp"]))
    return folders


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the validator tried to use the network")
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_hostile_bundle_fails_its_own_check(case, sandbox: dict[str, Path]) -> None:
    target = case.build(sandbox["corpus"])
    before = snapshot(sandbox["corpus"].parent)
    outcome = run("validate", "--json", "--no-numbers", str(target))
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    (line,) = outcome.stdout.splitlines()
    report = json.loads(line)
    assert report["status"] == "fail"
    assert case.check in {f["check"] for f in report["findings"] if f["severity"] == "fail"}
    assert snapshot(sandbox["corpus"].parent) == before  # tmp/ empty again, nothing else new


def test_the_untouched_bundle_passes(sandbox: dict[str, Path]) -> None:
    report = validate_bundle(good_bundle(sandbox["corpus"] / "bundle"), numbers=False)
    assert report.status(strict=True) == "pass"
    assert [f.check for f in report.findings] == ["manifest.model-same-folder", "numbers.skipped"]


def test_human_output_of_a_hostile_bundle_is_readable(sandbox: dict[str, Path]) -> None:
    target = build("symlinked-shard", sandbox["corpus"])
    outcome = run("validate", "--no-numbers", str(target))
    assert outcome.code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0] == str(target)
    assert "  FAIL  safety" in lines
    assert any("is a link to" in line and "[safety.symlink-escape]" in line for line in lines)
    assert "  SKIP  weights  (a safety check failed; the weight files were not read)" in lines
    assert lines[-1].startswith("verdict: FAIL (")


def test_zip_slip_writes_nothing_anywhere(sandbox: dict[str, Path]) -> None:
    target = build("zip-slip", sandbox["corpus"])
    validate_bundle(target, numbers=False)
    assert not list(sandbox["corpus"].parent.rglob("evil.txt"))


def test_a_remote_model_is_not_fetched_without_permission(
        sandbox: dict[str, Path], no_network: None) -> None:
    bundle = good_bundle(sandbox["corpus"] / "bundle",
                         model="https://example.org/models/tiny/model.json")
    report = validate_bundle(bundle, numbers=False)
    assert report.status() == "warn"
    checks = {f.check: f for f in report.findings}
    assert checks["source.remote-model"].severity == "warn"
    assert "--allow-network" in checks["source.remote-model"].hint
    assert "source.model-fallback" in checks  # the bundle's own model.json was checked
    assert report.status(strict=True) == "fail"


def test_files_that_carry_code_are_warned_about(sandbox: dict[str, Path]) -> None:
    bundle = good_bundle(sandbox["corpus"] / "bundle")
    (bundle / "generator.pkl").write_bytes(b"\x80\x04K\x01.")
    report = validate_bundle(bundle, numbers=False)
    assert report.status() == "warn"
    assert [f.check for f in report.findings if f.severity == "warn"] == [
        "safety.unexpected-file"]


def test_the_output_bound_is_one_rule_tanh_and_softsign_pass_sigmoid_fails(
        sandbox: dict[str, Path]) -> None:
    sigmoid = good_bundle(sandbox["corpus"] / "sigmoid", TinyGenerator(activation="sigmoid"))
    assert checks_of(validate_bundle(sigmoid, numbers=False), "fail") == [
        "contract.output-sigmoid"]
    softsign = good_bundle(sandbox["corpus"] / "softsign", TinyGenerator(activation="softsign"))
    assert validate_bundle(softsign, numbers=False).status() == "pass"


def test_a_non_square_output_is_a_warning(sandbox: dict[str, Path]) -> None:
    wide = good_bundle(sandbox["corpus"] / "wide")
    edit_model(wide, lambda document: layers(document)[2]["config"].update(
        target_shape=[2, 8, 3]))
    assert "contract.not-square" in checks_of(validate_bundle(wide, numbers=False), "warn")


def test_only_so_many_files_are_looked_at(sandbox: dict[str, Path]) -> None:
    bundle = good_bundle(sandbox["corpus"] / "bundle")
    report = validate_bundle(bundle, numbers=False, limits=Limits(files=2))
    assert checks_of(report, "warn") == ["safety.too-many-files"]


def checks_of(report, severity: str) -> list[str]:
    return [f.check for f in report.findings if f.severity == severity]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=8), children, max_size=3),
    max_leaves=6)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(["layer", "weight"]), index=st.integers(0, 3),
       key=st.sampled_from(["units", "activation", "target_shape", "dims", "name",
                            "batch_input_shape", "axis", "shape", "dtype", "quantization"]),
       value=JSON_VALUES)
def test_any_value_anywhere_gives_a_report_not_an_exception(tmp_path_factory, where, index, key,
                                                            value):
    bundle = good_bundle(tmp_path_factory.mktemp("fuzz") / "bundle", quantization="uint8")

    def mutate(document: dict) -> None:
        if where == "layer":
            entries = layers(document)
            entries[index % len(entries)]["config"][key] = value
        else:
            entries = specs(document)
            entries[index % len(entries)][key] = value
    edit_model(bundle, mutate)
    report = validate_bundle(bundle, numbers=False)
    assert report.status() in ("pass", "warn", "fail")
