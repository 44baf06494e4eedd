"""The numbers: what the bundle computes, in Python and in the real TF.js runtimes.

On fixed latents (the bundle's reference latents, else seeded standard-normal ones; with one-hot
labels cycling through the classes when the model is labelled) the model
rebuilt in Keras must give finite outputs inside [-1, 1] that differ between latents and match
the reference outputs; each TF.js runtime must load the bundle and match Python, and TF.js 1.7.4
must pass ml5's post-processing. The TF.js runs (Node processes) overlap the Keras work.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contract import ML5_TFJS_VERSION, RUNTIME_ATOL
from ..errors import UserError
from ..reference import (
    REFERENCE_FILE,
    Reference,
    ReferenceInvalid,
    model_inputs,
    read_reference,
    reference_inputs,
)
from ..runtime.tfjs import RuntimeRun, compare_outputs, run_bundle
from ..safety import FileRefused, Limits, bundle_file
from ..tfjs_model import TfjsModel
from .contract_checks import cpu_batchnorm_layers, input_widths
from .report import BundleReport
from .targets import Bundle

ModelInputs = np.ndarray | list[np.ndarray]  # the latents, or [latents, labels]

CONSTANT_OUTPUT = 1e-6
"""Outputs closer than this for different latents do not depend on the latent."""


@dataclass(frozen=True)
class NumbersOptions:
    runtimes: tuple[str, ...]
    reference: Path | None  # None: the bundle's own reference.json, if any
    atol: float | None  # None: the reference's own tolerance when stricter, else RUNTIME_ATOL


def check_numbers(bundle: Bundle, model: TfjsModel, weights: dict[str, np.ndarray],
                  report: BundleReport, options: NumbersOptions, limits: Limits) -> None:
    latent_dim, label_count = input_widths(model) or (0, 0)
    reference = _reference(bundle, options.reference, latent_dim, label_count, report)
    latents, labels = ((reference.latents, reference.labels) if reference is not None
                       else reference_inputs(latent_dim, label_count))
    inputs = model_inputs(latents, labels)
    metrics = report.metrics.setdefault("numbers", {"latents": len(latents)})
    atol = _tolerance(options.atol, reference, report)
    metrics["atol"] = atol
    with ThreadPoolExecutor(max_workers=max(1, len(options.runtimes))) as pool:
        runs = {version: pool.submit(run_bundle, bundle.root, latents, version,
                                     model_json=str(bundle.model_json_name),
                                     max_bytes=limits.bundle_bytes + limits.model_json_bytes,
                                     labels=labels)
                for version in options.runtimes}
        outputs = _python_outputs(model, weights, inputs, report, metrics)
        if outputs is not None and reference is not None:
            error = compare_outputs(reference.outputs, outputs)
            metrics["reference_max_abs_error"] = error
            _compare("numbers.reference", "the reference outputs", error, atol, report,
                     "the weights or topology changed after export, or the reference belongs "
                     "to another model")
        expected = _as_tfjs_cpu_computes(model, weights, inputs, outputs, report, metrics)
        for version, run in runs.items():
            _check_runtime(version, run, expected, atol, report, metrics)


def _tolerance(given: float | None, reference: Reference | None, report: BundleReport) -> float:
    """The tolerance to compare with: the user's, else the one the exporter recorded in the
    reference, which may tighten :data:`RUNTIME_ATOL` but never loosen it (the bundle may be
    a stranger's)."""
    if given is not None:
        return given
    stated = reference.tolerance if reference is not None else None
    if stated is None:
        return RUNTIME_ATOL
    if stated > RUNTIME_ATOL:
        report.add("numbers.reference-tolerance", "info",
                   f"the reference asks for a tolerance of {stated:g}, looser than "
                   f"{RUNTIME_ATOL:g}; {RUNTIME_ATOL:g} was used",
                   "pass --atol to compare at another tolerance deliberately")
        return RUNTIME_ATOL
    return stated


def _as_tfjs_cpu_computes(model: TfjsModel, weights: dict[str, np.ndarray], inputs: ModelInputs,
                          outputs: np.ndarray | None, report: BundleReport,
                          metrics: dict) -> np.ndarray | None:
    """What the TF.js runtimes in Node (CPU backend) should output: Python's outputs, except for
    channels-first BatchNormalization, which that backend computes its own way (tfjs#1106)."""
    from .keras_rebuild import RebuildError, python_outputs

    if outputs is None or not cpu_batchnorm_layers(model):
        return outputs
    try:
        emulated = python_outputs(model, weights, inputs, tfjs_cpu=True)
    except RebuildError as error:
        report.add("numbers.tfjs-uncompared", "warn",
                   "TF.js's outputs were not compared with Python: the emulation of its CPU "
                   f"BatchNormalization (channels first, tfjs#1106) could not be built: {error}",
                   "build the generator channels last; `ml5-dcgan export` does")
        return None
    metrics["tfjs_cpu_batchnorm_effect"] = compare_outputs(outputs, emulated)
    return emulated


def _reference(bundle: Bundle, given: Path | None, latent_dim: int, label_count: int,
               report: BundleReport) -> Reference | None:
    if given is None:
        try:
            given = bundle_file(bundle.root, (bundle.root / str(bundle.model_json_name)).parent,
                                REFERENCE_FILE, what="the reference",
                                missing_check="numbers.reference-missing")
        except FileRefused:
            report.add("numbers.reference-missing", "info",
                       "the bundle has no reference outputs (reference.json), so its numbers "
                       "are compared between Python and TF.js only",
                       "bundles written by `ml5-dcgan export` carry them; --reference FILE "
                       "names another")
            return None
    try:
        reference = read_reference(given)
    except (ReferenceInvalid, OSError) as error:
        report.add("numbers.reference-invalid", "fail",
                   f"the reference {given.name} cannot be read: {str(error)[:200]}",
                   "export the bundle again, or leave reference.json out")
        return None
    if reference.latents.shape[1] != latent_dim:
        report.add("numbers.reference-invalid", "fail",
                   f"the reference latents have {reference.latents.shape[1]} values, the model "
                   f"takes {latent_dim}", "the reference belongs to another model")
        return None
    width = 0 if reference.labels is None else reference.labels.shape[1]
    if width != label_count:
        report.add("numbers.reference-invalid", "fail",
                   f"the reference has labels {width} wide, the model's label input takes "
                   f"{label_count} (0: none)", "the reference belongs to another model")
        return None
    return reference


def _python_outputs(model: TfjsModel, weights: dict[str, np.ndarray], inputs: ModelInputs,
                    report: BundleReport, metrics: dict) -> np.ndarray | None:
    from .keras_rebuild import RebuildError, python_outputs

    started = time.perf_counter()
    try:
        outputs = python_outputs(model, weights, inputs)
    except RebuildError as error:
        report.add("numbers.rebuild-failed", "fail",
                   f"the model could not be rebuilt in Keras, so its numbers are unchecked: "
                   f"{error}", "report this to ml5-dcgan-tools with the model.json")
        return None
    metrics["python_seconds"] = time.perf_counter() - started
    finite = np.isfinite(outputs)
    if not finite.all():
        report.add("numbers.not-finite", "fail",
                   f"{int((~finite).sum()):,} of {outputs.size:,} output values are NaN or "
                   "infinite: ml5 draws a black image", "check the weights (a diverged "
                   "training, negative BatchNormalization variances)")
        return outputs
    low, high = float(outputs.min()), float(outputs.max())
    spread = float(np.max(np.abs(outputs - outputs[:1]))) if len(outputs) > 1 else None
    metrics.update(output_min=low, output_max=high, latent_spread=spread)
    report.add("numbers.python-outputs", "info",
               f"rebuilt in Keras: on {len(outputs)} latents the outputs span [{low:.3g}, "
               f"{high:.3g}]")
    if low < -1 or high > 1:
        report.add("numbers.out-of-range", "fail",
                   f"outputs span [{low:.3g}, {high:.3g}], outside [-1, 1]: ml5's toPixels "
                   "throws", "end the generator with tanh")
    if spread is not None and spread < CONSTANT_OUTPUT:
        report.add("numbers.constant-output", "fail",
                   f"the outputs for {len(outputs)} different latents are the same (they differ "
                   f"by at most {spread:.2g}): the image does not depend on the latent",
                   "the weights are degenerate (all zeros?) or the training collapsed")
    return outputs


def _compare(check: str, what: str, error: float, atol: float, report: BundleReport,
             hint: str) -> None:
    if error <= atol:
        report.add(f"{check}-match", "info",
                   f"Python matches {what}: max abs error {error:.2g} (atol {atol:g})")
    else:
        shown = "the shapes differ" if error == float("inf") else f"max abs error {error:.3g}"
        report.add(f"{check}-mismatch", "fail",
                   f"Python differs from {what}: {shown} (atol {atol:g})", hint)


def _check_runtime(version: str, future: Future[RuntimeRun], expected: np.ndarray | None,
                   atol: float, report: BundleReport, metrics: dict) -> None:
    try:
        run = future.result()
    except UserError as error:
        report.add("numbers.tfjs-unavailable", "warn",
                   f"TF.js {version} could not be run, so the bundle is unproven there: {error}",
                   "install Node.js and run `ml5-dcgan runtime install`, or pass --runtime none "
                   "to skip the TF.js step deliberately")
        return
    runtime = metrics.setdefault("tfjs", {})[version] = {
        "seconds": run.seconds, "max_abs_error": None, "ml5_accepts": run.ml5_accepts}
    if run.error is not None:
        report.add("numbers.tfjs-failed", "fail",
                   f"TF.js {version} fails at {run.failed_at}: {run.error}",
                   "this is what "
                   + ("ml5 users" if version == ML5_TFJS_VERSION else "tf.loadLayersModel users")
                   + " would see; fix the findings above, or re-export the model")
        return
    if expected is not None:
        runtime["max_abs_error"] = compare_outputs(expected, run.outputs)
        emulated = " (its CPU BatchNormalization emulated in Python, tfjs#1106)" \
            if "tfjs_cpu_batchnorm_effect" in metrics else ""
        _compare("numbers.tfjs", f"TF.js {version}{emulated}", runtime["max_abs_error"], atol,
                 report,
                 "TF.js computes something other than the topology and weights describe: "
                 "look for settings it ignores (contract findings)")
    if not run.ml5_accepts:
        who = "ml5 0.12.2" if version == ML5_TFJS_VERSION else "ml5 1.x (ml5-dcgan.js)"
        report.add("numbers.ml5-rejects", "fail",
                   f"ml5's post-processing fails on the output in TF.js {version} ({who}): "
                   f"{run.ml5_problem}", "the output must be [1, 3, H, W] with values in [-1, 1]")
