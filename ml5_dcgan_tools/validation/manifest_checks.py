"""manifest.json checks: the schema and ml5's pitfalls (shared with ``manifest validate``), and
whether the manifest describes the model it comes with."""

from __future__ import annotations

import math
from typing import Any

from ..contract import image_side
from ..manifest import validate_manifest
from ..tfjs_model import TfjsModel, format_shape
from .contract_checks import input_widths
from .report import BundleReport, scoped


def check_manifest(manifest: Any, report: BundleReport) -> None:
    """The schema and ml5's pitfalls, with ids renamed into the manifest stage."""
    report.findings.extend(scoped(validate_manifest(manifest).findings, "manifest"))


def check_consistency(manifest: Any, model: TfjsModel, report: BundleReport) -> None:
    """``modelLatentDim``, ``modelLabels`` and ``modelSize`` against the model's input and output
    shapes."""
    if not isinstance(manifest, dict):
        return
    latent, size = manifest.get("modelLatentDim"), manifest.get("modelSize")
    inputs, outputs = model.input_shapes, model.output_shapes
    widths = input_widths(model)
    if _whole(latent) and widths is not None and widths[0] != latent:
        report.add("manifest.latent-mismatch", "fail",
                   f"modelLatentDim is {int(latent)} but the model's input is "
                   f"{format_shape(inputs[0])}: ml5 samples latents of the wrong length and "
                   "predict() fails", f"set modelLatentDim to {widths[0]}", "/modelLatentDim")
    if widths is not None:
        _check_labels(manifest.get("modelLabels"), widths[1], report)
    side = image_side(outputs[0]) if len(outputs) == 1 else None
    if _whole(size) and side is not None and side != size:
        report.add("manifest.size-mismatch", "fail",
                   f"modelSize is {int(size)} but the model generates {side}x{side} images "
                   f"({format_shape(outputs[0])}); ml5 0.12.2 ignores modelSize, but sketches "
                   "and galleries size their canvas by it", f"set modelSize to {side}",
                   "/modelSize")


def _check_labels(labels: Any, label_count: int, report: BundleReport) -> None:
    """modelLabels names the columns of the label input: one name each, or none at all.

    A labelled model without modelLabels fails: the loader learns the classes only from it, so
    it could neither name them nor build a label, and every generate() would fail."""
    if not isinstance(labels, list):  # absent, or a wrong type the schema already failed
        if labels is None and label_count:
            report.add("manifest.labels-missing", "fail",
                       f"the model takes a label input of {label_count} classes but the "
                       "manifest has no modelLabels: ml5-dcgan.js cannot name or pass a label",
                       f"list the {label_count} class names in modelLabels, in the order of "
                       "the label input", "/modelLabels")
        return
    if not label_count:
        report.add("manifest.labels-unused", "fail",
                   f"modelLabels lists {len(labels)} classes but the model has no label input",
                   "remove modelLabels, or export the labelled generator", "/modelLabels")
    elif len(labels) != label_count:
        report.add("manifest.labels-mismatch", "fail",
                   f"modelLabels lists {len(labels)} classes but the model's label input takes "
                   f"{label_count}: labels would select the wrong images or fail",
                   f"list exactly {label_count} class names, in the order of the label input",
                   "/modelLabels")


def _whole(value: Any) -> bool:
    """A whole number as JSON Schema's ``integer`` reads it: 64 and 64.0 alike."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value == int(value))
