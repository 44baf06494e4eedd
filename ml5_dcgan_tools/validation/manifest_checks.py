"""manifest.json checks: the schema and ml5's pitfalls (shared with ``manifest validate``), and
whether the manifest describes the model it comes with."""

from __future__ import annotations

import math
from typing import Any

from ..contract import image_side
from ..manifest import validate_manifest
from ..tfjs_model import TfjsModel, format_shape
from .report import BundleReport, scoped


def check_manifest(manifest: Any, report: BundleReport) -> None:
    """The schema and ml5's pitfalls, with ids renamed into the manifest stage."""
    report.findings.extend(scoped(validate_manifest(manifest).findings, "manifest"))


def check_consistency(manifest: Any, model: TfjsModel, report: BundleReport) -> None:
    """``modelLatentDim`` and ``modelSize`` against the model's input and output shapes."""
    if not isinstance(manifest, dict):
        return
    latent, size = manifest.get("modelLatentDim"), manifest.get("modelSize")
    inputs, outputs = model.input_shapes, model.output_shapes
    if _whole(latent) and len(inputs) == 1 and len(inputs[0]) == 2 \
            and inputs[0][1] not in (None, latent):
        report.add("manifest.latent-mismatch", "fail",
                   f"modelLatentDim is {int(latent)} but the model's input is "
                   f"{format_shape(inputs[0])}: ml5 samples latents of the wrong length and "
                   "predict() fails", f"set modelLatentDim to {inputs[0][1]}", "/modelLatentDim")
    side = image_side(outputs[0]) if len(outputs) == 1 else None
    if _whole(size) and side is not None and side != size:
        report.add("manifest.size-mismatch", "fail",
                   f"modelSize is {int(size)} but the model generates {side}x{side} images "
                   f"({format_shape(outputs[0])}); ml5 0.12.2 ignores modelSize, but sketches "
                   "and galleries size their canvas by it", f"set modelSize to {side}",
                   "/modelSize")


def _whole(value: Any) -> bool:
    """A whole number as JSON Schema's ``integer`` reads it: 64 and 64.0 alike."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value == int(value))
