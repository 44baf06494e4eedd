"""Issue 24, part 3, without TensorFlow: the manifest's modelLabels (schema, create, `manifest
validate`), the reference's labels, and which inputs make a generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ml5_dcgan_tools.cli import cli
from ml5_dcgan_tools.contract import generator_inputs
from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.manifest import create_manifest, validate_manifest
from ml5_dcgan_tools.reference import (
    Reference,
    ReferenceInvalid,
    read_reference,
    reference_labels,
    write_reference,
)

BASE = {"description": "DCGAN, shapes, 16x16", "model": "model.json", "modelSize": 16,
        "modelLatentDim": 16}


def test_create_manifest_adds_model_labels_after_the_ml5_fields() -> None:
    manifest = create_manifest(description="d", model_size=16, latent_dim=8,
                               labels=["cats", "dogs"])
    assert list(manifest) == ["description", "model", "modelSize", "modelLatentDim",
                              "modelLabels"]
    assert manifest["modelLabels"] == ["cats", "dogs"]
    assert "modelLabels" not in create_manifest(description="d", model_size=16, latent_dim=8)
    with pytest.raises(UsageError, match="names a class twice"):
        create_manifest(description="d", model_size=16, latent_dim=8, labels=["a", "a"])


@pytest.mark.parametrize("labels, message", [
    (["cats", "cats"], 'modelLabels names a class twice: ["cats", "cats"]'),
    (["cats", ""], "modelLabels[1] is empty or only whitespace"),
    (["  "], "modelLabels[0] is empty or only whitespace"),
    ([], "modelLabels is empty"),
    ("cats", 'modelLabels must be an array, not the string "cats"'),
    (["cats", 3], "modelLabels[1] must be a string, not 3"),
])
def test_bad_model_labels_fail_in_one_line(labels, message: str) -> None:
    report = validate_manifest({**BASE, "modelLabels": labels})
    failures = [finding for finding in report.findings if finding.severity == "fail"]
    assert len(failures) == 1 and failures[0].message.startswith(message), failures
    assert failures[0].pointer.startswith("/modelLabels")


def test_good_model_labels_pass_and_old_manifests_are_unchanged() -> None:
    assert validate_manifest({**BASE, "modelLabels": ["circle", "square"]}).status() == "pass"
    assert validate_manifest(BASE).status() == "pass"


def test_manifest_validate_cli_reports_bad_labels_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({**BASE, "modelLabels": ["cats", "cats"]}))
    result = CliRunner().invoke(cli, ["manifest", "validate", str(path)])
    assert result.exit_code != 0
    assert "modelLabels names a class twice" in result.output
    assert "Traceback" not in result.output


def test_reference_labels_cycle_through_the_classes() -> None:
    np.testing.assert_array_equal(reference_labels(5, 2),
                                  [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]])
    assert reference_labels(3, 4).shape == (3, 4)


def test_a_reference_round_trips_its_labels(tmp_path: Path) -> None:
    latents = np.arange(6, dtype=np.float32).reshape(3, 2)
    outputs = np.zeros((3, 3, 2, 2), dtype=np.float32)
    labels = reference_labels(3, 3)
    write_reference(tmp_path, Reference(latents, outputs, labels=labels), 1e-4)
    assert json.loads((tmp_path / "reference.json").read_text())["labels"][1] == [0, 1, 0]
    read = read_reference(tmp_path / "reference.json")
    np.testing.assert_array_equal(read.labels, labels)
    assert [array.shape for array in read.inputs] == [(3, 2), (3, 3)]


def test_an_unlabelled_reference_has_no_labels_key(tmp_path: Path) -> None:
    latents = np.ones((2, 2), dtype=np.float32)
    write_reference(tmp_path, Reference(latents, np.zeros((2, 3, 2, 2), np.float32)), 1e-4)
    assert "labels" not in json.loads((tmp_path / "reference.json").read_text())
    read = read_reference(tmp_path / "reference.json")
    assert read.labels is None and read.inputs is read.latents


@pytest.mark.parametrize("labels, message", [
    ([[1, 0]], "2 latents but 1 label rows"),
    ([[1, 0], [0]], '"labels" must be a non-empty list of equally long lists of numbers'),
    ("one-hot", '"labels" must be a non-empty list'),
])
def test_bad_reference_labels_are_one_readable_error(tmp_path: Path, labels,
                                                     message: str) -> None:
    latents = np.ones((2, 2), dtype=np.float32)
    write_reference(tmp_path, Reference(latents, np.zeros((2, 3, 2, 2), np.float32)), 1e-4)
    document = json.loads((tmp_path / "reference.json").read_text())
    document["labels"] = labels
    (tmp_path / "reference.json").write_text(json.dumps(document))
    with pytest.raises(ReferenceInvalid, match=message):
        read_reference(tmp_path / "reference.json")


@pytest.mark.parametrize("names, shapes, widths", [
    (["z"], [(None, 16)], (16, 0)),
    (["latent", "label"], [(None, 16), (None, 3)], (16, 3)),
    (["latent", "style"], [(None, 16), (None, 3)], None),
    (["latent", "label", "x"], [(None, 16), (None, 3), (None, 2)], None),
    (["latent", "label"], [(None, 16), (None, 3, 1)], None),
    (["z"], [(None, None)], None),
    ([], [], None),
])
def test_which_inputs_make_a_generator(names, shapes, widths) -> None:
    assert generator_inputs(names, shapes) == widths
