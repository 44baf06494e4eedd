"""sample_manifests/: every sample gets the verdict and finding that expected.json promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml5_dcgan_tools.manifest import validate_manifest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_manifests"
EXPECTED: dict[str, dict[str, str]] = json.loads((SAMPLES / "expected.json").read_text())
FOLDER_STATUSES = {"valid": {"pass", "warn"}, "warn": {"warn"}, "invalid": {"fail"}}


def test_every_sample_has_an_expectation_and_vice_versa() -> None:
    on_disk = {path.relative_to(SAMPLES).as_posix() for path in SAMPLES.rglob("*.json")}
    assert on_disk - {"expected.json"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    expected = EXPECTED[name]
    assert expected["status"] in FOLDER_STATUSES[name.split("/")[0]]
    report = validate_manifest(SAMPLES / name)
    assert report.status() == expected["status"], report.findings
    if "check" in expected:
        found = {(finding.check, finding.pointer) for finding in report.findings}
        assert (expected["check"], expected["pointer"]) in found, report.findings
    if expected["status"] == "warn":
        assert report.status(strict=True) == "fail"


def test_ml5s_real_manifests_are_kept_byte_for_byte(ml5_reference: Path) -> None:
    for name in ("face", "geo"):
        copy = (SAMPLES / "valid" / f"ml5-{name}.json").read_bytes()
        assert copy == (ml5_reference / name / "manifest.json").read_bytes()
