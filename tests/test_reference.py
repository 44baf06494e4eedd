"""reference.json from strangers: every malformation is one readable error, and its tolerance
is read (issue 9: it used to be written and never read, and "outputs": 5 was a TypeError)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hostile_bundles import good_bundle
from hosting import tiny_bundle

from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.reference import (
    FORMAT,
    Reference,
    ReferenceInvalid,
    read_reference,
    write_reference,
)
from ml5_dcgan_tools.validation import validate_bundle
from ml5_dcgan_tools.web.browser_check import _latents_and_outputs


def _written(folder: Path, tolerance: float = 1e-4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    latents = np.arange(6, dtype=np.float32).reshape(2, 3)
    outputs = np.linspace(-1, 1, 2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    write_reference(folder, Reference(latents, outputs), tolerance)
    return folder / "reference.json"


def test_a_written_reference_reads_back_with_its_tolerance(tmp_path):
    reference = read_reference(_written(tmp_path, tolerance=3e-5))
    assert reference.latents.shape == (2, 3) and reference.outputs.shape == (2, 3, 2, 2)
    assert reference.tolerance == pytest.approx(3e-5)


def test_label_rows_read_back_and_old_references_have_none(tmp_path):
    latents = np.zeros((2, 3), np.float32)
    rows = np.array([[1, 0], [0.25, 0.75]], np.float32)
    write_reference(tmp_path, Reference(latents, np.zeros((2, 3, 1, 1), np.float32), labels=rows),
                    1e-4)
    np.testing.assert_array_equal(read_reference(tmp_path / "reference.json").labels, rows)
    assert read_reference(_written(tmp_path / "old")).labels is None


BROKEN = {
    "outputs-a-number": lambda d: d.update(outputs=5),
    "outputs-file-a-list": lambda d: d["outputs"].update(file=["x"]),
    "shape-a-string": lambda d: d["outputs"].update(shape="2,3,2,2"),
    "shape-of-floats": lambda d: d["outputs"].update(shape=[2, 3.5, 2, 2]),
    "shape-empty": lambda d: d["outputs"].update(shape=[]),
    "shape-huge": lambda d: d["outputs"].update(shape=[2, 2**30, 2**30, 4]),
    "latents-ragged": lambda d: d.update(latents=[[1.0, 2.0, 3.0], [1.0]]),
    "latents-strings": lambda d: d.update(latents=[["a", "b", "c"]] * 2),
    "latents-empty": lambda d: d.update(latents=[]),
    "latents-missing": lambda d: d.pop("latents"),
    "labels-ragged": lambda d: d.update(labels=[[1.0, 0.0], [1.0]]),
    "labels-one-row-for-two-latents": lambda d: d.update(labels=[[1.0, 0.0]]),
    "labels-not-finite": lambda d: d.update(labels=[[1.0, float("nan")]] * 2),
    "tolerance-negative": lambda d: d.update(tolerance=-1),
    "tolerance-a-string": lambda d: d.update(tolerance="1e-4"),
    "wrong-format": lambda d: d.update(format="something/else@1"),
    "top-level-list": None,
}


@pytest.mark.parametrize("case", BROKEN)
def test_every_malformed_reference_is_one_readable_error(tmp_path, case):
    path = _written(tmp_path)
    document = json.loads(path.read_text())
    if BROKEN[case] is None:
        document = [document]
    else:
        BROKEN[case](document)
    path.write_text(json.dumps(document))
    with pytest.raises(ReferenceInvalid) as raised:
        read_reference(path)
    assert "\n" not in str(raised.value) and str(raised.value)


def test_not_json_at_all_is_one_readable_error(tmp_path):
    path = _written(tmp_path)
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(ReferenceInvalid):
        read_reference(path)


def test_browser_check_refuses_a_malformed_reference_in_one_line(tmp_path):
    bundle = good_bundle(tmp_path / "bundle")
    (bundle / "reference.json").write_text(json.dumps(
        {"format": FORMAT, "latents": [[0.0] * 8], "outputs": 5}))
    manifest = json.loads((bundle / "manifest.json").read_text())
    with pytest.raises(UsageError, match=r"reference\.json is unreadable"):
        _latents_and_outputs(bundle, manifest)


def test_browser_check_refuses_labels_that_disagree_with_the_manifest(tmp_path):
    bundle = tiny_bundle(tmp_path / "bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    with pytest.raises(UsageError, match=r"label rows for 0 classes but manifest\.json names 2"):
        _latents_and_outputs(bundle, {**manifest, "modelLabels": ["a", "b"]})


def test_browser_check_without_reference_draws_every_label(tmp_path):
    bundle = good_bundle(tmp_path / "bundle")
    manifest = {**json.loads((bundle / "manifest.json").read_text()),
                "modelLabels": ["a", "b", "c"]}
    latents, rows, outputs = _latents_and_outputs(bundle, manifest)
    assert outputs is None and len(latents) == 3
    np.testing.assert_array_equal(rows, np.eye(3))


@pytest.mark.slow
def test_a_reference_with_outputs_a_number_fails_validation_without_a_traceback(tmp_path):
    bundle = good_bundle(tmp_path / "bundle")
    (bundle / "reference.json").write_text(json.dumps(
        {"format": FORMAT, "latents": [[0.0] * 8], "outputs": 5}))
    report = validate_bundle(bundle, runtimes=(), numbers=True)
    assert "numbers.reference-invalid" in [f.check for f in report.findings]
