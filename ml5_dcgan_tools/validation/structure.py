"""model.json checks: it parses, its topology has shapes, and its weightsManifest declares
exactly the weights the topology needs (TF.js matches them strictly by ``<layer>/<weight>``)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from ..errors import UsageError
from ..jsonio import read_json
from ..safety import Limits
from ..tfjs_model import ModelFormatError, TfjsModel, format_shape, parse_model_json
from .report import BundleReport, listed, scoped


def read_model(path: Path, report: BundleReport, limits: Limits) -> TfjsModel | None:
    """The parsed model.json, or None after recording why it cannot be used."""
    try:
        result = read_json(path, max_bytes=limits.model_json_bytes, what="model.json")
    except UsageError as error:
        report.add("model.unreadable", "fail", str(error), "check the file's permissions")
        return None
    report.findings.extend(scoped(result.findings, "model"))
    if not result.ok:
        return None
    try:
        return parse_model_json(result.value)
    except ModelFormatError as error:
        report.add("model.invalid", "fail", error.what, error.fix or "")
        return None


def check_topology(model: TfjsModel, report: BundleReport, limits: Limits) -> bool:
    """Shapes and weights follow from the topology, within the size caps; False if not."""
    try:
        shapes = model.layer_shapes
        parameters = model.parameter_count
    except ModelFormatError as error:
        report.add("model.invalid", "fail", error.what, error.fix or "")
        return False
    for name, layer_shapes in shapes.items():
        elements = math.prod(dim for dim in layer_shapes.output[1:] if dim is not None)
        if elements > limits.activation_elements:
            report.add("safety.too-many-elements", "fail",
                       f"layer {name!r} outputs {format_shape(layer_shapes.output)}, "
                       f"{elements:,} values per image (the limit is "
                       f"{limits.activation_elements:,})",
                       "a generator that runs in a browser is far smaller")
            return False
    if parameters > limits.weight_elements:
        report.add("safety.too-many-elements", "fail",
                   f"the topology needs {parameters:,} weights (the limit is "
                   f"{limits.weight_elements:,})", "a generator that runs in a browser is far "
                   "smaller")
        return False
    return True


def check_weight_specs(model: TfjsModel, report: BundleReport, limits: Limits) -> None:
    """The weightsManifest against the topology: names, shapes, dtypes, sizes, duplicates."""
    declared = model.manifest_weights
    too_big = [spec.name for spec in declared if spec.size > limits.weight_elements]
    if too_big or sum(spec.size for spec in declared) > limits.weight_elements:
        report.add("safety.too-many-elements", "fail",
                   f"the weightsManifest declares more than {limits.weight_elements:,} values"
                   + (f" ({listed(too_big)})" if too_big else ""),
                   "check the shapes in weightsManifest")
    duplicates = [name for name, count in Counter(spec.name for spec in declared).items()
                  if count > 1]
    if duplicates:
        report.add("weights.duplicate", "fail",
                   f"the weightsManifest declares {listed(duplicates)} more than once",
                   "declare each weight once; TF.js would load one and ignore the other")
    not_float = [f"{spec.name} ({spec.dtype})" for spec in declared if spec.dtype != "float32"]
    if not_float:
        report.add("weights.dtype", "fail", f"weights of a layers model are float32, these are "
                   f"not: {listed(not_float)}", "store the weights as float32 (quantized "
                   "weights keep dtype float32 and add a quantization entry)")
    expected = {spec.name: spec.shape for spec in model.expected_weights}
    given = {spec.name: spec.shape for spec in declared}
    unexpected = [name for name in given if name not in expected]
    if unexpected:
        report.add("weights.unexpected", "fail",
                   f"the topology has no weight {listed(unexpected)}; TF.js fails with "
                   '"Provided weight data has no target variable"',
                   "weight names are <layer name>/<kernel|bias|gamma|beta|moving_mean|"
                   "moving_variance> and must match the topology's layer names")
    missing = [name for name in expected if name not in given]
    if missing:
        report.add("weights.missing", "fail",
                   f"the weightsManifest lacks {listed(missing)}, which the topology needs",
                   "export the model again with all its weights")
    wrong = [f"{name} is {format_shape(given[name])}, the topology needs "
             f"{format_shape(shape)}" for name, shape in expected.items()
             if name in given and given[name] != shape]
    if wrong:
        report.add("weights.shape-mismatch", "fail", listed(wrong, quoted=False, separator="; "),
                   "the weights belong to another model, or the topology was edited")
