"""The weight files: inside the bundle, exactly as long as the weightsManifest says, and decoded
as TF.js decodes them (uint8/uint16 dequantized, float16 widened) to look for NaN and Inf.

Sizes are checked with ``stat`` against the caps before a byte is read, and reads are capped
too, so a file that grows or a shard of 10^12 declared values costs nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..safety import FileRefused, Limits, bundle_file
from ..tfjs_model import TfjsModel, WeightGroup, WeightSpec
from .report import BundleReport, listed
from .targets import Bundle

BYTES_PER_VALUE = {"float32": 4, "int32": 4, "uint8": 1, "uint16": 2, "float16": 2}
_NUMPY_DTYPES = {"float32": "<f4", "int32": "<i4", "uint8": "<u1", "uint16": "<u2",
                 "float16": "<f2"}
_QUANTIZED = ("uint8", "uint16", "float16")


def read_weights(bundle: Bundle, model: TfjsModel, report: BundleReport,
                 limits: Limits) -> dict[str, np.ndarray] | None:
    """Every declared weight as float32 values by name, or None when the files do not allow it
    (the reasons are in the report)."""
    files = _weight_files(bundle, model, report)
    if files is None or not _stored_dtypes_known(model, report):
        return None
    sizes = [[path.stat().st_size for path in group] for group in files]
    total = sum(map(sum, sizes))
    if total > limits.bundle_bytes:
        report.add("safety.too-large", "fail", f"the weight files hold {total:,} bytes, more "
                   f"than the limit of {limits.bundle_bytes:,}", "a browser model is far smaller")
        return None
    fits = [_sizes_match(index, group, sum(group_sizes), report)
            for index, (group, group_sizes) in enumerate(zip(model.weight_groups, sizes,
                                                             strict=True))]
    if not all(fits):
        return None
    values = {}
    for group, paths, group_sizes in zip(model.weight_groups, files, sizes, strict=True):
        data = b"".join(_read(path, size) for path, size in zip(paths, group_sizes, strict=True))
        offset = 0
        for spec in group.weights:
            values[spec.name] = _decode(spec, data, offset)
            offset += _byte_size(spec)
    _check_finite(values, report)
    return values


def stored_dtype(spec: WeightSpec) -> object:
    """The dtype of the bytes in the file: the quantization's when there is one."""
    return spec.quantization.get("dtype") if spec.quantization is not None else spec.dtype


def _weight_files(bundle: Bundle, model: TfjsModel,
                  report: BundleReport) -> list[list[Path]] | None:
    base = (bundle.root / str(bundle.model_json_name)).parent
    files: list[list[Path]] = []
    missing: list[str] = []
    refused = False
    for group in model.weight_groups:
        files.append([])
        for name in group.paths:
            try:
                files[-1].append(bundle_file(bundle.root, base, name, what="weight file",
                                             missing_check="weights.shard-missing"))
            except FileRefused as refusal:
                refused = True
                if refusal.finding.check == "weights.shard-missing":
                    missing.append(name)
                else:
                    report.findings.append(refusal.finding)
    if missing:
        report.add("weights.shard-missing", "fail",
                   f"weight files missing from the bundle: {listed(missing)}",
                   "upload every file listed in weightsManifest[].paths, next to model.json")
    return None if refused else files


def _stored_dtypes_known(model: TfjsModel, report: BundleReport) -> bool:
    known = True
    for spec in model.manifest_weights:
        quantization = spec.quantization
        if quantization is None:
            known &= spec.dtype in BYTES_PER_VALUE  # else already a weights.dtype failure
            continue
        dtype, low, scale = (quantization.get(key) for key in ("dtype", "min", "scale"))
        affine = dtype in ("uint8", "uint16")
        if dtype not in _QUANTIZED or (affine and not all(
                isinstance(number, int | float) and not isinstance(number, bool)
                and math.isfinite(number) for number in (low, scale))):
            report.add("weights.quantization-invalid", "fail",
                       f"{spec.name!r} has the quantization {dict(quantization)}, which TF.js "
                       "cannot decode", 'TF.js knows {"dtype": "uint8" or "uint16", "min": '
                       'number, "scale": number} and {"dtype": "float16"}')
            known = False
    return known


def _byte_size(spec: WeightSpec) -> int:
    return spec.size * BYTES_PER_VALUE[str(stored_dtype(spec))]


def _sizes_match(index: int, group: WeightGroup, actual: int, report: BundleReport) -> bool:
    """The group's files hold exactly the bytes its weights need."""
    specs = group.weights
    needed = sum(_byte_size(spec) for spec in specs)
    if actual == needed:
        return True
    if actual < needed:
        end, cut = 0, specs[-1].name
        for spec in specs:
            end += _byte_size(spec)
            if end > actual:
                cut = spec.name
                break
        report.add("weights.shard-truncated", "fail",
                   f"the weight files of group {index + 1} hold {actual:,} bytes, its weights "
                   f"need {needed:,}: {cut!r} and the weights after it are cut off",
                   "upload the weight files again, completely (a failed or partial download?)")
    else:
        report.add("weights.shard-oversized", "fail",
                   f"the weight files of group {index + 1} hold {actual:,} bytes, "
                   f"{actual - needed:,} more than its weights need ({needed:,})",
                   "the files do not belong to this model.json, or a weight is missing from its "
                   "weightsManifest")
    return False


def _read(path: Path, size: int) -> bytes:
    with path.open("rb") as file:
        return file.read(size)


def _decode(spec: WeightSpec, data: bytes, offset: int) -> np.ndarray:
    """As tfjs-core decodes weights: value = q * scale + min, computed in double precision."""
    dtype = str(stored_dtype(spec))
    raw = np.frombuffer(data, dtype=_NUMPY_DTYPES[dtype], count=spec.size, offset=offset)
    if dtype in ("uint8", "uint16"):
        quantization = spec.quantization or {}
        raw = raw.astype(np.float64) * quantization["scale"] + quantization["min"]
    return raw.astype(np.float32).reshape(spec.shape)


def _check_finite(values: dict[str, np.ndarray], report: BundleReport) -> None:
    broken = []
    for name, array in values.items():
        nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if nan or inf:
            broken.append(f"{name!r} ({nan:,} NaN, {inf:,} infinite)")
    if broken:
        report.add("weights.not-finite", "fail",
                   f"weights hold values that are not numbers: {listed(broken, quoted=False)}",
                   "the training diverged or the file is corrupt: every output would be NaN "
                   "(a black image in ml5); export a healthy checkpoint")
