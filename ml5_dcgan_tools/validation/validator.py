"""``validate_bundle``: every check on one bundle, in order, each stage only when it can run.

A stage that cannot run because an earlier one failed is reported as skipped (info), so a
report always says what was and was not checked. Only the numbers stage imports TensorFlow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

from ..contract import TFJS_VERSIONS
from ..errors import UsageError
from ..jsonio import printable
from ..safety import Limits
from ..tfjs_model import TfjsModel
from .contract_checks import (
    check_cpu_batchnorm,
    check_layers,
    check_quantization,
    check_shapes,
    input_widths,
)
from .editor_limits import check_editor_limits
from .manifest_checks import check_consistency, check_manifest
from .numbers import NumbersOptions, check_numbers
from .report import BundleReport
from .structure import check_topology, check_weight_specs, read_model
from .targets import Bundle, open_bundle
from .weight_files import read_weights

_NUMBERS_BLOCKERS = ("contract.unsupported-activation",)


def validate_bundle(path: str | os.PathLike[str], *, runtimes: Iterable[str] = TFJS_VERSIONS,
                    reference: str | os.PathLike[str] | None = None, atol: float | None = None,
                    allow_network: bool = False, numbers: bool = True,
                    limits: Limits | None = None) -> BundleReport:
    """Check a bundle folder, manifest.json, model.json or .zip of a bundle.

    ``runtimes``: the TF.js versions to run it in (empty: none). ``reference``: a reference.json
    to compare with instead of the bundle's own. ``atol``: the largest abs difference allowed
    between Python, the reference and TF.js (None: the reference's recorded tolerance, at most
    :data:`~ml5_dcgan_tools.contract.RUNTIME_ATOL`). ``allow_network``: fetch a model the
    manifest names by URL. ``numbers=False`` skips the Keras rebuild and TF.js (no TensorFlow
    import).
    Returns the report (``report.status(strict)`` is the verdict); raises
    :class:`~ml5_dcgan_tools.errors.UsageError` only for bad arguments or a TARGET that does
    not exist or is no bundle.
    """
    options = numbers_options(runtimes, reference, atol)
    report = BundleReport(printable(os.fspath(path)))
    limits = limits or Limits()
    with open_bundle(Path(path), report, limits=limits, allow_network=allow_network) as bundle:
        _check(bundle, report, limits, options if numbers else None)
    return report


def numbers_options(runtimes: Iterable[str], reference: str | os.PathLike[str] | None,
                    atol: float | None) -> NumbersOptions:
    """The options of the numbers stage, checked: a bad one is a :class:`UsageError`."""
    runtimes = tuple(dict.fromkeys(runtimes))
    unknown = [version for version in runtimes if version not in TFJS_VERSIONS]
    if unknown:
        raise UsageError(f"unknown TF.js runtime {unknown[0]!r}",
                         fix=f"choose from {', '.join(TFJS_VERSIONS)}, or none")
    if atol is not None and not (isinstance(atol, int | float) and math.isfinite(atol)
                                 and atol >= 0):
        raise UsageError(f"the tolerance {atol!r} is not a number >= 0", fix="e.g. --atol 1e-4")
    if reference is not None and not Path(reference).is_file():
        raise UsageError(f"the reference {printable(os.fspath(reference))} is not a file",
                         fix="name a reference.json written by `ml5-dcgan export`")
    return NumbersOptions(runtimes, None if reference is None else Path(reference), atol)


def _check(bundle: Bundle, report: BundleReport, limits: Limits,
           options: NumbersOptions | None) -> None:
    if bundle.manifest is not None:
        check_manifest(bundle.manifest, report)
    elif not any(finding.check.startswith("manifest.") for finding in report.findings):
        report.skip("manifest", "there is no manifest to check")
    if bundle.model_json is None:
        _skip(report, ("model", "weights", "contract", "numbers"), "there is no model.json to "
              "check")
        return
    model = read_model(bundle.model_json, report, limits)
    if model is None:
        _skip(report, ("weights", "contract", "numbers"), "the model.json cannot be read")
        return
    if not (check_layers(model, report) and check_topology(model, report, limits)):
        _skip(report, ("weights", "contract", "numbers"),
              "the model's layers or shapes could not be worked out")
        return
    check_weight_specs(model, report, limits)
    check_quantization(model, report)
    check_shapes(model, report)
    check_cpu_batchnorm(model, report)
    if bundle.manifest is not None:
        check_consistency(bundle.manifest, model, report)
    check_editor_limits(bundle, model, report)
    weights = None
    if report.failed("safety"):
        _skip(report, ("weights",), "a safety check failed; the weight files were not read")
    else:
        weights = read_weights(bundle, model, report, limits)
    if options is None:
        report.skip("numbers", "not asked for")
    elif weights is None or report.failed("source", "safety", "model", "weights"):
        report.skip("numbers", "the bundle's files or weights failed the checks above")
    elif not _computable(model, report):
        report.skip("numbers", "the model cannot be rebuilt: see the contract findings")
    else:
        check_numbers(bundle, model, weights, report, options, limits)


def _computable(model: TfjsModel, report: BundleReport) -> bool:
    """A latent input (and a label input), one output, only activations the rebuild computes."""
    return (input_widths(model) is not None and len(model.output_shapes) == 1
            and not any(finding.check in _NUMBERS_BLOCKERS for finding in report.findings))


def _skip(report: BundleReport, stages: Iterable[str], reason: str) -> None:
    for stage in stages:
        report.skip(stage, reason)
